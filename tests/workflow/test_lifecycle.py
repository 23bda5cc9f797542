"""A real clue from a model run worked from 生成 to 办结, and every refused transition."""

from __future__ import annotations

from datetime import date

import pytest
from tests.workflow.conftest import DISTRICT, make_clues

from shujian.clues.service import ClueService
from shujian.errors import NotFound
from shujian.runs.service import RunService
from shujian.workflow.rules import STATES, TRANSITIONS
from shujian.workflow.service import PermissionDenied, TransitionRefused, WorkflowService


def _ids(ws) -> list[int]:
    return [c["clue_id"] for c in ClueService(ws).list()]


def test_whole_lifecycle_to_closed(world, clock):
    ws = world
    wf = WorkflowService(ws, clock=clock)
    cid = _ids(ws)[0]
    wf.transition(cid, "研判", "shi_shuzi", reason="命中在押期间发放")
    st = wf.transition(cid, "交办", "shi_zhixing", org=DISTRICT, department="刑事执行检察部",
                       assignee="jj_jcg", deadline=date(2026, 3, 31))
    assert (st["state"], st["assignee"], st["deadline"]) == ("交办", "jj_jcg", "2026-03-31")
    assert st["org"] == "台州市椒江区人民检察院"
    wf.transition(cid, "核查", "jj_jcg")
    wf.comment(cid, "jj_jcg", "已调取社保发放明细", attachments=["发放明细.pdf"])
    st = wf.transition(cid, "成案", "jj_jcg", case_number="台椒检刑执监〔2026〕1号")
    assert st["case_number"] == "台椒检刑执监〔2026〕1号"
    m = wf.add_measure(cid, "jj_jcg", "检察建议", doc_number="台椒检建〔2026〕3号", recipient="台州市椒江区人力资源和社会保障局")
    assert m["reply_deadline"] == "2026-05-02"          # two months from issue (clock date 2026-03-02)
    assert wf.state(cid)["state"] == "监督措施"
    wf.transition(cid, "跟踪", "jj_jcg")
    with pytest.raises(TransitionRefused, match="还有监督措施未回复：检察建议（台椒检建〔2026〕3号）"):
        wf.transition(cid, "办结", "jj_fzr")
    clock.advance(days=30)
    wf.record_reply(m["measure_id"], "jj_jcg", replied_on=clock().date(), reply="已停发并追回", adopted=True,
                    rectified=True, money_recovered=12000, people_affected=1, governance=["会签机制"])
    st = wf.transition(cid, "办结", "jj_fzr", reason="追回到位")
    assert st["state"] == "办结"
    hist = wf.history(cid)
    steps = [(h["from"], h["to"]) for h in hist if h["to"]]
    assert steps == [("生成", "研判"), ("研判", "交办"), ("交办", "核查"), ("核查", "成案"),
                     ("成案", "监督措施"), ("监督措施", "跟踪"), ("跟踪", "办结")]
    assert {h["action"] for h in hist} >= {"评论", "回复"}
    comment = next(h for h in hist if h["action"] == "评论")
    assert comment["attachments"] == ["发放明细.pdf"] and comment["actor"] == "jj_jcg"
    assert hist[0]["at"].startswith("2026-03-02") and hist[-1]["at"].startswith("2026-04-01")
    measure = wf.measures(cid)[0]
    assert measure["replied_on_time"] is True and measure["money_recovered"] == 12000


def test_exclusion_needs_type_and_suppresses_on_rerun(world, clock, pension_model):
    ws = world
    wf = WorkflowService(ws, clock=clock)
    cid = _ids(ws)[0]
    with pytest.raises(TransitionRefused) as exc:
        wf.transition(cid, "排除", "shi_shuzi")
    assert f"线索 {cid}" in exc.value.message and "误报类型" in exc.value.message
    assert "数据错误" in exc.value.hint and "证据不足" in exc.value.hint
    with pytest.raises(TransitionRefused, match="“猜测”无效"):
        wf.transition(cid, "排除", "shi_shuzi", exclusion_type="猜测")
    st = wf.transition(cid, "排除", "shi_shuzi", exclusion_type="法定例外", reason="监外执行，依法可领")
    assert st["suppressed"] and st["exclusion_type"] == "法定例外"
    result = RunService(ws, clock=clock).run(pension_model)
    assert result.clues_new == 0
    assert wf.state(cid)["state"] == "排除"            # not raised again: facts unchanged
    with pytest.raises(TransitionRefused, match="理由"):
        wf.transition(cid, "重新打开", "shi_zhixing")
    st = wf.transition(cid, "重新打开", "shi_zhixing", reason="复核发现系误排")
    assert st["state"] == "研判" and not st["suppressed"] and st["exclusion_type"] is None


def test_impossible_transition_names_clue_state_and_allowed(people, clock, pension_model):
    wf = WorkflowService(people, clock=clock)
    cid = make_clues(people, pension_model, 1)[0]
    with pytest.raises(TransitionRefused) as exc:
        wf.transition(cid, "成案", "shi_lingdao", case_number="X")
    msg = exc.value.message
    assert f"线索 {cid}" in msg and "“生成”" in msg and "“成案”" in msg
    assert exc.value.hint == "从“生成”可执行：研判（→研判）、排除（→排除）"
    with pytest.raises(TransitionRefused, match="不能执行“飞升”"):
        wf.transition(cid, "飞升", "shi_lingdao")


