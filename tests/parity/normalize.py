"""Normalise result rows so that DuckDB and Spark outputs compare by value, not by Python type."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def norm(value: Any) -> Any:
    """One value in a engine-neutral form: numbers as rounded floats, dates as ISO text, lists sorted.

    >>> norm(3) == norm(3.0) == norm(Decimal("3.00"))
    True
    >>> norm(datetime(2023, 1, 2, 0, 0)) == norm(date(2023, 1, 2))
    True
    >>> norm([3, 1, None])
    ('1', '3', 'None')
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return f"{float(value):.6g}" if abs(float(value)) < 1e15 else f"{float(value):.15g}"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return tuple(sorted(str(norm(v)) for v in value))
    if isinstance(value, dict):
        return tuple(sorted((k, str(norm(v))) for k, v in value.items()))
    return str(value)


def row_bag(rows: list[dict[str, Any]], columns: list[str] | None = None) -> Counter:
    """A multiset of normalised rows (optionally only ``columns``)."""
    out: Counter = Counter()
    for r in rows:
        keys = columns if columns is not None else sorted(r)
        out[tuple((k, norm(r.get(k))) for k in keys)] += 1
    return out
