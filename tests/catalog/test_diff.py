"""Version diff (版本比对): CLI, API and page, with personal values masked by the viewer's rights."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from shujian.catalog.service import CatalogService
from shujian.cli.main import main
from shujian.web.accounts import ensure_demo_accounts
from shujian.web.app import create_app

A, B, C, D = "11010519491231002X", "110105198001010016", "110101198001010053", "110105196001010019"
V1 = f"身份证号,姓名,金额\n{A},张三,100\n{B},李四,200\n{C},王五,300\n{C[:-1]}x,重复,1\n"
V2 = f"身份证号,姓名,金额,备注\n{A},张三,100,\n{B},李四,250,调整\n{D},张三,400,新增\n{C[:-1]}x,重复,1,\n"


def cli_json(capsys, *args: str):
    code = main([*args, "--format", "json"])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    return json.loads(cap.out)


@pytest.fixture
def two_versions(sqlite_ws, tmp_path, capsys):
    for text in (V1, V2):
        path = tmp_path / "发放.csv"
        path.write_text(text, encoding="utf-8")
        assert main(["data", "import", str(path), "--name", "发放", "--no-progress"]) == 0
    capsys.readouterr()
    return sqlite_ws


def test_diff_by_key(two_versions, capsys):
    d = cli_json(capsys, "data", "diff", "发放", "1", "2", "--key", "身份证号")
    assert d["rows"] == {"old": 4, "new": 4}
    assert d["schema"] == {"added": ["备注"], "removed": [], "type_changed": []}
    assert (d["added"]["count"], d["removed"]["count"], d["changed"]["count"], d["unchanged"]) == (1, 1, 1, 2)
    assert d["added"]["examples"][0]["values"][0] == D and d["added"]["examples"][0]["row"] == 3
    assert d["removed"]["examples"][0]["values"][:2] == [C, "王五"]
    change = d["changed"]["examples"][0]
    assert change["key"] == {"身份证号": B} and change["changes"] == [{"column": "金额", "old": 200.0, "new": 250.0}]
    assert d["masked"] == []                       # the local operator sees values in clear


def test_diff_whole_rows_and_refusals(two_versions, capsys):
    d = cli_json(capsys, "data", "diff", "发放", "1", "2")
    assert d["changed"] is None and d["key"] == []
    assert (d["added"]["count"], d["removed"]["count"], d["unchanged"]) == (2, 2, 2)
    assert sorted(e["values"][0] for e in d["added"]["examples"]) == sorted([B, D])
    code = main(["data", "diff", "发放", "1", "2", "--key", "姓名", "--key", "不存在"])
    err = capsys.readouterr().err.replace("\n", "")
    assert code == 2 and "键列 不存在 不在两个版本共有的列中" in err
    code = main(["data", "diff", "发放", "1", "3"])
    assert code != 0 and "没有第 3 版" in capsys.readouterr().err


def test_diff_masks_for_a_user_without_unmask_rights(two_versions, capsys):
    ensure_demo_accounts(two_versions)
    d = cli_json(capsys, "data", "diff", "发放", "1", "2", "--key", "身份证号", "--as", "jj_jcg")
    assert set(d["masked"]) == {"身份证号", "姓名"}
    assert A not in json.dumps(d, ensure_ascii=False) and D not in json.dumps(d, ensure_ascii=False)
    assert d["added"]["examples"][0]["values"][0] == "110105********0019"
    leader = cli_json(capsys, "data", "diff", "发放", "1", "2", "--key", "身份证号", "--as", "shi_lingdao")
    assert leader["masked"] == [] and leader["added"]["examples"][0]["values"][0] == D


def test_diff_api_and_page(two_versions):
    ensure_demo_accounts(two_versions)
    with TestClient(create_app(workspace=two_versions), raise_server_exceptions=False) as client:
        client.get("/", headers={"accept": "text/html"})
        token = client.cookies.get("shujian_csrf")
        client.post("/demo-user", data={"csrf_token": token, "username": "jj_jcg"}, headers={"accept": "text/html"})
        r = client.get("/api/v1/datasets/发放/diff", params={"old": 1, "new": 2, "key": "身份证号"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["changed"]["count"] == 1 and D not in r.text and "110105********0019" in r.text
        page = client.get("/data/发放/diff?old=1&new=2&key=身份证号", headers={"accept": "text/html"})
        assert page.status_code == 200 and "新增的行" in page.text and "修改的行" in page.text
        assert D not in page.text and "250" in page.text
        bad = client.get("/data/发放/diff?old=1&new=2&key=姓名", headers={"accept": "text/html"})
        assert bad.status_code == 200 and "不唯一" in bad.text


def test_retype_api_and_page(two_versions):
    ensure_demo_accounts(two_versions)
    with TestClient(create_app(workspace=two_versions), raise_server_exceptions=False) as client:
        # imported on the command line, the dataset is platform-shared: only the top org governs it
        assert client.put("/api/v1/datasets/发放/columns/金额/type", json={"type": "text"}).status_code == 403
        CatalogService(two_versions)._claim("发放", client.get("/api/v1/me").json()["org_id"])
        r = client.put("/api/v1/datasets/发放/columns/金额/type", json={"type": "text"})
        assert r.status_code == 200 and r.json()["dtype"] == "VARCHAR"
        r = client.put("/api/v1/datasets/发放/columns/姓名/type", json={"type": "date"})
        assert r.status_code == 422 and "不能转为日期" in r.json()["error"]["message"]
        page = client.get("/data/发放", headers={"accept": "text/html"})
        assert page.status_code == 200 and "改类型" in page.text and "版本比对" in page.text


def test_web_upload_with_a_title_row(two_versions, tmp_path):
    ensure_demo_accounts(two_versions)
    data = ("某区人社局 2023年名单\n身份证号,姓名\n11010519491231002X,张三\n无,李四\n").encode("gbk")
    with TestClient(create_app(workspace=two_versions), raise_server_exceptions=False) as client:
        r = client.post("/api/v1/datasets/import", data={"name": "上传名单"},
                        files={"file": ("名单.csv", data, "text/csv")})
        job = client.app.state.jobs.wait(r.json()["job_id"])
        assert job.status == "failed" and "--header-row 2" in job.error["hint"] and "标题行" in job.error["message"]
        r = client.post("/api/v1/datasets/import", data={"name": "上传名单", "header_row": "2"},
                        files={"file": ("名单.csv", data, "text/csv")})
        job = client.app.state.jobs.wait(r.json()["job_id"])
        assert job.status == "succeeded", job.error
        assert client.get("/api/v1/datasets/上传名单/quality").json()["columns"]["身份证号"]["null_markers"] == 1
