"""Masking by role with audited unmasking; sealed datasets (数据可用不可见)."""

from __future__ import annotations

import re

import pytest
from tests.runs.conftest import MODEL
from tests.runs.conftest import A as PERSON

from shujian.catalog.service import CatalogService
from shujian.clues.service import ClueService
from shujian.db.models import GovModel
from shujian.governance.service import GovernanceService
from shujian.governance.versions import parse_source
from shujian.runs.service import RunService
from shujian.security.audit import AuditLog
from shujian.security.masking import SealedData, effective_level, may_unmask

from .conftest import bearer


def test_effective_level_of_personal_columns_is_at_least_sensitive():
    assert effective_level("公开", None, "id_number") == "敏感"
    assert effective_level("核心", None, "id_number") == "核心"
    assert effective_level("内部", "核心", None) == "核心"
    assert effective_level("内部", None, None) == "内部"
    assert may_unmask(["院领导"], "核心") and not may_unmask(["部门负责人"], "核心")
    assert may_unmask(["检察官"], "内部") and not may_unmask(["检察官"], "敏感")


def test_preview_is_masked_for_everyone_by_default(seeded, app_client):
    ws, _ = seeded
    for user in ("c_ld", "c_sz", "c_jcg"):
        rows = app_client.get("/api/v1/datasets/养老金发放/preview", headers=bearer(ws, user)).json()["rows"]
        assert rows and all(PERSON not in str(r) for r in rows) and "*" in str(rows[0][0])


def test_unmask_needs_the_role_and_a_reason_and_is_audited(seeded, app_client):
    ws, _ = seeded
    url = "/api/v1/datasets/养老金发放/unmask"
    resp = app_client.post(url, headers=bearer(ws, "c_ld"), json={"reason": "核查线索 1 的发放记录"})
    assert resp.status_code == 200 and PERSON in str(resp.json()["rows"]) and "身份证号" in resp.json()[
        "unmasked_columns"]
    rec = AuditLog(ws).search(actor="c_ld", action="data.unmask")[0]
    assert rec["reason"] == "核查线索 1 的发放记录" and rec["outcome"] == "成功" and "身份证号" in rec["detail"]["columns"]
    assert app_client.post(url, headers=bearer(ws, "c_ld"), json={}).status_code == 422     # no reason, no look
    denied = app_client.post(url, headers=bearer(ws, "c_jcg"), json={"reason": "想看看原始数据"})
    assert denied.status_code == 403
    assert AuditLog(ws).search(actor="c_jcg", action="data.unmask")[0]["outcome"] == "拒绝"
    assert AuditLog(ws).verify()["ok"]


@pytest.fixture
def sealed_pension(seeded):
    ws, _ = seeded
    CatalogService(ws).set_level("养老金发放", "敏感", sealed=True)
    yield ws
    CatalogService(ws).set_level("养老金发放", "内部", sealed=False)


def test_sealed_dataset_rows_never_leave(sealed_pension, app_client, seeded):
    ws, ids = seeded
    for user in ("c_ld", "c_sz"):
        h = bearer(ws, user)
        assert app_client.get("/api/v1/datasets/养老金发放/preview", headers=h).status_code == 422
        assert app_client.post("/api/v1/datasets/养老金发放/unmask", headers=h,
                               json={"reason": "领导要求查看"}).status_code in (403, 422)
    with pytest.raises(SealedData):                         # the service refuses too (CLI and any caller)
        CatalogService(ws).preview("养老金发放")
    GovernanceService(ws).save(MODEL.read_text(encoding="utf-8"), "c_sz")     # the fixture-bound version
    graph = app_client.get("/api/v1/builder/graph/pension-during-custody", headers=bearer(ws, "c_sz")).json()
    node = next(n["id"] for n in graph["nodes"] if n.get("kind") == "output")      # reads both inputs
    resp = app_client.post("/api/v1/builder/preview", headers=bearer(ws, "c_sz"),
                           json={**graph, "node": node, "limit": 5})
    assert resp.status_code == 422 and "密封" in resp.json()["error"]["message"]
    evidence = ClueService(ws).get(ids["a"])["evidence"]
    sealed_rows = [e for e in evidence if e["dataset"] == "养老金发放"]
    assert sealed_rows and all(e["rows"] == [] and e["sealed"] for e in sealed_rows)
    assert all(e["rows"] for e in evidence if e["dataset"] != "养老金发放")


def test_only_certified_or_built_in_models_run_on_sealed_data(sealed_pension):
    ws = sealed_pension
    draft = MODEL.read_text(encoding="utf-8").replace("id: pension-during-custody", "id: sealed-draft")
    GovernanceService(ws).save(draft, "c_sz")
    with pytest.raises(SealedData, match="未经认证"):
        RunService(ws).run(parse_source(draft))
    with ws.db.unit_of_work() as s:
        s.query(GovModel).filter_by(model_id="sealed-draft").update({"state": "数字认证"})
    assert RunService(ws).run(parse_source(draft)).status == "succeeded"      # once certified it may


def test_clue_evidence_unmask_by_role_with_reason(seeded, app_client):
    ws, ids = seeded
    url = f"/api/v1/clues/{ids['a']}/unmask"
    detail = app_client.get(f"/api/v1/clues/{ids['a']}", headers=bearer(ws, "a_fzr")).json()
    full_id = re.compile(r"\b\d{17}[\dX]\b")
    assert not full_id.search(str(detail["evidence"]))                 # masked by default
    resp = app_client.post(url, headers=bearer(ws, "a_fzr"), json={"reason": "核查发放记录"})
    assert resp.status_code == 200 and full_id.search(str(resp.json()["evidence"]))
    assert AuditLog(ws).search(actor="a_fzr", action="data.unmask")[0]["target"] == f"clue:{ids['a']}"
    assert app_client.post(url, headers=bearer(ws, "a_jcg"), json={"reason": "想看看原始数据"}).status_code == 403
    assert app_client.post(url, headers=bearer(ws, "b_jcg"), json={"reason": "想看看原始数据"}).status_code == 404
