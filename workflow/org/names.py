"""Names people read: user names, display names, department and group names.

A name may not carry invisible or direction-changing characters (Unicode format
characters such as U+200B zero-width space or U+202E right-to-left override,
controls, private-use or unassigned code points, line separators, or spaces
other than the ASCII space); user names are stored NFKC-normalised. Two names
are confusable when their *skeletons* are equal: NFKC, case folding and a small
table of look-alikes (Cyrillic and Greek letters that look Latin, ``0``/``1``,
``rn``/``m``) in the spirit of Unicode TS #39. The skeleton also tells whether
two accounts are one person for the separation-of-duties rules.
"""
from __future__ import annotations

import unicodedata

from workflow.platform.errors import InvalidInput

# Categories refused anywhere in a name: format (Cf: zero-width, bidi controls),
# controls, surrogates, private use, unassigned, line/paragraph separators.
_REFUSED_CATEGORIES = {"Cf", "Cc", "Cs", "Co", "Cn", "Zl", "Zp"}

# Look-alikes after NFKC + casefold → the Latin letter they pass for.
_LOOKALIKES = str.maketrans({
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "н": "h", "і": "i", "ї": "i", "ј": "j",
    "к": "k", "ӏ": "l", "м": "m", "о": "o", "р": "p", "с": "c", "ѕ": "s", "т": "t",
    "у": "y", "х": "x", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ү": "y", "ɡ": "g",
    # Greek
    "α": "a", "β": "b", "ε": "e", "ζ": "z", "η": "h", "ι": "i", "κ": "k", "μ": "m",
    "ν": "n", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ς": "c", "σ": "o",
    # Latin and digits that pass for each other
    "0": "o", "1": "l", "|": "l", "ı": "i", "ℓ": "l",
})
_SEQUENCES = (("rn", "m"), ("vv", "w"), ("cl", "d"))


def refused_characters(text: str) -> list[str]:
    """The characters of ``text`` a name may not contain, as ``U+XXXX`` codes."""
    found = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in _REFUSED_CATEGORIES or (cat == "Zs" and ch != " "):
            code = f"U+{ord(ch):04X}"
            if code not in found:
                found.append(code)
    return found


def check_visible(text: str, *, field: str, label: str) -> None:
    """Refuse invisible and direction-changing characters in a name."""
    bad = refused_characters(text)
    if bad:
        raise InvalidInput(f"{label}含有不可见或改变文字方向的字符（{'、'.join(bad[:5])}），请删除后重新输入",
                           field=field)


def skeleton(text: str) -> str:
    """The form two confusable names share (NFKC, case folded, look-alikes mapped)."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    folded = "".join(folded.split())  # spaces do not tell two names apart
    folded = folded.translate(_LOOKALIKES)
    for seq, repl in _SEQUENCES:
        folded = folded.replace(seq, repl)
    return unicodedata.normalize("NFKC", folded)


def clean_username(raw) -> str:
    """A user name as stored: NFKC, no spaces, 1–80 visible characters."""
    if not isinstance(raw, str):
        raise InvalidInput("用户名须为文本", field="username")
    check_visible(raw.strip(), field="username", label="用户名")
    name = unicodedata.normalize("NFKC", raw).strip()
    if not name or len(name) > 80:
        raise InvalidInput("用户名须为 1–80 个字符", field="username")
    if any(ch.isspace() for ch in name):
        raise InvalidInput("用户名不能含空格", field="username")
    return name


def clean_display_name(raw, *, field: str = "display_name") -> str:
    """A display name as stored: trimmed, inner runs of spaces made one; as typed otherwise."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise InvalidInput("姓名须为文本", field=field)
    check_visible(raw, field=field, label="姓名")
    name = " ".join(raw.split())
    if len(name) > 80:
        raise InvalidInput("姓名过长（最多 80 字）", field=field)
    return name


def same_person(a, b) -> bool:
    """Whether two accounts are one person: the same account, or display names that a
    reader cannot tell apart (a second account opened under the same name)."""
    if a is None or b is None:
        return False
    if a.id == b.id:
        return True
    return bool(a.display_name and b.display_name
                and skeleton(a.display_name) == skeleton(b.display_name))


def check_names_free(session, *, username: str | None = None, display_name: str | None = None,
                     exclude_id: int | None = None) -> None:
    """Refuse a user name confusable with any account's, and a display name
    confusable with an active account's (a directory has hundreds of users)."""
    from sqlalchemy import select

    from workflow.org.models import User

    if username is not None:
        wanted = skeleton(username)
        for uid, other in session.execute(select(User.id, User.username)):
            if uid != exclude_id and skeleton(other) == wanted:
                what = "已存在" if other == username else f"与已有用户名“{other}”难以区分"
                raise InvalidInput(f"用户名“{username}”{what}", field="username")
    if display_name:
        wanted = skeleton(display_name)
        for uid, other, uname in session.execute(
                select(User.id, User.display_name, User.username).where(User.active.is_(True))):
            if uid != exclude_id and skeleton(other) == wanted:
                raise InvalidInput(f"姓名“{display_name}”与在用账号 {uname} 的姓名“{other}”相同或难以区分；"
                                   "同一人不得开设第二个账号，同名的不同人请加以区分（如注明单位）",
                                   field="display_name")


def person_label(user) -> str:
    """How records print a person: display name with user name and id beside it, so two
    people of one name (or one person of two accounts) can be told apart on paper."""
    if user is None:
        return ""
    return f"{user.display_name}（{user.username}，id {user.id}）"


def usernames(session, ids) -> dict[int, str]:
    """User names by id, for events that kept only the actor's id and display name."""
    from sqlalchemy import select

    from workflow.org.models import User

    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.username).where(User.id.in_(wanted))).all())
