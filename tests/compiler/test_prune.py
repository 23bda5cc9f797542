"""Unused evidence is not computed, and dropping it changes no output row.

Every built-in model is compiled twice over the small demo city — as shipped (evidence pruned) and
with the pruning pass switched off — and both SQL texts are executed on DuckDB: the rows, evidence
lists included, must be identical, while the pruned SQL builds fewer evidence lists.
"""

from __future__ import annotations

import pytest

from shujian.compiler import compile_model
from shujian.compiler import core as compiler_core
from shujian.models_library import get_model, list_models
from shujian.spec import load_model

from .conftest import model, run

MODELS = [m.id for m in list_models()]


def _rows(con, compiled) -> list[tuple]:
    cur = con.execute(compiled.sql, compiled.parameters)
    names = [d[0] for d in cur.description]
    keep = [i for i, n in enumerate(names) if n in compiled.output_columns]
    return sorted(tuple(repr(r[i]) for i in keep) for r in cur.fetchall())


@pytest.mark.parametrize("model_id", MODELS)
def test_pruning_keeps_every_output_row_and_its_evidence(demo_city, model_id, monkeypatch):
    con, catalog = demo_city
    m = get_model(model_id)
    pruned = compile_model(m, catalog, "duckdb")
    monkeypatch.setattr(compiler_core, "prune_columns", lambda ctes, final: None)
    full = compile_model(m, catalog, "duckdb")
    assert pruned.output_columns == full.output_columns
    assert pruned.sql.count("ARRAY_AGG") <= full.sql.count("ARRAY_AGG")
    rows = _rows(con, pruned)
    assert rows, f"{model_id} finds nothing on the demo city: the comparison would be vacuous"
    assert rows == _rows(con, full)


def test_gang_model_builds_no_evidence_list_per_person_for_its_screens(demo_city):
    con, catalog = demo_city
    sql = compile_model(get_model("gang-repeat-offenders"), catalog, "duckdb").sql
    for screen in ("s_person_totals__agg", "s_repeat_persons__agg", "s_gangs_with_repeaters__agg"):
        body = sql.split(f"{screen} AS (", 1)[1].split("\n), ", 1)[0]
        assert "ARRAY_AGG" not in body, f"{screen} still aggregates evidence"
    # the components' evidence (an aggregate over every person) is not read, so it is not built
    assert "s_graph__nodes" not in sql
    assert "_ev_" not in sql.split("s_graph AS (", 1)[1].split("\n), ", 1)[0]


def test_semi_join_right_side_and_screens_carry_no_evidence(con, catalog):
    spec = model([
        {"id": "big", "from": "pension", "aggregate": {"by": ["person"], "measures": {"n": "count(*)"},
                                                       "having": "n >= 12"}},
        {"id": "kept", "join": {"left": "people", "right": "big", "on": ["person"], "type": "semi"}},
    ], roles=("people", "pension"))
    compiled = compile_model(load_model(spec), catalog, "duckdb")
    big = compiled.sql.split("s_big__agg AS (", 1)[1].split("\n), ", 1)[0]
    assert "_ev_" not in big and "ARRAY_AGG" not in big
    assert "_ev_pension" not in compiled.sql.split("in_pension AS (", 1)[1].split("\n), ", 1)[0]
    assert [e.column for e in compiled.evidence] == ["_ev_people"]
    assert [r["person"] for r in run(con, catalog, spec)] == ["A", "B", "C"]


def test_join_evidence_left_drops_the_right_sides_rows(con, catalog):
    steps = [{"id": "j", "join": {"left": "people", "right": "pension", "on": ["person"], "type": "inner"}}]
    both = compile_model(load_model(model(steps, roles=("people", "pension"))), catalog, "duckdb")
    steps[0]["join"]["evidence"] = "left"
    spec = model(steps, roles=("people", "pension"))
    left = compile_model(load_model(spec), catalog, "duckdb")
    assert {e.role for e in both.evidence} == {"people", "pension"}
    assert {e.role for e in left.evidence} == {"people"}
    rows = run(con, catalog, spec)
    assert len(rows) == 36 and {r["_ev_people"] for r in rows} == {1, 2, 3}


def _body(sql: str, cte: str) -> str:
    return sql.replace("WITH ", ", ", 1).split(f", {cte} AS (", 1)[1].split("\n), ", 1)[0]


def test_subject_key_pass_leaves_out_a_score_branch(demo_city):
    """frequent-lending's per-agent score is a LEFT JOIN onto a result with one row per plaintiff: it can
    neither drop nor repeat a plaintiff, so the subject-key pass (k_) skips it, and that pass's cases
    aggregate (120 M rows at province scale) no longer carries 代理人 (93.9 → 50.9 CPU s for that stage)."""
    _, catalog = demo_city
    sql = compile_model(get_model("frequent-lending-plaintiff"), catalog, "duckdb").sql
    assert "k_s_top_agent AS (" not in sql and "k_s_per_agent AS (" not in sql
    assert "agent" not in _body(sql, "k_s_suits")
    assert "s_top_agent AS (" in sql and "MAX(agent)" in _body(sql, "s_suits")     # pass 2 keeps the score


@pytest.mark.parametrize("by, dropped", [(["person"], True), (["person", "month"], False)])
def test_an_unread_left_join_is_dropped_only_when_it_cannot_repeat_rows(con, catalog, by, dropped, monkeypatch):
    """A LEFT JOIN onto an aggregate grouped by the join key alone adds columns, never rows: unread, it
    goes. Grouped by more than the key it repeats left rows, so it stays even when nothing reads it."""
    spec = model([
        {"id": "paid", "from": "pension", "aggregate": {"by": by, "measures": {"total": "sum(amount)"}}},
        {"id": "with_paid", "join": {"left": "people", "right": "paid", "on": ["person"], "type": "left",
                                     "evidence": "left"}},
        {"id": "out", "aggregate": {"by": ["person"], "measures": {"n": "count(*)"}}},
    ], roles=("people", "pension"))
    sql = compile_model(load_model(spec), catalog, "duckdb").sql
    assert ("LEFT JOIN" not in _body(sql, "s_with_paid")) is dropped
    rows = run(con, catalog, spec)
    monkeypatch.setattr(compiler_core, "prune_columns", lambda ctes, final: None)
    assert rows and rows == run(con, catalog, spec)            # the same counts as without pruning
    assert any(r["n"] > 1 for r in rows) is not dropped        # a person paid in several months repeats
