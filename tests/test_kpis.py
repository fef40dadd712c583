"""Every 考核 figure against values computed by hand from the known data set.

The data set is in tests/factories_kpis.py (2020 Q3, cut-off 2020-10-05):
department A (区应急管理局) has c1–c8, c11 (draft), c12 (registered in Q2) and two tasks;
department B (区住建局) has c9 and c10; c5 is cancelled.
"""
from __future__ import annotations

from datetime import date

import pytest

from workflow.assessment import drilldown, figures, periods
from workflow.platform.errors import InvalidInput

Q3 = periods.parse_period("2020Q3")


def window(cutoff=date(2020, 10, 5), period=Q3):
    return periods.make_window(period, cutoff, today=date(2026, 1, 1))


def rows_by_key(items):
    return {r["key"]: r for r in items}


def test_department_a_every_figure(kpi_world, session):
    rows = rows_by_key(figures.compute(session, "department", window()))
    a = rows[kpi_world.w.dept.id]
    assert a["department"] == "区应急管理局"
    # registered in Q3: c1 c2 c3 c4 c6 c7 c8 (c5 cancelled, c11 draft, c12 in Q2)
    assert (a["registered"], a["closed"]) == (7, 4)
    assert a["rectification_rate"] == round(4 / 7, 4)
    # due by the original deadline: c1 c2 c3 c4(08-15) c6 c8 c12; on time: c1 c6 c12
    assert (a["due"], a["on_time"], a["on_time_rate"]) == (7, 3, round(3 / 7, 4))
    # by the current deadline c4 (09-30, closed 09-28) is on time too
    assert (a["due_current"], a["on_time_current"]) == (7, 4)
    assert a["on_time_rate_current"] == round(4 / 7, 4)
    # c3 is 35 days overdue, c8 (closed only on 10-15) 25 days
    assert a["overdue_count"] == 2
    assert a["overdue_buckets"] == {"1-7": 0, "8-30": 1, ">30": 1}
    assert (a["major_registered"], a["major_closed"], a["major_rectification_rate"]) == (2, 1, 0.5)
    # only c2 was accepted after its 2-working-day limit
    assert (a["accept_due"], a["accepted_on_time"]) == (7, 6)
    assert a["accept_on_time_rate"] == round(6 / 7, 4)
    # reports in Q3: c1, c2, c4 twice, c6 (c8's is in October, c12's in June); one return
    assert (a["reports"], a["returns"], a["return_rate"]) == (5, 1, 0.2)
    assert (a["extended"], a["extension_rate"]) == (1, round(1 / 7, 4))
    # c1 21 days, c2 22, c4 75, c6 42
    assert a["avg_days_to_close"] == 40.0
    assert (a["tasks"], a["tasks_closed"], a["task_completion_rate"]) == (2, 1, 0.5)


def test_department_b_and_nulls(kpi_world, session):
    rows = rows_by_key(figures.compute(session, "department", window()))
    b = rows[kpi_world.w.other_dept.id]
    assert (b["registered"], b["closed"], b["rectification_rate"]) == (2, 0, 0.0)
    assert b["major_rectification_rate"] is None  # no major hazards: no denominator
    assert b["return_rate"] is None and b["avg_days_to_close"] is None
    assert b["task_completion_rate"] is None
    assert (b["due"], b["on_time_rate"]) == (1, 0.0)
    assert b["overdue_buckets"] == {"1-7": 1, "8-30": 0, ">30": 0}
    # c9 never accepted (limit Wed 09-30 passed), c10 accepted the same day
    assert (b["accept_due"], b["accepted_on_time"], b["accept_on_time_rate"]) == (2, 1, 0.5)
    # the office gets no row; a department without cases gets an empty one
    office = rows[kpi_world.w.office.id] if kpi_world.w.office.id in rows else None
    assert office is None


def test_district_is_the_sum(kpi_world, session):
    (d,) = figures.compute(session, "district", window())
    assert d["key"] == "all" and d["label"] == "全区"
    assert (d["registered"], d["closed"], d["rectification_rate"]) == (9, 4, round(4 / 9, 4))
    assert (d["due"], d["on_time"]) == (8, 3)
    assert d["overdue_buckets"] == {"1-7": 1, "8-30": 1, ">30": 1}
    assert (d["accept_due"], d["accepted_on_time"]) == (9, 7)
    assert d["extension_rate"] == round(1 / 9, 4)


def test_other_scopes(kpi_world, session):
    grade = rows_by_key(figures.compute(session, "grade", window()))
    assert grade["major"]["label"] == "重大" and grade["major"]["registered"] == 2
    assert grade["general"]["registered"] == 7
    kind = rows_by_key(figures.compute(session, "kind", window()))
    assert kind["task"]["task_completion_rate"] == 0.5 and kind["task"]["registered"] == 0
    source = rows_by_key(figures.compute(session, "source", window()))
    assert source["patrol"]["label"] == "巡查发现"
    town = figures.compute(session, "town", window())
    assert [r["label"] for r in town] == ["（未填写）"]
    with pytest.raises(InvalidInput):
        figures.compute(session, "planet", window())


