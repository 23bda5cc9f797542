"""Issue 14's findings, each reproduced: every test failed on the code before the access layer
(shujian.security.access) and passes with it.  SQLite only: the rules are the same on PostgreSQL
(tests/security/test_scope.py and test_matrix.py run both)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date

import pytest
from fastapi.testclient import TestClient
from tests.runs.conftest import A, B

from shujian.catalog.service import CatalogService
from shujian.cli.main import main
from shujian.clues.service import ClueFilter, ClueService
from shujian.db.models import AuditRecord, Clue
from shujian.errors import NotFound, PermissionDenied
from shujian.orgs.service import OrgService
from shujian.security.scope import scope_for, use_scope
from shujian.workflow.service import TransitionRefused, WorkflowService

from .conftest import A_DATASET, bearer, production_app, seed

#: identifiers in clear: a 身份证号, a mobile number, a bank card; and the fixture's names
CLEAR = re.compile(r"(?<![0-9])(\d{17}[\dX]|1[3-9]\d{9}|\d{16,19})(?![0-9])|张三|李四")
PHONE = "13800138000"


def scope_of(ws, username):
    u = OrgService(ws).get_user(username)
    with ws.db.unit_of_work() as s:
        return scope_for(s, username, u["org_id"], u["roles"])


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.fixture()
def pooled(sqlite_ws, monkeypatch):
    """The seed with clue b back in the pool of the 市院 that ran the model, titled like the built-in person
    models (name and full ID in the title) and with a free-text 备注 carrying a phone number."""
    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    ws = sqlite_ws
    ids = seed(ws)
    with ws.db.unit_of_work() as s:
        for cid in (ids["a"], ids["b"]):
            c = s.get(Clue, cid)
            who = c.subject.key          # the run stores clues in no fixed order: a and b are not always A and B
            name = c.subject.name or "张三"
            c.title = f"{name}（{who}）服刑期间领取养老金"
            c.facts = {**(c.facts or {}), "备注": f"家属电话 {PHONE}，身份证 {who}"}
        s.get(Clue, ids["b"]).org_id = None
    return ws, ids


# ------------------------------------------------------------------------------------------ 3
def test_3_pool_clues_belong_to_the_org_that_ran_the_model(pooled):
    ws, ids = pooled
    pool = ids["b"]
    # a_fzr is a 部门负责人 (a pool role) of 区县院 A: the 市院's pool is not theirs
    with use_scope(scope_of(ws, "a_fzr")):
        assert pool not in ClueService(ws).ids(ClueFilter())
        with pytest.raises(NotFound):
            ClueService(ws).get(pool)
    with use_scope(scope_of(ws, "c_sz")):          # the 市院's 数字办 triages its own pool
        assert pool in ClueService(ws).ids(ClueFilter())


def test_3_evidence_is_masked_even_when_the_viewer_cannot_see_the_dataset(pooled):
    """b_jcg holds clue a? No: B holds nothing here, so give B clue a's twin: B's own clue whose evidence
    comes from 区县院 A's dataset, which B may not see — masking used to fail open there."""
    ws, ids = pooled
    with ws.db.unit_of_work() as s:
        s.get(Clue, ids["b"]).org_id = ids["orgs"]["331003"]
    with TestClient(production_app(ws), raise_server_exceptions=False) as client:
        with use_scope(scope_of(ws, "b_jcg")):
            with pytest.raises(NotFound):
                CatalogService(ws).describe(A_DATASET)             # B cannot see A's dataset …
        resp = client.get(f"/api/v1/clues/{ids['b']}", headers=bearer(ws, "b_jcg"))
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert any(e["dataset"] == A_DATASET and e["rows"] for e in body["evidence"])
        text = json.dumps(body, ensure_ascii=False)
        m = CLEAR.search(text)
        assert not m, text[max(0, m.start() - 300):m.end() + 50]   # … and still sees it masked


