"""Bad input and attacks: SQL injection, path traversal, oversized uploads, XSS, sibling access by id."""

from __future__ import annotations

import io

import openpyxl
import pytest
from tests.runs.conftest import MODEL, custody_table, load

from shujian.catalog.service import CatalogService
from shujian.governance.service import GovernanceService
from shujian.security.audit import AuditLog

from .conftest import A_DATASET, bearer

XSS = "<img src=x onerror=alert(1)>"
SQLI_NAME = "x'; DROP TABLE datasets; --"


def test_sql_injection_in_filter_values_matches_nothing(seeded, app_client):
    ws, _ = seeded
    h = bearer(ws, "c_ld")
    everything = app_client.get("/api/v1/clues", headers=h).json()["total"]
    assert everything >= 2
    for params in ({"subject": "' OR '1'='1"}, {"model_id": "x' OR 1=1 --"}, {"state": "生成') OR ('1'='1"},
                   {"assignee": "a_jcg' --"}):
        resp = app_client.get("/api/v1/clues", headers=h, params=params)
        assert resp.status_code in (200, 404) and (resp.status_code == 404 or resp.json()["total"] == 0), params
    assert app_client.get("/api/v1/datasets", headers=h, params={"q": "' OR 1=1 --"}).json()["total"] == 0


def test_sql_injection_in_dataset_and_column_names(seeded, app_client):
    ws, _ = seeded
    load(ws, SQLI_NAME, custody_table())                         # a hostile but legal name is just a name
    h = bearer(ws, "c_sz")
    resp = app_client.get(f"/api/v1/datasets/{SQLI_NAME}/preview", headers=h)
    assert resp.status_code == 200 and len(resp.json()["rows"]) == 2
    assert app_client.get('/api/v1/datasets/养老金发放"; DROP TABLE x; --/preview', headers=h).status_code == 404
    # 区县院 A's dataset: the 市院's 数字办 may govern it (a shared one only the top org may: 403 before any lookup)
    resp = app_client.put(f'/api/v1/datasets/{A_DATASET}/columns/身份证号" ; DELETE FROM datasets; --/semantic',
                          headers=h, json={"semantic": None})
    assert resp.status_code == 404
    assert {"养老金发放", A_DATASET, SQLI_NAME} <= {d["name"] for d in CatalogService(ws).list_datasets()}


def test_sql_injection_in_model_parameters_and_raw_sql(seeded, app_client):
    ws, _ = seeded
    h = bearer(ws, "c_sz")
    resp = app_client.post("/api/v1/runs", headers=h, json={"model_id": "pension-during-custody",
                                                            "params": {"grace_months": "1; DROP TABLE runs"}})
    assert resp.status_code == 422
    raw = ("id: raw-attack\nname: 攻击\nline: 刑事执行检察\npoint: x\nversion: 1.0.0\n"
           "inputs:\n  p: {dataset: 养老金发放, fields: {person: 身份证号}}\n"
           "sql: \"SELECT 身份证号 AS person FROM 养老金发放; DROP TABLE datasets\"\n"
           "output:\n  subject: {type: person, key: person}\n  title: \"{person}\"\n")
    resp = app_client.post("/api/v1/models/validate", headers=h, json={"source": raw})
    assert resp.status_code == 200 and resp.json()["ok"] is False
    reading_files = raw.replace("FROM 养老金发放; DROP TABLE datasets", "FROM read_csv('/etc/passwd')")
    assert app_client.post("/api/v1/models/validate", headers=h, json={"source": reading_files}).json()["ok"] is False
    assert {"养老金发放"} <= {d["name"] for d in CatalogService(ws).list_datasets()}


@pytest.mark.parametrize("name", ["../../../../evil.csv", "..\\..\\evil.csv", "a/../../evil.csv"])
def test_path_traversal_in_uploaded_file_names_is_refused(seeded, app_client, name):
    ws, _ = seeded
    h = bearer(ws, "c_sz")
    home = ws.settings.home_path
    data = "身份证号,姓名\n110101198001010053,王五\n".encode()
    resp = app_client.post("/api/v1/datasets/import", headers=h, data={"name": "穿越测试"},
                           files={"file": (name, data, "text/csv")})
    assert resp.status_code == 422 and "不合法" in resp.json()["error"]["message"]
    assert "“..”" in resp.json()["error"]["message"]
    assert not (home.parent / "evil.csv").exists() and not (home.parent.parent / "evil.csv").exists()
    assert not list((home / "tmp" / "uploads").glob("*evil.csv"))


def test_uploaded_file_name_keeps_only_its_base_name(seeded, app_client):
    ws, _ = seeded
    data = "身份证号,姓名\n110101198001010053,王五\n".encode()
    resp = app_client.post("/api/v1/datasets/import", headers=bearer(ws, "c_sz"), data={"name": "旧浏览器"},
                           files={"file": ("C:\\报表\\old.csv", data, "text/csv")})
    assert resp.status_code == 202
    stored = list((ws.settings.home_path / "tmp" / "uploads").glob("*old.csv"))
    assert stored and all(p.parent.name == "uploads" for p in stored)


