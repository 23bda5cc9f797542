"""沙箱 in the web layer (TestClient): a 检察官 imports into the personal area, saves a model on their own data,
runs it in the sandbox and sees the results (masked) and proposes it; a colleague of the same org gets 404 for
the dataset and the run; the 数字办 publishes the run (clues in the pool) and shares the dataset."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from tests.runs.conftest import MODEL, A, B, custody_table, pension_table

from shujian.catalog.importer import ImportRequest
from shujian.catalog.service import CatalogService
from shujian.orgs.service import OrgService
from shujian.web.app import create_app
from shujian.web.security import DEMO_COOKIE

from .conftest import copy_workspace, csrf

HTML = {"accept": "text/html"}
MODELLER, COLLEAGUE, DIGITAL = "jj_jcg", "jj_jcg2", "shi_shuzi"
SOURCE = (MODEL.read_text(encoding="utf-8").replace("id: pension-during-custody", "id: my-pension")
          .replace("监所在押人员", "我的在押").replace("养老金发放", "我的养老金"))


@pytest.fixture(scope="module")
def client(seeded_home, tmp_path_factory):
    ws = copy_workspace(seeded_home, tmp_path_factory.mktemp("sandbox-web") / "home")
    OrgService(ws).add_user(COLLEAGUE, "周检察官", "331002", ["检察官"], department="刑事执行检察部")
    for name, table in (("我的在押", custody_table()), ("我的养老金", pension_table())):
        CatalogService(ws).import_arrow(ImportRequest(name=name, importer=MODELLER, personal=True,
                                                      semantics={"身份证号": "id_number"}), table)
    with TestClient(create_app(workspace=ws), raise_server_exceptions=False) as c:
        yield c
    ws.close()


def _as(client, username: str) -> str:
    client.cookies.set(DEMO_COOKIE, username)
    return csrf(client)


def _job(client, job_id: int) -> dict:
    while True:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.1)


@pytest.fixture(scope="module")
def sandbox_run(client) -> int:
    _as(client, MODELLER)
    assert client.post("/api/v1/models", json={"source": SOURCE}).status_code == 201
    r = client.post("/api/v1/sandbox/runs", json={"model_id": "my-pension"})
    assert r.status_code == 202, r.text
    job = _job(client, r.json()["job_id"])
    assert job["status"] == "succeeded", job
    assert job["result"]["sandbox"] is True and job["result"]["rows_out"] == 2
    _as(client, COLLEAGUE)                               # the job of a sandbox run is the starter's only
    assert client.get(f"/api/v1/jobs/{job['job_id']}").status_code == 404
    assert job["job_id"] not in [j["job_id"] for j in client.get("/api/v1/jobs").json()["items"]]
    return job["result"]["run_id"]


def _nav(page: str) -> list[str]:
    import re

    return re.findall(r">([^<]+)</a>", page.split('aria-label="主导航">')[1].split("</nav>")[0])


def test_the_prosecutor_is_shown_the_sandbox_and_the_builder_but_not_runs(client):
    _as(client, MODELLER)
    nav = _nav(client.get("/", headers=HTML).text)
    assert {"沙箱", "可视化建模"} <= set(nav) and "运行" not in nav
    page = client.get("/sandbox", headers=HTML).text
    assert "我的养老金" in page and "仅本人" in page and "导入到个人数据区" in page
    assert "导入到个人数据区" in client.get("/data", headers=HTML).text
    builder = client.get("/builder", headers=HTML).text
    assert 'id="btn-save"' in builder and 'id="btn-bind"' not in builder        # 数据绑定 is not theirs


def test_import_through_the_personal_form(client):
    token = _as(client, MODELLER)
    csv = "身份证号,姓名\n110101198001010053,王五\n".encode()
    r = client.post("/sandbox/import", data={"csrf_token": token, "name": "我的名单"}, headers=HTML,
                    files={"file": ("名单.csv", csv, "text/csv")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert _job(client, int(r.headers["location"].rsplit("/", 1)[1]))["status"] == "succeeded"
    assert client.get("/api/v1/datasets/我的名单").json()["area"] == "个人"
    _as(client, COLLEAGUE)
    assert client.get("/data/我的名单", headers=HTML).status_code == 404


def test_results_are_shown_masked_to_the_starter_with_propose_not_publish(client, sandbox_run):
    _as(client, MODELLER)
    page = client.get(f"/sandbox/runs/{sandbox_run}", headers=HTML)
    assert page.status_code == 200
    assert "结果（前 2 条" in page.text and "服刑期间领取养老金" in page.text
    assert A not in page.text and B not in page.text
    assert 'id="publish"' not in page.text and 'id="propose"' in page.text
    assert client.get("/api/v1/clues?model_id=my-pension").json()["total"] == 0       # no clue yet
    assert "这是一次沙箱运行（未发布" in client.get(f"/runs/{sandbox_run}", headers=HTML).text


def test_a_colleague_of_the_same_org_gets_404(client, sandbox_run):
    _as(client, COLLEAGUE)
    for url in (f"/sandbox/runs/{sandbox_run}", f"/runs/{sandbox_run}", "/data/我的养老金"):
        r = client.get(url, headers=HTML)
        assert r.status_code == 404 and "不存在" in r.text, url
    assert client.get(f"/api/v1/sandbox/runs/{sandbox_run}").status_code == 404
    assert client.get(f"/api/v1/runs/{sandbox_run}").status_code == 404
    assert client.get("/api/v1/datasets/我的养老金").status_code == 404
    assert f'data-run="{sandbox_run}"' not in client.get("/sandbox", headers=HTML).text
    assert "我的养老金" not in client.get("/data", headers=HTML).text


def test_the_starter_cannot_publish_and_is_told_who_can(client, sandbox_run):
    token = _as(client, MODELLER)
    r = client.post(f"/sandbox/runs/{sandbox_run}/publish", data={"csrf_token": token}, headers=HTML)
    assert r.status_code == 403 and "无权“发布沙箱运行”：该操作由院领导、数字办办理" in r.text


def test_the_author_proposes_the_model(client, sandbox_run):
    token = _as(client, MODELLER)
    r = client.post("/sandbox/models/my-pension/propose", data={"csrf_token": token, "back": f"/sandbox/runs/{sandbox_run}"},
                    headers=HTML)
    assert r.status_code == 200 and "已提请认证" in r.text
    assert client.get("/api/v1/models/my-pension").json()["governance"]["state"] == "提交"


def test_the_digital_office_publishes_and_the_clues_reach_the_pool(client, sandbox_run):
    token = _as(client, DIGITAL)
    assert f'data-run="{sandbox_run}"' in client.get("/sandbox", headers=HTML).text
    page = client.get(f"/sandbox/runs/{sandbox_run}", headers=HTML).text
    assert 'id="publish"' in page
    r = client.post(f"/sandbox/runs/{sandbox_run}/publish", data={"csrf_token": token}, headers=HTML)
    assert r.status_code == 200 and "已发布：新线索 2 条" in r.text
    assert client.get("/api/v1/clues?model_id=my-pension").json()["total"] == 2
    again = client.post(f"/api/v1/sandbox/runs/{sandbox_run}/publish", headers={"X-CSRF-Token": token})
    assert again.status_code == 409 and "已于" in again.json()["error"]["message"]


def test_the_digital_office_shares_a_personal_dataset_with_the_org(client):
    token = _as(client, DIGITAL)
    page = client.get("/data/我的在押", headers=HTML).text
    assert "个人数据区" in page and 'action="/data/我的在押/share"' in page
    r = client.post("/data/我的在押/share", data={"csrf_token": token, "to": "本院"}, headers=HTML)
    assert r.status_code == 200 and "已共享给本院" in r.text
    _as(client, COLLEAGUE)
    assert client.get("/data/我的在押", headers=HTML).status_code == 200


def test_the_prosecutor_starts_a_sandbox_run_from_the_model_page(client, sandbox_run):
    token = _as(client, MODELLER)
    page = client.get("/models/my-pension", headers=HTML).text
    assert 'id="sandbox-run-form"' in page and 'id="run-link"' not in page       # 沙箱运行, not 运行
    r = client.post("/sandbox/runs", data={"csrf_token": token, "model_id": "my-pension"}, headers=HTML,
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    job = _job(client, int(r.headers["location"].rsplit("/", 1)[1]))
    assert job["status"] == "succeeded" and job["result"]["sandbox"] is True