def test_cutoff_moves_the_figures(kpi_world, session):
    # at 2020-10-20, c8 is closed (10-15) and no longer overdue; its closure is late
    a = rows_by_key(figures.compute(session, "department", window(date(2020, 10, 20))))[
        kpi_world.w.dept.id]
    assert (a["closed"], a["overdue_count"]) == (5, 1)
    assert a["overdue_buckets"] == {"1-7": 0, "8-30": 0, ">30": 1}
    # mid-period cut-off: only July registrations, c4 not yet closed
    a = rows_by_key(figures.compute(session, "department", window(date(2020, 7, 31))))[
        kpi_world.w.dept.id]
    assert (a["registered"], a["closed"]) == (4, 2)
    assert (a["due"], a["on_time"]) == (3, 2)  # c1, c2, c12 due by 07-31


def test_drill_down_matches_the_counts(kpi_world, session):
    w, A = window(), kpi_world.w.dept.id
    c = kpi_world.cases
    ids = dict(drilldown.figure_cases(session, "rectification_rate", "department", A, w))
    assert set(ids) == {c[n].id for n in ("c1", "c2", "c3", "c4", "c6", "c7", "c8")}
    assert {i for i, counted in ids.items() if counted} == {c[n].id for n in ("c1", "c2", "c4", "c6")}
    late = drilldown.figure_cases(session, "on_time_rate", "department", A, w)
    assert {i for i, ok in late if not ok} == {c[n].id for n in ("c2", "c3", "c4", "c8")}
    assert {i for i, _ in drilldown.figure_cases(session, "overdue_count", "district", None, w)} == {
        c[n].id for n in ("c3", "c8", "c10")}
    assert [i for i, _ in drilldown.figure_cases(session, "overdue_over_30", "district", None, w)] == [
        c["c3"].id]
    ret = dict(drilldown.figure_cases(session, "return_rate", "department", A, w))
    assert ret[c["c4"].id] is True and sum(ret.values()) == 1 and len(ret) == 4
    acc = dict(drilldown.figure_cases(session, "accept_on_time_rate", "department",
                                   kpi_world.w.other_dept.id, w))
    assert acc == {c["c9"].id: False, c["c10"].id: True}
    tasks = dict(drilldown.figure_cases(session, "task_completion_rate", "district", None, w))
    assert sorted(tasks.values()) == [False, True]
    assert [i for i, _ in drilldown.figure_cases(session, "extension_rate", "department", A, w)
            if _] == [c["c4"].id]
    for fig in figures.FIGURES:  # every figure opens
        drilldown.figure_cases(session, fig, "grade", "major", w)


def test_monthly_trend(kpi_world, session):
    trend = figures.monthly_trend(session, window())
    assert [(t["month"], t["registered"], t["closed"]) for t in trend] == [
        ("2020-07", 4, 3), ("2020-08", 2, 1), ("2020-09", 3, 0)]


def test_periods():
    assert periods.parse_period("2020Q3").start == date(2020, 7, 1)
    assert periods.parse_period("2020Q1").end == date(2020, 3, 31)
    assert periods.parse_period("2020-02").end == date(2020, 2, 29)
    assert periods.parse_period("2020").label == "2020年"
    p = periods.parse_period(start="2020-03-05", end="2020-04-01")
    assert (p.start, p.end, p.kind) == (date(2020, 3, 5), date(2020, 4, 1), "custom")
    for bad in ("2020Q5", "20-03", "2020-13", "1999"):
        with pytest.raises(InvalidInput):
            periods.parse_period(bad)
    with pytest.raises(InvalidInput):
        periods.parse_period(start="2020-04-01", end="2020-03-01")
    with pytest.raises(InvalidInput):
        periods.make_window(Q3, "2020-06-30")
    # default cut-off: the period end, or today while it runs
    assert periods.make_window(Q3, None, today=date(2021, 1, 1)).cutoff == date(2020, 9, 30)
    assert periods.make_window(Q3, None, today=date(2020, 8, 1)).cutoff == date(2020, 8, 1)


def test_ranking_uses_weights():
    items = [{"key": 1, "label": "甲", "rectification_rate": 1.0, "return_rate": 0.5},
             {"key": 2, "label": "乙", "rectification_rate": 0.5, "return_rate": 0.0},
             {"key": 3, "label": "丙", "rectification_rate": None, "return_rate": None}]
    ranked = figures.rank(items, {"rectification_rate": 3, "return_rate": 1})
    assert [(r["label"], r["score"], r["rank"]) for r in ranked] == [
        ("甲", 87.5, 1), ("乙", 62.5, 2), ("丙", None, None)]
    ranked = figures.rank(items, {"rectification_rate": 1, "return_rate": 3})
    assert [r["label"] for r in ranked][:2] == ["乙", "甲"]
    with pytest.raises(ValueError):
        figures.rank(items, {"overdue_count": 1})
