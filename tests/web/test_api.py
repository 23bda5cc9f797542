"""Every /api/v1 route: status codes, the list envelope, pagination and the error envelope."""

from __future__ import annotations

import io

import openpyxl

from shujian.web.app import create_app
from shujian.web.security import ACTIONS

LIST_KEYS = {"items", "total", "page", "page_size", "pages"}


def assert_error(resp, status: int, code: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"} and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_me_names_the_demo_user_org_and_roles(client):
    me = client.get("/api/v1/me").json()
    assert me["username"] == "demo" and "市人民检察院" in me["org"] and "院领导" in me["roles"]


def test_actions_registry_lists_every_action(client):
    body = client.get("/api/v1/actions").json()
    assert {a["action"] for a in body["items"]} == set(ACTIONS)


def test_datasets_list_pagination_sort_and_filter(client):
    body = client.get("/api/v1/datasets?page_size=1&sort=-rows").json()
    assert set(body) >= LIST_KEYS and body["total"] == 2 and body["pages"] == 2
    assert body["items"][0]["name"] == "养老金发放"          # 17 rows > 2 rows
    page2 = client.get("/api/v1/datasets?page_size=1&page=2&sort=-rows").json()
    assert page2["items"][0]["name"] == "监所在押人员"
    assert client.get("/api/v1/datasets?q=养老").json()["total"] == 1
    assert client.get("/api/v1/datasets?level=核心").json()["total"] == 0


def test_bad_pagination_is_a_located_422(client):
    err = assert_error(client.get("/api/v1/datasets?page=0"), 422, "bad_input")
    assert err["details"]["problems"][0]["location"] == "page"
    assert_error(client.get("/api/v1/datasets?page_size=100000"), 422)


def test_dataset_detail_quality_and_masked_preview(client):
    d = client.get("/api/v1/datasets/监所在押人员").json()
    assert d["version"]["agency"] == "测试单位" and any(c["semantic"] == "id_number" for c in d["columns"])
    assert client.get("/api/v1/datasets/监所在押人员/quality").json()["rows"] == 2
    p = client.get("/api/v1/datasets/监所在押人员/preview?limit=5").json()
    ids = [r[p["columns"].index("身份证号")] for r in p["rows"]]
    assert p["masked"] and all("*" in v for v in ids) and "11010519491231002X" not in str(p)


def test_unknown_dataset_is_404_with_hint(client):
    err = assert_error(client.get("/api/v1/datasets/不存在的表"), 404, "not_found")
    assert "不存在的表" in err["message"]
    assert_error(client.get("/api/v1/datasets/不存在的表/preview"), 404)


def test_semantic_and_level_changes(client, web_ws):
    # a dataset is governed by its owning org (access layer); the demo user's 市院 owns this one
    from shujian.db.models import Dataset, Org

    with web_ws.db.unit_of_work() as s:
        city = s.query(Org).filter_by(code="3310").one().id
        s.query(Dataset).filter_by(name="监所在押人员").update({"org_id": city})
    r = client.put("/api/v1/datasets/监所在押人员/columns/姓名/semantic", json={"semantic": "person_name"})
    assert r.status_code == 200 and r.json()["semantic"] == "person_name"
    assert_error(client.put("/api/v1/datasets/监所在押人员/columns/姓名/semantic", json={"semantic": "nope"}), 422)
    assert_error(client.put("/api/v1/datasets/监所在押人员/columns/无此列/semantic", json={"semantic": None}), 404)
    assert client.put("/api/v1/datasets/监所在押人员/level", json={"level": "敏感"}).json()["level"] == "敏感"
    assert_error(client.put("/api/v1/datasets/监所在押人员/level", json={"level": "绝密"}), 422)
    client.put("/api/v1/datasets/监所在押人员/level", json={"level": "内部"})


def test_semantic_types_and_import_jobs(client):
    assert any(t["key"] == "id_number" for t in client.get("/api/v1/semantic-types").json()["items"])
    assert set(client.get("/api/v1/import-jobs").json()) >= LIST_KEYS


def _xlsx(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_import_xlsx_in_background_then_poll(client):
    data = _xlsx([["身份证号", "姓名", "金额"], ["11010519491231002X", "张三", 12.5], ["110101198001010053", "王五", 3]])
    r = client.post("/api/v1/datasets/import", data={"name": "上传测试", "agency": "市民政局"},
                    files={"file": ("a.xlsx", data, "application/octet-stream")})
    assert r.status_code == 202
    job = client.app.state.jobs.wait(r.json()["job_id"])
    assert job.status == "succeeded", job.error
    polled = client.get(f"/api/v1/jobs/{job.id}").json()
    assert polled["percent"] == 100 and polled["result"]["rows"] == 2
    assert client.get("/api/v1/datasets/上传测试").json()["version"]["agency"] == "市民政局"
    assert any(j["job_id"] == job.id for j in client.get("/api/v1/jobs").json()["items"])


def test_import_refuses_unknown_format_and_missing_name(client):
    r = client.post("/api/v1/datasets/import", data={"name": "x"}, files={"file": ("a.exe", b"MZ", "x/y")})
    assert_error(r, 422)
    assert_error(client.post("/api/v1/datasets/import", files={"file": ("a.csv", b"a\n1\n", "text/csv")}), 422)
    assert_error(client.get("/api/v1/jobs/99999"), 404)


def test_document_parse_returns_spans_inside_the_text(client):
    text = open("tests/fixtures/judgments/death_penalty_two_counts.txt", encoding="utf-8").read()
    body = client.post("/api/v1/documents/parse", data={"text": text}).json()
    assert body["record"]["case_number"] and body["highlights"]
    for h in body["highlights"]:
        assert 0 <= h["start"] < h["end"] <= len(body["text"])
    assert_error(client.post("/api/v1/documents/parse", data={"text": " "}), 422)


def test_models_cards_detail_sql_and_filters(client):
    body = client.get("/api/v1/models?page_size=50").json()
    card = next(c for c in body["items"] if c["model_id"] == "pension-during-custody")
    assert card["line"] == "刑事执行检察" and card["clues"] == 2 and card["legal_basis"]
    assert all(c["line"] == "刑事执行检察" for c in client.get("/api/v1/models?line=刑事执行检察").json()["items"])
    d = client.get("/api/v1/models/pension-during-custody").json()
    assert "steps" in d["spec"] and d["source"].startswith(("id:", "#"))
    for dialect in ("duckdb", "spark", "postgres"):
        sql = client.get(f"/api/v1/models/pension-during-custody/sql?dialect={dialect}").json()["sql"]
        assert "WITH" in sql.upper()
    assert_error(client.get("/api/v1/models/pension-during-custody/sql?dialect=oracle"), 422)
    assert_error(client.get("/api/v1/models/no-such-model"), 404)


def test_validate_reports_located_problems(client):
    src = open("tests/fixtures/models/pension_during_custody.yaml", encoding="utf-8").read()
    assert client.post("/api/v1/models/validate", json={"source": src}).json()["ok"]
    bad = client.post("/api/v1/models/validate", json={"source": src.replace("on: [person]", "on: [persn]")}).json()
    assert not bad["ok"] and any("steps[1]" in p["location"] for p in bad["problems"])


def test_runs_start_poll_list_and_detail(client):
    r = client.post("/api/v1/runs", json={"model_id": "pension-during-custody", "params": {"grace_months": "1"}})
    assert r.status_code == 202
    job = client.app.state.jobs.wait(r.json()["job_id"])
    assert job.status == "succeeded", job.error
    run_id = job.result["run_id"]
    assert job.result["clues_new"] == 0 and job.result["clues_seen"] == 2      # same clues refreshed
    listing = client.get("/api/v1/runs?model_id=pension-during-custody").json()
    assert listing["total"] >= 2 and listing["items"][0]["run_id"] == run_id
    assert "SELECT" in client.get(f"/api/v1/runs/{run_id}").json()["sql"].upper()
    assert_error(client.get("/api/v1/runs/99999"), 404)


def test_run_with_a_bad_parameter_is_refused_before_starting(client):
    r = client.post("/api/v1/runs", json={"model_id": "pension-during-custody", "params": {"grace_months": "abc"}})
    err = assert_error(r, 422)
    assert "grace_months" in err["message"]


def test_clue_list_filters_detail_masking(client):
    body = client.get("/api/v1/clues?model_id=pension-during-custody").json()
    assert body["total"] == 2 and set(body) >= LIST_KEYS
    assert all("*" in c["subject"]["key"] for c in body["items"])
    assert client.get("/api/v1/clues?state=办结").json()["total"] == 0
    assert client.get("/api/v1/clues?page_size=1&sort=-clue_id").json()["items"][0]["clue_id"] == \
        max(c["clue_id"] for c in body["items"])
    cid = body["items"][0]["clue_id"]
    d = client.get(f"/api/v1/clues/{cid}").json()
    assert d["evidence"] and d["actions"] and {"研判", "排除"} <= {a["action"] for a in d["actions"]}
    for e in d["evidence"]:
        col = e["columns"].index("身份证号")
        assert all("*" in r[col] for r in e["rows"])
    assert_error(client.get("/api/v1/clues/99999"), 404)
    assert_error(client.get("/api/v1/clues?since=yesterday"), 422)


def test_clue_workflow_through_the_api_to_close(client):
    cid = client.get("/api/v1/clues?model_id=pension-during-custody").json()["items"][0]["clue_id"]
    post = client.post
    assert post(f"/api/v1/clues/{cid}/actions", json={"action": "研判"}).json()["state"] == "研判"
    refused = post(f"/api/v1/clues/{cid}/actions", json={"action": "成案", "case_number": "x"})
    assert_error(refused, 409, "transition_refused")
    assert_error(post(f"/api/v1/clues/{cid}/actions", json={"action": "交办", "org": "331002"}), 409)
    r = post(f"/api/v1/clues/{cid}/actions", json={"action": "交办", "org": "3310", "deadline": "2099-12-31"})
    assert r.json()["state"] == "交办"
    post(f"/api/v1/clues/{cid}/actions", json={"action": "核查"})
    post(f"/api/v1/clues/{cid}/actions", json={"action": "成案", "case_number": "台检刑执监〔2026〕1号"})
    m = post(f"/api/v1/clues/{cid}/actions", json={"action": "监督措施", "measure": {"kind": "检察建议", "doc_number": "台检建〔2026〕1号"}})
    assert m.json()["state"] == "监督措施"
    measure = client.get(f"/api/v1/clues/{cid}").json()["measures"][0]
    rep = post(f"/api/v1/measures/{measure['measure_id']}/reply",
               json={"replied_on": "2026-05-01", "adopted": True, "rectified": True, "money_recovered": 12000})
    assert rep.status_code == 200
    assert post(f"/api/v1/clues/{cid}/actions", json={"action": "办结"}).json()["state"] == "办结"
    assert post(f"/api/v1/clues/{cid}/comments", json={"text": "已办结，归档"}).status_code == 201
    d = client.get(f"/api/v1/clues/{cid}").json()
    assert [e["action"] for e in d["timeline"] if e["to"]][:3] == ["研判", "交办", "核查"]
    draft = client.get(f"/api/v1/clues/{cid}/draft.docx")
    assert draft.status_code == 200 and draft.content[:2] == b"PK"
    dash = client.get("/api/v1/stats/dashboard").json()
    funnel = {f["name"]: f["value"] for f in dash["funnel"]}
    assert funnel["线索"] >= 2 and funnel["成案"] >= 1 and funnel["采纳"] >= 1
    assert dash["totals"]["money_recovered"] >= 12000


def test_bulk_is_all_or_nothing_unless_partial(client):
    ids = [c["clue_id"] for c in client.get("/api/v1/clues?model_id=pension-during-custody").json()["items"]]
    assert_error(client.post("/api/v1/clues/bulk", json={"clue_ids": ids, "action": "研判"}), 409)
    r = client.post("/api/v1/clues/bulk", json={"clue_ids": ids, "action": "研判", "partial": True}).json()
    assert len(r["done"]) == 1 and len(r["refused"]) == 1
    assert_error(client.post("/api/v1/clues/bulk", json={"clue_ids": [], "action": "研判"}), 422)


def test_clue_export_xlsx(client):
    r = client.get("/api/v1/clues/export.xlsx?model_id=pension-during-custody")
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert sheet.max_row == 3 and sheet["A1"].value == "线索编号"


def test_clue_meta_orgs_users_roles(client):
    assert "检察建议" in client.get("/api/v1/clues/meta").json()["measures"]
    top = client.get("/api/v1/orgs").json()
    assert top["items"][0]["name"] == "最高人民检察院"
    assert client.get("/api/v1/orgs/3310").json()["departments"]
    users = client.get("/api/v1/users?org=331002").json()
    assert {u["username"] for u in users["items"]} == {"jj_jcg", "jj_fzr"}
    assert client.get("/api/v1/users?role=数字办").json()["total"] >= 2
    assert client.get("/api/v1/roles").json()["total"] == 5
    assert_error(client.get("/api/v1/orgs/999999"), 404)


def test_stats_ledger_and_dashboard_filters(client):
    body = client.get("/api/v1/stats/ledger?by=model").json()
    assert set(body) >= LIST_KEYS and body["metrics"]
    assert_error(client.get("/api/v1/stats/ledger?by=planet"), 422)
    assert_error(client.get("/api/v1/stats/dashboard?period=not-a-date"), 422)
    d = client.get("/api/v1/stats/dashboard?line=刑事执行检察").json()
    assert len(d["trend"]["months"]) == 12 and "by_org" in d
    # the clue closed in the workflow test was assigned to 台州市院: the org filter reads its rolled-up row
    city = {f["name"]: f["value"] for f in client.get("/api/v1/stats/dashboard?org=3310").json()["funnel"]}
    assert city["线索"] == 1 and city["成案"] == 1
    province = client.get("/api/v1/stats/dashboard?org=浙江省人民检察院").json()
    assert province["funnel"][0]["value"] == 1 and {r["name"] for r in province["by_org"]} >= {"台州市人民检察院"}
    other = client.get("/api/v1/stats/dashboard?org=331003").json()
    assert other["funnel"][0]["value"] == 0 and other["by_org"] == []


def test_governance_save_submit_and_certify_errors(client):
    src = open("tests/fixtures/models/pension_during_custody.yaml", encoding="utf-8").read()
    src = src.replace("id: pension-during-custody", "id: web-gov-test")
    saved = client.post("/api/v1/models", json={"source": src})
    assert saved.status_code == 201 and saved.json()["number"] == 1
    assert client.post("/api/v1/models/web-gov-test/advance", json={"action": "提交"}).json()["state"] == "提交"
    # the author may not certify their own model
    err = assert_error(client.post("/api/v1/models/web-gov-test/certify",
                                   json={"kind": "业务认证", "evaluations": {}}), 422)
    assert "评估" in err["message"]
    evals = {e: {"passed": True} for e in ("建模必要性", "技术可行性", "线索准确性")}
    assert_error(client.post("/api/v1/models/web-gov-test/certify", json={"kind": "业务认证", "evaluations": evals}),
                 403, "forbidden")
    assert client.get("/api/v1/models/web-gov-test").json()["governance"]["revisions"]
    assert client.get("/api/v1/ledger").json()["total"] >= 1
    assert_error(client.post("/api/v1/models/web-gov-test/adopt", json={"org": "3310"}), 409)


def test_every_route_declares_a_registered_action(web_ws):
    app = create_app(workspace=web_ws)
    from shujian.web.app import endpoint_routes

    routes = endpoint_routes(app)
    assert len(routes) > 50, "the route walk found too few endpoints: it no longer sees the API"
    missing = []
    for route in routes:
        actions = _actions(route.dependant)
        if not actions and not route.path.startswith(("/static", "/login", "/logout", "/api/docs", "/api/redoc", "/favicon.ico", "/openapi", "/healthz")):
            missing.append(route.path)
        assert all(a in ACTIONS for a in actions), (route.path, actions)
    assert not missing, f"routes without require(action): {missing}"


def _actions(dependant) -> list[str]:
    out = []
    for d in dependant.dependencies:
        if hasattr(d.call, "action"):
            out.append(d.call.action)
        out += _actions(d)
    return out


def test_delegation_request_to_delivery_and_close(client):
    r = client.post("/api/v1/delegations", json={"question": "在押人员是否仍在领取养老金", "deadline": "2099-01-31",
                                                 "rule_text": "在押期间仍有发放记录"})
    assert r.status_code == 201 and r.json()["state"] == "已提交"
    rid = r.json()["request_id"]
    assert_error(client.post("/api/v1/delegations", json={"question": "x", "deadline": "2000-01-01"}), 422)
    act = lambda **kw: client.post(f"/api/v1/delegations/{rid}/actions", json=kw)  # noqa: E731
    assert_error(act(action="反馈"), 409)                      # not accepted yet
    assert act(action="受理").json()["state"] == "已受理"
    run_id = client.get("/api/v1/runs?model_id=pension-during-custody").json()["items"][-1]["run_id"]
    assert run_id in act(action="关联", run_ids=[run_id]).json()["run_ids"]
    delivered = act(action="反馈", note="线索包")
    assert delivered.status_code == 200 and delivered.json()["clue_ids"]
    assert act(action="办结").json()["state"] == "已办结"
    listing = client.get("/api/v1/delegations?state=已办结").json()
    assert any(d["request_id"] == rid for d in listing["items"])
    assert client.get(f"/api/v1/delegations/{rid}").json()["history"]
    assert_error(client.get("/api/v1/delegations/99999"), 404)
    assert_error(client.get("/api/v1/delegations?state=进行中"), 422)


def test_stats_export_xlsx(client):
    r = client.get("/api/v1/stats/export.xlsx")
    assert r.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["按模型", "按院", "按业务条线", "关键词订阅"]
    assert_error(client.get("/api/v1/stats/export.xlsx?period=abc"), 422)


def test_production_never_falls_back_to_the_demo_account(web_ws, monkeypatch):
    from fastapi.testclient import TestClient

    monkeypatch.setattr(web_ws.settings, "env", "production")
    monkeypatch.setattr(web_ws.settings, "secret_key", "s" * 40)
    with TestClient(create_app(workspace=web_ws), raise_server_exceptions=False) as c:
        assert_error(c.get("/api/v1/me"), 401)
        assert_error(c.get("/api/v1/clues"), 401)
        page = c.get("/", headers={"accept": "text/html"}, follow_redirects=False)
        assert page.status_code in (303, 307) and page.headers["location"].startswith("/login")
