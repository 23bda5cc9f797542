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
        for cid, who in ((ids["a"], A), (ids["b"], B)):
            c = s.get(Clue, cid)
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
