"""Cyclic garbage collection paused around work that allocates by the million."""
from __future__ import annotations

import gc
import threading
from contextlib import contextmanager

_lock = threading.Lock()
_pause = {"holders": 0, "was_enabled": False}


@contextmanager
def gc_paused():
    """No automatic garbage collection while inside (in any thread), then the young objects.

    A record's render or a task list's parse and import allocate hundreds of thousands to
    millions of objects; the collector runs dozens of times meanwhile and walks them again,
    freeing nearly nothing (the objects die by reference counting when the work ends, or
    live on). So the work runs with collection paused and collects only the youngest
    generation after it, in its own time. Concurrent holders share one pause; collection
    comes back when the last one ends, and only if it was on before the first.
    """
    with _lock:
        if _pause["holders"] == 0:
            _pause["was_enabled"] = gc.isenabled()
            gc.disable()
        _pause["holders"] += 1
    try:
        yield
    finally:
        with _lock:
            _pause["holders"] -= 1
            resume = _pause["holders"] == 0 and _pause["was_enabled"]
            if resume:
                gc.enable()
        if resume:
            gc.collect(0)
