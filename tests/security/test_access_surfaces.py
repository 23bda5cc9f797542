"""Issue 14, the surfaces moved onto the access layer: runs, 委托研判, 关键词订阅, schedules, the audit search,
users and API tokens, background jobs — and the clue refusals and subject masking of the command line.

Each test fails on the code before the move: the workflow named the org holding another org's clue, a 数字办
of one district could deliver another district's clues in a 委托研判 package, ``clue transition --model …``
selected clues before knowing the actor (their ids came back as refusals), schedules were not scoped, and a
12345 工单号 (a case subject) was masked like a 身份证号.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from shujian.cli.main import main
from shujian.db.models import AnalysisRequest, Clue, Org, Subject
from shujian.delegation.service import DelegationService
from shujian.errors import NotFound, PermissionDenied
from shujian.orgs.service import OrgService
from shujian.security.scope import scope_for, use_scope
from shujian.workflow.service import WorkflowService

from .conftest import seed

DISTRICT_A_NAME = "椒江"          # 331002 台州市椒江区人民检察院
WORK_ORDER = "GD2026000123"       # a 12345 工单号: not a personal identifier


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def _as(ws, username: str):
    u = OrgService(ws).get_user(username)
    with ws.db.unit_of_work() as s:
        return scope_for(s, username, u["org_id"], u["roles"])


@pytest.fixture
def world(sqlite_ws, monkeypatch):
    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    ids = seed(sqlite_ws, passwords=())
    OrgService(sqlite_ws).add_user("b_sz", "b_sz", "331003", ["数字办"])
    OrgService(sqlite_ws).add_user("a_sz", "a_sz", "331002", ["数字办"])
    return sqlite_ws, ids


# ---------------------------------------------------------------------------------- clues: refusals name no org
def test_a_refusal_of_another_orgs_clue_names_neither_the_org_nor_the_clue(world):
    """The workflow decides sight first (as the named actor, whatever scope the caller set): another org's
    clue is "不存在", with the same words as a missing one — not "由 椒江区院 办理"."""
    ws, ids = world
    wf = WorkflowService(ws)
    with pytest.raises(NotFound) as held:
        wf.transition(ids["a"], "研判", "b_jcg", reason="越权")
    with pytest.raises(NotFound) as missing:
        wf.transition(10**6, "研判", "b_jcg", reason="越权")
    assert held.value.message == f"线索 {ids['a']} 不存在"
    assert held.value.hint == missing.value.hint
    assert DISTRICT_A_NAME not in str(held.value.to_dict())


def test_cli_bulk_transition_selects_only_the_actors_clues(world, capsys):
    """``clue transition --model …`` filters as the actor: other orgs' clue ids never come back as refusals."""
    ws, ids = world
    code, out, err = _cli(capsys, "clue", "transition", "--model", "pension-during-custody", "--action", "研判",
                          "--partial", "--as", "b_jcg", "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    touched = [*result["done"], *(r["clue_id"] for r in result["refused"])]
    assert touched == [ids["b"]]                                   # b's own clue only: not A's, not the pool
    assert DISTRICT_A_NAME not in out


# ---------------------------------------------------------------------------------- clues: subjects by type
@pytest.fixture
def case_clue(world):
    """A 12345 text clue (subject type case, key dataset:工单号) held by district B, beside B's person clue."""
    ws, ids = world
    with ws.db.unit_of_work() as s:
        base = s.get(Clue, ids["b"])
        subj = Subject(type="case", key=f"12345工单:{WORK_ORDER}", name=f"12345工单 {WORK_ORDER}")
        s.add(subj)
        s.flush()
        c = Clue(fingerprint="case-subject", model_id="text-sub-1", rule="prepaid-card", subject_id=subj.id,
                 title=f"关键词订阅“预付卡”命中工单 {WORK_ORDER}：跑路；来电 13800138000",
                 facts={"工单编号": WORK_ORDER, "命中词": "跑路"}, facts_hash="x", legal_basis=[], state="生成",
                 first_run_id=base.first_run_id, last_run_id=base.last_run_id, first_seen=base.first_seen,
                 last_seen=base.last_seen, seen_count=1, org_id=base.org_id)
        s.add(c)
        s.flush()
        return ws, ids, c.id


def test_clue_list_shows_a_work_order_subject_but_masks_a_person(case_clue, capsys):
    ws, ids, case_id = case_clue
    code, out, err = _cli(capsys, "clue", "list", "--as", "b_jcg", "--format", "json")
    assert code == 0, err
    rows = {r["clue_id"]: r for r in json.loads(out)}
    case, person = rows[case_id], rows[ids["b"]]
    assert case["subject"]["key"] == f"12345工单:{WORK_ORDER}" and WORK_ORDER in case["title"]
    assert "13800138000" not in case["title"] and "138****8000" in case["title"]     # identifiers inside: masked
    assert "*" in person["subject"]["key"] and person["subject"]["key"] != _raw_key(ws, ids["b"])


def test_clue_view_and_list_agree_on_the_subject(case_clue):
    from shujian.clues.service import ClueService
    from shujian.security.access import clue_view

    ws, _, case_id = case_clue
    with use_scope(_as(ws, "b_jcg")):
        shown = clue_view(ws, case_id, via="test", audit=False)
        listed = {c["clue_id"]: c for c in ClueService(ws).list()}[case_id]
    assert shown["subject"] == listed["subject"] and shown["title"] == listed["title"]
    assert WORK_ORDER in shown["subject"]["key"]


def _raw_key(ws, clue_id: int) -> str:
    with ws.db.unit_of_work() as s:
        return s.get(Clue, clue_id).subject.key


# ---------------------------------------------------------------------------------- 委托研判
def _request(ws, requester: str) -> int:
    return DelegationService(ws).submit(requester, "查找在押期间领取养老金的人员",
                                        deadline=date.today() + timedelta(days=30))["request_id"]


def test_another_districts_analyst_cannot_see_or_handle_a_request(world):
    ws, _ = world
    rid = _request(ws, "a_jcg")
    svc = DelegationService(ws)
    for act in (lambda: svc.accept(rid, "b_sz"), lambda: svc.reject(rid, "b_sz", "不办")):
        with pytest.raises(NotFound, match=f"委托研判 {rid} 不存在"):
            act()
    with use_scope(_as(ws, "b_sz")):
        assert [r["request_id"] for r in svc.list()] == []
        with pytest.raises(NotFound):
            svc.get(rid)
    with pytest.raises(PermissionDenied, match="不是数字办"):       # in sight, but not a 数字办
        svc.accept(rid, "a_fzr")
    assert svc.accept(rid, "a_sz")["state"] == "已受理"


def test_a_package_cannot_carry_another_orgs_clue(world):
    """反馈 with explicit clue ids: a clue outside the analyst's sight is "不存在" and is not moved."""
    ws, ids = world
    rid = _request(ws, "a_jcg")
    svc = DelegationService(ws)
    svc.accept(rid, "a_sz")
    with pytest.raises(NotFound, match=f"线索 {ids['b']} 不存在"):
        svc.deliver(rid, "a_sz", clue_ids=[ids["b"]])
    with ws.db.unit_of_work() as s:
        b_org = s.query(Org.id).filter_by(code="331003").scalar()
        assert s.get(Clue, ids["b"]).org_id == b_org
        assert s.get(AnalysisRequest, rid).state == "已受理"
    assert svc.deliver(rid, "a_sz", clue_ids=[ids["a"]])["clue_ids"] == [ids["a"]]


# ---------------------------------------------------------------------------------- schedules, audit, tokens
def test_schedules_are_scoped_like_runs(world):
    from shujian.runs.schedule import ScheduleService

    ws, _ = world
    with use_scope(_as(ws, "c_sz")):
        sid = ScheduleService(ws).add("pension-during-custody", "0 2 * * *")["schedule_id"]
    with use_scope(_as(ws, "b_jcg")):
        assert ScheduleService(ws).list() == []
        for act in (lambda: ScheduleService(ws).remove(sid), lambda: ScheduleService(ws).set_enabled(sid, False)):
            with pytest.raises(NotFound, match=f"调度 {sid} 不存在"):
                act()
    with use_scope(_as(ws, "c_ld")):
        assert [x["schedule_id"] for x in ScheduleService(ws).list()] == [sid]


def test_audit_search_and_token_listing_follow_the_readers_org(world):
    from shujian.security.accounts import AccountService
    from shujian.security.audit import AuditLog

    ws, _ = world
    accounts = AccountService(ws)
    a_token = accounts.create_token("a_jcg", "区县 A 脚本")
    AuditLog(ws).append("test.mark", actor="b_jcg", org_id=_as(ws, "b_jcg").org_id, target="b-only")
    with use_scope(_as(ws, "a_fzr")):
        assert AuditLog(ws).search(target="b-only") == []
        assert [t["id"] for t in accounts.tokens()] == [a_token["id"]]
    with use_scope(_as(ws, "b_jcg")):
        assert accounts.tokens() == []
        with pytest.raises(NotFound, match=f"接口令牌 {a_token['id']} 不存在"):
            accounts.revoke_token(a_token["id"], actor="b_jcg")
        with pytest.raises(NotFound, match="用户 a_jcg 不存在"):
            accounts.reset_password("a_jcg", "Another-Horse-9", actor="b_jcg")
        with pytest.raises(NotFound, match="检察院 331002 不存在"):
            accounts.managed_org("331002")
        assert {u["username"] for u in accounts.users()} == {"b_jcg", "b_sz"}
    with use_scope(_as(ws, "c_ld")):
        assert [r["target"] for r in AuditLog(ws).search(target="b-only")] == ["b-only"]


def test_background_jobs_are_seen_by_their_org_only():
    from shujian.security.scope import Scope
    from shujian.web.jobs import JobRegistry

    jobs = JobRegistry()
    a = Scope(username="a", org_id=2, orgs=frozenset({2}))
    b = Scope(username="b", org_id=3, orgs=frozenset({3}))
    city = Scope(username="c", org_id=1, orgs=frozenset({1, 2, 3}))
    with use_scope(a):
        job = jobs.start("run", "m", "a", lambda j: {})
        jobs.wait(job.id, timeout=10)
    with use_scope(b):
        assert jobs.list() == []
        with pytest.raises(NotFound) as exc:
            jobs.get(job.id)
        assert exc.value.message == f"后台任务 {job.id} 不存在"
    with use_scope(city):
        assert [j["job_id"] for j in jobs.list()] == [job.id]


def test_cli_user_list_follows_the_acting_users_org(world, capsys):
    ws, _ = world
    code, out, err = _cli(capsys, "user", "list", "--as", "b_jcg", "--format", "json")
    assert code == 0, err
    assert {u["username"] for u in json.loads(out)} == {"b_jcg", "b_sz"}
    code, out, err = _cli(capsys, "user", "list", "--format", "json")            # the local operator: everyone
    assert code == 0 and {"a_jcg", "b_jcg", "c_admin"} <= {u["username"] for u in json.loads(out)}
