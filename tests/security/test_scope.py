"""Org scope in the query layer, on SQLite and PostgreSQL: a 区县院 sees its own records, never a
sibling's (asking by id gives NOT FOUND); the 市院 above sees both."""

from __future__ import annotations

import pytest

from shujian.catalog.service import CatalogService
from shujian.clues.service import ClueFilter, ClueService
from shujian.delegation.service import DelegationService
from shujian.errors import NotFound
from shujian.orgs.service import OrgService
from shujian.security.scope import scope_for, use_scope
from shujian.stats.service import StatsService
from shujian.workflow.service import WorkflowService

from .conftest import A_DATASET, seed


def scope_of(ws, username):
    u = OrgService(ws).get_user(username)
    with ws.db.unit_of_work() as s:
        return scope_for(s, username, u["org_id"], u["roles"])


def test_sibling_org_sees_nothing_of_the_other(ws):
    ids = seed(ws, passwords=())
    clues, catalog, wf = ClueService(ws), CatalogService(ws), WorkflowService(ws)
    with use_scope(scope_of(ws, "a_jcg")):
        assert clues.ids(ClueFilter()) == [ids["a"]]
        assert clues.count() == 1
        assert clues.get(ids["a"])["clue_id"] == ids["a"]
        assert {d["name"] for d in catalog.list_datasets()} == {A_DATASET, "养老金发放"}
        ledger = StatsService(ws).ledger("model")
        assert sum(r["generated"] for r in ledger) == 1
    with use_scope(scope_of(ws, "b_jcg")):
        assert clues.ids(ClueFilter()) == [ids["b"]]
        for call in (lambda: clues.get(ids["a"]), lambda: wf.history(ids["a"]), lambda: wf.state(ids["a"]),
                     lambda: wf.measures(ids["a"]), lambda: wf.comment(ids["a"], "b_jcg", "看看"),
                     lambda: wf.transition(ids["a"], "研判", "b_jcg", reason="越权"),
                     lambda: catalog.describe(A_DATASET), lambda: catalog.preview(A_DATASET),
                     lambda: catalog.quality(A_DATASET)):
            with pytest.raises(NotFound) as exc:
                call()
            assert "不存在" in exc.value.message            # the same words as for a record that never existed
        assert A_DATASET not in {d["name"] for d in catalog.list_datasets()}
        assert all(o["clue_id"] != ids["a"] for o in clues.get(ids["b"])["other_grounds"])
        by_org = {r["key"]: r for r in StatsService(ws).ledger("org")}
        assert "331002" not in by_org and by_org["331003"]["generated"] == 1
        assert by_org["3310"]["generated"] == 1                   # the roll-up counts only what B may see
    with use_scope(scope_of(ws, "c_ld")):                          # the 市院 above sees both
        assert set(clues.ids(ClueFilter())) == {ids["a"], ids["b"]}
        assert catalog.describe(A_DATASET)["name"] == A_DATASET


def test_unassigned_pool_and_delegations(ws):
    ids = seed(ws, passwords=())
    with ws.db.unit_of_work() as s:
        from shujian.db.models import Clue
        s.get(Clue, ids["b"]).org_id = None                       # back in the pool
    with use_scope(scope_of(ws, "a_jcg")):
        assert ClueService(ws).ids(ClueFilter()) == [ids["a"]]      # a 检察官 does not see the pool
    with use_scope(scope_of(ws, "c_sz")):
        assert set(ClueService(ws).ids(ClueFilter())) == {ids["a"], ids["b"]}   # 数字办 triages it
    from datetime import date
    req = DelegationService(ws).submit("a_jcg", "在押人员是否领取养老金", deadline=date(2099, 1, 1))
    with use_scope(scope_of(ws, "b_jcg")):
        assert DelegationService(ws).list() == []
        with pytest.raises(NotFound):
            DelegationService(ws).get(req["request_id"])
    with use_scope(scope_of(ws, "c_sz")):
        assert [r["request_id"] for r in DelegationService(ws).list()] == [req["request_id"]]
