"""Issue 14 finding 12 (accounts and web): a password reset ends sessions and tokens; lockout and timing
tell no username apart; deep YAML is a Chinese 4xx, not a 500; production ``serve`` makes no demo
accounts; the CSRF token is bound to the login session; pages carry a Content-Security-Policy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.security.conftest import production_app

from shujian.config import load_settings
from shujian.db.models import User
from shujian.errors import ConfigError
from shujian.orgs.service import OrgService
from shujian.security import passwords
from shujian.security.accounts import MAX_FAILURES, AccountService, Unauthorized
from shujian.security.audit import AuditLog
from shujian.workspace import Workspace

PASSWORD = "Correct-Horse-9"
TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "shujian" / "web" / "templates"


@pytest.fixture
def people(sqlite_ws):
    orgs = OrgService(sqlite_ws)
    orgs.seed(["33"])
    for username, org, roles in (("li", "331002", ["检察官"]), ("wang", "331002", ["检察官"]),
                                 ("sz", "3310", ["数字办"]), ("admin", "3310", ["系统管理员"]),
                                 ("nopass", "331002", ["检察官"])):
        orgs.add_user(username, username, org, roles)
    acc = AccountService(sqlite_ws)
    for username in ("li", "wang", "sz", "admin"):
        acc.set_password(username, PASSWORD)
    return sqlite_ws


def _login(client: TestClient, username: str, password: str = PASSWORD):
    client.get("/login", headers={"accept": "text/html"})
    return client.post("/login", data={"username": username, "password": password, "next": "/",
                                       "csrf_token": client.cookies.get("shujian_csrf")}, follow_redirects=False)


# -- a password reset ends the user's sessions and API tokens ---------------------------------------
def test_a_password_reset_ends_sessions_and_tokens(people):
    acc = AccountService(people)
    session = acc.start_session("li")
    token = acc.create_token("li", "脚本")["token"]
    other = acc.start_session("wang")
    assert acc.session_user(session) and acc.token_user(token)
    acc.reset_password("li", "Another-Horse-7", actor="admin")
    assert acc.session_user(session) is None and acc.token_user(token) is None
    assert acc.session_user(other) is not None                  # other users keep theirs
    rec = [r for r in AuditLog(people).search(action="user.password") if r["target"] == "li"][0]
    assert rec["detail"] == {"sessions_ended": 1, "tokens_revoked": 1}


def test_a_stolen_cookie_stops_working_after_the_reset(people):
    with TestClient(production_app(people), raise_server_exceptions=False) as client:
        assert _login(client, "li").status_code == 303
        assert client.get("/api/v1/me").status_code == 200
        AccountService(people).reset_password("li", "Another-Horse-7", actor="admin")
        assert client.get("/api/v1/me").status_code == 401


# -- lockout and timing do not tell usernames apart ------------------------------------------------
def test_unknown_and_locked_users_get_the_same_answer(people):
    acc = AccountService(people)
    for _ in range(MAX_FAILURES):
        with pytest.raises(Unauthorized):
            acc.authenticate("li", "Wrong-Horse-1")
    answers = set()
    for username, password in (("li", PASSWORD), ("li", "Wrong-Horse-1"), ("nobody", PASSWORD),
                               ("nopass", PASSWORD), ("wang", "Wrong-Horse-1")):
        with pytest.raises(Unauthorized) as exc:
            acc.authenticate(username, password)
        answers.add((exc.value.message, exc.value.hint))
    assert len(answers) == 1


@pytest.fixture
def argon2_checks(monkeypatch):
    """Count argon2 verifications (the costly step) per login attempt."""
    calls = []
    hasher = passwords._hasher
    real = hasher.verify

    class Counting(type(hasher)):
        def verify(self, hash, password):  # noqa: A002 - argon2's parameter name
            calls.append(1)
            return real(hash, password)

    counting = Counting(time_cost=hasher.time_cost, memory_cost=hasher.memory_cost, parallelism=hasher.parallelism)
    monkeypatch.setattr(passwords, "_hasher", counting)
    return calls


def test_every_failed_login_costs_one_argon2_check(people, argon2_checks):
    """Unknown name, locked account, disabled account, account without a password: each runs argon2 once,
    like a wrong password for a real account — no fast path gives the username away."""
    acc = AccountService(people)
    with people.db.unit_of_work() as s:
        s.query(User).filter_by(username="wang").update({"active": False})
    for _ in range(MAX_FAILURES):
        with pytest.raises(Unauthorized):
            acc.authenticate("li", "Wrong-Horse-1")
    for username in ("li", "nobody", "wang", "nopass", "sz"):
        argon2_checks.clear()
        with pytest.raises(Unauthorized):
            acc.authenticate(username, "Wrong-Horse-1")
        assert len(argon2_checks) == 1, username


# -- deep YAML ---------------------------------------------------------------------------------------
def test_yaml_nested_5000_deep_is_a_chinese_refusal_not_a_server_error(people):
    from shujian.errors import ValidationFailed
    from shujian.spec import load_model

    deep = "id: x\nname: " + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(ValidationFailed, match="嵌套"):
        load_model(deep)
    token = AccountService(people).create_token("sz", "测试")["token"]
    with TestClient(production_app(people), raise_server_exceptions=False) as client:
        resp = client.post("/api/v1/models/validate", headers={"Authorization": f"Bearer {token}"},
                           json={"source": deep})
    assert resp.status_code < 500 and "嵌套" in resp.text


# -- production serve makes no demo accounts ------------------------------------------------------------
def test_production_serve_makes_no_password_less_demo_accounts(tmp_path, monkeypatch):
    from shujian.web.accounts import ensure_demo_accounts
    from shujian.web.server import demo_accounts_for

    monkeypatch.setenv("SHUJIAN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SHUJIAN_DATABASE_URL", raising=False)
    ws = Workspace(load_settings(env="production", secret_key="s" * 40)).ensure()
    try:
        assert demo_accounts_for(ws, None) == []
        with pytest.raises(ConfigError, match="演示账号"):
            demo_accounts_for(ws, True)
        with pytest.raises(ConfigError, match="演示账号"):
            ensure_demo_accounts(ws)
        with ws.db.unit_of_work() as s:
            assert s.query(User).count() == 0
    finally:
        ws.close()


# -- CSRF bound to the session -------------------------------------------------------------------------
def test_a_planted_csrf_cookie_does_not_pass_for_a_logged_in_user(people):
    with TestClient(production_app(people), raise_server_exceptions=False) as client:
        assert _login(client, "li").status_code == 303
        client.cookies.set("shujian_csrf", "planted-by-attacker")
        resp = client.post("/logout", data={"csrf_token": "planted-by-attacker"}, follow_redirects=False)
        assert resp.status_code == 403
        assert client.get("/api/v1/me").status_code == 200          # still logged in


def test_a_csrf_token_of_one_session_is_refused_in_another(people):
    app = production_app(people)
    with TestClient(app, raise_server_exceptions=False) as a, TestClient(app, raise_server_exceptions=False) as b:
        _login(a, "li")
        _login(b, "wang")
        page = a.get("/", headers={"accept": "text/html"}).text
        token_a = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
        assert token_a == a.cookies.get("shujian_csrf")
        b.cookies.set("shujian_csrf", token_a)
        assert b.post("/logout", data={"csrf_token": token_a}, follow_redirects=False).status_code == 403
        assert a.post("/logout", data={"csrf_token": token_a}, follow_redirects=False).status_code == 303


# -- Content-Security-Policy ---------------------------------------------------------------------------
def test_pages_carry_a_csp_without_inline_script(people):
    with TestClient(production_app(people), raise_server_exceptions=False) as client:
        _login(client, "sz")
        resp = client.get("/", headers={"accept": "text/html"})
        login = client.get("/login", headers={"accept": "text/html"})
    for r in (resp, login):
        policy = r.headers["content-security-policy"]
        assert "script-src 'self' 'nonce-" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert resp.headers["content-security-policy"] != login.headers["content-security-policy"]   # fresh nonce


INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)
SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>", re.I)


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_templates_have_no_inline_code_the_policy_would_block(template):
    """Inline event handlers never run under the policy; an inline <script> needs the response's nonce."""
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    assert not INLINE_HANDLER.search(text), f"{template}: 用 data- 属性和 static/js 里的事件处理代替内联 on…="
    for m in SCRIPT.finditer(text):
        attrs = m.group("attrs")
        if "src=" in attrs or "application/json" in attrs:
            continue
        assert "nonce=" in attrs, f"{template}: 内联 <script> 需要 nonce=\"{{{{ request.state.csp_nonce }}}}\""
