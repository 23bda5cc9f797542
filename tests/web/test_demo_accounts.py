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
