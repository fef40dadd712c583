"""Find a quantitative target ("每年不少于2次", "每3年开展一次") in an item's text."""

import re
import unicodedata
from dataclasses import dataclass

_NUM = r"([0-9]+|[一二两三四五六七八九十]+)"
_GAP = r"[^。；;，,（）()]{0,30}?"  # words between the period and the count, within a clause
_AT_LEAST = r"(?:至少|不少于|不低于|不得少于)?"
_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


@dataclass(frozen=True)
class Target:
    """`count` occurrences every `period_years` years, as written in `text`."""

    count: int
    period_years: int
    text: str


def chinese_int(text: str) -> int | None:
    """Parse 1..99 written in digits or Chinese numerals (一, 两, 十二, 二十)."""
    text = unicodedata.normalize("NFKC", text).strip()
    if text.isdigit():
        return int(text)
    if len(text) == 1 and text in _DIGITS:
        return _DIGITS[text]
    tens, sep, ones = text.partition("十")
    if not sep or len(tens) > 1 or len(ones) > 1:
        return None
    if (tens and tens not in _DIGITS) or (ones and ones not in _DIGITS):
        return None
    return _DIGITS.get(tens, 1) * 10 + _DIGITS.get(ones, 0)


# (pattern, (count, period) from the numbers found). Extend here.
_PATTERNS = (
    (re.compile(rf"每{_NUM}年{_GAP}{_AT_LEAST}{_NUM}次"), lambda years, n: (n, years)),
    (re.compile(rf"每年{_GAP}{_AT_LEAST}{_NUM}次"), lambda n: (n, 1)),
    (re.compile(rf"每季度(?:{_GAP}{_AT_LEAST}{_NUM}次)?"), lambda n=None: (4 * (n or 1), 1)),
    (re.compile(rf"每半年(?:{_GAP}{_AT_LEAST}{_NUM}次)?"), lambda n=None: (2 * (n or 1), 1)),
    # a term of office (一届任期, five years): once within the term
    (re.compile(r"一届任期(?:内)?"), lambda: (1, TERM_YEARS)),
)
TERM_YEARS = 5
# Every pattern above holds one of these words: a text with neither states no target.
_MARKERS = ("每", "一届任期")


def _may_state_target(text: str) -> bool:
    return any(marker in text for marker in _MARKERS)


def find_target(text: str) -> Target | None:
    """The target stated in the text; with several, the one with the largest count."""
    text = unicodedata.normalize("NFKC", text)
    if not _may_state_target(text):
        return None
    found = []
    for pattern, rate in _PATTERNS:
        for match in pattern.finditer(text):
            numbers = [chinese_int(g) for g in match.groups() if g is not None]
            if None in numbers:
                continue
            count, years = rate(*numbers)
            if count > 0 and years > 0:
                found.append(Target(count, years, match.group(0)))
    if not found:
        return None
    return max(found, key=lambda t: (t.count, -t.period_years, -text.index(t.text)))


def find_targets(text: str) -> list[Target]:
    """Every target stated in the text, in reading order, overlapping matches dropped."""
    text = unicodedata.normalize("NFKC", text)
    if not _may_state_target(text):
        return []
    found: list[tuple[int, int, Target]] = []
    for pattern, rate in _PATTERNS:
        for match in pattern.finditer(text):
            numbers = [chinese_int(g) for g in match.groups() if g is not None]
            if None in numbers:
                continue
            count, years = rate(*numbers)
            if count > 0 and years > 0:
                found.append((match.start(), match.end(), Target(count, years, match.group(0))))
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    out: list[tuple[int, int, Target]] = []
    for start, end, target in found:
        if out and start < out[-1][1]:
            continue
        out.append((start, end, target))
    return [t for _, _, t in out]


def name_stems(name: str) -> list[str]:
    """Words of a unit's name that a clause may use for it: 区政府办 → 区政府, 政府."""
    name = unicodedata.normalize("NFKC", name)
    base = re.sub(r"(?:办公室|办)$", "", name)
    stems = [name, base]
    if base.startswith("区") and len(base) > 2:
        stems.append(base[1:])
    return [s for s in dict.fromkeys(stems) if len(s) >= 2]


def match_targets(text: str, units: list[str]) -> dict[str, list[Target]]:
    """Clause-to-unit matching: unit name → the targets of the clauses that name it.

    Each target belongs to the unit named in the words since the previous target (the
    longest matching stem wins). With one target only, or when no clause names any of the
    units, every unit owes every target (the item as a whole).
    """
    targets = find_targets(text)
    if not targets:
        return {u: [] for u in units}
    if len(targets) == 1:
        return {u: list(targets) for u in units}
    text = unicodedata.normalize("NFKC", text)
    out: dict[str, list[Target]] = {u: [] for u in units}
    position = 0
    matched = False
    for target in targets:
        at = text.find(target.text, position)
        clause = text[position:at]
        position = at + len(target.text)
        best, best_len = None, 0
        for unit in units:
            for stem in name_stems(unit):
                where = clause.rfind(stem)
                if where >= 0 and len(stem) > best_len:
                    best, best_len = unit, len(stem)
        if best is not None:
            out[best].append(target)
            matched = True
    if not matched:
        top = max(targets, key=lambda t: (t.count, -t.period_years))
        return {u: [top] for u in units}
    return out