def test_wrong_role_and_wrong_org_are_refused(people, clock, pension_model):
    wf = WorkflowService(people, clock=clock)
    cid = make_clues(people, pension_model, 1)[0]
    with pytest.raises(NotFound) as exc:      # no pool role: the pool is out of sight before any role question
        wf.transition(cid, "研判", "admin")
    assert exc.value.message == f"线索 {cid} 不存在"
    with pytest.raises(NotFound):             # a 检察官 does not see the unassigned pool: as if missing
        wf.transition(cid, "研判", "jj_jcg")
    wf.transition(cid, "研判", "jj_fzr")
    with pytest.raises(NotFound):             # still in the pool after 研判: a 检察官 does not see it
        wf.transition(cid, "交办", "jj_jcg", org=DISTRICT, deadline=date(2026, 4, 1))
    with pytest.raises(PermissionDenied, match="不能把线索 .*交办给 台州市人民检察院"):
        wf.transition(cid, "交办", "jj_fzr", org="3310", deadline=date(2026, 4, 1))
    with pytest.raises(TransitionRefused, match="承办院和办理期限"):
        wf.transition(cid, "交办", "shi_zhixing", org=DISTRICT)
    with pytest.raises(TransitionRefused, match="不属于 台州市椒江区人民检察院"):
        wf.transition(cid, "交办", "shi_zhixing", org=DISTRICT, assignee="hy_jcg", deadline=date(2026, 4, 1))
    with pytest.raises(TransitionRefused, match="早于今天"):
        wf.transition(cid, "交办", "shi_zhixing", org=DISTRICT, deadline=date(2026, 1, 1))
    wf.transition(cid, "交办", "shi_zhixing", org=DISTRICT, deadline=date(2026, 4, 1))
    with pytest.raises(NotFound) as exc:              # a sibling district: as if missing, the holder unnamed
        wf.transition(cid, "核查", "hy_jcg")
    assert exc.value.message == f"线索 {cid} 不存在" and "椒江" not in str(exc.value.to_dict())
    with pytest.raises(PermissionDenied) as exc:      # the holding org's admin sees it, but has no role for it
        wf.transition(cid, "核查", "admin")
    assert "无权对线索" in exc.value.message and "执行“核查”" in exc.value.message and "系统管理员" in exc.value.message
    assert "检察官" in exc.value.hint
    wf.transition(cid, "核查", "jj_jcg")
    with pytest.raises(TransitionRefused, match="成案时必须录入.*案号"):
        wf.transition(cid, "成案", "jj_jcg", case_number="  ")
    with pytest.raises(TransitionRefused, match="退回.*理由"):
        wf.transition(cid, "退回", "jj_jcg")
    assert wf.transition(cid, "退回", "jj_jcg", reason="需补充发放明细")["state"] == "交办"


def test_closing_needs_a_decider(people, clock, pension_model):
    wf = WorkflowService(people, clock=clock)
    cid = make_clues(people, pension_model, 1)[0]
    wf.transition(cid, "研判", "shi_shuzi")
    wf.transition(cid, "交办", "shi_zhixing", org=DISTRICT, deadline=date(2026, 4, 1))
    wf.transition(cid, "核查", "jj_jcg")
    wf.transition(cid, "成案", "jj_jcg", case_number="台椒检刑执监〔2026〕2号")
    m = wf.add_measure(cid, "jj_jcg", "纠正违法通知书", doc_number="台椒检纠〔2026〕1号")
    wf.record_reply(m["measure_id"], "jj_jcg", replied_on=date(2026, 3, 20), adopted=True)
    with pytest.raises(PermissionDenied, match="执行“办结”"):
        wf.transition(cid, "办结", "jj_jcg")
    assert wf.transition(cid, "办结", "jj_fzr")["state"] == "办结"
    assert wf.transition(cid, "重新打开", "shi_lingdao", reason="回复不实")["state"] == "跟踪"


def test_transition_table_is_consistent():
    for t in TRANSITIONS:
        assert t.source in STATES and t.target in STATES and t.roles
    reachable = {"生成"} | {t.target for t in TRANSITIONS}
    assert reachable == set(STATES)


def test_every_transition_outside_the_table_is_refused(people, clock, pension_model):
    """All (state, action) pairs not in TRANSITIONS are refused, naming the clue, its state and the options."""
    from shujian.db.models import Clue
    from shujian.workflow.rules import allowed_text, find_transition

    wf = WorkflowService(people, clock=clock)
    cid = make_clues(people, pension_model, 1)[0]
    actions = sorted({t.action for t in TRANSITIONS})
    refused = 0
    for state in STATES:
        with people.db.unit_of_work() as s:
            s.get(Clue, cid).state = state
        for action in actions:
            if find_transition(state, action) is not None:
                continue
            with pytest.raises(TransitionRefused) as exc:
                wf.transition(cid, action, "shi_lingdao", reason="x", exclusion_type="其他", case_number="1")
            assert exc.value.message.startswith(f"线索 {cid}（")
            assert f"当前状态为“{state}”，不能执行“{action}”" in exc.value.message
            assert exc.value.hint == f"从“{state}”可执行：{allowed_text(state)}"
            refused += 1
    assert refused == len(STATES) * len(actions) - len(TRANSITIONS)
    assert wf.history(cid) == []                       # nothing was recorded
