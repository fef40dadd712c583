"""Deadline texts of inspection lists (整改时限) read by workflow.problems.deadlines."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from workflow.problems.deadlines import parse_deadline

REF = date(2020, 3, 16)  # a Monday: the 交办日期


@pytest.mark.parametrize("text, expected", [
    ("2020年12月31日", date(2020, 12, 31)),
    ("2020年12月31日前", date(2020, 12, 31)),
    ("2020.12.31", date(2020, 12, 31)),
    ("2020/12/31", date(2020, 12, 31)),
    ("2020-12-31", date(2020, 12, 31)),
    ("2020-6-5", date(2020, 6, 5)),
    ("12月底前", date(2020, 12, 31)),
    ("6月底", date(2020, 6, 30)),
    ("2月底前", date(2021, 2, 28)),  # February has passed at the 交办日期: next year's
    ("2020年12月底前", date(2020, 12, 31)),
    ("2021年2月底前完成", date(2021, 2, 28)),
    ("年底前", date(2020, 12, 31)),
    ("2020年底前", date(2020, 12, 31)),
    ("2020 年底前", date(2020, 12, 31)),
    ("上半年", date(2020, 6, 30)),
    ("2021年上半年", date(2021, 6, 30)),
    ("下半年", date(2020, 12, 31)),
    ("三季度末", date(2020, 9, 30)),
])
def test_dates_and_period_ends(text, expected):
    parsed = parse_deadline(text, reference=REF)
    assert parsed.deadline == expected
    assert not parsed.immediate and not parsed.long_term
    assert parsed.text == text


def test_date_cells_and_serial_numbers():
    assert parse_deadline(date(2020, 5, 1), reference=REF).deadline == date(2020, 5, 1)
    assert parse_deadline(datetime(2020, 5, 1, 8), reference=REF).deadline == date(2020, 5, 1)
    assert parse_deadline(44196, reference=REF).deadline == date(2020, 12, 31)


def test_immediate_is_working_days_after_the_reference():
    parsed = parse_deadline("立行立改", reference=REF, immediate_days=5)
    assert parsed.deadline == date(2020, 3, 23)  # Monday + 5 working days
    assert parsed.immediate and not parsed.long_term
    assert parse_deadline("立行立改", reference=REF, immediate_days=3).deadline == date(2020, 3, 19)


def test_immediate_uses_the_working_calendar(session):
    from workflow.core.workdays import calendar_for

    cal = calendar_for(session)
    parsed = parse_deadline("立行立改", reference=date(2020, 9, 30), calendar=cal, immediate_days=1)
    assert parsed.deadline == cal.add_working_days(date(2020, 9, 30), 1)


def test_long_term_has_no_end_date():
    parsed = parse_deadline("长期坚持", reference=REF)
    assert parsed.deadline is None and parsed.long_term and not parsed.immediate
    assert parsed.label == "长期坚持"


@pytest.mark.parametrize("text", ["立行立改并长期坚持", "立行立改、长期坚持", "立行立改，长期坚持"])
def test_immediate_and_long_term(text):
    parsed = parse_deadline(text, reference=REF, immediate_days=5)
    assert parsed.deadline == date(2020, 3, 23)
    assert parsed.immediate and parsed.long_term
    assert parsed.label == "立行立改并长期坚持"


@pytest.mark.parametrize("text", ["尽快", "13月底前", "2020年13月1日", "立行立改到明年", "下周", "",
                                  "2020-02-30"])
def test_unknown_texts_are_refused(text):
    with pytest.raises(ValueError):
        parse_deadline(text, reference=REF)


def test_next_monthly_report_day():
    from workflow.problems.batches import AssignmentBatch

    batch = AssignmentBatch(report_day=25)
    assert batch.next_report_on(date(2020, 3, 16)) == date(2020, 3, 25)
    assert batch.next_report_on(date(2020, 3, 25)) == date(2020, 3, 25)
    assert batch.next_report_on(date(2020, 3, 26)) == date(2020, 4, 25)
    assert batch.next_report_on(date(2020, 12, 26)) == date(2021, 1, 25)
    assert AssignmentBatch(report_day=31).next_report_on(date(2021, 2, 1)) == date(2021, 2, 28)
    assert AssignmentBatch(report_day=None).next_report_on(date(2021, 2, 1)) is None
