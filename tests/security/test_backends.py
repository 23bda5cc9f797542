"""Through the API on SQLite and PostgreSQL: a sibling's clue, dataset and run by id are "not found";
an expired session is refused; personal clue facts are masked for everyone until an audited unmask."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shujian.db.models import AuthSession, Clue, Run
from shujian.security.accounts import AccountService
from shujian.security.audit import AuditLog

from .conftest import A_DATASET, PASSWORD, bearer

PERSONAL = {"身份证号": "11010519491231002X", "姓名": "张三", "联系电话": "13812345678", "months": 4}


def test_sibling_gets_not_found_for_clue_dataset_and_run(seeded_db, db_client):
    ws, ids = seeded_db
    with ws.db.unit_of_work() as s:
        s.query(Run).update({"org_id": ids["orgs"]["331002"]})
    h = bearer(ws, "b_jcg")
    for url in (f"/api/v1/clues/{ids['a']}", f"/api/v1/datasets/{A_DATASET}", "/api/v1/runs/1"):
        resp = db_client.get(url, headers=h)
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found", url
        assert "不存在" in resp.json()["error"]["message"]
    assert db_client.get("/api/v1/runs", headers=h).json()["total"] == 0
    assert [r["run_id"] for r in db_client.get("/api/v1/runs", headers=bearer(ws, "a_jcg")).json()["items"]] == [1]
    assert db_client.get("/api/v1/runs/1", headers=bearer(ws, "c_ld")).status_code == 200


def test_expired_session_is_refused(seeded_db, db_client):
    ws, _ = seeded_db
    accounts = AccountService(ws)
    accounts.authenticate("a_jcg", PASSWORD)
    token = accounts.start_session("a_jcg")
    db_client.cookies.set("shujian_session", db_client.fastapi_app.state.identity.cookie_value(token))
    try:
        assert db_client.get("/api/v1/me").status_code == 200
        with ws.db.unit_of_work() as s:
            s.query(AuthSession).update({"expires_at": datetime.now(UTC) - timedelta(minutes=1)})
        resp = db_client.get("/api/v1/me")
        assert resp.status_code == 401 and "过期" in resp.json()["error"]["message"]
    finally:
        db_client.cookies.clear()


def test_personal_facts_are_masked_until_an_audited_unmask(seeded_db, db_client):
    ws, ids = seeded_db
    with ws.db.unit_of_work() as s:
        s.get(Clue, ids["a"]).facts = dict(PERSONAL)
    for user in ("a_jcg", "a_fzr", "c_ld"):                         # masked by default, whatever the role
        shown = db_client.get(f"/api/v1/clues/{ids['a']}", headers=bearer(ws, user)).json()
        assert shown["facts"] == {"身份证号": "110105********002X", "姓名": "张*", "联系电话": "138****5678",
                                  "months": 4}
        listed = db_client.get("/api/v1/clues", headers=bearer(ws, user)).json()["items"]
        assert all("11010519491231002X" not in str(c["facts"]) for c in listed)
    page = db_client.get(f"/clues/{ids['a']}", headers={**bearer(ws, "a_jcg"), "accept": "text/html"}).text
    assert "13812345678" not in page and "138****5678" in page
    refused = db_client.post(f"/api/v1/clues/{ids['a']}/unmask", headers=bearer(ws, "a_jcg"),
                             json={"reason": "核实身份信息"})
    assert refused.status_code == 403
    opened = db_client.post(f"/api/v1/clues/{ids['a']}/unmask", headers=bearer(ws, "a_fzr"),
                            json={"reason": "核实身份信息"}).json()
    assert opened["facts"] == PERSONAL
    assert {"事实.身份证号", "事实.姓名", "事实.联系电话"} <= set(opened["unmasked_columns"])
    rec = AuditLog(ws).search(actor="a_fzr", action="data.unmask")[0]
    assert rec["reason"] == "核实身份信息" and "事实.身份证号" in rec["detail"]["columns"]
    assert AuditLog(ws).search(actor="a_jcg", action="data.unmask")[0]["outcome"] == "拒绝"
