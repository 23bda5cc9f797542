"""Pages: every page renders in Chinese, forms keep input and show errors beside fields, CSRF is checked."""

from __future__ import annotations

import pytest

from .conftest import csrf

HTML = {"accept": "text/html"}
PAGES = ["/", "/data", "/data/import", "/data/监所在押人员", "/documents", "/models", "/models/pension-during-custody",
         "/models/pension-during-custody?dialect=spark", "/builder", "/builder?model=pension-during-custody", "/runs",
         "/runs?model=pension-during-custody", "/clues", "/clues?state=生成&sort=-first_seen", "/delegation",
         "/admin/users", "/admin/users?org=3310", "/audit"]


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_with_user_org_and_roles(client, path):
    r = client.get(path, headers=HTML)
    assert r.status_code == 200, r.text[:500]
    assert 'lang="zh-CN"' in r.text and "台州市人民检察院" in r.text and "院领导" in r.text
    assert "cdn" not in r.text.lower() and "https://" not in r.text


def test_clue_page_shows_facts_evidence_and_actions(client):
    cid = client.get("/api/v1/clues?model_id=pension-during-custody&state=生成").json()["items"][0]["clue_id"]
    r = client.get(f"/clues/{cid}", headers=HTML)
    assert r.status_code == 200 and "证据" in r.text and 'data-action="研判"' in r.text
    assert "11010519491231002X" not in r.text


def test_missing_page_is_a_chinese_error_page(client):
    r = client.get("/clues/99999", headers=HTML)
    assert r.status_code == 404 and "线索 99999 不存在" in r.text and "<html" in r.text


def test_form_posts_need_the_csrf_token(client):
    r = client.post("/data/import", data={"name": "x"}, headers=HTML)
    assert r.status_code == 403 and "CSRF" in r.text


def test_import_form_keeps_input_and_shows_errors_beside_fields(client):
    token = csrf(client)
    r = client.post("/data/import", data={"csrf_token": token, "name": "", "agency": "市人社局",
                                           "period_start": "2026-13-01"}, headers=HTML)
    assert r.status_code == 422
    assert 'value="市人社局"' in r.text
    assert "请填写数据集名称" in r.text and "日期格式应为 YYYY-MM-DD" in r.text


