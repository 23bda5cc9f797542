"""The pass-1 reductions of the inputs (compiler.screens): the screening join's other conditions,
and the screen's own input restricted to the keys of the stream it screens.

benefits-after-death reads the pension payments of the dead; its join keeps those after the death
month.  The reduction tests that condition on the payments before the distinct and the monthly sums
(a condition on a group key keeps or drops whole groups), so both passes read the payments after
death only.  pension-during-custody's custody periods (the join's other side) are built from the
spans of persons with pension payments only.  Checked: which rows the reduced stages hold, the
conditions that must not move (a computed column, a window, a step read twice), and on random data with NULLs that the clues and
their evidence are those of the single pass.
"""

from __future__ import annotations

import random

import duckdb
import pytest

from shujian.catalog.schema import CatalogSchema, ColumnSchema, DatasetSchema
from shujian.compiler import compile_model
from shujian.compiler.stages import bind
from shujian.engines.duckdb_engine import DuckDBEngine
from shujian.spec import load_model

C = ColumnSchema
PAY = [("A", "2023-01-01", 10.0), ("A", "2023-02-01", 10.0), ("A", "2023-02-01", 10.0),
       ("B", "2023-01-01", 1.0), (None, "2023-01-01", 500.0), (None, "2023-03-01", 500.0),
       ("C", "2023-05-01", 300.0), ("C", "2023-03-01", 300.0), ("E", "2023-06-01", 999.0)]
HELD = [("A", "2022-12-01"), ("C", "2023-04-01"), (None, "2022-01-01"), ("E", "2024-01-01")]


def _catalog() -> CatalogSchema:
    cat = CatalogSchema()
    cat.add(DatasetSchema("付款", "ds_pay", (C("p"), C("m", "DATE"), C("amt", "DOUBLE"), C("w")), version=1))
    cat.add(DatasetSchema("在押", "ds_held", (C("p"), C("d", "DATE")), version=1))
    return cat


def _connect(pay, held) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE ds_pay (_row_id BIGINT, p VARCHAR, m DATE, amt DOUBLE, w VARCHAR)")
    con.executemany("INSERT INTO ds_pay VALUES (?, ?, ?, ?, ?)",
                    [(i, *r, *([] if len(r) == 4 else ["x"])) for i, r in enumerate(pay, 1)])
    con.execute("CREATE TABLE ds_held (_row_id BIGINT, p VARCHAR, d DATE)")
    con.executemany("INSERT INTO ds_held VALUES (?, ?, ?)", [(i, *r) for i, r in enumerate(held, 1)])
    return con


def _spec(steps) -> dict:
    return {"id": "t", "name": "测试模型", "line": "测试", "point": "测试",
            "inputs": {"pay": {"dataset": "付款", "fields": {"person": "p", "month": "m", "amount": "amt", "way": "w"}},
                       "held": {"dataset": "在押", "fields": {"person": "p", "since": "d"}}},
            "steps": steps,
            "output": {"subject": {"type": "person", "key": "person"}, "title": "{person}", "facts": []}}


def _screened(before: list[dict], where: str = "left.month > right.since", having: str = "total > 5",
              extra: dict | None = None) -> list[dict]:
    last = before[-1]["id"] if before else "pay"
    extra = extra or {}
    return [*before,
            {"id": "months", "from": last, "aggregate": {"by": ["person", "month"],
                                                          "measures": {"paid": "sum(amount)", **extra}}},
            {"id": "after", "join": {"left": "months", "right": "held", "on": ["person"], "where": where}},
            {"id": "per", "aggregate": {"by": ["person"], "measures": {"n": "count(*)", "total": "sum(paid)",
                                                                       **{k: f"max({k})" for k in extra}},
                                        "having": having}}]


DISTINCT = [{"id": "rows", "from": "pay", "distinct": {"columns": ["person", "month", "amount"]}}]


def _reduced_rows(con, compiled, role: str = "pay") -> list[int]:
    """The row ids the reduced stage of an input holds (the stages run by hand)."""
    plan = compiled.staged("_t")
    assert f"r_in_{role}_t" in plan.tables
    try:
        for stage in plan.stages:
            con.execute(f"CREATE TEMP TABLE {stage.table} AS {stage.sql}", bind(stage.parameters, compiled.parameters))
        return sorted(r[0] for r in con.execute(f"SELECT _ev_{role} FROM r_in_{role}_t").fetchall())
    finally:
        for stage in plan.stages:
            con.execute(f"DROP TABLE IF EXISTS {stage.table}")


