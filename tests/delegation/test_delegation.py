"""委托研判: request → accept → link runs → clue package into the normal workflow → close."""

from __future__ import annotations

from datetime import date

import pytest
from tests.workflow.conftest import make_clues

from shujian.db.models import Run
from shujian.delegation.service import DelegationService
from shujian.errors import InputError
from shujian.workflow.service import PermissionDenied, TransitionRefused, WorkflowService


def test_request_answered_with_clue_package(people, clock, pension_model):
    ws = people
    dl = DelegationService(ws, clock=clock)
    with pytest.raises(InputError, match="早于今天"):
        dl.submit("jj_jcg", "在押人员是否仍领养老金", deadline=date(2026, 1, 1))
    req = dl.submit("jj_jcg", "辖区在押人员是否仍在领取养老金", rule_text="入所后仍有发放记录",
                    data_needed="监所在押人员、养老金发放", deadline=date(2026, 3, 20))
    rid = req["request_id"]
    assert req["state"] == "已提交" and req["org"] == "台州市椒江区人民检察院"
    with pytest.raises(PermissionDenied, match="不是数字办"):
        dl.accept(rid, "shi_zhixing")
    with pytest.raises(TransitionRefused, match="只能在“已受理”时关联"):
        dl.link(rid, "shi_shuzi", model_ids=["pension-during-custody"])
    dl.accept(rid, "shi_shuzi")
    ids = make_clues(ws, pension_model, 3)
    with ws.db.unit_of_work() as s:
        run_id = s.query(Run.id).scalar()
    with pytest.raises(TransitionRefused, match="线索包为空"):
        dl.deliver(rid, "shi_shuzi")
    linked = dl.link(rid, "shi_shuzi", run_ids=[run_id])
    assert linked["model_ids"] == ["pension-during-custody"] and linked["run_ids"] == [run_id]
    WorkflowService(ws, clock=clock).transition(ids[2], "排除", "shi_shuzi", exclusion_type="重复")
    out = dl.deliver(rid, "shi_shuzi", note="3 条命中，1 条此前已排除")
    assert out["state"] == "已反馈" and out["clue_ids"] == ids[:2]       # excluded clue not re-sent
    wf = WorkflowService(ws, clock=clock)
    st = wf.state(ids[0])
    assert (st["org"], st["assignee"], st["state"]) == ("台州市椒江区人民检察院", "jj_jcg", "生成")
    assert wf.history(ids[0])[-1]["action"] == "委托研判反馈"
    assert wf.transition(ids[0], "研判", "jj_jcg")["state"] == "研判"   # the normal workflow takes over
    with pytest.raises(PermissionDenied, match="只有委托人"):
        dl.close(rid, "shi_shuzi")
    done = dl.close(rid, "jj_jcg")
    assert [h["to"] for h in done["history"]] == ["已提交", "已受理", "已受理", "已反馈", "已办结"]


def test_overdue_requests_and_rejection(people, clock):
    dl = DelegationService(people, clock=clock)
    a = dl.submit("jj_jcg", "问题一", deadline=date(2026, 3, 5))["request_id"]
    b = dl.submit("jj_jcg", "问题二", deadline=date(2026, 3, 30))["request_id"]
    clock.advance(days=5)
    assert [r["request_id"] for r in dl.list(overdue=True)] == [a]
    with pytest.raises(InputError, match="理由"):
        dl.reject(b, "shi_shuzi", " ")
    assert dl.reject(a, "shi_shuzi", "数据无法取得")["state"] == "已退回"
    assert dl.list(overdue=True) == []
    with pytest.raises(TransitionRefused, match="当前状态为“已退回”，不能“受理”"):
        dl.accept(a, "shi_shuzi")
