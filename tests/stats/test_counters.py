"""The 一本账 counters (clue_counts, kept by triggers) equal a recount of the clues after every kind of
write — runs, re-runs, transitions, bulk transitions, 排除, reopen — and after a rolled-back
transaction; the ledger read from them equals a count over the clues, within the reader's org scope."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import pytest
from sqlalchemy import func, text
from tests.workflow.conftest import CITY, DISTRICT, OTHER, make_clues

from shujian.clues.service import ClueService
from shujian.clues.store import ClueCandidate, ClueWriter
from shujian.db.models import Clue, ClueCount, ClueEvent, Org, Run
from shujian.errors import InputError
from shujian.security.access import restrict
from shujian.security.scope import scope_for, use_scope
from shujian.stats.service import StatsService, check_counters, metric_clues, parse_period
from shujian.workflow.service import WorkflowService


def counters(ws) -> Counter:
    """The stored counters, zero rows left out."""
    with ws.db.unit_of_work() as s:
        rows = s.query(ClueCount.grain, ClueCount.day, ClueCount.model_id, ClueCount.org_id, ClueCount.run_id,
                       ClueCount.state, ClueCount.n).filter(ClueCount.n != 0)
        return Counter({tuple(r[:-1]): r[-1] for r in rows})


def recount(ws) -> Counter:
    """The counters as they should be, counted clue by clue in Python."""
    out: Counter = Counter()
    with ws.db.unit_of_work() as s:
        for model_id, org_id, run_id, state, seen in s.query(Clue.model_id, Clue.org_id, Clue.first_run_id,
                                                              Clue.state, Clue.first_seen):
            key = (model_id, org_id or 0, run_id if org_id is None else 0, state)
            out[("d", seen.date(), *key)] += 1
            out[("m", seen.date().replace(day=1), *key)] += 1
        ever = {(cid, action) for cid, action, at in s.query(ClueEvent.clue_id, ClueEvent.action, ClueEvent.at)
                if action in ("研判", "交办", "成案") and at is not None}
        for cid, action in ever:         # 研判/交办/成案 ever (migration 0017)
            c = s.get(Clue, cid)
            out[("e", date(1900, 1, 1), c.model_id, c.org_id or 0, c.first_run_id if c.org_id is None else 0,
                 action)] += 1
    return out


def assert_counted(ws) -> None:
    assert counters(ws) == recount(ws)
    assert check_counters(ws) == []
    counts = StatsService(ws).counts([None])          # all time: 研判/交办/成案 from the grain-e counters
    for metric in ("judged", "assigned", "cases"):
        with ws.db.unit_of_work() as s:
            q = restrict(s.query(Clue.model_id, Clue.org_id, func.count(Clue.id)), Clue)
            want = {(m, o): n for m, o, n in q.filter(metric_clues(metric, None)).group_by(Clue.model_id, Clue.org_id)}
        assert {k: int(v[metric]) for k, v in counts.groups[0].items() if v[metric]} == want, metric


def _spread(ws, days: dict[int, str]) -> None:
    """Move clues' first-seen time (hand-written SQL: the triggers follow it too)."""
    with ws.db.engine.begin() as conn:
        for cid, at in days.items():
            conn.execute(text("UPDATE clues SET first_seen = :t WHERE id = :i"),
                         {"t": datetime.fromisoformat(at + "T10:00:00+00:00"), "i": cid})


def test_runs_and_reruns(people, pension_model):
    ws = people
    assert counters(ws) == Counter()
    first = make_clues(ws, pension_model, 4)
    assert_counted(ws)
    assert sum(counters(ws).values()) == 8                        # 4 clues × (day, month)
    again = make_clues(ws, pension_model, 6)                        # re-run: 4 refreshed, 2 new
    assert again[:4] == first
    assert_counted(ws)
    assert sum(n for k, n in counters(ws).items() if k[0] == "m") == 6


def test_transitions_bulk_exclude_and_reopen(people, clock, pension_model):
    ws = people
    ids = make_clues(ws, pension_model, 6)
    wf = WorkflowService(ws, clock=clock)
    wf.transition(ids[0], "研判", "shi_shuzi")
    wf.transition(ids[0], "交办", "shi_zhixing", org=DISTRICT, deadline=date(2026, 6, 30))   # org and state change
    assert_counted(ws)
    wf.bulk(ids[1:4], "研判", "shi_shuzi")
    wf.bulk(ids[1:3], "交办", "shi_zhixing", org=OTHER, deadline=date(2026, 6, 30))
    assert_counted(ws)
    wf.transition(ids[3], "排除", "shi_shuzi", exclusion_type="数据错误")
    ClueService(ws).exclude(ids[4], "重复数据")                       # the local operator's 排除
    assert_counted(ws)
    wf.transition(ids[3], "重新打开", "shi_zhixing", reason="并非误报")
    assert_counted(ws)
    # the clue store reopens an excluded clue whose facts changed (排除 → 生成)
    with ws.db.unit_of_work() as s:
        run = Run(model_id=pension_model.id, model_version_id=s.query(Run).first().model_version_id,
                  model_hash="x", status="succeeded")
        s.add(run)
        s.flush()
        ClueWriter(s, run.id).add([ClueCandidate(pension_model.id, "R1", "person", "331002199001010004", "某4",
                                                 "改了", {"months": 99}, "检察建议", [])])
    with ws.db.unit_of_work() as s:
        assert s.get(Clue, ids[4]).state == "生成"
    assert_counted(ws)
    _spread(ws, {ids[0]: "2025-12-31", ids[1]: "2026-01-01"})
    with ws.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM clues WHERE id = :i"), {"i": ids[5]})
    assert_counted(ws)


