"""Masking of personal data shown to readers who may not see it (举报人 name and contact)."""
from __future__ import annotations

import re

_PHONE = re.compile(r"^\+?\d[\d\- ]{6,}\d$")


def mask_name(name: str | None) -> str | None:
    """Keep the first character: “张三丰” → “张**”, “张三” → “张*”."""
    if not name:
        return name
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1)


def mask_contact(contact: str | None) -> str | None:
    """Phone numbers keep the first 3 and last 4 digits (“138****1234”); anything else
    (an e-mail, an address) keeps its first and last character."""
    if not contact:
        return contact
    text = contact.strip()
    if _PHONE.match(text):
        digits = re.sub(r"\D", "", text)
        if len(digits) >= 8:
            return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
        return digits[:1] + "*" * (len(digits) - 2) + digits[-1:]
    if "@" in text:
        local, _, domain = text.partition("@")
        return (local[:1] + "***@" + domain) if local else "***@" + domain
    if len(text) <= 2:
        return text[:1] + "*"
    return text[:1] + "*" * (len(text) - 2) + text[-1:]
