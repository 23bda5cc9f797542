"""Evidence after screens (compiler.screens) and the cost-aware stage decision (compiler.stages).

A key-partitioned model is compiled as two passes — subjects first without evidence, then the
pipeline with evidence over those subjects' rows only — and must give exactly the rows, evidence
lists included, of the single pass.  Checked on every built-in model over the small demo city, and on
small hand-made tables with NULL keys, keys that a screen drops and a having that keeps few groups.
"""

from __future__ import annotations

import duckdb
import pytest

from shujian.catalog.schema import CatalogSchema, ColumnSchema, DatasetSchema
from shujian.compiler import compile_model
from shujian.compiler.stages import split_stages
from shujian.engines.duckdb_engine import DuckDBEngine
from shujian.models_library import get_model, list_models
from shujian.spec import load_model

MODELS = [m.id for m in list_models()]


def _rows(table, columns) -> list[tuple]:
    return sorted(tuple(repr(r[c]) for c in columns) for r in table.to_pylist())


@pytest.mark.parametrize("model_id", MODELS)
def test_two_passes_give_the_rows_of_one_pass(demo_city, model_id):
    con, catalog = demo_city
    model = get_model(model_id)
    two = compile_model(model, catalog, "duckdb")
    one = compile_model(model, catalog, "duckdb", two_pass=False)
    a = DuckDBEngine(con).execute(two.sql, two.parameters, plan=two.staged).table
    b = DuckDBEngine(con).execute(one.sql, one.parameters, plan=one.staged).table
    assert _rows(a, two.output_columns), f"{model_id} finds nothing on the demo city: vacuous"
    assert _rows(a, two.output_columns) == _rows(b, one.output_columns)


def test_the_library_models_that_keep_subjects_apart_run_in_two_passes(demo_city):
    """The seven models whose steps never mix persons (projects) get two passes; components, a global
    count, a join on another column keep the single pass."""
    _, catalog = demo_city
    two = {m for m in MODELS if "k_keys" in compile_model(get_model(m), catalog, "duckdb").sql}
    assert two == {"benefits-after-death", "community-correction-gaps", "drunk-driving-licence",
                   "frequent-lending-plaintiff", "medical-insurance-in-custody", "migrant-wage-guarantee",
                   "pension-during-custody"}
    for m in ("gang-repeat-offenders", "prepaid-card-complaints", "accessory-penalty"):
        assert "k_keys" not in compile_model(get_model(m), catalog, "duckdb", two_pass=True).sql


C = ColumnSchema
PAY = [("A", "2023-01-01", 10.0), ("A", "2023-02-01", 10.0), ("A", "2023-02-01", 10.0),
       ("B", "2023-01-01", 1.0), (None, "2023-01-01", 500.0), (None, "2023-03-01", 500.0),
       ("C", "2023-05-01", 300.0), ("D", "2023-05-01", 300.0), ("E", "2023-06-01", 999.0)]
HELD = [("A", "2022-12-01"), ("C", "2023-04-01"), (None, "2022-01-01"), ("E", "2024-01-01")]


@pytest.fixture()
def tiny():
    con = duckdb.connect()
    con.execute("CREATE TABLE ds_pay (_row_id BIGINT, p VARCHAR, m DATE, amt DOUBLE)")
    con.executemany("INSERT INTO ds_pay VALUES (?, ?, ?, ?)", [(i, *r) for i, r in enumerate(PAY, 1)])
    con.execute("CREATE TABLE ds_held (_row_id BIGINT, p VARCHAR, d DATE)")
    con.executemany("INSERT INTO ds_held VALUES (?, ?, ?)", [(i, *r) for i, r in enumerate(HELD, 1)])
    cat = CatalogSchema()
    cat.add(DatasetSchema("付款", "ds_pay", (C("p"), C("m", "DATE"), C("amt", "DOUBLE")), version=1))
    cat.add(DatasetSchema("在押", "ds_held", (C("p"), C("d", "DATE")), version=1))
    yield con, cat
    con.close()


def _spec(steps, key="person"):
    return {"id": "t", "name": "测试模型", "line": "测试", "point": "测试",
            "inputs": {"pay": {"dataset": "付款", "fields": {"person": "p", "month": "m", "amount": "amt"}},
                       "held": {"dataset": "在押", "fields": {"person": "p", "since": "d"}}},
            "steps": steps,
            "output": {"subject": {"type": "person", "key": key}, "title": "{person}", "facts": []}}


SCREENED = [
    {"id": "rows", "from": "pay", "distinct": {"columns": ["person", "month", "amount"]}},
    {"id": "months", "aggregate": {"by": ["person", "month"], "measures": {"paid": "sum(amount)"}}},
    {"id": "after", "join": {"left": "months", "right": "held", "on": ["person"],
                             "where": "right.since < left.month"}},
    {"id": "per", "aggregate": {"by": ["person"], "measures": {"n": "count(*)", "total": "sum(paid)"},
                                "having": "total > 5"}},
]
GLOBAL = [
    {"id": "all", "from": "pay", "aggregate": {"measures": {"grand": "sum(amount)"}}},
    {"id": "one", "from": "pay", "derive": {"columns": {"k": "1"}}},
    {"id": "withall", "join": {"left": "one", "right": "all", "on": [], "where": "left.amount * 3 > right.grand"}},
    {"id": "per", "aggregate": {"by": ["person"], "measures": {"n": "count(*)"}}},
]
NULL_KEY = [
    {"id": "per", "from": "pay", "aggregate": {"by": ["person"], "measures": {"total": "sum(amount)"},
                                              "having": "total > 200"}},
]


