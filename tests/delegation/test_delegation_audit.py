"""委托研判 changes commit with their audit record (issue 14, finding 11): every step — 提交, 受理, 关联,
反馈 with its clue package, 办结, 退回 — writes one ``delegation`` record in the change's transaction, from
the CLI as from the web; when the record cannot be written the change does not land either.  Before,
only web requests were recorded, after the change, by the middleware."""

from __future__ import annotations

from datetime import date

import pytest
from tests.security.test_audit_paths import audit_refused, chain_ok, records
from tests.workflow.conftest import make_clues

from shujian.db.models import AnalysisRequest, Clue, Run
from shujian.delegation.service import DelegationService
from shujian.errors import ShujianError


def _accepted_with_clues(ws, clock, pension_model) -> tuple[DelegationService, int, list[int]]:
    """A request submitted by 椒江, accepted by the 市院 数字办, with two clues of one run to package."""
    dl = DelegationService(ws, clock=clock)
    rid = dl.submit("jj_jcg", "在押人员是否仍领取养老金", deadline=date(2026, 3, 20))["request_id"]
    dl.accept(rid, "shi_shuzi")
    return dl, rid, make_clues(ws, pension_model, 2)


def _link_run(ws, dl: DelegationService, rid: int) -> None:
    with ws.db.unit_of_work() as s:
        run_id = s.query(Run.id).scalar()
    dl.link(rid, "shi_shuzi", run_ids=[run_id])


def test_every_step_writes_one_record_with_the_change(people, clock, pension_model):
    ws = people
    dl, rid, ids = _accepted_with_clues(ws, clock, pension_model)
    _link_run(ws, dl, rid)
    dl.deliver(rid, "shi_shuzi", note="两条")
    dl.close(rid, "jj_jcg")
    got = sorted(records(ws, "delegation"), key=lambda r: r["id"])
    assert [(r["actor"], r["detail"]["to"]) for r in got] == [
        ("jj_jcg", "已提交"), ("shi_shuzi", "已受理"), ("shi_shuzi", "已受理"), ("shi_shuzi", "已反馈"),
        ("jj_jcg", "已办结")]
    assert {r["target"] for r in got} == {f"delegation:{rid}"}
    assert sorted(got[3]["detail"]["clues"]) == sorted(ids)            # the package is in the record
    chain_ok(ws)


def test_a_refused_record_leaves_the_request_and_its_clues_unchanged(people, clock, pension_model):
    ws = people
    dl, rid, ids = _accepted_with_clues(ws, clock, pension_model)
    with ws.db.unit_of_work() as s:
        orgs_before = {c.id: c.org_id for c in s.query(Clue)}
    _link_run(ws, dl, rid)
    before = len(records(ws, "delegation"))
    with audit_refused(ws), pytest.raises(ShujianError):
        dl.deliver(rid, "shi_shuzi")
    with ws.db.unit_of_work() as s:
        req = s.get(AnalysisRequest, rid)
        assert (req.state, req.clue_ids or []) == ("已受理", [])
        assert {c.id: c.org_id for c in s.query(Clue)} == orgs_before      # no clue moved
    assert len(records(ws, "delegation")) == before
    assert dl.deliver(rid, "shi_shuzi")["clue_ids"] == sorted(ids)       # with the head back it lands
    assert len(records(ws, "delegation")) == before + 1
    chain_ok(ws)
