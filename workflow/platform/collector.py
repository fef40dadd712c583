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


YOUNG_THRESHOLD = 7000  # Python's default is 700: a request allocates tens of thousands


def settle_long_lived() -> None:
    """For a server process ready to serve: what it has loaded (modules, compiled templates,
    the ORM's mappers and statement cache) lives as long as the process, so it moves out of
    the collector's sight (``gc.freeze``) instead of being walked again at every full
    collection, and the youngest generation is collected ten times less often. Measured on a
    department user's case page, home page and case list at 100,000 cases: the collector's
    share of their CPU fell from 5.1 to 1.0 ms per three requests (of about 80)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