# ------------------------------------------------------------------------------------------ 4
def test_4_another_orgs_pool_clue_cannot_be_taken(pooled):
    ws, ids = pooled
    wf = WorkflowService(ws)
    with use_scope(scope_of(ws, "a_fzr")):
        with pytest.raises(NotFound):
            wf.transition(ids["b"], "研判", "a_fzr")
    with ws.db.unit_of_work() as s:
        assert s.get(Clue, ids["b"]).state == "生成"
    # even without a scope (a command naming the actor), the actor's own org decides
    with pytest.raises(NotFound):
        wf.transition(ids["b"], "研判", "a_fzr")
    with ws.db.unit_of_work() as s:
        s.get(Clue, ids["b"]).state = "研判"
    with pytest.raises(NotFound):
        wf.transition(ids["b"], "交办", "a_fzr", org="331002", deadline=date(2099, 1, 1))
    with use_scope(scope_of(ws, "c_ld")):           # the 市院 dispatches its own pool
        assert wf.transition(ids["b"], "交办", "c_ld", org="331003", deadline=date(2099, 1, 1))["state"] == "交办"


# ------------------------------------------------------------------------------------------ 10
def test_10_titles_facts_and_lists_are_masked_on_every_surface(pooled, capsys):
    ws, ids = pooled
    with ws.db.unit_of_work() as s:
        s.get(Clue, ids["b"]).org_id = ids["orgs"]["331003"]
    code, out, err = cli(capsys, "clue", "list", "--as", "b_jcg", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["clue_id"] for r in rows] == [ids["b"]] and not CLEAR.search(out), out
    assert "1**********8000" not in out and "138****8000" in out                  # 备注's phone, masked once
    code, out, err = cli(capsys, "clue", "show", str(ids["b"]), "--as", "b_jcg", "--format", "json")
    assert code == 0 and not CLEAR.search(out), out
    with TestClient(production_app(ws), raise_server_exceptions=False) as client:
        h = bearer(ws, "b_jcg")
        for url in ("/api/v1/clues", f"/api/v1/clues/{ids['b']}", "/clues", f"/clues/{ids['b']}"):
            resp = client.get(url, headers=h)
            assert resp.status_code == 200 and not CLEAR.search(resp.text), (url, CLEAR.search(resp.text))
        resp = client.get("/api/v1/clues/export.xlsx", headers=h)
        assert resp.status_code == 200
        assert not CLEAR.search(_office_text(resp.content))
    # the view is audited once, by the access layer, whatever the surface
    with ws.db.unit_of_work() as s:
        views = s.query(AuditRecord).filter(AuditRecord.action == "clue.view",
                                            AuditRecord.target == f"clue:{ids['b']}").count()
    assert views == 3          # cli show, API detail, page detail


def _office_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))


# ------------------------------------------------------------------------------------------ 13
def test_13_clue_exclude_follows_the_lifecycle_and_the_role(pooled, capsys):
    ws, ids = pooled
    a = ids["a"]
    code, _, err = cli(capsys, "clue", "exclude", str(a), "--reason", "无操作人")
    assert code != 0 and "操作人" in err
    with ws.db.unit_of_work() as s:
        s.get(Clue, a).state = "成案"
    code, _, err = cli(capsys, "clue", "exclude", str(a), "--reason", "成案后排除", "--as", "a_jcg")
    assert code != 0 and "不能执行“排除”" in err
    with ws.db.unit_of_work() as s:
        s.get(Clue, a).state = "生成"
    code, _, err = cli(capsys, "clue", "exclude", str(a), "--reason", "越权", "--as", "b_jcg")
    assert code != 0 and "不存在" in err                                   # another org's clue
    code, _, err = cli(capsys, "clue", "exclude", str(a), "--reason", "误报", "--as", "a_jcg",
                       "--exclusion-type", "数据错误")
    assert code == 0, err
    with ws.db.unit_of_work() as s:
        c = s.get(Clue, a)
        assert (c.state, c.exclusion_type, c.suppressed) == ("排除", "数据错误", True)
    with pytest.raises(TransitionRefused):                   # the local operator too follows the table
        ClueService(ws).exclude(a, "再排除")


