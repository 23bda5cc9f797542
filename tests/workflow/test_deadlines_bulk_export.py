"""Deadlines, 督办, soft-then-rigid escalation with a controllable clock; bulk actions; xlsx export."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook
from tests.workflow.conftest import DISTRICT, make_clues

from shujian.clues.service import ClueFilter, ClueService
from shujian.workflow.export import export_xlsx
from shujian.workflow.service import PermissionDenied, TransitionRefused, WorkflowService


def _to_case(wf, cid, deadline=date(2026, 3, 20)):
    wf.transition(cid, "研判", "shi_shuzi")
    wf.transition(cid, "交办", "shi_zhixing", org=DISTRICT, assignee="jj_jcg", deadline=deadline)
    wf.transition(cid, "核查", "jj_jcg")
    wf.transition(cid, "成案", "jj_jcg", case_number=f"台椒检刑执监〔2026〕{cid}号")


def test_assignment_deadline_becomes_overdue(people, clock, pension_model):
    wf = WorkflowService(people, clock=clock)
    a, b = make_clues(people, pension_model, 2)
    for cid in (a, b):
        wf.transition(cid, "研判", "shi_shuzi")
    wf.transition(a, "交办", "shi_zhixing", org=DISTRICT, deadline=date(2026, 3, 10))
    wf.transition(b, "交办", "shi_zhixing", org=DISTRICT, deadline=date(2026, 4, 30))
    assert [d["clue_id"] for d in wf.due(within_days=7)] == []          # 2026-03-02: 8 days left
    clock.advance(days=5)
    due = wf.due(within_days=7)
    assert [(d["clue_id"], d["kind"], d["days_left"], d["overdue"]) for d in due] == [(a, "交办期限", 3, False)]
    clock.advance(days=5)                                              # 2026-03-12
    due = wf.due(within_days=0)
    assert [(d["clue_id"], d["overdue"], d["days_left"]) for d in due] == [(a, True, -2)]
    svc = ClueService(people)
    assert [c["clue_id"] for c in svc.list(overdue=True, today=clock().date())] == [a]
    assert [c["clue_id"] for c in svc.list(overdue=False, today=clock().date())] == [b]


def test_supervision_by_upper_org_only(people, clock, pension_model):
    wf = WorkflowService(people, clock=clock)
    cid = make_clues(people, pension_model, 1)[0]
    wf.transition(cid, "研判", "shi_shuzi")
    with pytest.raises(PermissionDenied, match="不在 台州市人民检察院 的下级院办理中"):
        wf.supervise(cid, "shi_lingdao", date(2026, 3, 25), "重点督办")
    wf.transition(cid, "交办", "shi_zhixing", org=DISTRICT, deadline=date(2026, 3, 31))
    with pytest.raises(PermissionDenied, match="不在 台州市椒江区人民检察院 的下级院办理中"):
        wf.supervise(cid, "jj_fzr", date(2026, 3, 25), "自己督办自己")
    st = wf.supervise(cid, "shi_lingdao", date(2026, 3, 25), "市院挂牌督办")
    assert st["supervised"]
    due = wf.due(within_days=0)
    assert [(d["kind"], d["note"]) for d in due] == [("督办", "台州市人民检察院")]
    assert [h["action"] for h in wf.history(cid)][-1] == "督办"


def test_soft_then_rigid_escalation(people, clock, pension_model):
    wf = WorkflowService(people, clock=clock)
    cid = make_clues(people, pension_model, 1)[0]
    _to_case(wf, cid)
    soft = wf.add_measure(cid, "jj_jcg", "移送整改", doc_number="台椒检移〔2026〕1号",
                          recipient="椒江区人社局", reply_deadline=date(2026, 3, 31))
    assert soft["intensity"] == "柔性"
    with pytest.raises(TransitionRefused, match="没有逾期未整改的柔性措施"):
        wf.escalate(cid, "jj_jcg", "检察建议", reason="过早")
    clock.advance(days=29)                                             # 2026-03-31: last day, not overdue
    assert wf.check_overdue() == []
    clock.advance(days=1)                                              # 2026-04-01
    flagged = wf.check_overdue()
    assert [(f["measure_id"], f["escalation"]) for f in flagged] == [(soft["measure_id"], "建议刚性")]
    assert wf.check_overdue() == []                                    # flagged once
    assert wf.state(cid)["escalation"] == "建议刚性"
    kinds = {d["kind"] for d in wf.due(within_days=0)}
    assert kinds == {"回复期限", "建议刚性监督"}
    st = wf.escalate(cid, "jj_jcg", "检察建议", reason="逾期未整改，依法发出检察建议", doc_number="台椒检建〔2026〕9号")
    assert st["escalation"] == "已刚性"
    ms = wf.measures(cid)
    assert [(m["kind"], m["intensity"], m["reply_deadline"]) for m in ms] == [
        ("移送整改", "柔性", "2026-03-31"), ("检察建议", "正式", "2026-06-01")]
    actions = [h["action"] for h in wf.history(cid)]
    assert actions[-2:] == ["逾期", "刚性监督"]
    assert wf.history(cid)[-2]["actor"] == "系统"


def test_unanswered_suggestion_past_its_deadline_proposes_rigid_supervision(people, clock, pension_model):
    wf = WorkflowService(people, clock=clock)
    answered, silent = make_clues(people, pension_model, 2)
    for cid in (answered, silent):
        _to_case(wf, cid)
    m1 = wf.add_measure(answered, "jj_jcg", "检察建议", doc_number="台椒检建〔2026〕1号")
    m2 = wf.add_measure(silent, "jj_jcg", "检察建议", doc_number="台椒检建〔2026〕2号")
    assert m2["reply_deadline"] == "2026-05-02"                          # two months
    wf.record_reply(m1["measure_id"], "jj_jcg", replied_on=date(2026, 4, 20), reply="已整改", rectified=True)
    clock.advance(days=62)                                             # 2026-05-03: one day late
    flagged = wf.check_overdue()
    assert [(f["measure_id"], f["escalation"]) for f in flagged] == [(m2["measure_id"], "建议刚性")]
    assert wf.state(answered)["escalation"] is None
    assert ("建议刚性监督", silent) in {(d["kind"], d["clue_id"]) for d in wf.due(within_days=0)}
    st = wf.escalate(silent, "jj_jcg", "提请上级院监督", reason="检察建议逾期未回复")
    assert st["escalation"] == "已刚性" and wf.measures(silent)[-1]["intensity"] == "刚性"


def test_rectified_soft_measure_is_not_escalated(people, clock, pension_model):
    wf = WorkflowService(people, clock=clock)
    cid = make_clues(people, pension_model, 1)[0]
    _to_case(wf, cid)
    soft = wf.add_measure(cid, "jj_jcg", "通报", reply_deadline=date(2026, 3, 15))
    wf.record_reply(soft["measure_id"], "jj_jcg", replied_on=date(2026, 3, 10), reply="已整改", rectified=True)
    clock.advance(days=60)
    assert wf.check_overdue() == []
    assert wf.state(cid)["escalation"] is None


def test_bulk_is_all_or_nothing_unless_partial(people, clock, pension_model):
    wf = WorkflowService(people, clock=clock)
    ids = make_clues(people, pension_model, 4)
    wf.transition(ids[0], "排除", "shi_shuzi", exclusion_type="重复")
    with pytest.raises(TransitionRefused) as exc:
        wf.bulk(ids, "研判", "shi_shuzi")
    assert f"线索 {ids[0]}" in exc.value.message and "1 条" in exc.value.message
    assert [wf.state(i)["state"] for i in ids] == ["排除", "生成", "生成", "生成"]
    out = wf.bulk(ids, "研判", "shi_shuzi", atomic=False)
    assert out["done"] == ids[1:] and [r["clue_id"] for r in out["refused"]] == [ids[0]]
    out = wf.bulk(ids[1:], "交办", "shi_zhixing", org=DISTRICT, department="刑事执行检察部", assignee="jj_jcg",
                  deadline=date(2026, 4, 15))
    assert out["done"] == ids[1:]
    assert [c["clue_id"] for c in ClueService(people).list(org=DISTRICT)] == ids[1:]
    assert ClueService(people).list(org="3310", assignee="jj_jcg")[0]["clue_id"] == ids[1]
    assert ClueService(people).list(org="331003") == []


def test_export_filtered_masked_xlsx(people, clock, pension_model, tmp_path):
    wf = WorkflowService(people, clock=clock)
    ids = make_clues(people, pension_model, 3)
    wf.transition(ids[0], "排除", "shi_shuzi", exclusion_type="数据错误")
    wf.transition(ids[1], "研判", "shi_shuzi")
    wf.transition(ids[1], "交办", "shi_zhixing", org=DISTRICT, assignee="jj_jcg", deadline=date(2026, 3, 5))
    clock.advance(days=10)
    path = tmp_path / "线索.xlsx"
    n = export_xlsx(people, path, ClueFilter(state="交办,排除", today=clock().date()))
    assert n == 2
    sheet = load_workbook(path).active
    assert [c.value for c in sheet[1]][:7] == ["线索编号", "模型", "规则", "对象", "姓名/名称", "摘要", "状态"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert [r[0] for r in rows] == ids[:2]
    assert rows[0][6] == "排除" and rows[0][13] == "数据错误" and rows[0][11] == "否"
    assert rows[1][6] == "交办" and rows[1][7] == "台州市椒江区人民检察院" and rows[1][9] == "李检察官"
    assert rows[1][11] == "是"                                            # deadline 03-05 passed on 03-12
    assert rows[1][3] == "331002********0001" and rows[1][4] == "某*"      # masked like the list view
    export_xlsx(people, path, ClueFilter(state="交办"), unmask=True)
    rows = [[c.value for c in r] for r in load_workbook(path).active.iter_rows(min_row=2)]
    assert rows[0][3] == "331002199001010001"
