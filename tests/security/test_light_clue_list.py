"""``shujian clue list`` reads through the database driver (issue 20 target 4) — and still through the access
layer: the same rows, masked the same way, as the ORM path gives each user, on SQLite and PostgreSQL.

The pool is spread over three owners (the 市院's run, a run of 区县院 A, a platform run), so the scope rule's
every branch is met: a 检察官 sees their own org's held clues only (no pool); a 部门负责人 of 区县院 A their
org's clues, its pool and the platform's; the 市院 roles their subtree, and its pool roles every pool below.
"""

from __future__ import annotations

import json

import pytest

from shujian.cli.common import act_as
from shujian.cli.main import main
from shujian.clues.listing import list_clues
from shujian.clues.service import ClueService
from shujian.db.models import Clue, Run
from shujian.security.scope import current_scope, use_scope

from .conftest import DISTRICT_A, USERS, seed

#: (model, state, subject, limit) — the filters the light path takes (subject filled in from the data)
FILTERS = [(None, None, None, 1000), (None, "生成,排除", None, 1000), (None, None, "SUBJECT", 1000),
           ("MODEL", None, None, 2), (None, "研判", None, 1000)]


def _spread_pool(ws, ids: dict) -> None:
    """Three pool clues (copies of clue b, unassigned, in several states) owned by the 市院's run, a run of
    区县院 A and a platform run (no 发起院); ``ids["pool"]`` lists them in that order."""
    with ws.db.unit_of_work() as s:
        b = s.get(Clue, ids["b"])
        run = s.get(Run, b.first_run_id)
        owners = [run.id]
        for org in (ids["orgs"][DISTRICT_A], None):
            r = Run(model_id=run.model_id, model_version_id=run.model_version_id, model_hash=run.model_hash,
                    status="done", org_id=org)
            s.add(r)
            s.flush()
            owners.append(r.id)
        pool = []
        for n, (owner, state) in enumerate(zip(owners, ("生成", "研判", "排除"), strict=True)):
            c = Clue(fingerprint=f"pool-{n}", model_id=b.model_id, rule=b.rule, subject_id=b.subject_id,
                     title=b.title, facts=dict(b.facts or {}), facts_hash=b.facts_hash, measure=b.measure,
                     legal_basis=list(b.legal_basis or []), state=state, first_run_id=owner, last_run_id=owner,
                     org_id=None)
            s.add(c)
            s.flush()
            pool.append(c.id)
    ids["pool"] = [*pool, *ids["pool"]]


def _orm(ws, username: str | None, **filters) -> list[dict]:
    """What the full path lists for ``username``: act_as's scope, then ClueService.list."""
    with use_scope(None):
        if username is not None:
            act_as(ws, username, "clues.read")
        return ClueService(ws).list(**filters)


def test_the_light_path_lists_what_the_orm_path_lists_for_every_user(ws, monkeypatch):
    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    ids = seed(ws, passwords=())
    _spread_pool(ws, ids)
    with ws.db.unit_of_work() as s:
        model, subject = s.query(Clue.model_id).first()[0], None
    everything = _orm(ws, None)
    subject = everything[0]["subject"]["key"]
    assert len(everything) >= 4
    seen: dict[str, set[int]] = {}
    for username in [None, *USERS]:
        if username == "c_admin":          # 系统管理员: no clues.read — the full path refuses (below)
            continue
        for m, st, subj, limit in FILTERS:
            kw = {"model_id": model if m else None, "state": st, "subject": subject if subj else None,
                  "limit": limit}
            light = list_clues(ws.settings, username=username, **kw)
            assert light is not None, (username, kw)
            assert light == _orm(ws, username, **kw), (username, kw)
            assert current_scope() is None
        seen[username or "operator"] = {c["clue_id"] for c in list_clues(ws.settings, username=username)}
    pool = set(ids["pool"])
    assert seen["operator"] == {c["clue_id"] for c in everything}
    assert seen["a_jcg"] == {ids["a"]} and seen["b_jcg"] == {ids["b"]}      # 检察官: own org, no pool
    # 区县院 A's 部门负责人: its clue, its pool and the platform's pool (open to every org's pool roles)
    assert seen["a_fzr"] == {ids["a"], ids["pool"][1], ids["pool"][2]}
    assert seen["c_jcg"] == {ids["a"], ids["b"]}                             # 市院 检察官: the subtree, no pool
    assert seen["c_ld"] == seen["c_sz"] == {ids["a"], ids["b"]} | pool       # 市院 pool roles: every pool


