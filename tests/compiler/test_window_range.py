"""window.range_preceding: a moving window by date (N days/months back, same-date rows included)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shujian.compiler import compile_model
from shujian.dates import add_months
from shujian.errors import ValidationFailed
from shujian.spec import load_model

from .conftest import TABLES, model, run
from .test_postgres import pg  # noqa: F401 - the real-server fixture, used via getfixturevalue

P = {"back": {"type": "int", "default": 2, "label": "往前月数"}}


def _spec(frame: dict, order: list[str] | None = None, columns: dict | None = None) -> dict:
    return model([{"id": "w", "window": {"partition_by": ["person"], "order_by": order or ["month"],
                                         "columns": columns or {"n": "count(*)", "paid": "sum(amount)"},
                                         "range_preceding": frame}}], roles=("pension",), params=P)


def _expected(lower) -> dict[tuple[str, date], tuple[int, float]]:
    """(person, month) → (rows in [lower(month), month], their amount) computed in Python."""
    rows = [(p, date.fromisoformat(m), float(a)) for _i, p, m, a in TABLES["养老金发放"][2]]
    out = {}
    for p, m, _a in rows:
        inside = [a for q, n, a in rows if q == p and lower(m) <= n <= m]
        out[(p, m)] = (len(inside), sum(inside))
    return out


def _got(rows: list[dict]) -> dict[tuple[str, date], tuple[int, float]]:
    return {(r["person"], r["month"]): (r["n"], float(r["paid"])) for r in rows}


def test_months_back_from_a_parameter(con, catalog) -> None:
    got = _got(run(con, catalog, _spec({"months": ":back"})))
    assert got == _expected(lambda m: add_months(m, -2))
    assert got[("A", date(2023, 1, 1))][0] == 1 and got[("A", date(2023, 6, 1))][0] == 3
    three = _got(run(con, catalog, _spec({"months": ":back"}), params={"back": 3}))
    assert three[("A", date(2023, 6, 1))][0] == 4


def test_days_back_include_both_ends(con, catalog) -> None:
    got = _got(run(con, catalog, _spec({"days": 90})))
    assert got == _expected(lambda m: m - timedelta(days=90))
    assert got[("B", date(2023, 4, 1))][0] == 4          # 2023-01-01 is exactly 90 days before


@pytest.mark.parametrize(("frame", "order", "message"), [
    ({"months": 1}, ["month desc"], "升序"),
    ({"months": 1}, ["month", "amount"], "恰好一个"),
    ({"months": 1}, ["amount"], "需要日期"),
    ({"months": ":missing"}, None, ":missing"),
])
def test_refused_with_a_located_message(catalog, frame, order, message) -> None:
    with pytest.raises(ValidationFailed) as err:
        compile_model(load_model(_spec(frame, order)), catalog, "duckdb")
    assert "range_preceding" in str(err.value) and message in str(err.value)


def test_one_frame_and_one_amount_only() -> None:
    spec = _spec({"months": 1})
    spec["steps"][0]["window"]["rows_preceding"] = 2
    with pytest.raises(ValidationFailed, match="只能选一个"):
        load_model(spec)
    with pytest.raises(ValidationFailed, match="days 或 months"):
        load_model(_spec({"months": 1, "days": 3}))


@pytest.mark.postgres
def test_postgres_gives_the_same_windows(con, catalog, request) -> None:
    server = request.getfixturevalue("pg")
    for frame in ({"months": ":back"}, {"days": 90}):
        spec = _spec(frame)
        on_pg = compile_model(load_model(spec), catalog, "postgres")
        cur = server.execute(on_pg.sql, on_pg.parameters)
        names = [d.name for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        assert _got(rows) == _got(run(con, catalog, spec))


def test_spark_gets_the_bound_as_a_number_that_survives_a_round_trip(catalog) -> None:
    """Spark accepts only a literal frame bound, and its engine re-renders the SQL with sqlglot."""
    import sqlglot

    compiled = compile_model(load_model(_spec({"months": ":back"})), catalog, "spark", params={"back": 5})
    again = sqlglot.parse_one(compiled.sql, read="spark").sql("spark")
    assert "INTERVAL 5 MONTH PRECEDING" in compiled.sql and "INTERVAL '5' MONTH PRECEDING" in again
