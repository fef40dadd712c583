"""Hash chains over canonical JSON, shared by the case audit trail and the admin log.

Each link is ``sha256(prev_hash + canonical_json(event))``, or HMAC-SHA256 with a key
kept outside the database when the chain is keyed; the first link's ``prev_hash`` is
``GENESIS``.
"""
from __future__ import annotations

import hashlib
import hmac
import json

GENESIS = "0" * 64


def canonical_json(value) -> str:
    """JSON with sorted keys, no spaces and raw UTF-8: the exact text a chain hashes."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)


def chain_digest(prev_hash: str, canonical: str, key: bytes | None = None) -> str:
    """The hash of one link given the previous link's hash and the event's canonical text."""
    message = (prev_hash + canonical).encode("utf-8")
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