def test_a_named_user_sees_masked_values_the_operator_in_clear(ws, monkeypatch):
    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    ids = seed(ws, passwords=())
    clear = {c["clue_id"]: c for c in list_clues(ws.settings, username=None)}
    shown = {c["clue_id"]: c for c in list_clues(ws.settings, username="c_ld")}
    raw = clear[ids["a"]]["subject"]["key"]
    assert shown[ids["a"]]["subject"]["key"] != raw and "*" in shown[ids["a"]]["subject"]["key"]
    assert raw not in json.dumps(shown[ids["a"]], ensure_ascii=False)
    assert shown == {c["clue_id"]: c for c in _orm(ws, "c_ld")}


def test_the_cli_output_is_the_same_on_both_paths(ws, capsys, monkeypatch):
    """``clue list --format json`` through the driver, then with the light path switched off."""
    from shujian.clues import listing

    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    seed(ws, passwords=())
    outs = []
    for light in (True, False):
        if not light:
            monkeypatch.setattr(listing, "connect", lambda url: None)
        for args in (["clue", "list"], ["clue", "list", "--as", "c_ld"], ["--as", "a_fzr", "clue", "list"],
                     ["clue", "list", "--format", "json", "--as", "b_jcg", "--limit", "1"],
                     ["clue", "list", "--format", "json", "--state", "生成"]):
            assert main(args) == 0
            outs.append(capsys.readouterr().out)
    half = len(outs) // 2
    assert outs[:half] == outs[half:]
    assert "线索（" in outs[0] and json.loads(outs[3])


def test_the_light_path_steps_aside_for_refusals_and_unknown_users(sqlite_ws, capsys, monkeypatch):
    ws = sqlite_ws
    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    seed(ws, passwords=())
    assert list_clues(ws.settings, username="nobody") is None
    assert list_clues(ws.settings, username="c_admin") is None
    assert main(["clue", "list", "--as", "nobody"]) != 0
    assert "用户 nobody 不存在" in capsys.readouterr().err
    assert main(["clue", "list", "--as", "c_admin"]) != 0
    assert "无权" in capsys.readouterr().err


def test_a_store_the_driver_cannot_read_is_left_to_the_full_path(tmp_path):
    from shujian.config import load_settings

    dead = load_settings(home=tmp_path, database_url="postgresql+psycopg://postgres@127.0.0.1:1/none")
    assert list_clues(dead, username=None) is None
    (tmp_path / "metadata.sqlite").write_bytes(b"not a database" * 100)
    assert list_clues(load_settings(home=tmp_path), username=None) is None


def test_an_outdated_store_is_left_to_the_full_path(sqlite_ws):
    from sqlalchemy import text

    ws = sqlite_ws
    assert list_clues(ws.settings, username=None) == []
    with ws.db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0005'"))
    assert list_clues(ws.settings, username=None) is None


@pytest.mark.parametrize("pool", [True, False])
def test_the_orm_query_sends_the_layers_sql_text(sqlite_ws, pool):
    """One rule: the ORM path's clue condition is the very text the light path sends."""
    from shujian.security.access import restrict
    from shujian.security.clue_rules import clue_visibility_sql
    from shujian.security.scope import Scope

    scope = Scope(username="x", org_id=3, orgs=frozenset({5, 3, 4}), pool=pool)
    with sqlite_ws.db.unit_of_work() as s:
        sql = str(restrict(s.query(Clue.id), Clue, scope).statement)
    assert clue_visibility_sql(scope) in sql
    assert ("runs.org_id IS NULL" in sql) is pool
