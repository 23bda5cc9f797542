"""Shared helpers of the justice group (司法/民事/行政 数据) of the demo city.

Dates are handled as epoch-day integers (numpy int32) and turned into Arrow DATE columns only when a
table is written; that keeps the background generation vectorised.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

EPOCH = date(1970, 1, 1)
#: the demo city's "today": every generated date lies before it
AS_OF = date(2025, 6, 30)


def day(d: date | str) -> int:
    """Epoch day number of a date (``date`` or ISO string)."""
    if isinstance(d, str):
        d = date.fromisoformat(d)
    return (d - EPOCH).days


def from_day(n: int) -> date:
    """The date of an epoch day number."""
    return EPOCH + timedelta(days=int(n))


def date_col(values: Any) -> pa.Array:
    """Arrow DATE column from epoch days, ``date`` objects or ``None``s."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        return pa.array(values.astype("int32"), type=pa.date32())
    return pa.array([None if v is None else (from_day(v) if isinstance(v, int | np.integer) else v)
                     for v in values], type=pa.date32())


def scaled(ctx: Any, base: int, minimum: int = 1) -> int:
    """Row count for ``base`` rows at scale small, multiplied by the context's size factor."""
    factor = float(getattr(ctx, "factor", None) or getattr(ctx, "size_factor", 1.0))
    return max(minimum, int(round(base * factor)))


def pick(rng: np.random.Generator, values: Sequence[Any], n: int,
         p: Sequence[float] | None = None) -> np.ndarray:
    """``n`` values drawn from ``values`` (object array), optionally weighted."""
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values)
    if p is not None:
        w = np.asarray(p, dtype=float)
        return arr[rng.choice(len(values), size=n, p=w / w.sum())]
    return arr[rng.integers(0, len(values), size=n)]


def seq_codes(prefix: str, start: int, n: int, width: int = 8) -> np.ndarray:
    """``prefix`` followed by a zero-padded running number, as an object array."""
    nums = np.arange(start, start + n)
    return np.array([f"{prefix}{k:0{width}d}" for k in nums], dtype=object)


def table(columns: dict[str, Any], types: dict[str, pa.DataType] | None = None) -> pa.Table:
    """Arrow table from column arrays; ``types`` fixes the types of columns that need it."""
    types = types or {}
    arrays = {}
    for name, values in columns.items():
        if isinstance(values, pa.Array | pa.ChunkedArray):
            arrays[name] = values
        elif name in types:
            vals = values.tolist() if isinstance(values, np.ndarray) else list(values)
            arrays[name] = pa.array(vals, type=types[name])
        else:
            arrays[name] = pa.array(values.tolist() if isinstance(values, np.ndarray) else values)
    return pa.table(arrays)


def concat(parts: list[pa.Table]) -> pa.Table:
    """Concatenate tables that share a schema, casting each to the first one's schema."""
    parts = [p for p in parts if p is not None and p.num_rows]
    schema = parts[0].schema
    return pa.concat_tables([p.select(schema.names).cast(schema) for p in parts])


def rows_table(rows: list[dict], schema: pa.Schema) -> pa.Table:
    """Arrow table from planted rows (list of dicts), typed with ``schema``."""
    cols = {f.name: [r.get(f.name) for r in rows] for f in schema}
    return pa.table({name: pa.array(vals, type=schema.field(name).type) for name, vals in cols.items()})
