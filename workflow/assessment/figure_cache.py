"""Dashboard figures kept for a few seconds in the process that computed them.

The leader's dashboard at a district's size (100,000 cases) costs a second or more of CPU
to compute; leaders open it again and again while little changes. Each worker process
keeps what it computed, keyed by what decides the figures (the viewer's role and unit,
the period, scope and cut-off asked for), for ``seconds`` (setting
``DASHBOARD_CACHE_SECONDS``; 0 computes every time). The page says when its figures
were computed; whether the period is frozen is read on every request.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime

from workflow.platform.base import utcnow

MAX_ENTRIES = 256


class FigureCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple, tuple[float, datetime, object]] = {}

    def get(self, key: tuple, seconds: float, compute):
        """``(value, computed_at)``: kept if younger than ``seconds``, else computed now."""
        if seconds <= 0:
            return compute(), utcnow()
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(key)
        if found is not None and found[0] > now:
            return found[2], found[1]
        value, at = compute(), utcnow()
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:  # drop the oldest half
                for old in sorted(self._entries, key=lambda k: self._entries[k][0])[
                        :MAX_ENTRIES // 2]:
                    del self._entries[old]
            self._entries[key] = (time.monotonic() + seconds, at, value)
        return value, at

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


figure_cache = FigureCache()


def viewer_key(user) -> tuple:
    """What of the viewer decides the figures they see: their role and their unit."""
    return (getattr(user, "role", None), getattr(user, "department_id", None))
