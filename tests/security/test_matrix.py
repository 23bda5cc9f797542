"""Permission matrix, on SQLite and PostgreSQL: every API route, called as every role, is allowed exactly
when the role holds the route's action.  A new route without an expectation (an action) fails
:func:`test_matrix`."""

from __future__ import annotations

import re

from shujian.orgs.roles import ROLES
from shujian.security.permissions import granted

from .conftest import A_DATASET, ROLE_USER, bearer
from .test_permissions import flat_routes, route_action

PATH_VALUES = {"name": A_DATASET, "column": "身份证号", "model_id": "pension-during-custody", "ref": "3310",
               "run_id": "1", "job_id": "1", "request_id": "1", "measure_id": "1",
               "username": "b_jcg", "attachment_id": "1",      # user administration, clue attachments
               "sub_id": "1"}                                  # 关键词订阅


def _url(path: str, clue_id: int) -> str:
    values = {**PATH_VALUES, "clue_id": str(clue_id)}
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values[m.group(1)], path)


def _denied_by_authorizer(resp, action: str) -> bool:
    if resp.status_code != 403:
        return False
    from shujian.security.permissions import action_label

    return f"无权“{action_label(action)}”" in resp.json()["error"]["message"]


def test_matrix(seeded_db, db_client):
    ws, ids = seeded_db
    app_client = db_client
    headers = {role: bearer(ws, user) for role, user in ROLE_USER.items()}
    routes = [r for r in flat_routes(app_client.fastapi_app) if r.path.startswith("/api/v1/")
              and r.path != "/api/v1/openapi.json"]
    assert len(routes) > 40
    problems, calls = [], 0
    for route in routes:
        action = route_action(route)
        assert action is not None, f"{route.path} declares no action: add require(...) and an expectation"
        for method in sorted(route.methods - {"HEAD"}):
            url = _url(route.path, ids["a"])
            for role in ROLES:
                kw = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
                resp = app_client.request(method, url, headers=headers[role], **kw)
                calls += 1
                assert resp.status_code != 401, f"{method} {url} as {role}: token refused"
                assert resp.status_code < 500, f"{method} {url} as {role}: {resp.status_code} {resp.text[:200]}"
                expected = granted([role], action)
                if expected == _denied_by_authorizer(resp, action):
                    problems.append(f"{method} {url} as {role}: expected {'allow' if expected else 'deny'}, "
                                    f"got {resp.status_code}")
    assert not problems, "\n".join(problems)
    assert calls >= len(routes) * len(ROLES)


def test_no_credentials_is_401_everywhere(db_client):
    app_client = db_client
    for route in flat_routes(app_client.fastapi_app):
        if route.path.startswith("/api/v1/") and route.path != "/api/v1/openapi.json":
            method = sorted(route.methods - {"HEAD"})[0]
            resp = app_client.request(method, _url(route.path, 1), headers={"accept": "application/json"})
            assert resp.status_code == 401, f"{method} {route.path}: {resp.status_code}"
            assert resp.json()["error"]["code"] == "unauthorized"


def test_pages_redirect_to_login_without_session(db_client):
    app_client = db_client
    for path in ("/", "/clues", "/data", "/audit", "/admin/users"):
        resp = app_client.get(path, headers={"accept": "text/html"}, follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next=")
