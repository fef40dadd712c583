"""The dashboard's figures kept for a few seconds per worker (DASHBOARD_CACHE_SECONDS)."""
from __future__ import annotations

import re

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
