"""数据绑定 on the web: the API (propose, check, save, read, remove), the binding page on the model page,
problems beside the fields, and a run started from the web reading through the binding."""

from __future__ import annotations

import pytest
from tests.web.conftest import client, csrf, seeded_home, web_ws  # noqa: F401  (the seeded web workspace)

from .test_bindings import load_exports

HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def exports(web_ws):  # noqa: F811
    load_exports(web_ws)
    return web_ws

MID = "pension-during-custody"
CUSTODY = {"person": "公民身份号码", "name": "人员姓名", "start": "入监时间", "end": "出监时间", "kind": "羁押类别"}


def test_binding_api_proposes_checks_saves_and_runs_through_it(client, exports):  # noqa: F811
    given = {"custody": {"dataset": "在押人员名册"}, "pension": {"dataset": "养老金明细"}}
    proposal = client.post(f"/api/v1/models/{MID}/binding/propose", json={"inputs": given}).json()
    assert proposal["ok"] and proposal["inputs"]["custody"]["fields"] == CUSTODY
    assert any(r["field"] == "person" and r["why"].startswith("数据要素 身份证号") for r in proposal["rows"])

    bad = client.post(f"/api/v1/models/{MID}/binding/check",
                      json={"inputs": {"custody": {"dataset": "在押人员名册", "fields": {"start": "入监日"}}}}).json()
    assert not bad["ok"]
    start = next(i for i in bad["issues"] if i["location"] == "binding.custody.fields.start")
    assert start["suggestions"][0] == "入监时间"
    refused = client.put(f"/api/v1/models/{MID}/binding", json={"inputs": {"custody": {"dataset": "无此数据集"}}})
    assert refused.status_code == 422
    assert "binding.custody.dataset" in {p["location"] for p in refused.json()["error"]["details"]["problems"]}

    saved = client.put(f"/api/v1/models/{MID}/binding", json={"inputs": proposal["inputs"], "note": "网页确认"})
    assert saved.status_code == 200, saved.text
    assert (saved.json()["version"], saved.json()["source"], saved.json()["by"]) == (1, "接口", "demo")
    current = client.get(f"/api/v1/models/{MID}/binding").json()
    assert current["binding_id"] == saved.json()["binding_id"] and current["history"][0]["note"] == "网页确认"

    r = client.post("/api/v1/runs", json={"model_id": MID})
    job = client.app.state.jobs.wait(r.json()["job_id"])
    assert job.status == "succeeded", job.error
    run = client.get(f"/api/v1/runs/{job.result['run_id']}").json()
    assert run["binding"]["kind"] == "本院绑定" and run["binding"]["inputs"]["custody"]["fields"] == CUSTODY
    assert "在押人员名册" in client.get(f"/runs/{run['run_id']}", headers=HTML).text

    assert client.delete(f"/api/v1/models/{MID}/binding").json()["removed"] is True
    assert client.get(f"/api/v1/models/{MID}/binding").json()["source"] == "模型默认"


def test_binding_page_form_proposal_and_errors_beside_fields(client, exports):  # noqa: F811
    model_page = client.get(f"/models/{MID}", headers=HTML).text
    assert f'href="/models/{MID}/binding"' in model_page
    page = client.get(f"/models/{MID}/binding", headers=HTML)
    assert page.status_code == 200 and 'name="ds:custody"' in page.text and 'name="col:custody:start"' in page.text
    token = csrf(client)
    form = {"csrf_token": token, "ds:custody": "在押人员名册", "ds:pension": "养老金明细"}
    proposed = client.post(f"/models/{MID}/binding", data={**form, "action": "propose"}, headers=HTML)
    assert proposed.status_code == 200 and 'value="入监时间"' in proposed.text and "自动建议如下" in proposed.text

    wrong = {**form, "action": "save", **{f"col:custody:{f}": c for f, c in CUSTODY.items()},
             "col:custody:start": "入监日", "col:pension:month": "待遇所属期", "col:pension:amount": "实发金额"}
    r = client.post(f"/models/{MID}/binding", data=wrong, headers=HTML)
    assert r.status_code == 422
    assert "映射到的列“入监日”不在数据集“在押人员名册”中" in r.text and 'aria-invalid="true"' in r.text
    ok = client.post(f"/models/{MID}/binding", data={**wrong, "col:custody:start": "入监时间"}, headers=HTML,
                     follow_redirects=False)
    assert ok.status_code == 303
    page = client.get(ok.headers["location"], headers=HTML).text
    assert "已保存数据绑定" in page and "custody=在押人员名册" in page


def test_the_builder_saves_its_dataset_nodes_as_the_binding_and_opens_through_it(client, exports):  # noqa: F811
    graph = client.get(f"/api/v1/builder/graph/{MID}").json()
    node = next(n for n in graph["nodes"] if n.get("role") == "custody")
    node["input"] = {"dataset": "在押人员名册", "fields": CUSTODY}
    pension = next(n for n in graph["nodes"] if n.get("role") == "pension")
    pension["input"] = {"dataset": "养老金明细", "fields": {**pension["input"]["fields"], "month": "待遇所属期",
                                                        "amount": "实发金额"}}
    saved = client.post("/api/v1/builder/bind", json=graph)
    assert saved.status_code == 200, saved.text
    assert saved.json()["source"] == "可视化建模"
    assert client.get(f"/api/v1/models/{MID}").json()["spec"]["inputs"]["custody"]["dataset"] == "监所在押人员"
    reopened = client.get(f"/api/v1/builder/graph/{MID}").json()          # the canvas shows the org's data
    assert next(n for n in reopened["nodes"] if n.get("role") == "custody")["input"]["dataset"] == "在押人员名册"
    checked = client.post("/api/v1/builder/validate", json=reopened).json()
    assert checked["ok"], checked
    client.delete(f"/api/v1/models/{MID}/binding")


def test_a_prosecutor_may_read_but_not_bind(client, web_ws):  # noqa: F811
    token = csrf(client)
    client.post("/demo-user", data={"csrf_token": token, "username": "jj_jcg"}, headers=HTML)
    try:
        assert client.get(f"/api/v1/models/{MID}/binding").status_code == 200
        assert client.put(f"/api/v1/models/{MID}/binding", json={"inputs": {}}).status_code == 403
    finally:
        client.cookies.delete("shujian_demo_user")
