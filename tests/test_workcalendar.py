"""Working-day arithmetic; expected dates checked against chinese_calendar 1.11.0."""
from datetime import date, datetime

import pytest

from workflow.core.workdays import WorkCalendar

D = date


@pytest.fixture
def cal():
    return WorkCalendar()


@pytest.mark.parametrize("start, n, expected", [
    # Spring Festival 2020, extended by the State Council to 2020-02-02;
    # 2020-01-19 (Sun) is a make-up day, 2020-02-01 (Sat) lost its make-up status.
    (D(2020, 1, 17), 1, D(2020, 1, 19)),
    (D(2020, 1, 17), 2, D(2020, 1, 20)),
    (D(2020, 1, 23), 1, D(2020, 2, 3)),
    (D(2020, 1, 23), 5, D(2020, 2, 7)),
    (D(2020, 1, 20), 10, D(2020, 2, 11)),
    # Spring Festival 2024: 02-10..02-17 off, make-up Sundays 02-04 and 02-18.
    (D(2024, 2, 2), 1, D(2024, 2, 4)),
    (D(2024, 2, 8), 2, D(2024, 2, 18)),
    (D(2024, 2, 9), 1, D(2024, 2, 18)),
    (D(2024, 2, 18), 1, D(2024, 2, 19)),
    # Mid-Autumn + National Day 2023: 09-29..10-06 off, make-up 10-07 (Sat), 10-08 (Sun).
    (D(2023, 9, 28), 1, D(2023, 10, 7)),
    (D(2023, 9, 28), 2, D(2023, 10, 8)),
    (D(2023, 9, 28), 3, D(2023, 10, 9)),
    # National Day 2024: 10-01..10-07 off, make-up 09-29 (Sun), 10-12 (Sat).
    (D(2024, 9, 27), 1, D(2024, 9, 29)),
    (D(2024, 9, 27), 2, D(2024, 9, 30)),
    (D(2024, 9, 30), 1, D(2024, 10, 8)),
    (D(2024, 10, 11), 1, D(2024, 10, 12)),
    (D(2024, 10, 11), 2, D(2024, 10, 14)),
])
def test_add_working_days_across_holidays(cal, start, n, expected):
    assert cal.add_working_days(start, n) == expected
    assert cal.working_days_between(start, expected) == n


@pytest.mark.parametrize("d, working", [
    (D(2020, 1, 19), True), (D(2020, 2, 1), False), (D(2020, 2, 2), False),
    (D(2020, 2, 3), True), (D(2024, 2, 4), True), (D(2024, 2, 18), True),
    (D(2024, 2, 12), False), (D(2023, 10, 7), True), (D(2023, 10, 8), True),
    (D(2023, 10, 6), False), (D(2024, 9, 29), True), (D(2024, 10, 12), True),
    (D(2024, 10, 13), False), (D(2024, 10, 1), False),
])
def test_is_working_day(cal, d, working):
    assert cal.is_working_day(d) is working


def test_n_zero_returns_start(cal):
    assert cal.add_working_days(D(2024, 2, 10), 0) == D(2024, 2, 10)


def test_negative_n_rejected(cal):
    with pytest.raises(ValueError):
        cal.add_working_days(D(2024, 3, 1), -1)


def test_datetime_rejected(cal):
    with pytest.raises(TypeError):
        cal.add_working_days(datetime(2024, 3, 1, 12), 1)


def test_working_days_between_signs(cal):
    assert cal.working_days_between(D(2024, 9, 27), D(2024, 10, 1)) == 2
    assert cal.working_days_between(D(2024, 10, 1), D(2024, 9, 27)) == -2
    assert cal.working_days_between(D(2024, 3, 1), D(2024, 3, 1)) == 0


def test_covered():
    assert WorkCalendar.covered(2024)
    assert not WorkCalendar.covered(2099)
    assert not WorkCalendar.covered(2003)


