"""Lists after the having (compiler.lists): an aggregate with a having builds its evidence lists and
``list(…)`` measures for the groups the having keeps only, and gives exactly the rows — lists, their
order and caps, NULL group keys included — of the aggregate that builds them for every group."""

from __future__ import annotations

import random

import duckdb
import pytest

from shujian.catalog.schema import CatalogSchema, ColumnSchema, DatasetSchema
from shujian.compiler import compile_model, core
from shujian.engines.duckdb_engine import DuckDBEngine
from shujian.spec import load_model

C = ColumnSchema

# a window (prepaid-card-complaints' per-merchant count) and a grouping under the screened aggregate
WINDOWED = [
    {"id": "monthly", "from": "pay", "aggregate": {"by": ["person", "month"], "measures": {"paid": "sum(amount)"}}},
    {"id": "counted", "window": {"partition_by": ["person"], "order_by": ["month"], "columns": {"upto": "count(*)"}}},
    {"id": "per", "aggregate": {"by": ["person"],
                                "measures": {"n": "count(*)", "peak": "max(upto)", "total": "sum(paid)",
                                             "months": "list(month)"},
                                "having": "peak >= 3 or total > 900"}},
]
TWO_KEYS = [
    {"id": "rows", "from": "pay", "distinct": {"columns": ["person", "month", "amount"]}},
    {"id": "per", "aggregate": {"by": ["person", "month"],
                                "measures": {"n": "count(*)", "amounts": "list(amount)"},
                                "having": "n >= 2"}},
]


def _spec(steps: list[dict]) -> dict:
    return {"id": "t", "name": "测试模型", "line": "测试", "point": "测试",
            "inputs": {"pay": {"dataset": "付款", "fields": {"person": "p", "month": "m", "amount": "amt"}}},
            "steps": steps,
            "output": {"subject": {"type": "person", "key": "person"}, "title": "{person}", "facts": []}}


@pytest.fixture()
def pay():
    con = duckdb.connect()
    con.execute("CREATE TABLE ds_pay (_row_id BIGINT, p VARCHAR, m DATE, amt DOUBLE)")
    cat = CatalogSchema()
    cat.add(DatasetSchema("付款", "ds_pay", (C("p"), C("m", "DATE"), C("amt", "DOUBLE")), version=1))
    yield con, cat
    con.close()


def _fill(con, seed: int) -> None:
    rng = random.Random(seed)
    names = [None, None, "a", "b", "c", "d", "e"]
    rows = [(i, rng.choice(names), f"2023-0{rng.randint(1, 4)}-01", rng.choice([None, 1.0, 2.0, 400.0, 600.0]))
            for i in range(1, 1 + rng.randint(10, 80))]
    rows += [(len(rows) + 1 + i, *r[1:]) for i, r in enumerate(rows[: rng.randint(0, 5)])]     # repeated rows
    con.execute("DELETE FROM ds_pay")
    con.executemany("INSERT INTO ds_pay VALUES (?, ?, ?, ?)", rows)


def _rows(compiled, con) -> list[tuple]:
    table = DuckDBEngine(con).execute(compiled.sql, compiled.parameters, plan=compiled.staged).table
    return sorted(tuple(repr(r[c]) for c in compiled.output_columns) for r in table.to_pylist())


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("steps", [WINDOWED, TWO_KEYS], ids=["window", "two-keys"])
def test_lists_after_the_having_equal_lists_over_every_group(pay, monkeypatch, steps, seed):
    con, cat = pay
    _fill(con, seed)
    model = load_model(_spec(steps))
    # one pass (two passes already build the lists for the clues' keys only), capped lists
    after = compile_model(model, cat, "duckdb", two_pass=False, evidence_cap=3, list_cap=2)
    assert "s_per__lists" in after.sql and "IS NOT DISTINCT FROM" in after.sql
    monkeypatch.setattr(core, "lists_after_having", lambda ctes: None)
    every = compile_model(model, cat, "duckdb", two_pass=False, evidence_cap=3, list_cap=2)
    assert "s_per__lists" not in every.sql
    assert _rows(after, con) == _rows(every, con)


def test_a_null_key_group_keeps_its_lists(pay):
    con, cat = pay
    con.executemany("INSERT INTO ds_pay VALUES (?, ?, ?, ?)",
                    [(1, None, "2023-01-01", 500.0), (2, None, "2023-02-01", 500.0), (3, "a", "2023-01-01", 1.0)])
    compiled = compile_model(load_model(_spec(WINDOWED)), cat, "duckdb", two_pass=False)
    rows = DuckDBEngine(con).execute(compiled.sql, compiled.parameters, plan=compiled.staged).table.to_pylist()
    assert [(r["person"], [str(m) for m in r["months"]], r["_ev_pay"]) for r in rows] == \
        [(None, ["2023-01-01", "2023-02-01"], [1, 2])]


def test_other_dialects_and_a_having_on_a_list_keep_one_aggregate(pay):
    _, cat = pay
    model = load_model(_spec(WINDOWED))
    assert "__lists" not in compile_model(model, cat, "spark", two_pass=False).sql
    on_list = [*WINDOWED[:2], {**WINDOWED[2], "aggregate": {**WINDOWED[2]["aggregate"], "having": "peak >= 3 and months is not null"}}]
    assert "__lists" not in compile_model(load_model(_spec(on_list)), cat, "duckdb", two_pass=False).sql
