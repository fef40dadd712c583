"""统一社会信用代码 (GB 32100-2015): 18 characters, the last a check character.

Characters are the digits and the capital letters except I, O, Z, S, V (31 in all, valued
0–30 in this order). Positions 3–8 are the 6-digit administrative division code. The check
character C18 makes ``31 - (Σ value(Ci) × Wi mod 31)`` with weights Wi = 3^(i-1) mod 31
(i = 1 … 17); a result of 31 is written 0.
"""
from __future__ import annotations

import re

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def check_char(first17: str) -> str:
    """The check character of the first 17 characters (ValueError on a foreign character)."""
    if len(first17) != 17 or any(c not in VALUES for c in first17):
        raise ValueError("须为 17 位代码字符")
    total = sum(VALUES[c] * w for c, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code) -> str:
    return str(code or "").strip().upper()


def is_valid(code: str) -> bool:
    """Shape (18 characters, positions 3–8 digits) and check character both right."""
    code = normalise(code)
    return bool(SHAPE.match(code)) and check_char(code[:17]) == code[17]


def make_code(registry: str, division: str, body: str) -> str:
    """A complete code from its parts (登记管理部门+机构类别, 6-digit division code, 9-char
    organisation code): used by the demo and the tests to build real-format codes."""
    first = registry + division + body
    return first + check_char(first)
