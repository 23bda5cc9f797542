"""排除 by 误报类型 counts each excluded clue once, by its latest 排除 event, in that event's period — also when
the clue was excluded before, reopened and excluded again (the count is driven by the period's 排除 events)."""

from __future__ import annotations

from tests.workflow.conftest import make_clues

from shujian.stats.service import StatsService
from shujian.workflow.service import WorkflowService


def _excluded(ws, period: str) -> dict:
    row = next(r for r in StatsService(ws).ledger("model", period) if r["key"] == "pension-during-custody")
    return {k: v for k, v in row.items() if k.startswith("excluded") and v}


def test_a_clue_excluded_again_counts_once_by_its_latest_exclusion(people, clock, pension_model):
    ws = people
    a = make_clues(ws, pension_model, 3)
    wf = WorkflowService(ws, clock=clock)                       # 2026-03-02
    wf.transition(a[0], "排除", "shi_shuzi", exclusion_type="重复")
    wf.transition(a[0], "重新打开", "shi_zhixing", reason="并非重复")
    wf.transition(a[1], "排除", "shi_shuzi", exclusion_type="法定例外")
    clock.advance(days=61)                                      # 2026-05-02
    wf.transition(a[0], "排除", "shi_shuzi", exclusion_type="数据错误")
    wf.transition(a[2], "排除", "shi_shuzi", exclusion_type="重复")
    wf.transition(a[2], "重新打开", "shi_zhixing", reason="并非重复")   # reopened: not excluded any more
    assert _excluded(ws, "2026-03") == {"excluded": 1, "excluded_法定例外": 1}
    assert _excluded(ws, "2026-05") == {"excluded": 1, "excluded_数据错误": 1}
    assert _excluded(ws, "2026") == {"excluded": 2, "excluded_法定例外": 1, "excluded_数据错误": 1}
