"""The demo walk: deterministic outcomes that the ledger can count, planted clues mostly become cases."""

from __future__ import annotations

from datetime import date

from tests.workflow.conftest import make_clues

from shujian.stats.service import StatsService
from shujian.workflow.demo import _money, walk_demo_clues


def _truth(model, n: int) -> dict:
    return {model.id: [{"subject": f"3310021990010100{i:02d}", "rule": "R1"} for i in range(n)]}


def test_walk_is_deterministic_and_counted(ws, pension_model):
    make_clues(ws, pension_model, 24)
    truth = _truth(pension_model, 18)                    # 6 clues are false positives
    report = walk_demo_clues(ws, truth, seed=7, start=date(2026, 1, 5))
    states = report.counts
    assert report.clues == 24 and sum(states.values()) == 24
    assert states["排除"] >= 6                            # every false positive is excluded
    assert states.get("办结", 0) + states.get("跟踪", 0) + states.get("监督措施", 0) > 0
    assert report.money_recovered > 0
    row = StatsService(ws).ledger("model", "2026")[0]
    assert row["excluded"] == states["排除"]
    assert row["cases"] == sum(states.get(k, 0) for k in ("成案", "监督措施", "跟踪", "办结"))
    assert row["money_recovered"] == round(report.money_recovered, 2)
    assert states.get("生成", 0) == row["generated"] - row["judged"] > 0
    again = walk_demo_clues(ws, truth, seed=7, start=date(2026, 1, 5))      # a re-run leaves them as they were
    assert again.counts == {"生成": states["生成"]}


def test_money_from_facts():
    assert _money({"次数": 3, "金额合计": 10262.67}) == 10262.67
    assert _money({"统筹支付合计": 632.66}) == 632.66
    assert _money({"contract": 51000000, "term": 3}) == 0.0


def test_demo_timeline_never_precedes_the_clue(ws, pension_model):
    """The demo's runs are dated on the city's day, so no 研判/成案 is dated before its clue was found."""
    from shujian.db.models import Clue, ClueEvent, Run
    from shujian.demo.pipeline import date_demo_runs

    make_clues(ws, pension_model, 12)
    date_demo_runs(ws, date(2026, 1, 1))
    walk_demo_clues(ws, _truth(pension_model, 10), seed=3, start=date(2026, 1, 5))
    with ws.db.unit_of_work() as s:
        found = {c.id: c.first_seen.replace(tzinfo=None) for c in s.query(Clue)}
        assert {d.date() for d in found.values()} == {date(2026, 1, 1)}
        events = [(e.clue_id, e.at.replace(tzinfo=None)) for e in s.query(ClueEvent)]
        assert events and all(at >= found[cid] for cid, at in events)
        assert all(r.started_at.date() == date(2026, 1, 1) for r in s.query(Run))
