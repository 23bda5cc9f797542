"""Browser login: CSRF, cookie flags, expiry, logout, forged cookies, open redirects, secrets, hardening."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from shujian.config import load_settings
from shujian.db.models import AuthSession
from shujian.errors import ConfigError
from shujian.security.audit import AuditLog
from shujian.web import auth
from shujian.web.app import create_app
from shujian.workspace import Workspace

from .conftest import PASSWORD, bearer

STRONG_SECRET = "k3Y-" + "x" * 40


def _login(client: TestClient, username: str, password: str = PASSWORD, next_: str = "/clues"):
    client.get("/login", headers={"accept": "text/html"})
    token = client.cookies.get("shujian_csrf")
    return client.post("/login", data={"username": username, "password": password, "next": next_,
                                       "csrf_token": token}, follow_redirects=False)


@pytest.fixture
def fresh(seeded):
    ws, _ = seeded
    with TestClient(create_app(workspace=ws, identity=auth.SessionIdentity(demo_fallback=False)),
                    raise_server_exceptions=False) as c:
        yield c


def test_login_sets_a_hardened_session_cookie(fresh):
    resp = _login(fresh, "a_jcg")
    assert resp.status_code == 303 and resp.headers["location"] == "/clues"
    cookie = resp.headers["set-cookie"]
    assert "shujian_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace(
        "samesite", "SameSite")
    me = fresh.get("/api/v1/me").json()
    assert me["username"] == "a_jcg" and me["demo"] is False and me["org"] == "台州市椒江区人民检察院"
    page = fresh.get("/clues", headers={"accept": "text/html"}).text
    assert "台州市椒江区人民检察院" in page and "检察官" in page and 'action="/logout"' in page
    assert "演示账号" not in page


def test_login_form_needs_the_csrf_token(fresh):
    fresh.get("/login")
    resp = fresh.post("/login", data={"username": "a_jcg", "password": PASSWORD}, follow_redirects=False)
    assert resp.status_code == 403 and "shujian_session" not in resp.headers.get("set-cookie", "")


def test_wrong_password_is_refused_without_a_cookie(fresh):
    resp = _login(fresh, "a_jcg", "Wrong-Password-1")
    assert resp.status_code == 401 and "用户名或口令错误" in resp.text
    assert "shujian_session" not in resp.headers.get("set-cookie", "")


def test_expired_session_is_refused(seeded, fresh):
    ws, _ = seeded
    _login(fresh, "a_jcg")
    assert fresh.get("/api/v1/me").status_code == 200
    with ws.db.unit_of_work() as s:
        s.query(AuthSession).update({"expires_at": datetime.now(UTC) - timedelta(minutes=1)})
    resp = fresh.get("/api/v1/me")
    assert resp.status_code == 401 and "过期" in resp.json()["error"]["message"]
    page = fresh.get("/clues", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_logout_revokes_the_session_even_if_the_cookie_is_replayed(fresh):
    _login(fresh, "a_jcg")
    stolen = fresh.cookies.get("shujian_session")
    fresh.post("/logout", data={"csrf_token": fresh.cookies.get("shujian_csrf")}, follow_redirects=False)
    fresh.cookies.set("shujian_session", stolen)
    assert fresh.get("/api/v1/me").status_code == 401


def test_forged_cookie_is_refused(fresh):
    _login(fresh, "a_jcg")
    token, _sig = fresh.cookies.get("shujian_session").rsplit(".", 1)
    fresh.cookies.set("shujian_session", token + "." + "0" * 32)
    assert fresh.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil.example"])
def test_login_never_redirects_off_site(fresh, target):
    resp = _login(fresh, "a_jcg", next_=target)
    assert resp.headers["location"] == "/"


def test_production_settings_refuse_missing_or_placeholder_secrets(tmp_path):
    for bad in (None, "changeme", "short"):
        with pytest.raises(ConfigError, match="SHUJIAN_SECRET_KEY"):
            load_settings(home=tmp_path, env="production", secret_key=bad)
    assert load_settings(home=tmp_path, env="production", secret_key=STRONG_SECRET).env == "production"
    assert load_settings(home=tmp_path).secret_key is None        # development needs none


def test_production_cookie_is_secure_and_there_is_no_demo_fallback(seeded):
    ws, _ = seeded
    prod = Workspace(load_settings(home=ws.settings.home_path, database_url=ws.settings.metadata_url,
                                   env="production", secret_key=STRONG_SECRET))
    with TestClient(create_app(workspace=prod), base_url="https://testserver") as c:
        assert c.get("/api/v1/me").status_code == 401
        assert c.get("/", headers={"accept": "text/html"}, follow_redirects=False).status_code == 303
        resp = _login(c, "a_jcg")
        assert "Secure" in resp.headers["set-cookie"]
        assert c.get("/api/v1/me").headers["strict-transport-security"]


def test_security_headers_and_no_stack_traces(seeded, app_client, monkeypatch):
    ws, _ = seeded
    from shujian.stats import service

    def boom(*a, **k):
        raise RuntimeError("secret detail /srv/shujian/metadata.sqlite")

    monkeypatch.setattr(service.StatsService, "ledger", boom)
    resp = app_client.get("/api/v1/stats/ledger", headers=bearer(ws, "c_ld"))
    assert resp.status_code == 500
    assert "Traceback" not in resp.text and "/srv/shujian" not in resp.text and "secret detail" not in resp.text
    ok = app_client.get("/api/v1/me", headers=bearer(ws, "c_ld"))
    assert ok.headers["x-frame-options"] == "DENY" and ok.headers["x-content-type-options"] == "nosniff"


def test_request_size_limit(seeded, app_client, monkeypatch):
    ws, _ = seeded
    from shujian.web import limits

    monkeypatch.setattr(limits, "BODY_LIMIT", 1 << 20)
    resp = app_client.post("/api/v1/models/validate", headers=bearer(ws, "c_sz"),
                           content=b"x" * (2 << 20))
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "too_large"


def test_bearer_token_works_and_revoked_token_does_not(seeded, app_client):
    ws, _ = seeded
    from shujian.security.accounts import AccountService

    t = AccountService(ws).create_token("a_jcg", "脚本")
    h = {"Authorization": f"Bearer {t['token']}"}
    assert app_client.get("/api/v1/me", headers=h).json()["username"] == "a_jcg"
    AccountService(ws).revoke_token(t["id"], actor="c_admin")
    resp = app_client.get("/api/v1/me", headers=h)
    assert resp.status_code == 401 and "吊销" in resp.json()["error"]["message"]


def test_audit_page_search_and_export_for_authorised_roles(seeded, app_client):
    ws, _ = seeded
    h = bearer(ws, "c_admin")
    page = app_client.get("/audit", headers={**h, "accept": "text/html"})
    assert page.status_code == 200 and "哈希链完整" in page.text
    found = app_client.get("/api/v1/audit", headers=h, params={"action": "token.create"}).json()
    assert found["total"] >= 1 and all(r["action"] == "token.create" for r in found["items"])
    csv_text = app_client.get("/api/v1/audit/export.csv", headers=h).text
    assert csv_text.splitlines()[0].lstrip("\ufeff").startswith("id,at,actor") and "token.create" in csv_text
    assert app_client.get("/api/v1/audit/verify", headers=h).json()["ok"] is True
    assert app_client.get("/api/v1/audit", headers=bearer(ws, "c_jcg")).status_code == 403
    assert app_client.get("/audit", headers={**bearer(ws, "c_jcg"), "accept": "text/html"}).status_code == 403


def test_changes_exports_and_looks_at_personal_data_are_audited(seeded, app_client):
    ws, ids = seeded
    h = bearer(ws, "a_fzr")
    assert app_client.get(f"/api/v1/clues/{ids['a']}", headers=h).status_code == 200
    app_client.post(f"/api/v1/clues/{ids['a']}/comments", headers=h, json={"text": "已阅"})
    app_client.get("/api/v1/clues/export.xlsx", headers=h)
    app_client.get("/api/v1/datasets/养老金发放/preview", headers=h)
    app_client.put("/api/v1/datasets/养老金发放/level", headers=h, json={"level": "核心"})   # refused: no data.govern
    kinds = {r["action"] for r in AuditLog(ws).search(actor="a_fzr")}
    assert {"clue.view", "clue.comment", "clue.export", "data.preview", "denied"} <= kinds
    denied = AuditLog(ws).search(actor="a_fzr", action="denied")[0]
    assert denied["outcome"] == "拒绝" and denied["detail"]["action"] == "data.govern"
    assert AuditLog(ws).verify()["ok"]
