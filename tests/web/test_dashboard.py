"""一本账 dashboard: every chart (funnel, trend, by model, by org) honours the org and line filters."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from shujian.db.models import Clue, Org
from shujian.errors import NotFound
from shujian.security.scope import scope_for, use_scope
from shujian.web.app import create_app
from shujian.web.dashboard import dashboard

from .conftest import copy_workspace

MODEL_ID = "pension-during-custody"


@pytest.fixture(scope="module")
def ws(seeded_home, tmp_path_factory):
    """The seeded run's two clues: one held by 椒江 (331002), one by its sibling 黄岩 (331003)."""
    w = copy_workspace(seeded_home, tmp_path_factory.mktemp("dash") / "home")
    with w.db.unit_of_work() as s:
        org = {o.code: o.id for o in s.query(Org).filter(Org.code.in_(["331002", "331003"]))}
        clues = s.query(Clue).order_by(Clue.id).all()
        assert len(clues) == 2
        clues[0].org_id, clues[1].org_id = org["331002"], org["331003"]
    yield w
    w.close()


def _model_count(d: dict) -> int:
    return sum(r["generated"] for r in d["by_model"] if r["key"] == MODEL_ID)


def test_by_model_follows_the_org_filter(ws):
    assert _model_count(dashboard(ws)) == 2
    assert _model_count(dashboard(ws, org="3310")) == 2               # 市院 rolls up both districts
    one = dashboard(ws, org="331002")
    assert _model_count(one) == 1 and one["funnel"][0]["value"] == 1
    assert sum(one["trend"]["generated"]) == 1
    assert [r["key"] for r in one["by_org"]] == ["331002"]
    by_name = dashboard(ws, org="台州市黄岩区人民检察院")
    assert _model_count(by_name) == 1 and [r["key"] for r in by_name["by_org"]] == ["331003"]
    assert _model_count(dashboard(ws, org="331004")) == 0


def test_line_and_org_filters_combine(ws):
    d = dashboard(ws, org="331002", line="刑事执行检察")
    assert _model_count(d) == 1 and d["funnel"][0]["value"] == 1 and sum(d["trend"]["generated"]) == 1
    other = dashboard(ws, org="331002", line="民事检察")
    assert other["by_model"] == [] and other["funnel"][0]["value"] == 0 and sum(other["trend"]["generated"]) == 0


def test_by_org_follows_the_line_filter(ws):
    """The 按院 chart counts only the chosen 业务条线's clues (it used to count every line)."""
    def org_total(d: dict) -> float:
        return sum(r["generated"] for r in d["by_org"])

    assert org_total(dashboard(ws, line="刑事执行检察")) == org_total(dashboard(ws)) > 0
    assert org_total(dashboard(ws, line="民事检察")) == 0
    assert org_total(dashboard(ws, org="331002", line="民事检察")) == 0


def test_org_filter_never_widens_the_readers_scope(ws):
    with ws.db.unit_of_work() as s:
        jj = s.query(Org).filter_by(code="331002").one()
        scope = scope_for(s, "jj_jcg", jj.id, ["检察官"])
    with use_scope(scope):
        assert _model_count(dashboard(ws, org="3310")) == 1             # the sibling's clue stays invisible
        assert _model_count(dashboard(ws, org="331003")) == 0
        assert _model_count(dashboard(ws)) == 1


def test_unknown_org_is_not_found_and_shown_beside_the_field(ws):
    with pytest.raises(NotFound):
        dashboard(ws, org="没有这个院")
    with TestClient(create_app(workspace=ws), raise_server_exceptions=False) as c:
        page = c.get("/?org=没有这个院", headers={"accept": "text/html"})
        assert page.status_code == 200 and 'id="e-org"' in page.text and "没有这个院" in page.text
        api = c.get("/api/v1/stats/dashboard?org=331002").json()
        assert _model_count(api) == 1 and api["org"] == "331002"
        assert c.get("/api/v1/stats/dashboard?org=没有这个院").status_code == 404


def test_period_filter_applies_under_the_org_filter(ws):
    d = dashboard(ws, org="331002", period="2001", today=date(2026, 6, 1))
    assert _model_count(d) == 0 and d["funnel"][0]["value"] == 0
