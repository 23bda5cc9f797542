"""The review page: uncertain pairs side by side (masked), 同一人/不同人 posted, stored and audited."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from shujian.entity.service import EntityService
from shujian.security.audit import AuditLog
from shujian.web.accounts import ensure_demo_accounts
from shujian.web.app import create_app

HTML = {"accept": "text/html"}


@pytest.fixture
def client(people_ws):
    # a 王芳 with one digit of the birth date different and no ID: an uncertain pair (≈ 0.91) for review
    from entity_people import table

    from shujian.catalog.importer import ImportRequest
    from shujian.catalog.service import CatalogService
    CatalogService(people_ws).import_arrow(ImportRequest(name="医保结算", agency="医保局"), table(
        [("王芳", "1990-02-13", "女", "江苏省南京市玄武区北京东路8号")], ["姓名", "出生日期", "性别", "住址"]))
    EntityService(people_ws).link_persons({"公安户籍": None, "医保结算": None})
    ensure_demo_accounts(people_ws)       # "demo" holds 数字办 (data.govern) among its roles
    with TestClient(create_app(workspace=people_ws), raise_server_exceptions=False) as c:
        yield c


def test_review_page_lists_pairs_and_records_a_decision(client, people_ws):
    queue = EntityService(people_ws).review_queue()
    r = client.get("/entity", headers=HTML)
    assert r.status_code == 200 and "主体识别" in r.text
    assert 'lang="zh-CN"' in r.text and "https://" not in r.text
    assert len(queue) == 1 and {queue[0]["source_l"], queue[0]["source_r"]} == {"公安户籍", "医保结算"}
    assert "320102199002030020" not in r.text                 # ID numbers masked
    assert queue[0]["name_l"] in r.text and "同一人" in r.text and "不同人" in r.text
    token = client.cookies.get("shujian_csrf")
    fp_l, fp_r = re.findall(r'name="fp_l" value="([0-9a-f]+)"', r.text)[0], \
        re.findall(r'name="fp_r" value="([0-9a-f]+)"', r.text)[0]
    r = client.post("/entity/decide", data={"csrf_token": token, "fp_l": fp_l, "fp_r": fp_r, "decision": "different",
                                            "reason": "医保记录另有其人"}, headers=HTML, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    assert EntityService(people_ws).decisions()[0]["decision"] == "不同人"
    assert any(a["action"] == "entity.review" for a in AuditLog(people_ws).search(action="entity."))
    r = client.post("/entity/decide", data={"fp_l": fp_l, "fp_r": fp_r, "decision": "same"}, headers=HTML)
    assert r.status_code in (400, 403)                        # no CSRF token: refused
