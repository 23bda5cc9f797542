"""Two screening aggregates of one relation by the same keys run as one (compiler.common_aggregates).

gang-repeat-offenders groups its events by person twice (totals for R1, first/last case for R2);
compiled, the events are grouped once, kept where either having holds, and each step tests its own
having on the shared groups.  Checked: one aggregate over the relation in the compiled statement, the
pairs that must stay apart, and on random rows with NULLs the rows of the two separate aggregates.
"""

from __future__ import annotations

import random

import duckdb
import pytest
from sqlglot import exp

from shujian.catalog.schema import CatalogSchema, ColumnSchema, DatasetSchema
from shujian.compiler import compile_model, core
from shujian.engines.duckdb_engine import DuckDBEngine
from shujian.spec import load_model

C = ColumnSchema


def _catalog() -> CatalogSchema:
    cat = CatalogSchema()
    cat.add(DatasetSchema("事件", "ds_ev", (C("p"), C("c"), C("k"), C("n", "BIGINT")), version=1))
    return cat


def _spec(second_by=("person",), second_having="first_case <> last_case", first_having="rows_n >= 3 or a <> b"):
    return {"id": "t", "name": "测试模型", "line": "测试", "point": "测试",
            "inputs": {"ev": {"dataset": "事件", "fields": {"person": "p", "case_id": "c", "county": "k", "n": "n"}}},
            "steps": [
                {"id": "totals", "from": "ev", "aggregate": {
                    "by": ["person"], "measures": {"rows_n": "count(*)", "a": "min(county)", "b": "max(county)",
                                                   "s": "sum(n)"},
                    "having": first_having}},
                {"id": "repeat", "from": "ev", "aggregate": {
                    "by": list(second_by), "measures": {"first_case": "min(case_id)", "last_case": "max(case_id)",
                                                        "s": "max(n)"},
                    "having": second_having}},
                {"id": "picked", "join": {"left": "ev", "right": "totals", "on": ["person"], "type": "semi"}},
                {"id": "again", "join": {"left": "picked", "right": "repeat", "on": ["person"], "type": "inner",
                                         "right_prefix": "r_"}},
                {"id": "per", "aggregate": {"by": ["person"], "measures": {"m": "count(*)", "s": "max(r_s)"}}}],
            "output": {"subject": {"type": "person", "key": "person"}, "title": "{person}", "facts": ["m", "s"]}}


def _aggregates_over_input(compiled) -> int:
    """How many steps of the statement group the input's rows (``GROUP BY`` over ``in_ev``)."""
    with_ = compiled.tree.args.get("with_") or compiled.tree.args.get("with")
    return sum(1 for cte in with_.expressions if isinstance(cte.this, exp.Select) and cte.this.args.get("group")
               and any(t.name == "in_ev" for t in cte.this.find_all(exp.Table)))


def _rows(con, compiled) -> list[tuple]:
    table = DuckDBEngine(con).execute(compiled.sql, compiled.parameters, plan=compiled.staged).table
    return sorted(tuple(repr(r[c]) for c in compiled.output_columns) for r in table.to_pylist())


def _separate(spec, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(core, "merge_aggregates", lambda ctes: None)
        return compile_model(load_model(spec), _catalog(), "duckdb", two_pass=False)


def _connect(rows) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE ds_ev (_row_id BIGINT, p VARCHAR, c VARCHAR, k VARCHAR, n BIGINT)")
    con.executemany("INSERT INTO ds_ev VALUES (?, ?, ?, ?, ?)", [(i, *r) for i, r in enumerate(rows, 1)])
    return con


def test_the_two_screens_group_the_rows_once(monkeypatch):
    compiled = compile_model(load_model(_spec()), _catalog(), "duckdb", two_pass=False)
    assert _aggregates_over_input(compiled) == 1
    assert _aggregates_over_input(_separate(_spec(), monkeypatch)) == 2


def test_gang_groups_its_events_by_person_once(demo_city):
    from shujian.models_library import get_model

    _, catalog = demo_city
    compiled = compile_model(get_model("gang-repeat-offenders"), catalog, "duckdb")
    with_ = compiled.tree.args.get("with_") or compiled.tree.args.get("with")
    by_person = [cte.alias for cte in with_.expressions if isinstance(cte.this, exp.Select)
                 and cte.this.args.get("group") and any(t.name == "s_events" for t in cte.this.find_all(exp.Table))
                 and [k.name for k in cte.this.args["group"].expressions] == ["person"]]
    assert len(by_person) == 1


@pytest.mark.parametrize("spec", [
    _spec(second_by=("person", "county")),                    # other keys
    _spec(second_having=None),                                # read as a whole, not through a having
], ids=["other-keys", "no-having"])
def test_pairs_that_stay_apart(spec, monkeypatch):
    if spec["steps"][1]["aggregate"]["having"] is None:
        del spec["steps"][1]["aggregate"]["having"]
    compiled = compile_model(load_model(spec), _catalog(), "duckdb", two_pass=False)
    assert _aggregates_over_input(compiled) == 2


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("first, second", [
    ("rows_n >= 3 or a <> b", "first_case <> last_case"),
    ("s > 3", "s is null or first_case < last_case"),        # the same measure name, other aggregates
    ("a is null or b = 'y'", "last_case is null or last_case > 'c2'"),
], ids=["gang", "same-name", "nulls"])
def test_same_rows_as_separate_aggregates(seed, first, second, monkeypatch):
    _compare(seed, first, second, monkeypatch)


def _compare(seed, first, second, monkeypatch) -> int:
    """The merged and the separate aggregates give the same rows on random rows; how many."""
    rng = random.Random(seed)
    pick = lambda values: rng.choice(values)  # noqa: E731
    rows = [(pick(["A", "B", "C", "D", None]), pick(["c1", "c2", "c3", "c4", None]), pick(["x", "y", None]),
             pick([1, 2, 5, None])) for _ in range(40)]
    con = _connect(rows)
    spec = _spec(first_having=first, second_having=second)
    merged = compile_model(load_model(spec), _catalog(), "duckdb", two_pass=False)
    assert _aggregates_over_input(merged) == 1
    found = _rows(con, merged)
    assert found == _rows(con, _separate(spec, monkeypatch))
    return len(found)


def test_the_random_rows_find_clues(monkeypatch):
    """The random cases above are not vacuous: most seeds find persons."""
    for first, second in [("s > 3", "s is null or first_case < last_case"),
                          ("a is null or b = 'y'", "last_case is null or last_case > 'c2'")]:
        assert sum(_compare(seed, first, second, monkeypatch) > 0 for seed in range(8)) >= 5