def test_oversized_upload_is_refused(seeded, app_client, monkeypatch):
    ws, _ = seeded
    from shujian.web.api import data as data_api

    monkeypatch.setattr(data_api, "MAX_UPLOAD_MB", 1)
    resp = app_client.post("/api/v1/datasets/import", headers=bearer(ws, "c_sz"), data={"name": "过大"},
                           files={"file": ("big.csv", b"a,b\n" + b"1,2\n" * (600 << 10), "text/csv")})
    assert resp.status_code == 422 and "超过" in resp.json()["error"]["message"]
    assert not list((ws.settings.home_path / "tmp" / "uploads").glob("*big.csv"))


def test_script_injection_is_rendered_escaped(seeded, app_client):
    ws, ids = seeded
    h = bearer(ws, "a_jcg")
    assert app_client.post(f"/api/v1/clues/{ids['a']}/comments", headers=h,
                           json={"text": "<script>alert('c')</script>"}).status_code == 201
    page = app_client.get(f"/clues/{ids['a']}", headers={**h, "accept": "text/html"}).text
    assert "<script>alert('c')</script>" not in page and "&lt;script&gt;" in page
    load(ws, XSS, custody_table())
    page = app_client.get("/data", headers={**bearer(ws, "c_sz"), "accept": "text/html"}).text
    assert XSS not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    source = MODEL.read_text(encoding="utf-8").replace("id: pension-during-custody", "id: xss-model").replace(
        "name: 服刑人员违规领取养老金监督模型", "name: \"<script>alert('m')</script>\"")
    GovernanceService(ws).save(source, "c_sz")
    page = app_client.get("/models", headers={**bearer(ws, "c_sz"), "accept": "text/html"}).text
    assert "<script>alert('m')</script>" not in page


def test_sibling_gets_not_found_by_id_not_forbidden(seeded, app_client):
    ws, ids = seeded
    h = bearer(ws, "b_jcg")
    missing = app_client.get("/api/v1/clues/987654321", headers=h)
    theirs = app_client.get(f"/api/v1/clues/{ids['a']}", headers=h)
    assert missing.status_code == theirs.status_code == 404
    assert theirs.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
    assert theirs.json()["error"]["message"].replace(str(ids["a"]), "N") == \
        missing.json()["error"]["message"].replace("987654321", "N")
    assert app_client.post(f"/api/v1/clues/{ids['a']}/actions", headers=h,
                           json={"action": "研判", "reason": "越权"}).status_code == 404
    assert app_client.post(f"/api/v1/clues/{ids['a']}/comments", headers=h, json={"text": "x"}).status_code == 404
    assert app_client.get(f"/api/v1/clues/{ids['a']}/draft.docx", headers=h).status_code == 404
    assert app_client.get(f"/clues/{ids['a']}", headers={**h, "accept": "text/html"}).status_code == 404
    assert app_client.get(f"/api/v1/datasets/{A_DATASET}", headers=h).status_code == 404
    assert app_client.get(f"/api/v1/datasets/{A_DATASET}/preview", headers=h).status_code == 404
    listed = app_client.get("/api/v1/clues", headers=h).json()
    assert [c["clue_id"] for c in listed["items"]] == [ids["b"]]
    export = app_client.get("/api/v1/clues/export.xlsx", headers=h)
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert sheet.max_row == 2                                    # header + B's one clue, not A's
    assert app_client.get("/api/v1/clues", headers=h, params={"org": "331002"}).json()["total"] == 0
    views = AuditLog(ws).search(actor="b_jcg", action="clue.view")
    assert all(str(ids["a"]) not in (r["target"] or "") or r["outcome"] != "成功" for r in views)


def test_background_jobs_of_a_sibling_are_not_found(seeded, app_client):
    ws, _ = seeded
    from shujian.orgs.service import OrgService

    OrgService(ws).add_user("a_sz", "椒江数字办", "331002", ["数字办"])
    data = "身份证号,姓名\n110101198001010053,王五\n".encode()
    resp = app_client.post("/api/v1/datasets/import", headers=bearer(ws, "a_sz"), data={"name": "椒江作业"},
                           files={"file": ("a.csv", data, "text/csv")})
    job = resp.json()["job_id"]
    app_client.fastapi_app.state.jobs.wait(job)
    h_b = bearer(ws, "b_jcg")
    assert app_client.get(f"/api/v1/jobs/{job}", headers=h_b).status_code == 404
    assert job not in [j["job_id"] for j in app_client.get("/api/v1/jobs", headers=h_b).json()["items"]]
    assert app_client.get(f"/api/v1/jobs/{job}", headers=bearer(ws, "c_ld")).status_code == 200
    # the imported dataset belongs to 椒江: the sibling does not see it, the 市院 does
    assert app_client.get("/api/v1/datasets/椒江作业", headers=h_b).status_code == 404
    assert app_client.get("/api/v1/datasets/椒江作业", headers=bearer(ws, "c_ld")).status_code == 200