def test_the_reduction_keeps_the_rows_the_join_condition_can_match():
    """A's three payments after 2022-12 and C's May payment; not C's March one (before its custody),
    E's (custody after it) or B's (never held) — the old reduction kept C's March and E's rows too."""
    con = _connect(PAY, HELD)
    compiled = compile_model(load_model(_spec(_screened(DISTINCT))), _catalog(), "duckdb")
    assert _reduced_rows(con, compiled) == [1, 2, 3, 7]
    rows = DuckDBEngine(con).execute(compiled.sql, compiled.parameters, plan=compiled.staged).table.to_pylist()
    assert {r["person"]: r["_ev_pay"] for r in rows} == {"A": [1, 2, 3], "C": [7]}


def test_the_screen_reads_only_the_persons_the_stream_has():
    """The custody rows (the join's other side) of persons with payments: Z has none, the NULL
    person matches nothing — the old plan read every custody row."""
    con = _connect(PAY, [*HELD, ("Z", "2022-01-01")])
    compiled = compile_model(load_model(_spec(_screened(DISTINCT))), _catalog(), "duckdb")
    assert _reduced_rows(con, compiled, "held") == [1, 2, 4]
    one = compile_model(load_model(_spec(_screened(DISTINCT))), _catalog(), "duckdb", two_pass=False)
    assert _rows(con, compiled) == _rows(con, one)


@pytest.mark.parametrize("before, where, having, extra", [
    # the condition reads a computed column: kept out of the reduction
    ([{"id": "shifted", "from": "pay", "derive": {"columns": {"later": "add_months(month, 1)"}}},
      {"id": "by_later", "aggregate": {"by": ["person", "later"], "measures": {"amount": "sum(amount)"}}},
      {"id": "renamed", "select": {"columns": {"person": "person", "month": "later", "amount": "amount"}}}],
     "left.month > right.since", "total > 5", None),
    # a window over the person's rows, read by the having: a row before custody still counts in it
    ([{"id": "ranked", "from": "pay", "window": {"partition_by": ["person"], "order_by": ["month"],
                                                 "columns": {"k": "count(*)"}}}],
     "left.month > right.since", "total > 5 and k >= 3", {"k": "max(k)"}),
    # the month is no group key of the aggregate between the input and the join
    ([{"id": "firsts", "from": "pay", "aggregate": {"by": ["person", "amount"], "measures": {"month": "min(month)"}}}],
     "left.month > right.since", "total > 5", None),
], ids=["derived", "window", "not-a-group-key"])
def test_conditions_that_do_not_commute_stay_at_the_join(before, where, having, extra):
    con = _connect(PAY, HELD)
    spec = _spec(_screened(before, where, having, extra))
    compiled = compile_model(load_model(spec), _catalog(), "duckdb")
    held_persons = [1, 2, 3, 7, 8, 9]           # every payment of A, C and E: the key reduction only
    assert _reduced_rows(con, compiled) == held_persons
    one = compile_model(load_model(spec), _catalog(), "duckdb", two_pass=False)
    assert _rows(con, compiled) == _rows(con, one)


def _rows(con, compiled) -> list[tuple]:
    table = DuckDBEngine(con).execute(compiled.sql, compiled.parameters, plan=compiled.staged).table
    return sorted(tuple(repr(r[c]) for c in compiled.output_columns) for r in table.to_pylist())


def _day(rng: random.Random) -> str | None:
    return None if rng.random() < 0.1 else f"2023-{rng.randint(1, 12):02d}-01"


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("where, having", [
    ("left.month > right.since", "total > 5"),
    ("left.month > add_months(right.since, 1) and left.month <= add_months(right.since, 6)", "total > 0"),
    ("left.month >= right.since or left.paid > 400", "n >= 1"),
], ids=["after", "range", "or-a-measure"])
def test_same_clues_and_evidence_as_one_pass_on_random_rows(seed, where, having):
    rng = random.Random(seed)
    people = ["A", "B", "C", "D", "E", None]
    pay = [(rng.choice(people), _day(rng), rng.choice([-50.0, 10.0, 100.0, 300.0, None]), rng.choice(["x", "y"]))
           for _ in range(60)]
    pay += pay[:8]                                    # exact duplicates: counted once by the distinct
    held = [(rng.choice(people), _day(rng)) for _ in range(6)]
    con = _connect(pay, held)
    spec = _spec(_screened(DISTINCT, where, having))
    two = compile_model(load_model(spec), _catalog(), "duckdb")
    one = compile_model(load_model(spec), _catalog(), "duckdb", two_pass=False)
    assert "k_keys" in two.sql
    assert _rows(con, two) == _rows(con, one)
