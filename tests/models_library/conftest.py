"""``run_model(model_id, tables, params=None)``: run a built-in model on hand-made rows in DuckDB."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from shujian.demo.evaluate import load_tables, run_model_on
from shujian.models_library import get_model


def run_model(model_id: str, tables: Mapping[str, Sequence[Mapping[str, Any]]],
              params: Mapping[str, Any] | None = None,
              columns: Mapping[str, Sequence[str]] | None = None) -> list[dict[str, Any]]:
    """Create in-memory DuckDB tables (1-based ``_row_id``), compile the model for duckdb, run it.

    ``columns`` names the columns of datasets passed with no rows (an empty table still needs a schema).
    """
    con, catalog = load_tables(tables, columns=columns)
    try:
        return run_model_on(con, catalog, get_model(model_id), params)
    finally:
        con.close()


@pytest.fixture
def run() -> Callable[..., list[dict[str, Any]]]:
    """The :func:`run_model` helper as a fixture."""
    return run_model


def person_id(n: int, birth: str = "19990101") -> str:
    """A valid 18-digit resident ID (台州市椒江区) numbered ``n`` (1..499) for hand-made fixtures."""
    from stdnum.cn import ric

    body = f"331002{birth}{n:03d}"
    return body + ric.calc_check_digit(body + "0")


def pairs(rows: list[dict[str, Any]], key: str = "person") -> set[tuple[str, str]]:
    """(subject key, rule) of every output row."""
    return {(r[key], r["_rule"]) for r in rows}