def test_permission_denied_lives_in_errors():
    from shujian.web.security import PermissionDenied as WebDenied
    from shujian.workflow.service import PermissionDenied as WorkflowDenied

    assert WebDenied is PermissionDenied and WorkflowDenied is PermissionDenied


# ------------------------------------------------------------------------------------------ 5
def test_5_a_dataset_is_governed_only_by_its_owning_org(sqlite_ws, monkeypatch):
    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    ws = sqlite_ws
    ids = seed(ws)
    OrgService(ws).add_user("a_sz", "a_sz", "331002", ["数字办"])
    OrgService(ws).add_user("b_sz", "b_sz", "331003", ["数字办"])
    CatalogService(ws).set_level(A_DATASET, "敏感", sealed=True)            # 区县院 A's dataset, sealed
    CatalogService(ws).set_level("养老金发放", "敏感", sealed=True)         # platform-shared, sealed
    body = {"level": "内部", "sealed": False}
    with TestClient(production_app(ws), raise_server_exceptions=False) as client:
        b, a, c = bearer(ws, "b_sz"), bearer(ws, "a_sz"), bearer(ws, "c_sz")
        assert client.put(f"/api/v1/datasets/{A_DATASET}/level", json=body, headers=b).status_code == 404
        for h in (a, b, c):                       # a shared dataset: only the top of the org tree governs it
            resp = client.put("/api/v1/datasets/养老金发放/level", json=body, headers=h)
            assert resp.status_code == 403, resp.text
            resp = client.put("/api/v1/datasets/养老金发放/columns/身份证号/semantic", json={"semantic": None},
                              headers=h)
            assert resp.status_code == 403, resp.text
        resp = client.put(f"/api/v1/datasets/{A_DATASET}/level", json={"level": "敏感", "sealed": True}, headers=c)
        assert resp.status_code == 200                                      # the 市院 above A may
    with ws.db.unit_of_work() as s:
        from shujian.db.models import Dataset
        assert all(d.sealed for d in s.query(Dataset))
    assert ids


# ------------------------------------------------------------------------------------------ 6, 12
DRAFT = "draft-of-district-a"


def _model_source(model_id: str) -> str:
    from tests.runs.conftest import MODEL

    return MODEL.read_text(encoding="utf-8").replace("id: pension-during-custody", f"id: {model_id}")


def test_6_and_12_models_belong_to_their_author_org(sqlite_ws, monkeypatch):
    from shujian.db.models import GovModel
    from shujian.governance.service import GovernanceService

    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    ws = sqlite_ws
    seed(ws)
    OrgService(ws).add_user("a_sz", "a_sz", "331002", ["数字办"])
    OrgService(ws).add_user("b_sz", "b_sz", "331003", ["数字办"])
    gov = GovernanceService(ws)
    gov.save(_model_source("listed-by-city"), "c_sz")
    gov.save(_model_source(DRAFT), "a_sz")
    with ws.db.unit_of_work() as s:                       # the 市院's model is listed for the whole city
        gm = s.query(GovModel).filter_by(model_id="listed-by-city").one()
        gm.state, gm.scope = "上架", "市"
    with pytest.raises(PermissionDenied):                 # 6: A may adopt it, not revise it
        gov.save(_model_source("listed-by-city").replace("name:", "name: 改", 1), "a_sz")
    with ws.db.unit_of_work() as s:
        assert s.query(GovModel).filter_by(model_id="listed-by-city").one().state == "上架"
    with TestClient(production_app(ws), raise_server_exceptions=False) as client:
        b = bearer(ws, "b_sz")
        resp = client.post("/api/v1/models", json={"source": _model_source("listed-by-city") + "\n# 修订\n"},
                           headers=b)
        assert resp.status_code == 403, resp.text
        # 12: A's draft does not exist for sibling B — 404 everywhere, never 409 or its content
        for method, url, kw in (("GET", f"/api/v1/models/{DRAFT}", {}),
                                ("POST", f"/api/v1/models/{DRAFT}/advance", {"json": {"action": "试运行"}}),
                                ("POST", f"/api/v1/models/{DRAFT}/certify",
                                 {"json": {"kind": "数字认证", "evaluations": {}}})):
            resp = client.request(method, url, headers=b, **kw)
            never = client.request(method, url.replace(DRAFT, "no-such-model"), headers=b, **kw)
            assert resp.status_code == never.status_code, (url, resp.text)      # exactly like a missing model
            assert resp.text.replace(DRAFT, "X") == never.text.replace("no-such-model", "X")
            if method == "GET" or "advance" in url:
                assert resp.status_code == 404, (url, resp.status_code)
        ledger = client.get("/api/v1/ledger", headers=b).json()
        assert DRAFT not in json.dumps(ledger) and "listed-by-city" in json.dumps(ledger)
        assert DRAFT in json.dumps(client.get("/api/v1/ledger", headers=bearer(ws, "c_ld")).json())


