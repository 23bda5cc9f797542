"""DuckDB rendering of semi/anti joins with range conditions (compiler.exists) and of add_days over a
DATE (expr.day_add): the same rows as the portable forms, on random data with NULLs."""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import pytest
import sqlglot

from shujian.catalog.schema import CatalogSchema, ColumnSchema, DatasetSchema
from shujian.compiler import compile_model
from shujian.compiler import core as compiler_core
from shujian.compiler import expr as compiler_expr
from shujian.compiler import joins as compiler_joins
from shujian.compiler.exists import exists_as_joins
from shujian.spec import load_model

C = ColumnSchema


def _catalog() -> CatalogSchema:
    cat = CatalogSchema()
    cat.add(DatasetSchema("判决", "ds_s", (C("person"), C("case_no"), C("kind"), C("effective", "DATE"))))
    cat.add(DatasetSchema("报到", "ds_r", (C("person"), C("case_no"), C("report", "DATE"), C("start", "DATE"))))
    return cat


def _spec(kind: str) -> dict:
    """community-correction-gaps' R1 in small: a semi/anti join whose condition compares dates."""
    return {"id": "r", "name": "报到", "line": "x", "point": "x",
            "params": {"days": {"type": "int", "default": 10, "label": "天数"}},
            "inputs": {"s": {"dataset": "判决", "fields": {"person": "person", "case_no": "case_no", "kind": "kind",
                                                         "effective": "effective"}},
                       "r": {"dataset": "报到", "fields": {"person": "person", "case_no": "case_no",
                                                         "report": "report", "start": "start"}}},
            "steps": [
                {"id": "due", "from": "s", "filter": "regexp_matches(kind, '缓刑|假释') and person is not null"},
                {"id": "reports", "from": "r", "derive": {"columns": {"reported": "coalesce(report, start)"}}},
                {"id": "hits", "join": {"left": "due", "right": "reports", "type": kind, "on": ["person"],
                                        "where": "right.reported <= add_days(left.effective, :days) and "
                                                 "(right.case_no = left.case_no or right.reported >= left.effective)"}},
                {"id": "near", "join": {"left": "hits", "right": "reports", "type": "left", "on": ["person"],
                                        "within": {"left": "effective", "right": "reported", "days": 5,
                                                   "direction": "either"}, "right_prefix": "r_"}},
                {"id": "late", "derive": {"columns": {"due_day": "add_days(effective, :days)",
                                                      "back": "add_days(effective, 0 - :days)"}}}],
            "output": {"subject": {"type": "person", "key": "person"}, "title": "{person}"}}


def _day(rng: random.Random) -> str | None:
    """Dates around month ends and 29 February, sometimes NULL."""
    if rng.random() < 0.15:
        return None
    base = rng.choice([dt.date(2024, 2, 20), dt.date(2023, 2, 20), dt.date(2023, 12, 25), dt.date(2024, 1, 25)])
    return (base + dt.timedelta(days=rng.randint(0, 15))).isoformat()


def _load(con: duckdb.DuckDBPyConnection, rng: random.Random) -> None:
    people = ["P1", "P2", "P3", "P4", None]
    cases = ["C1", "C2", "C3", None]
    con.execute("CREATE TABLE ds_s (_row_id BIGINT, person VARCHAR, case_no VARCHAR, kind VARCHAR, effective DATE)")
    con.execute("CREATE TABLE ds_r (_row_id BIGINT, person VARCHAR, case_no VARCHAR, report DATE, start DATE)")
    con.executemany("INSERT INTO ds_s VALUES (?, ?, ?, ?, ?)",
                    [(i, rng.choice(people), rng.choice(cases), rng.choice(["缓刑", "假释", "拘役", None]), _day(rng))
                     for i in range(120)])
    con.executemany("INSERT INTO ds_r VALUES (?, ?, ?, ?, ?)",
                    [(i, rng.choice(people), rng.choice(cases), _day(rng), _day(rng)) for i in range(90)])


def _rows(con: duckdb.DuckDBPyConnection, compiled) -> list[str]:
    return sorted(map(repr, con.execute(compiled.sql, compiled.parameters or None).fetchall()))


def test_range_semi_and_anti_joins_are_duckdb_joins():
    for kind, word in (("anti", "ANTI JOIN"), ("semi", "SEMI JOIN")):
        sql = compile_model(load_model(_spec(kind)), _catalog(), "duckdb").sql
        hits = sql.split("s_hits AS (", 1)[1].split("\n), ", 1)[0]
        assert word in hits and "EXISTS" not in hits
        # the other dialects keep [NOT] EXISTS
        for dialect in ("spark", "postgres"):
            other = compile_model(load_model(_spec(kind)), _catalog(), dialect).sql
            assert "EXISTS" in other.split("s_hits AS (", 1)[1] and word not in other


def test_add_days_over_a_date_is_date_plus_integer_on_duckdb():
    sql = compile_model(load_model(_spec("anti")), _catalog(), "duckdb").sql
    assert "INTERVAL" not in sql and "effective + CAST($days AS INT)" in sql
    assert "INTERVAL" in compile_model(load_model(_spec("anti")), _catalog(), "postgres").sql