def test_rolled_back_transactions_leave_counters_unchanged(people, clock, pension_model):
    ws = people
    ids = make_clues(ws, pension_model, 3)
    wf = WorkflowService(ws, clock=clock)
    wf.transition(ids[0], "研判", "shi_shuzi")
    before = counters(ws)
    with pytest.raises(InputError):              # atomic bulk: ids[1], ids[2] cannot 交办 from 生成 → nothing moves
        wf.bulk(ids, "交办", "shi_zhixing", org=DISTRICT, deadline=date(2026, 6, 30))
    assert counters(ws) == before
    with pytest.raises(RuntimeError), ws.db.unit_of_work() as s:       # a run that fails while storing
        run = Run(model_id=pension_model.id, model_version_id=s.query(Run).first().model_version_id,
                  model_hash="x", status="running")
        s.add(run)
        s.flush()
        ClueWriter(s, run.id).add([ClueCandidate(pension_model.id, "R2", "person", f"P{i}", None, "t", {}, None, [])
                                   for i in range(50)])
        raise RuntimeError("engine died")
    assert counters(ws) == before
    assert_counted(ws)


def _ledger_by_clues(ws, period: str) -> dict:
    """生成 per (model, org) counted from the clues themselves, through the access layer."""
    p = parse_period(period)
    with ws.db.unit_of_work() as s:
        q = restrict(s.query(Clue.model_id, Clue.org_id, Clue.first_seen), Clue)
        out: Counter = Counter()
        for model_id, org_id, seen in q:
            out[(model_id, org_id)] += seen.date() in p
        return dict(out)


@pytest.mark.parametrize("period", [None, "2026", "2025-12..2026-01", "2025-12-31..2026-01-01", "2026-01-01",
                                    "2025-12-15..2026-03-10", "2026-02"])
def test_generated_equals_a_count_of_the_clues_and_skips_sibling_orgs(people, clock, pension_model, period):
    ws = people
    ids = make_clues(ws, pension_model, 8)
    wf = WorkflowService(ws, clock=clock)
    for cid, org in ((ids[0], DISTRICT), (ids[1], DISTRICT), (ids[2], OTHER), (ids[3], OTHER), (ids[4], CITY)):
        wf.transition(cid, "研判", "shi_shuzi")
        wf.transition(cid, "交办", "shi_zhixing", org=org, deadline=date(2026, 6, 30))
    _spread(ws, {ids[0]: "2025-12-31", ids[1]: "2026-01-01", ids[2]: "2026-01-01", ids[3]: "2026-02-28",
                 ids[4]: "2026-03-10", ids[5]: "2025-12-15", ids[6]: "2026-03-11"})
    readers = {"local operator": None}
    with ws.db.unit_of_work() as s:
        for name, username in (("district", "jj_jcg"), ("city", "shi_lingdao")):
            from shujian.orgs.service import find_user

            u = find_user(s, username)
            readers[name] = scope_for(s, u.username, u.org_id, u.roles)
        other_id = s.query(Org.id).filter(Org.code == OTHER).scalar()
    for name, scope in readers.items():
        with use_scope(scope):
            counts = StatsService(ws).counts([period])
            got = {k: int(v["generated"]) for k, v in counts.groups[0].items()}
            assert got == _ledger_by_clues(ws, period or ""), name
            if name == "district":      # 椒江 sees its own clues, never 黄岩's (a sibling) nor the pool
                assert other_id not in {org for _, org in got} and None not in {org for _, org in got}
                assert sum(got.values()) == sum(
                    1 for d in ("2025-12-31", "2026-01-01") if date.fromisoformat(d) in parse_period(period))


def test_clue_list_total_from_counters(people, clock, pension_model):
    ws = people
    ids = make_clues(ws, pension_model, 5)
    wf = WorkflowService(ws, clock=clock)
    wf.transition(ids[0], "研判", "shi_shuzi")
    wf.transition(ids[0], "交办", "shi_zhixing", org=DISTRICT, deadline=date(2026, 6, 30))
    wf.transition(ids[1], "研判", "shi_shuzi")
    from shujian.clues.service import ClueFilter

    svc = ClueService(ws)
    for f in (ClueFilter(), ClueFilter(state="研判"), ClueFilter(state="交办,研判"), ClueFilter(org=DISTRICT),
              ClueFilter(model_id=pension_model.id, state="生成"), ClueFilter(model_id="nope")):
        with ws.db.unit_of_work() as s:
            expected = f.apply(s, s.query(func.count(Clue.id)).select_from(Clue)).scalar()
        assert svc.total(f) == expected, f
    with ws.db.unit_of_work() as s:
        from shujian.orgs.service import find_user

        u = find_user(s, "jj_jcg")
        scope = scope_for(s, u.username, u.org_id, u.roles)
    with use_scope(scope):
        assert svc.total(ClueFilter()) == 1