# ------------------------------------------------------------------------------------------ 7
def test_7_cli_as_obeys_the_acting_admins_org(sqlite_ws, capsys, monkeypatch):
    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    ws = sqlite_ws
    seed(ws, passwords=())
    OrgService(ws).add_user("a_admin", "a_admin", "331002", ["系统管理员"])
    monkeypatch.setattr("sys.stdin", io.StringIO("Another-Horse-7\n"))
    for args in (["user", "token-create", "c_ld", "--name", "越权", "--as", "a_admin"],
                 ["user", "password", "c_ld", "--password-stdin", "--as", "a_admin"],
                 ["user", "add", "x1", "--name", "越权", "--org", "3310", "--role", "检察官", "--as", "a_admin"],
                 ["user", "create", "x2", "--name", "越权", "--org", "331003", "--role", "检察官",
                  "--password-stdin", "--as", "a_admin"]):
        monkeypatch.setattr("sys.stdin", io.StringIO("Another-Horse-7\n"))
        code, _, err = cli(capsys, *args)
        assert code != 0 and "不存在" in err, (args, err)
    code, _, err = cli(capsys, "user", "add", "x3", "--name", "无人", "--org", "331002", "--role", "检察官")
    assert code != 0 and "操作人" in err                               # user add needs an acting admin
    code, _, err = cli(capsys, "user", "add", "x4", "--name", "新人", "--org", "331002", "--role", "检察官",
                       "--as", "a_admin")
    assert code == 0, err
    with ws.db.unit_of_work() as s:
        rec = s.query(AuditRecord).filter_by(action="user.create", target="x4").one()
        assert rec.actor == "a_admin"
        from shujian.db.models import User
        assert {u.username for u in s.query(User)} >= {"x4"} and not {"x1", "x2"} & {u.username for u in s.query(User)}


# ------------------------------------------------------------------------------------------ 8
def test_8_quality_examples_are_masked_and_withheld_on_sealed_data(sqlite_ws, monkeypatch):
    import pyarrow as pa

    from shujian.catalog.importer import ImportRequest

    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    ws = sqlite_ws
    seed(ws, passwords=())
    dup = pa.table({"身份证号": [A, A, B], "手机": [PHONE, PHONE, "13900139000"], "备注": ["a", "b", "c"]})
    CatalogService(ws).import_arrow(ImportRequest(name="重复人员", agency="测试", semantics={"身份证号": "id_number"},
                                                  key_columns=["身份证号"]), dup)
    raw = json.dumps(CatalogService(ws).quality("重复人员"), ensure_ascii=False)
    assert A in raw                                                   # the local operator: in clear
    with use_scope(scope_of(ws, "c_sz")):
        report = CatalogService(ws).quality("重复人员")
        text = json.dumps(report, ensure_ascii=False)
        assert report["duplicates"]["examples"] and not CLEAR.search(text), text
    CatalogService(ws).set_level("重复人员", "敏感", sealed=True)
    for scope in (None, scope_of(ws, "c_sz")):
        with use_scope(scope):
            text = json.dumps(CatalogService(ws).quality("重复人员"), ensure_ascii=False)
            assert A not in text and "密封" in text
