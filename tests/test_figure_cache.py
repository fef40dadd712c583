"""The dashboard's figures kept for a few seconds per worker (DASHBOARD_CACHE_SECONDS)."""
from __future__ import annotations

import re
import threading
import time

from workflow.assessment.figure_cache import FigureCache, figure_cache


def test_kept_within_the_time_then_computed_again():
    cache, calls = FigureCache(), []

    def compute(value):
        return lambda: calls.append(value) or value

    first, at = cache.get(("a",), 60, compute(1))
    again, at_again = cache.get(("a",), 60, compute(2))
    assert (first, again, at_again) == (1, 1, at) and calls == [1]
    other, _ = cache.get(("b",), 60, compute(3))  # another question: its own figures
    assert other == 3 and calls == [1, 3]
    fresh, _ = cache.get(("a",), 0, compute(4))  # 0 seconds: always computed
    assert fresh == 4
    cache.clear()
    assert cache.get(("a",), 60, compute(5))[0] == 5


def test_requests_asking_the_same_question_at_once_share_one_computation():
    cache, calls = FigureCache(), []
    started, release = threading.Event(), threading.Event()

    def compute():
        calls.append(1)
        started.set()
        release.wait(10)
        return len(calls)

    results = []
    first = threading.Thread(target=lambda: results.append(cache.get(("q",), 60, compute)))
    first.start()
    assert started.wait(10)  # the first request is computing
    others = [threading.Thread(target=lambda: results.append(cache.get(("q",), 60, compute)))
              for _ in range(5)]
    for t in others:
        t.start()
    other_question = cache.get(("r",), 60, lambda: "r")  # another question does not wait
    time.sleep(0.3)  # the five reach the cache while the first still computes
    release.set()
    for t in [first, *others]:
        t.join(10)
    assert other_question == ("r", other_question[1])
    assert len(calls) == 1 and len(results) == 6
    assert {r for r in results} == {results[0]} and results[0][0] == 1


def test_the_dashboard_keeps_its_figures_per_question(app, pages, world, monkeypatch):
    from blueprints.web import kpis as kpis_pages
    computed = []
    real = kpis_pages._dashboard_figures
    monkeypatch.setattr(kpis_pages, "_dashboard_figures",
                        lambda *args: computed.append(args[1]) or real(*args))
    app.config["DASHBOARD_CACHE_SECONDS"] = 60
    figure_cache.clear()
    try:
        board = pages("leader")
        first = board.get("/kpis").text
        assert "看板数据每 60 秒内更新一次" in first
        assert re.search(r"数据统计于 \d{4}-\d{2}-\d{2} \d{2}:\d{2}", first)
        board.get("/kpis")  # the same question within the minute: kept
        assert computed == ["department"]
        board.get("/kpis?scope=source")  # another question: computed
        assert computed == ["department", "source"]
        pages("office_director").get("/kpis")  # another viewer's role: computed
        assert len(computed) == 3
        app.config["DASHBOARD_CACHE_SECONDS"] = 0  # 0: as of every request
        board.get("/kpis")
        board.get("/kpis")
        assert len(computed) == 5
    finally:
        figure_cache.clear()


def test_the_api_says_when_its_figures_were_computed(app, client, world):
    from workflow.platform.base import local_today
    year = local_today().year
    app.config["DASHBOARD_CACHE_SECONDS"] = 60
    figure_cache.clear()
    try:
        headers = world.headers("leader")
        first = client.get(f"/api/v1/kpis?period={year}", headers=headers).get_json()
        world.case_at("assigned")  # registered today: this year's figures change
        kept = client.get(f"/api/v1/kpis?period={year}", headers=headers).get_json()
        assert kept == first and first["computed_at"].endswith("Z")
        app.config["DASHBOARD_CACHE_SECONDS"] = 0
        now = client.get(f"/api/v1/kpis?period={year}", headers=headers).get_json()
        assert now["items"] != first["items"]  # computed again: the new case counts
        task = client.get(f"/api/v1/kpis?period={year}&kind=task", headers=headers).get_json()
        assert task["kind"] == "task" and task["computed_at"] >= first["computed_at"]
        bad = client.get("/api/v1/kpis?period=nonsense", headers=headers)
        assert bad.status_code == 400  # a bad question is refused, never kept
    finally:
        figure_cache.clear()


def test_worker_processes_share_through_redis_and_compute_each_question_once(redis_conn):
    import hashlib
    import uuid

    from redis import Redis

    from workflow.assessment.figure_cache import SHARED_PREFIX, SharedStore

    namespace = f"test-{uuid.uuid4()}"
    one, other = FigureCache(), FigureCache()  # two gunicorn workers
    store = SharedStore(redis_conn, namespace)
    calls = []

    def compute(value):
        return lambda: calls.append(value) or {"rate": value}

    first, at = one.get(("q",), 60, compute(1), shared=store)
    second, at_second = other.get(("q",), 60, compute(2), shared=store)
    assert first == second == {"rate": 1} and at_second == at and calls == [1]
    # another register (another database) on the same Redis keeps its own figures
    theirs, _ = FigureCache().get(("q",), 60, compute(3), shared=SharedStore(redis_conn, "elsewhere-" + namespace))
    assert theirs == {"rate": 3}

    # one worker computes while the other asks: the other waits for that result
    started, release, results = threading.Event(), threading.Event(), []

    def slow():
        calls.append("slow")
        started.set()
        release.wait(10)
        return {"rate": "slow"}

    a = threading.Thread(target=lambda: results.append(FigureCache().get(("s",), 60, slow, shared=store)))
    a.start()
    assert started.wait(10)
    b = threading.Thread(target=lambda: results.append(FigureCache().get(("s",), 60, slow, shared=store)))
    b.start()
    time.sleep(0.3)
    release.set()
    a.join(10)
    b.join(10)
    assert calls.count("slow") == 1 and [r[0] for r in results] == [{"rate": "slow"}] * 2

    # a value this cache did not write is not trusted: computed here
    store.set(SHARED_PREFIX + hashlib.sha256(repr(("t",)).encode()).hexdigest(), b"not a pickle")
    assert FigureCache().get(("t",), 60, compute(5), shared=store)[0] == {"rate": 5}

    # Redis gone: each worker computes for itself, nothing is raised
    dead = SharedStore(Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2), namespace)
    alone, _ = FigureCache().get(("q",), 60, compute(4), shared=dead)
    assert alone == {"rate": 4}
    for key in redis_conn.scan_iter(match=f"{store.prefix}*"):
        redis_conn.delete(key)


def test_while_expired_figures_are_computed_again_the_others_get_the_last_ones():
    cache = FigureCache()
    first, at = cache.get(("k",), 0.3, lambda: "old")
    time.sleep(0.35)  # expired
    started, release, results = threading.Event(), threading.Event(), []

    def recompute():
        started.set()
        release.wait(10)
        return "new"

    t = threading.Thread(target=lambda: results.append(cache.get(("k",), 0.3, recompute)))
    t.start()
    assert started.wait(10)
    assert cache.get(("k",), 0.3, lambda: "not asked") == ("old", at)  # not waiting
    release.set()
    t.join(10)
    assert results[0][0] == "new" and cache.get(("k",), 0.3, lambda: "not asked")[0] == "new"
    time.sleep(0.7)  # long past: the old figures are not handed out, they are computed
    assert cache.get(("k",), 0.3, lambda: "newest")[0] == "newest"
