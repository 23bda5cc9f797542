"""Calendar helpers shared by the workflow (deadlines) and the demo city (planted dates)."""

from __future__ import annotations

from datetime import date


def add_months(d: date, months: int) -> date:
    """Calendar month arithmetic as SQL engines do it: the day is clipped to the month's end.

    >>> add_months(date(2026, 12, 31), 2)
    datetime.date(2027, 2, 28)
    >>> add_months(date(2024, 3, 31), -1)
    datetime.date(2024, 2, 29)
    """
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")
