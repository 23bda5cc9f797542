"""Semi-join reduction of looked-up steps (compiler.reduce): the same rows, fewer rows computed."""

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
    cat.add(DatasetSchema("意见", "ds_op", (C("person"), C("doc"), C("kind"), C("issued", "DATE"))))
    cat.add(DatasetSchema("决定", "ds_np", (C("doc"), C("decided", "DATE"), C("charge"))))
    cat.add(DatasetSchema("处理", "ds_cl", (C("doc"), C("how"), C("closed", "DATE"))))
    return cat


SPEC = {"id": "r", "name": "查找", "line": "x", "point": "x",
        "inputs": {"op": {"dataset": "意见", "fields": {"person": "person", "doc": "doc", "kind": "kind",
                                                      "issued": "issued"}},
                   "np": {"dataset": "决定", "fields": {"doc": "doc", "decided": "decided", "charge": "charge"}},
                   "cl": {"dataset": "处理", "fields": {"doc": "doc", "how": "how", "closed": "closed"}}},
        "steps": [
            {"id": "due", "from": "op", "filter": "regexp_matches(kind, '处罚') and person is not null"},
            # an aggregate over a whole dataset, looked up by a left join
            {"id": "decisions", "from": "np", "aggregate": {"by": ["doc"], "measures": {
                "first": "min(decided)", "n": "count(*)"}}},
            {"id": "with_decision", "join": {"left": "due", "right": "decisions", "type": "left", "on": ["doc"]}},
            # a costly filter of a dataset read twice: by an anti join, then by a left join whose left
            # side is the anti join's result (it reads the looked-up step itself)
            {"id": "closings", "from": "cl", "filter": "regexp_matches(how, '撤案|终止')"},
            {"id": "pending", "join": {"left": "with_decision", "right": "closings", "type": "anti",
                                       "on": ["doc"], "where": "right.closed <= left.issued"}},
            {"id": "with_closure", "join": {"left": "pending", "right": "closings", "type": "left", "on": ["doc"],
                                            "right_prefix": "c_"}},
            {"id": "hits", "aggregate": {"by": ["person", "doc"], "measures": {
                "first": "min(first)", "n": "max(n)", "closed": "min(c_closed)", "k": "count(*)"}}}],
        "output": {"subject": {"type": "person", "key": "person"}, "title": "{person}"}}


def _load(con: duckdb.DuckDBPyConnection, rng: random.Random) -> None:
    day = lambda: f"2023-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"  # noqa: E731
    docs = [f"D{k}" for k in range(60)] + [None]
    con.execute("CREATE TABLE ds_op (_row_id BIGINT, person VARCHAR, doc VARCHAR, kind VARCHAR, issued DATE)")
    con.execute("CREATE TABLE ds_np (_row_id BIGINT, doc VARCHAR, decided DATE, charge VARCHAR)")
    con.execute("CREATE TABLE ds_cl (_row_id BIGINT, doc VARCHAR, how VARCHAR, closed DATE)")
    con.executemany("INSERT INTO ds_op VALUES (?, ?, ?, ?, ?)",
                    [(i, rng.choice(["P1", "P2", "P3", None]), rng.choice(docs), rng.choice(["行政处罚", "其他"]),
                      day()) for i in range(80)])
    con.executemany("INSERT INTO ds_np VALUES (?, ?, ?, ?)",
                    [(i, rng.choice(docs), day(), "盗窃") for i in range(200)])
    con.executemany("INSERT INTO ds_cl VALUES (?, ?, ?, ?)",
                    [(i, rng.choice(docs), rng.choice(["撤案", "终止侦查", "移送"]), day()) for i in range(200)])


def _rows(con, compiled) -> list:
    cur = con.execute(compiled.sql, compiled.parameters or None)
    return sorted(map(repr, cur.fetchall()))


def test_looked_up_steps_are_narrowed_to_the_readers_keys():
    sql = compile_model(load_model(SPEC), _catalog(), "duckdb").sql
    decisions = sql.split("s_decisions AS (", 1)[1].split("\n), ", 1)[0]
    closings = sql.split("s_closings AS (", 1)[1].split("\n), ", 1)[0]
    assert "FROM s_due" in decisions and " IN (" in decisions
    # traced back past pending (which reads closings) to the relation its rows come from
    assert " IN (" in closings and "s_pending" not in closings and "s_closings" not in closings.split("FROM", 1)[1]


@pytest.mark.parametrize("seed", range(5))
def test_narrowing_changes_no_row(seed, monkeypatch):
    con = duckdb.connect()
    _load(con, random.Random(seed))
    spec, cat = load_model(SPEC), _catalog()
    narrowed = compile_model(spec, cat, "duckdb")
    monkeypatch.setattr(compiler_core, "reduce_lookups", lambda ctes, final: None)
    plain = compile_model(spec, cat, "duckdb")
    assert narrowed.sql != plain.sql
    rows = _rows(con, narrowed)
    assert rows and rows == _rows(con, plain)
    con.close()
