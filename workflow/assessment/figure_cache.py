"""Dashboard figures kept for a few seconds in the process that computed them.

The leader's dashboard at a district's size (100,000 cases) costs a second or more of CPU
to compute; leaders open it again and again while little changes. Each worker process
keeps what it computed, keyed by what decides the figures (the viewer's role and unit,
the period, scope and cut-off asked for), for ``seconds`` (setting
``DASHBOARD_CACHE_SECONDS``; 0 computes every time). The page says when its figures
were computed; whether the period is frozen is read on every request.

Where the deployment has Redis (``REDIS_URL``), the worker processes also share what one of
them computed: a miss looks there first, and one process computes a question while the
others wait for its result (a Redis lock), so the figures are computed once per question and
period, not once per worker, and every worker shows the same "computed at". The values are
pickled into the same Redis that already carries the pickled RQ jobs (the deployment trusts
it). When Redis does not answer, each worker computes for itself, as without it.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import pickle
import threading
import time
from datetime import datetime

from workflow.platform.base import utcnow

MAX_ENTRIES = 256
SHARED_PREFIX = "safeloop:figures:1:"
LOCK_SECONDS = 60  # a computation that died leaves its lock this long at most
WAIT_SECONDS = 20  # how long another worker's computation is waited for before computing too

log = logging.getLogger(__name__)


class FigureCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple, tuple[float, datetime, object]] = {}
        self._computing: dict[tuple, threading.Lock] = {}

    def _fresh(self, key: tuple):
        with self._lock:
            found = self._entries.get(key)
        if found is not None and found[0] > time.monotonic():
            return found[2], found[1]
        return None

    def _stale(self, key: tuple, seconds: float):
        """The figures of the last computation, if they expired less than ``seconds`` ago."""
        with self._lock:
            found = self._entries.get(key)
        if found is not None and time.monotonic() < found[0] + seconds:
            return found[2], found[1]
        return None

    def get(self, key: tuple, seconds: float, compute, shared=None):
        """``(value, computed_at)``: kept if younger than ``seconds``, else computed now.

        One computation per key at a time: a request that finds the same question being
        computed waits for that result instead of computing it again beside it (ten leaders
        opening the dashboard in the same second cost one computation, not ten), or, when the
        figures it had just expired, is answered with those (their time printed) while the
        other request computes the new ones — so once a minute one request waits for the
        computation, not every request that arrives during it. ``shared`` is a Redis client
        whose entries every worker process reads (None: this process only).
        """
        if seconds <= 0:
            return compute(), utcnow()
        if (found := self._fresh(key)) is not None:
            return found
        with self._lock:
            gate = self._computing.setdefault(key, threading.Lock())
        stale = self._stale(key, seconds)
        if not gate.acquire(blocking=stale is None):
            return stale  # another request of this process is computing them now
        try:
            if (found := self._fresh(key)) is not None:
                return found
            value, at = (self._from_shared(shared, key, seconds, compute, stale)
                         if shared is not None else (compute(), utcnow()))
            expires = time.monotonic() + seconds - max(0.0, (utcnow() - at).total_seconds())
            with self._lock:
                if len(self._entries) >= MAX_ENTRIES:  # drop the oldest half
                    for old in sorted(self._entries, key=lambda k: self._entries[k][0])[
                            :MAX_ENTRIES // 2]:
                        del self._entries[old]
                self._entries[key] = (expires, at, value)
                # stored before the gate goes: a request arriving now finds the value
                self._computing.pop(key, None)
        finally:
            gate.release()
        return value, at

    def _from_shared(self, store, key: tuple, seconds: float, compute, stale=None):
        """The value another worker stored, else computed here (once across workers); while
        another worker computes, the ``stale`` figures if there are any, else its result."""
        name = SHARED_PREFIX + hashlib.sha256(repr(key).encode()).hexdigest()
        found = _quietly(store.get, name)
        if found is None:
            # True: ours to compute; False: another worker computes it; None: no answer
            locked = _quietly(lambda: bool(store.set(name + ":lock", b"1", nx=True,
                                                     ex=LOCK_SECONDS)))
            if locked is False and stale is not None:
                return stale
            if locked is False:  # wait for the other worker's result
                until = time.monotonic() + WAIT_SECONDS
                while found is None and time.monotonic() < until:
                    time.sleep(0.05)
                    found = _quietly(store.get, name)
            if found is None:
                try:
                    value, at = compute(), utcnow()
                    _quietly(store.set, name, pickle.dumps((at, value)), px=int(seconds * 1000))
                finally:
                    if locked:
                        _quietly(store.delete, name + ":lock")
                return value, at
        try:
            at, value = pickle.loads(found)
        except Exception:  # not what this cache stored (another version's, a torn value)
            log.warning("dashboard figures in Redis unreadable; computed here")
            return compute(), utcnow()
        return value, at

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _quietly(call, *args, **kwargs):
    """A call to the shared store; None when it does not answer (logged, never raised)."""
    try:
        return call(*args, **kwargs)
    except Exception as exc:  # redis.ConnectionError, TimeoutError and friends
        log.warning("dashboard figures not shared: %s", exc)
        return None


figure_cache = FigureCache()


class SharedStore:
    """A Redis client and the namespace of one register (one database): two deployments, or
    the tests, sharing a Redis never read each other's figures."""

    def __init__(self, client, namespace: str) -> None:
        self.client = client
        self.prefix = hashlib.sha256(namespace.encode()).hexdigest()[:16] + ":"

    def get(self, name: str):
        return self.client.get(self.prefix + name)

    def set(self, name: str, value, **options):
        return self.client.set(self.prefix + name, value, **options)

    def delete(self, name: str):
        return self.client.delete(self.prefix + name)


@functools.lru_cache(maxsize=4)
def shared_store(redis_url: str | None, namespace: str = "") -> SharedStore | None:
    """Where the worker processes share figures (``namespace``: the database's URL);
    None without Redis."""
    if not redis_url:
        return None
    from redis import Redis  # deferred: only deployments with REDIS_URL load it

    return SharedStore(Redis.from_url(redis_url, socket_connect_timeout=0.5, socket_timeout=2),
                       namespace)


def viewer_key(user) -> tuple:
    """What of the viewer decides the figures they see: their role and their unit."""
    return (getattr(user, "role", None), getattr(user, "department_id", None))
