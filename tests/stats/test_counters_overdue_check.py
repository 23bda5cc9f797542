"""The dashboard's overdue list read in SQL equals the workflow's ``due`` rows that are overdue (same rows,
same order, within the reader's scope); ``shujian db check`` finds broken counters and orphaned evidence
and ``--repair`` rebuilds the counters."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import text
from tests.workflow.conftest import DISTRICT, OTHER, make_clues, seed_people

from shujian.cli.main import main
from shujian.orgs.service import find_user
from shujian.security.scope import scope_for, use_scope
from shujian.stats.service import overdue
from shujian.workflow.service import WorkflowService


def _world(ws, clock, pension_model) -> list[int]:
    ids = make_clues(ws, pension_model, 9)
    wf = WorkflowService(ws, clock=clock)
    for i, cid in enumerate(ids[:8]):
        org = DISTRICT if i % 2 == 0 else OTHER
        actor = "jj_jcg" if org == DISTRICT else "hy_jcg"
        wf.transition(cid, "研判", "shi_shuzi")
        wf.transition(cid, "交办", "shi_zhixing", org=org, deadline=date(2026, 3, 10 + i % 3))
        if i >= 4:       # 成案 with a measure (reply deadline two months on), the others stay in 交办
            wf.transition(cid, "核查", actor)
            wf.transition(cid, "成案", actor, case_number=f"案{cid}")
            wf.add_measure(cid, actor, "检察建议" if i % 3 else "纠正违法通知书", doc_number=f"建{cid}")
    wf.supervise(ids[0], "shi_lingdao", date(2026, 3, 5), "上级督办")
    wf.supervise(ids[1], "shi_lingdao", date(2026, 3, 11), "上级督办")
    clock.advance(days=70)             # everything above is past its deadline; check_overdue escalates
    return ids


def _expected(ws, clock, org=None, limit=50):
    rows = WorkflowService(ws, clock=clock).due(within_days=0, org=org)
    return [r for r in rows if r["overdue"]][:limit]


def test_overdue_in_sql_equals_due(people, clock, pension_model):
    ws = people
    _world(ws, clock, pension_model)
    everything = _expected(ws, clock)
    assert {r["kind"] for r in everything} >= {"交办期限", "督办", "回复期限", "建议刚性监督"}
    for org, limit in ((None, 50), (None, 5), (DISTRICT, 50), (OTHER, 3)):
        assert overdue(ws, org=org, limit=limit, clock=clock) == _expected(ws, clock, org, limit), (org, limit)
    with ws.db.unit_of_work() as s:
        u = find_user(s, "jj_jcg")
        district = scope_for(s, u.username, u.org_id, u.roles)
    with use_scope(district):              # a district reader: its own items only, never 黄岩's
        got = overdue(ws, clock=clock)
        assert got == _expected(ws, clock)
        assert got and {r["org"] for r in got} == {"台州市椒江区人民检察院"}


def test_db_check_finds_and_repairs(sqlite_ws, pension_model, capsys, monkeypatch):
    ws = sqlite_ws
    seed_people(ws)
    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    make_clues(ws, pension_model, 3)
    assert main(["db", "check", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    with ws.db.engine.begin() as conn:
        conn.execute(text("UPDATE clue_counts SET n = n + 2 WHERE grain = 'm'"))
        conn.execute(text("INSERT INTO clue_evidence (clue_id, run_id, role, dataset, dataset_version_id, row_id) "
                          "VALUES (999999, 1, 'r', 'd', 1, 1)"))
    assert main(["db", "check", "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["counters"][0]["stored"] == out["counters"][0]["counted"] + 2
    assert out["orphan_evidence"] == {"without_clue": 1, "without_run": 0}
    with ws.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM clue_evidence WHERE clue_id = 999999"))
    assert main(["db", "check", "--repair"]) == 0
    assert "已按线索重建" in capsys.readouterr().out
    assert main(["db", "check", "--format", "json"]) == 0
