"""Checks on served HTML shared by page tests."""
from __future__ import annotations

import re

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)


def inline_scripts(html: str) -> list[str]:
    """Script tags with code in the page itself (the CSP forbids them; files are fine)."""
    return _INLINE_SCRIPT.findall(html)
