"""用户与机构 administration: create, reset password, lock/unlock — API and page, scoped, CSRF, audited."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from shujian.security.accounts import MAX_FAILURES, AccountService, Unauthorized
from shujian.security.audit import AuditLog
from shujian.web.app import create_app

from .conftest import copy_workspace

PASSWORD = "Correct-Horse-9"
NEW_PASSWORD = "Battery-Staple-42"


@pytest.fixture(autouse=True)
def _fast_argon2(monkeypatch):
    """Cheaper argon2 parameters in tests only (same algorithm and code path)."""
    from argon2 import PasswordHasher

    from shujian.security import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="module")
def ws(seeded_home, tmp_path_factory):
    from argon2 import PasswordHasher

    from shujian.security import passwords

    saved, passwords._hasher = passwords._hasher, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    w = copy_workspace(seeded_home, tmp_path_factory.mktemp("admin") / "home")
    accounts = AccountService(w)
    accounts.create_admin("c_admin", "市院管理员", "3310", PASSWORD)
    accounts.create_admin("jj_admin", "椒江管理员", "331002", PASSWORD)
    accounts.set_password("jj_jcg", PASSWORD)
    passwords._hasher = saved
    yield w
    w.close()


@pytest.fixture(scope="module")
def app(ws):
    return create_app(workspace=ws)


def bearer(ws, username: str) -> dict:
    return {"Authorization": "Bearer " + AccountService(ws).create_token(username, "测试")["token"]}


def new_user(**kw) -> dict:
    return {"username": "jj_new", "name": "新检察官", "org": "331002", "roles": ["检察官"],
            "department": "刑事执行检察部", "password": NEW_PASSWORD, **kw}


@pytest.fixture
def api(app, ws):
    with TestClient(app, raise_server_exceptions=False) as c:
        c.headers.update(bearer(ws, "c_admin"))
        yield c


def test_admin_creates_a_user_who_can_log_in_and_it_is_audited(api, ws):
    resp = api.post("/api/v1/users", json=new_user())
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["org"] == "台州市椒江区人民检察院" and body["roles"] == ["检察官"] and body["active"]
    assert AccountService(ws).authenticate("jj_new", NEW_PASSWORD)["username"] == "jj_new"
    made = AuditLog(ws).search(action="user.create", target="jj_new")
    assert made and made[0]["actor"] == "c_admin"
    again = api.post("/api/v1/users", json=new_user())
    assert again.status_code == 422 and "已存在" in again.json()["error"]["message"]


@pytest.mark.parametrize(("change", "where"), [({"password": "short"}, "口令不符合要求"),
                                               ({"password": "jj_weakPass-123"}, "不能包含用户名"),
                                               ({"roles": ["国王"]}, "角色"),
                                               ({"org": "999999"}, "检察院 999999 不存在")])
def test_create_refusals_use_the_error_envelope(api, change, where):
    resp = api.post("/api/v1/users", json=new_user(username="jj_weak", **change))
    assert resp.status_code in (404, 422) and where in resp.json()["error"]["message"]
    assert "jj_weak" not in {u["username"] for u in api.get("/api/v1/users?page_size=200").json()["items"]}


def test_bad_username_is_a_located_422(api):
    err = api.post("/api/v1/users", json=new_user(username="1 bad")).json()["error"]
    assert err["code"] == "bad_input" and err["details"]["problems"][0]["location"] == "username"


def test_other_roles_are_refused(app, ws):
    with TestClient(app, raise_server_exceptions=False) as c:
        resp = c.post("/api/v1/users", json=new_user(username="x_y"), headers=bearer(ws, "jj_jcg"))
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "forbidden"


def test_district_admin_sees_and_manages_only_its_own_org(app, ws):
    with TestClient(app, raise_server_exceptions=False) as c:
        c.headers.update(bearer(ws, "jj_admin"))
        listed = {u["org"] for u in c.get("/api/v1/users?page_size=200").json()["items"]}
        assert listed == {"台州市椒江区人民检察院"}
        sibling = c.post("/api/v1/users", json=new_user(username="hy_new", org="331003"))
        assert sibling.status_code == 404 and sibling.json()["error"]["code"] == "not_found"
        assert c.post("/api/v1/users/hy_jcg/password", json={"password": NEW_PASSWORD}).status_code == 404
        assert c.post("/api/v1/users/hy_jcg/lock", json={"locked": True}).status_code == 404
        assert c.post("/api/v1/users/jj_fzr/lock", json={"locked": True}).status_code == 200
        assert c.post("/api/v1/users/jj_fzr/lock", json={"locked": False}).json()["active"] is True


def test_reset_password_lock_and_unlock(api, ws, app):
    accounts = AccountService(ws)
    weak = api.post("/api/v1/users/jj_jcg/password", json={"password": "abc"})
    assert weak.status_code == 422 and "口令不符合要求" in weak.json()["error"]["message"]
    assert api.post("/api/v1/users/jj_jcg/password", json={"password": NEW_PASSWORD}).status_code == 200
    assert accounts.authenticate("jj_jcg", NEW_PASSWORD)
    assert AuditLog(ws).search(action="user.password", target="jj_jcg")[0]["actor"] == "c_admin"
    token = bearer(ws, "jj_jcg")
    locked = api.post("/api/v1/users/jj_jcg/lock", json={"locked": True}).json()
    assert locked["active"] is False
    with pytest.raises(Unauthorized):
        accounts.authenticate("jj_jcg", NEW_PASSWORD)
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/api/v1/me", headers=token).status_code == 401          # the token dies with the account
    assert api.post("/api/v1/users/jj_jcg/lock", json={"locked": False}).json()["active"] is True
    for _ in range(MAX_FAILURES):                                           # a lockout after wrong passwords …
        with pytest.raises(Unauthorized):
            accounts.authenticate("jj_jcg", "wrong-Password-1")
    assert accounts.account("jj_jcg")["locked_until"]
    assert api.post("/api/v1/users/jj_jcg/lock", json={"locked": False}).json()["locked_until"] is None
    assert accounts.authenticate("jj_jcg", NEW_PASSWORD)                    # … is cleared by 启用
    changes = AuditLog(ws).search(action="user.change", target="jj_jcg")
    assert [r["detail"]["locked"] for r in changes[:2]] == [False, False]
    assert api.post("/api/v1/users/jj_jcg/lock", json={}).status_code == 422
    assert api.post("/api/v1/users/c_admin/lock", json={"locked": True}).status_code == 422   # not oneself


# ---------------------------------------------------------------- the page
def login(c: TestClient, username: str, password: str = PASSWORD) -> None:
    c.get("/login", headers={"accept": "text/html"})
    r = c.post("/login", data={"username": username, "password": password, "next": "/",
                               "csrf_token": c.cookies.get("shujian_csrf")}, follow_redirects=False)
    assert r.status_code == 303, r.text


def test_page_form_keeps_input_and_shows_errors_beside_fields(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        login(c, "c_admin")
        page = c.get("/admin/users", headers={"accept": "text/html"})
        assert 'id="user-form"' in page.text and "jj_fzr" in page.text
        token = c.cookies.get("shujian_csrf")
        form = {"username": "page_user", "name": "页面用户", "org": "没有的院", "department": "",
                "roles": ["检察官", "部门负责人"], "password": "weak"}
        assert c.post("/admin/users", data=form, headers={"accept": "text/html"}).status_code == 403   # no CSRF
        bad = c.post("/admin/users", data={**form, "csrf_token": token}, headers={"accept": "text/html"})
        assert bad.status_code == 422
        assert 'id="e-org"' in bad.text and 'id="e-password"' in bad.text and 'id="e-username"' not in bad.text
        assert 'value="page_user"' in bad.text and 'value="页面用户"' in bad.text   # input kept …
        assert 'value="部门负责人" checked' in bad.text and "weak" not in bad.text  # … but never the password
        ok = c.post("/admin/users", data={**form, "org": "331002", "password": NEW_PASSWORD, "csrf_token": token},
                    headers={"accept": "text/html"}, follow_redirects=False)
        assert ok.status_code == 303 and "page_user" in c.get(ok.headers["location"]).text
        reset = c.post("/admin/users/page_user/password", data={"password": "x", "csrf_token": token},
                       headers={"accept": "text/html"})
        assert reset.status_code == 422 and 'class="err" id="e-pw-' in reset.text
        lock = c.post("/admin/users/page_user/lock", data={"locked": "1", "csrf_token": token},
                      follow_redirects=True, headers={"accept": "text/html"})
        assert "已停用用户 page_user" in lock.text and "已停用</span>" in lock.text


def test_page_shows_no_admin_forms_without_user_manage(app, ws):
    AccountService(ws).set_password("jj_fzr", PASSWORD)
    with TestClient(app, raise_server_exceptions=False) as c:
        login(c, "jj_fzr")
        page = c.get("/admin/users", headers={"accept": "text/html"})
        assert page.status_code == 200 and 'id="user-form"' not in page.text
        assert "hy_jcg" not in page.text                              # sibling 区县院's users are not listed
        token = c.cookies.get("shujian_csrf")
        refused = c.post("/admin/users", data={"username": "zz", "csrf_token": token}, headers={"accept": "text/html"})
        assert refused.status_code == 403