@pytest.mark.parametrize("steps", [SCREENED, NULL_KEY], ids=["join-and-having", "null-key"])
def test_two_passes_on_hand_made_rows(tiny, steps):
    con, cat = tiny
    model = load_model(_spec(steps))
    two = compile_model(model, cat, "duckdb")
    one = compile_model(model, cat, "duckdb", two_pass=False)
    assert "k_keys" in two.sql and "k_keys" not in one.sql
    a = _rows(DuckDBEngine(con).execute(two.sql, two.parameters, plan=two.staged).table, two.output_columns)
    b = _rows(DuckDBEngine(con).execute(one.sql, one.parameters).table, one.output_columns)
    assert a == b and a


def test_the_screened_pipeline_reads_only_its_subjects_rows_in_pass_two(tiny):
    """Pass 1 keeps the payments of persons held (the join's screen) and pass 2 those of the
    persons with a clue: the evidence list of A is A's three rows (the duplicate included)."""
    con, cat = tiny
    compiled = compile_model(load_model(_spec(SCREENED)), cat, "duckdb")
    rows = DuckDBEngine(con).execute(compiled.sql, compiled.parameters, plan=compiled.staged).table.to_pylist()
    assert {r["person"]: r["_ev_pay"] for r in rows} == {"A": [1, 2, 3], "C": [7]}
    # the payments of held persons are written once (a stage) and read by both passes
    assert "r_in_pay" in compiled.staged("").tables


def test_a_model_that_mixes_subjects_keeps_one_pass(tiny):
    con, cat = tiny
    compiled = compile_model(load_model(_spec(GLOBAL)), cat, "duckdb")
    assert "k_keys" not in compiled.sql


def test_a_string_function_step_read_twice_is_staged_a_cheap_one_is_not():
    sql = ("WITH a AS (SELECT upper(trim(x)) AS k, y FROM t), b AS (SELECT x + 1 AS k, y FROM t) "
           "SELECT * FROM a AS a1 JOIN a AS a2 ON a1.k = a2.k JOIN b AS b1 ON b1.k = a1.y JOIN b AS b2 ON b2.k = b1.y")
    plan = split_stages(sql, "duckdb")
    assert plan.tables == ["a"]
    assert "b AS NOT MATERIALIZED" in plan.final
    regexp = "WITH a AS (SELECT x FROM t WHERE regexp_matches(x, 'p')) SELECT * FROM a AS a1, a AS a2"
    assert split_stages(regexp, "duckdb").tables == ["a"]


# A key computed by a string function (frequent-lending-plaintiff's ``upper(trim(原告证件号码))``): pass 2
# picks the rows of the clues' keys by the row ids pass 1 saw with them, instead of computing the
# key again over every row.  Random names with blanks, case and NULLs, duplicated rows, a having.
DERIVED_KEY = [
    {"id": "named", "from": "pay", "filter": "amount > 0"},
    {"id": "keyed", "derive": {"columns": {"k": "upper(trim(person))"}}},
    {"id": "per", "aggregate": {"by": ["k"], "measures": {"n": "count(*)", "total": "sum(amount)"},
                                "having": "n >= 3 or total > 900"}},
]


def _random_pay(con, seed: int) -> None:
    import random

    rng = random.Random(seed)
    names = [None, "a", " a", "A ", "b", "B", " c ", "d", "e", "f", "g", "h"]
    rows = [(i, rng.choice(names), f"2023-0{rng.randint(1, 9)}-01", float(rng.choice([-5, 0, 1, 50, 400, 600])))
            for i in range(1, 1 + rng.randint(5, 60))]
    con.execute("DELETE FROM ds_pay")
    con.executemany("INSERT INTO ds_pay VALUES (?, ?, ?, ?)", rows)


@pytest.mark.parametrize("seed", range(12))
def test_a_costly_derived_key_is_picked_by_row_ids_with_the_rows_of_one_pass(tiny, seed):
    con, cat = tiny
    _random_pay(con, seed)
    model = load_model({**_spec(DERIVED_KEY, key="k"), "output": {"subject": {"type": "person", "key": "k"},
                                                                  "title": "{k}", "facts": []}})
    two = compile_model(model, cat, "duckdb")
    one = compile_model(model, cat, "duckdb", two_pass=False)
    # pass 2 reads pass 1's rows of the key step by id; the key is not tested again there
    assert "s_named._ev_pay IN ( SELECT _ev_pay FROM k_s_keyed WHERE k IS NULL" in " ".join(two.sql.split())
    assert "s_keyed__all" not in two.sql
    a = _rows(DuckDBEngine(con).execute(two.sql, two.parameters, plan=two.staged).table, two.output_columns)
    b = _rows(DuckDBEngine(con).execute(one.sql, one.parameters).table, one.output_columns)
    assert a == b
