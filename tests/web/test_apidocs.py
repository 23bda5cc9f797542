"""接口文档 from vendored assets, the site icon, and Chinese request-validation messages."""

from __future__ import annotations

import re
from pathlib import Path

import shujian.web

STATIC = Path(shujian.web.__file__).parent / "static"


def test_swagger_ui_and_redoc_load_only_local_assets(client):
    for path in ("/api/docs", "/api/redoc"):
        page = client.get(path)
        assert page.status_code == 200
        urls = re.findall(r"""(?:src|href)=["']([^"']+)""", page.text)
        assert urls and all(u.startswith("/") for u in urls), urls
        assert "cdn" not in page.text.lower() and "fonts.googleapis" not in page.text
        for url in urls:
            assert client.get(url).status_code == 200, url
        assert "/api/v1/openapi.json" in page.text


def test_favicon(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"] == "image/x-icon"
    assert r.content[:4] == b"\0\0\1\0"                      # an ICO file
    assert '<link rel="icon" href="/favicon.ico">' in client.get("/").text


def test_vendored_assets_carry_their_licences():
    for folder in ("swagger-ui", "redoc"):
        assert (STATIC / "vendor" / folder / "LICENSE").is_file()


def test_validation_errors_name_the_field_in_chinese(client):
    r = client.post("/api/v1/builder/preview", json={"nodes": [{"id": "a", "kind": "zzz"}], "limit": 0})
    assert r.status_code == 422
    err = r.json()["error"]
    msg = err["message"]
    assert "请求体缺少必填字段“node”" in msg, msg
    assert "请求体字段“limit”应不小于 1" in msg
    assert "请求体字段“nodes[0].kind”应为以下之一：dataset、filter" in msg
    assert not re.search(r"Input should|Field required|greater than", msg), msg
    assert {p["location"] for p in err["details"]["problems"]} == {"node", "limit", "nodes[0].kind"}


def test_query_and_json_errors_in_chinese(client):
    msg = client.get("/api/v1/clues?page=abc&page_size=100000").json()["error"]["message"]
    assert "查询参数“page”应为整数" in msg and "查询参数“page_size”应不大于 200" in msg
    bad = client.post("/api/v1/runs", content=b"{nope", headers={"content-type": "application/json"})
    assert bad.status_code == 422 and "请求体不是有效的 JSON" in bad.json()["error"]["message"]
