"""compiler.null_tests: a null test of an upper/lower/trim column is made on the column it reads, in the
step that computes it — the same rows as before, on random data with NULLs and blank strings."""

from __future__ import annotations

import random

import duckdb
import pytest

from shujian.catalog.schema import CatalogSchema, ColumnSchema, DatasetSchema
from shujian.compiler import compile_model
from shujian.compiler import core as compiler_core
from shujian.spec import load_model

C = ColumnSchema


def _catalog() -> CatalogSchema:
    cat = CatalogSchema()
    cat.add(DatasetSchema("案件", "ds_c", (C("no"), C("cause"), C("pid"), C("agent"), C("filed", "DATE"))))
    return cat


def _spec(shared: bool = False) -> dict:
    """frequent-lending's keying in small: derive a key with upper(trim()), pass it through a renaming
    select, keep the rows whose key is not null, count per key.  ``shared``: the keyed step is also
    read by a second branch, so the test must stay where it is."""
    steps = [
        {"id": "lending", "from": "c", "filter": "cause = '借贷'"},
        {"id": "keyed", "derive": {"columns": {"key": "upper(trim(pid))", "low": "lower(agent)"}}},
        {"id": "renamed", "select": {"columns": {"k2": "key", "no": "no", "low": "low", "filed": "filed"}}},
        {"id": "attributable", "filter": "k2 is not null and no is not null and low is not null"},
        {"id": "per_key", "aggregate": {"by": ["k2"], "measures": {"n": "count(*)", "first": "min(filed)"}}},
    ]
    if shared:
        steps += [{"id": "blank", "from": "keyed", "filter": "key is null"},
                  {"id": "blank_n", "aggregate": {"by": ["cause"], "measures": {"n": "count(*)", "first": "min(filed)"}}},
                  {"id": "blank_k", "derive": {"columns": {"k2": "cause"}}},
                  {"id": "blank_cols", "select": {"columns": ["k2", "n", "first"]}},
                  {"id": "all", "union": {"steps": ["per_key", "blank_cols"]}}]
    return {"id": "r", "name": "键", "line": "x", "point": "x",
            "inputs": {"c": {"dataset": "案件", "fields": {"no": "no", "cause": "cause", "pid": "pid",
                                                          "agent": "agent", "filed": "filed"}}},
            "steps": steps, "output": {"subject": {"type": "person", "key": "k2"}, "title": "{k2}"}}


def _load(con: duckdb.DuckDBPyConnection, rng: random.Random) -> None:
    con.execute("CREATE TABLE ds_c (_row_id BIGINT, no VARCHAR, cause VARCHAR, pid VARCHAR, agent VARCHAR, filed DATE)")
    ids = ["a1", " A1 ", "b2", "B2", "", "   ", None, "c3 "]
    con.executemany("INSERT INTO ds_c VALUES (?, ?, ?, ?, ?, ?)",
                    [(i, rng.choice(["N1", "N2", None]), rng.choice(["借贷", "其他"]), rng.choice(ids),
                      rng.choice(["张", "LI", "", None]), f"2023-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}")
                     for i in range(150)])


def _rows(con, compiled) -> list[str]:
    return sorted(map(repr, con.execute(compiled.sql, compiled.parameters or None).fetchall()))


def _cte(sql: str, name: str) -> str:
    return sql.split(f"{name} AS", 1)[1].split("\n), ", 1)[0]


def test_null_test_moves_to_the_input_column_of_the_computing_step():
    sql = compile_model(load_model(_spec()), _catalog(), "duckdb").sql
    keyed, attributable = _cte(sql, "s_keyed"), _cte(sql, "s_attributable")
    assert "pid IS NOT NULL" in keyed and "agent IS NOT NULL" in keyed
    assert "k2 IS NOT NULL" not in attributable and "low IS NOT NULL" not in attributable
    assert "no IS NOT NULL" in attributable        # a plain column's test stays where it is
    # other dialects and a keyed step read by two branches keep the test where the model put it
    assert "k2 IS NOT NULL" in _cte(compile_model(load_model(_spec()), _catalog(), "postgres").sql, "s_attributable")
    shared = compile_model(load_model(_spec(shared=True)), _catalog(), "duckdb").sql
    assert "pid IS NOT NULL" not in _cte(shared, "s_keyed") and "k2 IS NOT NULL" in _cte(shared, "s_attributable")


@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_same_rows_as_the_unmoved_test(shared, seed, monkeypatch):
    con = duckdb.connect()
    _load(con, random.Random(seed))
    spec, cat = load_model(_spec(shared)), _catalog()
    moved = compile_model(spec, cat, "duckdb", two_pass=False)
    moved_two = compile_model(spec, cat, "duckdb")
    monkeypatch.setattr(compiler_core, "sink_null_tests", lambda tree: tree)
    plain = compile_model(spec, cat, "duckdb", two_pass=False)
    plain_two = compile_model(spec, cat, "duckdb")
    assert shared or moved.sql != plain.sql
    rows = _rows(con, moved)
    assert rows and rows == _rows(con, plain)
    assert _rows(con, moved_two) == _rows(con, plain_two)
    con.close()