def test_import_form_starts_a_job_and_redirects_to_progress(client):
    token = csrf(client)
    r = client.post("/data/import", data={"csrf_token": token, "name": "页面导入"}, headers=HTML,
                    files={"file": ("t.csv", "身份证号,金额\n11010519491231002X,3\n".encode(), "text/csv")},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    job_id = int(r.headers["location"].rsplit("/", 1)[1])
    assert client.app.state.jobs.wait(job_id).status == "succeeded"
    assert client.get(r.headers["location"], headers=HTML).status_code == 200


def _two_sheet_workbook() -> bytes:
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "在职"
    wb.active.append(["姓名", "证件号码"])
    wb.active.append(["张三", "11010519491231002X"])
    other = wb.create_sheet("离职")
    other.append(["姓名", "离职日期"])
    other.append(["李四", "2023-01-05"])
    other.append(["王五", "2023-02-01"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_import_form_takes_every_sheet_of_a_workbook(client):
    from shujian.catalog.service import CatalogService

    r = client.post("/data/import", data={"csrf_token": csrf(client), "name": "人员表", "all_sheets": "true"},
                    headers=HTML, files={"file": ("人员.xlsx", _two_sheet_workbook(), XLSX)}, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    job = client.app.state.jobs.wait(int(r.headers["location"].rsplit("/", 1)[1]))
    assert job.status == "succeeded", job.error
    assert [(d["dataset"], d["sheet"], d["rows"]) for d in job.result["imported"]] == [
        ("人员表_在职", "在职", 1), ("人员表_离职", "离职", 2)]
    names = {d["name"] for d in CatalogService(client.app.state.ws).list_datasets()}
    assert {"人员表_在职", "人员表_离职"} <= names


def test_import_form_names_sheets_and_refuses_both_choices(client):
    r = client.post("/data/import", data={"csrf_token": csrf(client), "name": "人员表", "all_sheets": "true",
                                           "sheet": "在职"}, headers=HTML,
                    files={"file": ("人员.xlsx", _two_sheet_workbook(), XLSX)})
    assert r.status_code == 422 and "与“全部工作表”二选一" in r.text
    r = client.post("/data/import", data={"csrf_token": csrf(client), "name": "人员表", "sheet": "离职=离职人员，在职"},
                    headers=HTML, files={"file": ("人员.xlsx", _two_sheet_workbook(), XLSX)}, follow_redirects=False)
    job = client.app.state.jobs.wait(int(r.headers["location"].rsplit("/", 1)[1]))
    assert job.status == "succeeded", job.error
    assert [d["dataset"] for d in job.result["imported"]] == ["离职人员", "人员表_在职"]


def test_import_form_leaves_out_named_and_hidden_columns(client):
    """不导入的列 and 不导入隐藏的列 on the form reach the import: the dataset has neither."""
    import io

    import openpyxl

    from shujian.catalog.service import CatalogService

    assert 'name="skip_columns"' in client.get("/data/import", headers=HTML).text
    wb = openpyxl.Workbook()
    for row in [["姓名", "家庭住址", "联系电话", "金额"], ["张三", "某街1号", "13800000000", 3]]:
        wb.active.append(row)
    wb.active.column_dimensions["B"].hidden = True
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post("/data/import", data={"csrf_token": csrf(client), "name": "页面排除列", "skip_columns": "联系电话",
                                           "skip_hidden": "true"},
                    headers=HTML, files={"file": ("人员.xlsx", buf.getvalue(), XLSX)}, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    job = client.app.state.jobs.wait(int(r.headers["location"].rsplit("/", 1)[1]))
    assert job.status == "succeeded", job.error
    columns = [c["name"] for c in CatalogService(client.app.state.ws).describe("页面排除列")["columns"]]
    assert columns == ["姓名", "金额"]


def test_run_form_shows_a_bad_parameter_beside_its_field(client):
    token = csrf(client)
    r = client.post("/runs", data={"csrf_token": token, "model_id": "pension-during-custody",
                                   "param_grace_months": "三个月"}, headers=HTML)
    assert r.status_code == 422 and 'value="三个月"' in r.text and 'class="err"' in r.text


def test_document_page_highlights_spans(client):
    token = csrf(client)
    text = open("tests/fixtures/judgments/death_penalty_two_counts.txt", encoding="utf-8").read()
    r = client.post("/documents", data={"csrf_token": token, "text": text}, headers=HTML)
    assert r.status_code == 200 and "<mark class=" in r.text and "（2021）某01刑初57号" in r.text


def test_clue_action_form_and_refusal_message(client):
    token = csrf(client)
    cid = client.get("/api/v1/clues?model_id=pension-during-custody&state=生成").json()["items"][0]["clue_id"]
    r = client.post(f"/clues/{cid}/act", data={"csrf_token": token, "action": "成案", "case_number": "x"},
                    headers=HTML)
    page = client.get(r.url, headers=HTML) if r.status_code != 200 else r
    assert "不能执行“成案”" in page.text
    client.post(f"/clues/{cid}/act", data={"csrf_token": token, "action": "评论", "text": "请核实"}, headers=HTML)
    assert "请核实" in client.get(f"/clues/{cid}", headers=HTML).text


def test_demo_user_switch_changes_the_header(client):
    token = csrf(client)
    client.post("/demo-user", data={"csrf_token": token, "username": "jj_jcg"}, headers=HTML)
    assert "椒江区人民检察院" in client.get("/", headers=HTML).text
    client.cookies.delete("shujian_demo_user")
    assert client.get("/api/v1/me").json()["username"] == "demo"


@pytest.mark.parametrize("path", ["/data/import", "/documents", "/runs?model=pension-during-custody", "/delegation"])
def test_forms_carry_the_csrf_token_of_the_cookie(client, path):
    token = csrf(client)
    page = client.get(path, headers=HTML).text
    assert f'name="csrf_token" value="{token}"' in page


def test_delegation_form_errors_and_actions(client):
    token = csrf(client)
    r = client.post("/delegation", data={"csrf_token": token, "question": "", "deadline": "明天"}, headers=HTML)
    assert r.status_code == 422 and "请写明要研判的问题" in r.text and 'value="明天"' in r.text
    r = client.post("/delegation", data={"csrf_token": token, "question": "核查某类线索", "deadline": "2099-01-01"},
                    headers=HTML)
    assert r.status_code == 200 and "已提交委托研判" in r.text
    rid = client.get("/api/v1/delegations?state=已提交").json()["items"][-1]["request_id"]
    r = client.post(f"/delegation/{rid}/act", data={"csrf_token": token, "action": "受理"}, headers=HTML)
    assert "已受理" in r.text


def test_adoption_form_maps_inputs_and_reports_missing_fields(client):
    token = csrf(client)
    page = client.get("/models/pension-during-custody", headers=HTML).text
    assert 'name="map:custody:dataset"' in page and 'name="map:pension:amount"' in page
    src = open("tests/fixtures/models/pension_during_custody.yaml", encoding="utf-8").read()
    src = src.replace("id: pension-during-custody", "id: web-adopt-test")
    client.post("/api/v1/models", json={"source": src})
    r = client.post("/models/web-adopt-test/govern", data={"csrf_token": token, "action": "adopt", "org": "3310",
                                                           "map:pension:amount": "无此列"}, headers=HTML)
    assert "未执行“采用”" in r.text and "尚未上架" in r.text


def test_adoption_mapping_reads_only_filled_map_fields():
    from shujian.web.pages.models import adoption_mapping

    form = {"map:pension:dataset": "本院养老金", "map:pension:amount": "金额", "map:custody:start": " ",
            "csrf_token": "x", "map:bad": "y"}
    assert adoption_mapping(form) == {"pension": {"dataset": "本院养老金", "fields": {"amount": "金额"}}}


def test_audit_page_lists_records_and_checks_the_chain(client, web_ws):
    from shujian.security.audit import AuditLog

    AuditLog(web_ws).append("clue.view", actor="demo", target="GET /clues/1")
    r = client.get("/audit?actor=demo", headers=HTML)
    assert r.status_code == 200 and "哈希链完整" in r.text and "GET /clues/1" in r.text
    assert "没有符合条件" in client.get("/audit?actor=nobody", headers=HTML).text


def test_model_card_of_a_governed_built_in_model_shows_the_version_that_runs(client):
    """The 模型库 card of a built-in id with a governed version shows that version (what a run uses), not the
    shipped file's name and description (the seeded workspace holds the fixture version, certified)."""
    import re

    html = client.get("/models").text
    card = re.search(r'<article class="card" data-model="pension-during-custody">(.*?)</article>', html, re.S)
    assert card is not None
    assert "服刑人员违规领取养老金监督模型" in card.group(1)
    assert "服刑/羁押人员违规领取（或违规调整）基本养老金监督模型" not in card.group(1)
