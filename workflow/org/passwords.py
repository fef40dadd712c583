"""The password policy (OWASP ASVS 4.0 §2.1, level 2).

A password is at least 12 and at most 128 characters, is not one of the 30,000 most common
passwords, does not contain the user name, and a change must not keep the old password.

The blocklist is the ``passwords`` frequency list shipped in the pinned ``zxcvbn`` package
(the Python port of Dropbox's zxcvbn: the 30,000 most frequent passwords of a corpus of
about 10 million leaked ones), plus a few pinyin-era favourites it lacks. Nothing is fetched at
run time; the check is a set look-up on the lower-cased password.
"""
from __future__ import annotations

import functools
from collections.abc import Callable

from workflow.platform.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 128
# Common in Chinese leaks and absent from the English-corpus list above.
EXTRA_BLOCKED = ("woaini1314", "woaini520", "a123456789", "qq123456789", "aa123456789",
                 "1qaz2wsx3edc", "1q2w3e4r5t6y", "zhang123456", "wang123456", "abc123456789",
                 "password1234", "admin123456", "admin@123456")

PASSWORD_RULES = {
    "password_too_short": f"密码至少 {MIN_LENGTH} 个字符",
    "password_too_long": f"密码最多 {MAX_LENGTH} 个字符",
    "password_common": "密码属于常见弱密码（常用密码表前 3 万个），请换一个不易猜到的密码",
    "password_contains_username": "密码不得与用户名相同或包含用户名",
    "password_unchanged": "新密码不得与当前密码相同",
}


@functools.cache
def _blocklist() -> frozenset[str]:
    # zxcvbn's module is ~1 MB of lists: load it on the first password check, not at import
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in (*FREQUENCY_LISTS["passwords"], *EXTRA_BLOCKED))


def is_common(password: str) -> bool:
    return password.lower() in _blocklist()


def _refuse(rule: str, field: str):
    raise InvalidInput(f"{PASSWORD_RULES[rule]}（{rule}）", field=field, rules=[rule])


def check_policy(password: str, *, username: str | None = None,
                 is_current: Callable[[str], bool] | None = None, field: str = "password") -> None:
    """Refuse a password that breaks the policy; the error names the rule (400, ``field``).

    ``is_current`` tells whether a password is the one in use (the hash check lives in
    ``org.auth``).
    """
    password = password or ""
    if len(password) < MIN_LENGTH:
        _refuse("password_too_short", field)
    if len(password) > MAX_LENGTH:
        _refuse("password_too_long", field)
    if is_common(password):
        _refuse("password_common", field)
    name = (username or "").strip().casefold()
    if len(name) >= 3 and name in password.casefold():
        _refuse("password_contains_username", field)
    if is_current is not None and is_current(password):
        _refuse("password_unchanged", field)