def test_year_beyond_data_counts_weekends_only(cal):
    # 2099-02-27 is a Friday.
    assert cal.add_working_days(D(2099, 2, 27), 1) == D(2099, 3, 2)
    assert cal.add_working_days(D(2099, 2, 27), 5) == D(2099, 3, 6)
    assert not cal.is_working_day(D(2099, 3, 7))


def test_admin_entries_beyond_data():
    cal = WorkCalendar(extra_holidays=[D(2099, 3, 2)], extra_workdays=[D(2099, 3, 7)])
    assert cal.add_working_days(D(2099, 2, 27), 1) == D(2099, 3, 3)  # Monday holiday skipped
    assert cal.add_working_days(D(2099, 3, 6), 1) == D(2099, 3, 7)   # make-up Saturday counts
    assert cal.add_working_days(D(2099, 3, 6), 2) == D(2099, 3, 9)


def test_admin_entries_override_library():
    cal = WorkCalendar(extra_holidays=[D(2024, 10, 8)], extra_workdays=[D(2024, 10, 13)])
    assert not cal.is_working_day(D(2024, 10, 8))
    assert cal.is_working_day(D(2024, 10, 13))
    assert cal.add_working_days(D(2024, 9, 30), 1) == D(2024, 10, 9)


def test_deadline_running_past_the_data():
    # 2027 is beyond the data: 元旦 must come from the administrator.
    assert WorkCalendar().add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 1)
    cal = WorkCalendar(extra_holidays=[D(2027, 1, 1)])
    assert cal.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)


def test_same_date_as_holiday_and_workday_rejected():
    with pytest.raises(ValueError):
        WorkCalendar(extra_holidays=[D(2099, 1, 1)], extra_workdays=[D(2099, 1, 1)])


def test_working_days_between_is_the_day_by_day_count():
    """The count from the library's running totals and the administrator's entries is the
    count of working days in (a, b] taken one day at a time, across years, holidays,
    调休, years beyond the data and both kinds of entries."""
    import random
    from datetime import timedelta

    rng = random.Random(2020)
    start = date(1995, 1, 1)
    days = [start + timedelta(days=rng.randrange(365 * 45)) for _ in range(300)]
    extra_holidays = set(rng.sample(days, 40))
    extra_workdays = set(rng.sample([d for d in days if d not in extra_holidays], 40))
    cal = WorkCalendar(extra_holidays=extra_holidays, extra_workdays=extra_workdays)

    def one_by_one(a, b):
        if b < a:
            return -one_by_one(b, a)
        return sum(cal.is_working_day(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))

    for _ in range(400):
        a = start + timedelta(days=rng.randrange(365 * 45))
        b = a + timedelta(days=rng.randrange(-800, 800))
        assert cal.working_days_between(a, b) == one_by_one(a, b), (a, b)
    for a in sorted(extra_holidays | extra_workdays)[:30]:  # an entry on either end
        for b in (a, a + timedelta(days=1), a - timedelta(days=1), a + timedelta(days=400)):
            assert cal.working_days_between(a, b) == one_by_one(a, b), (a, b)


def test_working_days_between_far_years_counts_weekdays():
    """Years beyond the library's data count their weekdays, also across centuries (a
    deadline typed as 9999-12-31 is a valid date)."""
    from datetime import timedelta

    cal = WorkCalendar()
    a, b = D(3000, 3, 1), D(3400, 2, 28)
    weekdays = sum((a + timedelta(days=i)).weekday() < 5 for i in range(1, (b - a).days + 1))
    assert cal.working_days_between(a, b) == weekdays
    far = cal.working_days_between(D(2026, 12, 7), D(9999, 12, 31))
    assert far == cal.working_days_between(D(2026, 12, 7), D(2100, 1, 1)) \
        + cal.working_days_between(D(2100, 1, 1), D(9999, 12, 31))
    assert 0.7 * (D(9999, 12, 31) - D(2026, 12, 7)).days < far < 0.72 * (D(9999, 12, 31) - D(2026, 12, 7)).days
