"""The printed demo accounts log in through the 登录 form with the printed password; the account switcher
lists every account (grouped by 院), not the first 30."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from shujian.web.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from shujian.web.app import create_app
from shujian.web.auth import SessionIdentity

from .conftest import csrf


def test_printed_accounts_log_in_with_the_printed_password(web_ws):
    app = create_app(workspace=web_ws, identity=SessionIdentity(demo_fallback=False))
    for username, name, *_ in DEMO_ACCOUNTS:
        with TestClient(app) as c:
            token = c.get("/login").cookies.get("shujian_csrf") or c.cookies.get("shujian_csrf")
            r = c.post("/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token,
                                       "next": "/"}, headers={"accept": "text/html"})
            assert r.status_code == 200 and name in r.text and "用户名或口令错误" not in r.text, username


def test_switcher_lists_every_account(client, web_ws):
    from shujian.orgs.service import OrgService

    orgs = OrgService(web_ws)
    for i in range(40):
        orgs.add_user(f"extra_{i:02d}", f"演示人员{i}", "331002", ["检察官"])
    csrf(client)
    page = client.get("/", headers={"accept": "text/html"}).text
    switcher = page.split('id="demo-user"')[1].split("</select>")[0]
    assert len(re.findall(r"<option ", switcher)) == len(orgs.users()) > 40
    assert '<optgroup label="台州市椒江区人民检察院">' in switcher


def test_pages_of_a_logged_in_user_do_not_list_the_accounts(web_ws, monkeypatch):
    """The switcher shows to a demo user (or before login) in demo mode only: a page of a logged-in user
    — every page of a production server — does not read every account (it did, on every render)."""
    from shujian.orgs.service import OrgService

    app = create_app(workspace=web_ws, identity=SessionIdentity(demo_fallback=False))
    with TestClient(app) as c:
        token = c.get("/login").cookies.get("shujian_csrf") or c.cookies.get("shujian_csrf")
        username, name, *_ = DEMO_ACCOUNTS[0]
        r = c.post("/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token,
                                   "next": "/"}, headers={"accept": "text/html"})
        assert r.status_code == 200 and name in r.text

        def listed(*args, **kwargs):
            raise AssertionError("every account was read to render a page")

        monkeypatch.setattr(OrgService, "users", listed)
        for path in ("/", "/clues", "/models", "/data"):
            page = c.get(path, headers={"accept": "text/html"})
            assert page.status_code == 200 and name in page.text, path
            assert 'id="demo-user"' not in page.text
