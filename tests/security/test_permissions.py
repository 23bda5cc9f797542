"""The permission registry: every route declares a registered, documented action; grants are sane."""

from __future__ import annotations

import re

import pytest

from shujian.orgs.roles import ROLES
from shujian.security.permissions import ACTIONS, GRANTS, actions_of, granted, unmask_action
from shujian.web.app import create_app
from shujian.web.app import endpoint_routes as flat_routes

#: routes anyone may reach without an action (the login form itself)
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("POST", "/logout"), ("GET", "/healthz")}


def route_action(route) -> str | None:
    """The action declared through ``require(...)`` on a route (None if it declares none)."""
    for dep in route.dependant.dependencies:
        action = getattr(dep.call, "action", None)
        if action:
            return action
    return None


def all_routes(ws):
    routes = flat_routes(create_app(workspace=ws))
    assert len(routes) > 60, "route enumeration found too few routes"
    return routes


def test_every_route_declares_a_registered_documented_action(sqlite_ws):
    missing = []
    for route in all_routes(sqlite_ws):
        if route.path in ("/api/v1/openapi.json", "/api/docs", "/api/redoc", "/favicon.ico", "/docs/oauth2-redirect"):
            continue
        for method in route.methods - {"HEAD"}:
            action = route_action(route)
            if action is None and (method, route.path) not in PUBLIC:
                missing.append(f"{method} {route.path}")
            elif action is not None:
                assert action in ACTIONS, f"{route.path} uses unregistered action {action}"
                assert re.search(r"[\u4e00-\u9fff]", ACTIONS[action]), f"{action} has no Chinese description"
    assert not missing, f"routes without require(action): {missing}"


def test_grants_name_only_registered_actions_and_known_roles():
    assert set(GRANTS) == set(ROLES)
    for role, actions in GRANTS.items():
        unknown = actions - set(ACTIONS)
        assert not unknown, f"{role} is granted unregistered actions {unknown}"


def test_separation_of_duties():
    # 三员分立: the administrator manages accounts and reads the audit log but sees no case data
    assert granted(["系统管理员"], "user.manage") and granted(["系统管理员"], "audit.read")
    for action in ("clues.read", "data.preview", "clues.export", "data.unmask.敏感"):
        assert not granted(["系统管理员"], action)
    assert not granted(["检察官"], "user.manage") and not granted(["检察官"], "data.unmask.敏感")
    assert granted(["院领导"], "data.unmask.核心") and not granted(["部门负责人"], "data.unmask.核心")
    assert actions_of([]) == []


def test_unknown_action_is_refused():
    with pytest.raises(KeyError):
        granted(["检察官"], "clues.delete")
    assert unmask_action("敏感") == "data.unmask.敏感" and unmask_action("内部") is None
