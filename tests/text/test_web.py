"""文本筛查 in the browser's server: subscribe → inbox → bulk 确认/排除 → precision; the rule-test API."""

from __future__ import annotations

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import copy_workspace, csrf

from shujian.catalog.importer import ImportRequest
from shujian.catalog.service import CatalogService
from shujian.web.app import create_app

HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def text_client(seeded_home, tmp_path_factory):
    ws = copy_workspace(seeded_home, tmp_path_factory.mktemp("text-web") / "home")
    CatalogService(ws).import_arrow(ImportRequest(name="12345工单"), pa.table({
        "编号": ["T1", "T2", "T3"], "主题": ["预付卡", "建议", "美容"],
        "详情": ["我在力美健身办卡3000元，现在老板跑路了，电话13812345678", "让数据多跑路，群众少跑路",
               "在丽人坊美容院充值5000元，店铺已转让，新老板不认会员卡"]}))
    with TestClient(create_app(workspace=ws), raise_server_exceptions=False) as c:
        yield c
    ws.close()


def test_subscribe_confirm_exclude_and_precision_in_the_browser(text_client):
    c = text_client
    token = csrf(c)
    assert "新建订阅" in c.get("/text", headers=HTML).text
    r = c.post("/text/subscriptions", headers=HTML, follow_redirects=False, data={
        "csrf_token": token, "name": "预付卡投诉", "dataset": "12345工单", "rule": "prepaid-card",
        "fields": "主题，详情", "key": "编号", "date": "", "mode": "confirm"})
    assert r.status_code == 303
    page = c.get(r.headers["location"], headers=HTML).text
    assert "T1" in page and "T3" in page and "T2" not in page
    assert "138****5678" in page and "13812345678" not in page          # phone numbers masked in excerpts
    assert "邻近 办卡" in page
    ids = [m["id"] for m in c.get("/api/v1/text/subscriptions/1/matches").json()]
    bad = c.post("/text/subscriptions/1/decide", headers=HTML, data={
        "csrf_token": token, "match": str(ids[1]), "action": "exclude"})
    assert bad.status_code == 422 and "理由" in bad.text
    c.post("/text/subscriptions/1/decide", headers=HTML, data={"csrf_token": token, "match": str(ids[0]),
                                                               "action": "confirm"})
    c.post("/text/subscriptions/1/decide", headers=HTML, data={"csrf_token": token, "match": str(ids[1]),
                                                               "action": "exclude", "reason": "测试"})
    assert 'id="precision">50.0%' in c.get("/text/subscriptions/1", headers=HTML).text
    listed = c.get("/api/v1/text/subscriptions").json()[0]
    assert (listed["confirmed"], listed["excluded"], listed["precision"]) == (1, 1, 0.5)


def test_subscription_form_errors_are_shown(text_client):
    token = csrf(text_client)
    r = text_client.post("/text/subscriptions", headers=HTML, data={
        "csrf_token": token, "name": "x", "dataset": "12345工单", "rule": "prepaid-card", "fields": "正文"})
    assert r.status_code == 422 and "没有列 正文" in r.text


def test_rule_test_api_explains_each_text(text_client):
    r = text_client.post("/api/v1/text/test", json={"rule": {"use": "prepaid-card"},
                                                    "texts": ["我在力美健身办卡，老板跑路了", "晚上很难再关门闭窗_x000D_"]})
    assert r.status_code == 200
    first, second = r.json()["results"]
    assert first["matched"] and first["explain"]["hits"][0]["words"] == ["办卡", "跑路"]
    assert not second["matched"] and "excel_escape" in second["problems"]
    bad = text_client.post("/api/v1/text/test", json={"rule": {"any": ["~(x"]}, "texts": ["x"]})
    assert bad.status_code in (400, 422) and "写法有误" in bad.text


def test_subscription_counts_on_the_dashboard_and_the_stats_api(text_client):
    token = csrf(text_client)
    r = text_client.post("/text/subscriptions", headers=HTML, follow_redirects=False, data={
        "csrf_token": token, "name": "账本订阅", "dataset": "12345工单", "rule": "prepaid-card",
        "fields": "详情", "key": "编号", "date": "", "mode": "confirm"})
    assert r.status_code == 303
    rows = {x["name"]: x for x in text_client.get("/api/v1/stats/subscriptions").json()["rows"]}
    assert (rows["账本订阅"]["messages"], rows["账本订阅"]["matched"], rows["账本订阅"]["pending"]) == (3, 2, 2)
    page = text_client.get("/", headers=HTML).text
    assert 'id="ledger-subscriptions"' in page and "账本订阅" in page
