"""Runs are org-scoped (发起院), on SQLite and PostgreSQL: a sibling 区县院 gets "不存在" for another's run,
the 市院 above sees both, platform runs (no org) are visible to all; each run is an audit record."""

from __future__ import annotations

import pytest

from shujian.db.models import Run
from shujian.errors import NotFound
from shujian.orgs.service import OrgService
from shujian.runs.service import RunService
from shujian.security.audit import AuditLog
from shujian.security.scope import scope_for, use_scope

USERS = {"a_sz": "331002", "b_sz": "331003", "c_sz": "3310"}


def _scope(ws, username):
    u = OrgService(ws).get_user(username)
    with ws.db.unit_of_work() as s:
        return scope_for(s, username, u["org_id"], u["roles"])


@pytest.fixture
def orgs(city):
    svc = OrgService(city)
    svc.seed(["33"])
    for username, org in USERS.items():
        svc.add_user(username, username, org, ["数字办"])
    return {u: OrgService(city).get_user(u)["org_id"] for u in USERS}


def test_runs_belong_to_the_starting_users_org_and_siblings_do_not_see_them(city, orgs, pension_model):
    with use_scope(_scope(city, "a_sz")):
        mine = RunService(city).run(pension_model).run_id
    platform = RunService(city).run(pension_model).run_id            # a local operator: no org
    with city.db.unit_of_work() as s:
        assert s.get(Run, mine).org_id == orgs["a_sz"]
        assert s.get(Run, platform).org_id is None
    with use_scope(_scope(city, "b_sz")):
        svc = RunService(city)
        assert [r["run_id"] for r in svc.list_runs()] == [platform]
        for call in (lambda: svc.get_run(mine), lambda: svc.retry(mine)):
            with pytest.raises(NotFound) as exc:
                call()
            assert "不存在" in exc.value.message
        with pytest.raises(NotFound) as missing:
            svc.get_run(987654)
        assert exc.value.message.replace(str(mine), "N") == missing.value.message.replace("987654", "N")
    with use_scope(_scope(city, "a_sz")):
        assert [r["run_id"] for r in RunService(city).list_runs()] == [platform, mine]
        assert RunService(city).get_run(mine)["org_id"] == orgs["a_sz"]
    with use_scope(_scope(city, "c_sz")):                             # the 市院 above sees both
        assert {r["run_id"] for r in RunService(city).list_runs()} == {mine, platform}


def test_each_run_is_an_audit_record_naming_who_ran_it(city, orgs, pension_model):
    with use_scope(_scope(city, "a_sz")):
        run_id = RunService(city).run(pension_model).run_id
    rec = AuditLog(city).search(action="model.run")[0]
    assert rec["actor"] == "a_sz" and rec["org_id"] == orgs["a_sz"] and rec["target"] == f"run:{run_id}"
    assert rec["detail"]["status"] == "succeeded" and rec["detail"]["model_id"] == pension_model.id
    local = RunService(city).run(pension_model).run_id
    rec = AuditLog(city).search(action="model.run")[0]
    assert rec["target"] == f"run:{local}" and rec["actor"].startswith("本机:")
    assert AuditLog(city).verify()["ok"]


def test_a_local_run_of_a_model_adopted_by_one_org_belongs_to_that_org(city, orgs, pension_model):
    from shujian.db.models import GovModel, ModelAdoption

    with city.db.unit_of_work() as s:
        gov = GovModel(model_id=pension_model.id, number="M-1", name="测试", state="上架",
                       author_org_id=orgs["c_sz"])
        s.add(gov)
        s.flush()
        s.add(ModelAdoption(gov_model_id=gov.id, org_id=orgs["b_sz"], status="已采用"))
    run_id = RunService(city).run(pension_model).run_id
    with city.db.unit_of_work() as s:
        assert s.get(Run, run_id).org_id == orgs["b_sz"]


def test_a_sibling_run_cannot_be_linked_to_a_delegation(city, orgs, pension_model):
    from datetime import date

    from shujian.delegation.service import DelegationService

    with use_scope(_scope(city, "a_sz")):
        theirs = RunService(city).run(pension_model).run_id
    OrgService(city).add_user("b_jcg", "b_jcg", "331003", ["检察官"])
    svc = DelegationService(city)
    req = svc.submit("b_jcg", "在押人员是否领取养老金", deadline=date(2099, 1, 1))["request_id"]
    svc.accept(req, "b_sz")
    with use_scope(_scope(city, "b_sz")):
        with pytest.raises(NotFound) as exc:
            svc.link(req, "b_sz", run_ids=[theirs])
        assert f"运行记录 {theirs} 不存在" in exc.value.message
    with use_scope(_scope(city, "c_sz")):                             # the 市院 above may link it
        assert svc.link(req, "c_sz", run_ids=[theirs])["run_ids"] == [theirs]