def _portable(monkeypatch) -> None:
    """Compile as before the DuckDB forms: [NOT] EXISTS and CAST(date + INTERVAL n DAY AS DATE)."""
    def interval(value, amount, minus=False):
        return compiler_expr._date_add(value, sqlglot.exp.Neg(this=amount) if minus else amount, "DAY")
    monkeypatch.setattr(compiler_core, "exists_as_joins", lambda tree: tree)
    monkeypatch.setattr(compiler_expr, "day_add", interval)
    monkeypatch.setattr(compiler_joins, "day_add", interval)


@pytest.mark.parametrize("kind", ["anti", "semi"])
@pytest.mark.parametrize("seed", range(4))
def test_same_rows_as_exists_and_intervals(kind, seed, monkeypatch):
    """Every output row (evidence ids included) equals the portable form's, over NULL keys, NULL dates,
    month ends and 29 February, for several day counts."""
    con = duckdb.connect()
    _load(con, random.Random(seed))
    spec, cat = load_model(_spec(kind)), _catalog()
    counts = (0, 10, 40)
    new = [compile_model(spec, cat, "duckdb", params={"days": n}) for n in counts]
    _portable(monkeypatch)
    old = [compile_model(spec, cat, "duckdb", params={"days": n}) for n in counts]
    assert "EXISTS" in old[0].sql and "INTERVAL" in old[0].sql
    assert "EXISTS" not in new[0].sql and "INTERVAL" not in new[0].sql
    results = [(_rows(con, a), _rows(con, b)) for a, b in zip(new, old, strict=True)]
    assert all(a == b for a, b in results) and any(a for a, _ in results)
    con.close()


@pytest.mark.parametrize("seed", range(4))
def test_rewrite_keeps_rows_of_hand_made_exists(seed):
    """The pass alone, on statements it must rewrite and ones it must leave (an unqualified column, one
    table under the alias of the other, equalities only): the same rows either way."""
    rng = random.Random(seed)
    con = duckdb.connect()
    con.execute("CREATE TABLE l (k INT, d INT, c VARCHAR)")
    con.execute("CREATE TABLE r (k INT, d INT, c VARCHAR)")
    value = lambda hi: None if rng.random() < 0.2 else rng.randint(0, hi)  # noqa: E731
    for table, n in (("l", 150), ("r", 100)):
        con.executemany(f"INSERT INTO {table} VALUES (?, ?, ?)",
                        [(value(5), value(20), rng.choice(["a", "b", None])) for _ in range(n)])
    cases = {
        "SELECT a.k, a.d FROM l AS a WHERE NOT EXISTS (SELECT 1 FROM r AS b WHERE a.k = b.k AND b.d <= a.d + 3 "
        "AND (b.c = a.c OR b.d >= a.d))": "ANTI JOIN",
        "SELECT a.k, a.d FROM l AS a WHERE EXISTS (SELECT 1 FROM r AS b WHERE a.k = b.k AND b.d > a.d)": "SEMI JOIN",
        "SELECT a.k FROM l AS a WHERE NOT EXISTS (SELECT 1 FROM r AS b WHERE a.k = b.k AND d > a.d)": None,
        "SELECT a.k FROM l AS a WHERE NOT EXISTS (SELECT 1 FROM r AS a WHERE a.k = a.d)": None,
        "SELECT a.k FROM l AS a WHERE NOT EXISTS (SELECT 1 FROM r AS b WHERE a.k = b.k AND a.d = b.d)": None,
    }
    for sql, word in cases.items():
        tree = sqlglot.parse_one(sql, read="duckdb")
        rewritten = exists_as_joins(tree.copy()).sql("duckdb")
        assert (word in rewritten and "EXISTS" not in rewritten) if word else rewritten == tree.sql("duckdb")
        assert sorted(map(repr, con.execute(rewritten).fetchall())) == sorted(map(repr, con.execute(sql).fetchall()))
    con.close()


def test_day_add_matches_interval_at_month_ends_leap_days_and_null():
    con = duckdb.connect()
    days = [dt.date(2024, 2, 28), dt.date(2024, 2, 29), dt.date(2023, 2, 28), dt.date(2024, 1, 31),
            dt.date(2023, 12, 31), None]
    con.execute("CREATE TABLE t (d DATE, n INT)")
    con.executemany("INSERT INTO t VALUES (?, ?)", [(d, n) for d in days for n in (-366, -1, 0, 1, 29, 365, None)])
    d, n = sqlglot.exp.column("d"), sqlglot.exp.column("n")
    fast = compiler_expr.day_add(d, n).sql("duckdb")
    slow = compiler_expr._date_add(d, n, "DAY").sql("duckdb")
    minus = compiler_expr.day_add(d, n, minus=True).sql("duckdb")
    slow_minus = compiler_expr._date_add(d, sqlglot.exp.Neg(this=n), "DAY").sql("duckdb")
    rows = con.execute(f"SELECT {fast}, {slow}, {minus}, {slow_minus}, typeof({fast}) FROM t").fetchall()
    assert all(a == b and c == e and t == "DATE" for a, b, c, e, t in rows)
    assert sum(a is None for a, *_ in rows) == 6 + 7 - 1
    con.close()
