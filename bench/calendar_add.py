"""Time add_working_days(…, 20) with a cold and a warm per-date cache.

Run from the repository root: python -m bench.calendar_add
"""
import time
import timeit
from datetime import date

from workflow.core.workdays import WorkCalendar

START = date(2024, 9, 20)  # runs across National Day 2024

calendar = WorkCalendar()
calendar.is_working_day(date(2020, 1, 1))  # exclude chinese_calendar's import-time work
t0 = time.perf_counter()
calendar.add_working_days(START, 20)
cold_us = (time.perf_counter() - t0) * 1e6
number = 10_000
warm_us = min(timeit.repeat(lambda: calendar.add_working_days(START, 20),
                            number=number, repeat=5)) / number * 1e6
print(f"add_working_days(n=20): cold {cold_us:.1f} us, warm {warm_us:.2f} us, "
      f"ratio {cold_us / warm_us:.1f}x")
