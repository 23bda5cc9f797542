"""工作台 numbers are the drill-down's numbers: every funnel layer and card, clicked through, lists exactly the
clues it counted, with the same period, 业务条线 and 院; the ledger export follows the same filters."""

from __future__ import annotations

import io
from datetime import date, timedelta

from openpyxl import load_workbook

from shujian.web.security import DEMO_COOKIE
from shujian.workflow.service import WorkflowService

from .conftest import csrf

HTML = {"accept": "text/html"}
METRICS = ("generated", "judged", "cases", "measures", "adopted")


def _worked(client, web_ws) -> None:
    """Clues in every stage: one excluded after 研判 (the old 研判 drill-down lost it), one with two
    measures (the old funnel drew 监督措施 above 成案)."""
    from tests.runs.conftest import MODEL
    from tests.workflow.conftest import make_clues

    from shujian.spec import load_model

    client.cookies.set(DEMO_COOKIE, "demo")
    make_clues(web_ws, load_model(MODEL), 2)
    ids = [c["clue_id"] for c in client.get("/api/v1/clues?state=生成&page_size=200").json()["items"]]
    assert len(ids) >= 3
    wf = WorkflowService(web_ws)
    for cid in ids[:3]:
        wf.transition(cid, "研判", "demo")
    wf.transition(ids[0], "排除", "demo", exclusion_type="数据错误")
    for cid in ids[1:3]:
        wf.transition(cid, "交办", "demo", org="331002", deadline=date.today() + timedelta(days=30))
        wf.transition(cid, "核查", "demo")
        wf.transition(cid, "成案", "demo", case_number=f"案{cid}")
    soft = wf.add_measure(ids[1], "demo", "移送整改", reply_deadline=date.today() + timedelta(days=10))
    wf.record_reply(soft["measure_id"], "demo", replied_on=date.today(), adopted=True, rectified=True)
    wf.add_measure(ids[1], "demo", "检察建议")


def test_every_funnel_number_equals_its_drill_down(client, web_ws):
    _worked(client, web_ws)
    year = str(date.today().year)
    for query in ("", f"period={year}", "line=刑事执行检察", "org=331002", f"period={year}&org=3310"):
        d = client.get(f"/api/v1/stats/dashboard?{query}").json()
        funnel = {f["key"]: f["value"] for f in d["funnel"]}
        values = [funnel[k] for k in METRICS]
        assert values == sorted(values, reverse=True), (query, values)      # a funnel never widens
        for metric in METRICS:
            listed = client.get(f"/api/v1/clues?metric={metric}&page_size=200&{query}").json()["total"]
            assert listed == funnel[metric], (query, metric, listed, funnel[metric])
    d = client.get("/api/v1/stats/dashboard").json()
    assert d["totals"]["judged"] == 3 and d["totals"]["measures"] == 1 and d["totals"]["cases"] == 2


def test_cards_link_to_their_clues_and_the_export_follows_the_filters(client, web_ws):
    client.cookies.set(DEMO_COOKIE, "demo")
    csrf(client)
    page = client.get("/?org=331002", headers=HTML).text
    assert 'href="/clues?metric=cases&amp;org=331002"' in page
    assert 'href="/api/v1/stats/export.xlsx?x=1&amp;org=331002"' in page
    listing = client.get("/clues?metric=cases&org=331002", headers=HTML).text
    assert "一本账“成案”" in listing and "与工作台的数字一致" in listing
    whole = load_workbook(io.BytesIO(client.get("/api/v1/stats/export.xlsx").content))
    other = load_workbook(io.BytesIO(client.get("/api/v1/stats/export.xlsx?org=331003").content))
    none = load_workbook(io.BytesIO(client.get("/api/v1/stats/export.xlsx?line=民事检察").content))
    assert whole["按模型"].max_row > 2
    assert other["按模型"].max_row == 2 and none["按模型"].max_row == 2        # headers only: nothing there


def test_trend_follows_the_period_and_by_org_stays_in_the_readers_tree(client):
    client.cookies.set(DEMO_COOKIE, "shi_shuzi")                 # a 市院 user
    d = client.get("/api/v1/stats/dashboard?period=2025-02..2025-04").json()
    assert d["trend"]["months"] == ["2025-02", "2025-03", "2025-04"]
    d = client.get("/api/v1/stats/dashboard").json()
    names = [r["name"] for r in d["by_org"]]
    assert not any(n in ("最高人民检察院", "浙江省人民检察院") for n in names), names
