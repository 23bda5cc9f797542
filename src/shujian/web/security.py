"""Who is asking and may they (身份与权限) — the one place the security layer plugs in.

Every route declares ``Depends(require("<action>"))``.  Today identity comes from
:class:`DemoIdentity`: a configurable local demo account (``SHUJIAN_WEB_USER``, default ``demo``),
switchable in development through the ``shujian_demo_user`` cookie, and :class:`AllowAll`
permits every registered action.  The security issue replaces ``app.state.identity`` (sessions,
API tokens) and ``app.state.authorizer`` (roles, org scope) without touching any route.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from typing import Annotated, Protocol

from fastapi import Depends, Request

from ..errors import NotFound, PermissionDenied
from ..security.permissions import ACTIONS as _REGISTRY

__all__ = ["ACTIONS", "CSRF", "CurrentUser", "PermissionDenied", "User", "current_user", "require"]

#: Every action a route may require: key → 中文说明 (the registry lives in shujian.security.permissions).
ACTIONS: dict[str, str] = _REGISTRY

DEMO_USERNAME_ENV = "SHUJIAN_WEB_USER"
DEMO_COOKIE = "shujian_demo_user"
CSRF_COOKIE = "shujian_csrf"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class CurrentUser:
    """The person behind a request, as pages and services need it."""

    username: str
    name: str
    roles: tuple[str, ...] = ()
    org: str | None = None
    org_id: int | None = None
    department: str | None = None
    demo: bool = True
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def roles_text(self) -> str:
        return "、".join(self.roles) or "（无角色）"


class Identity(Protocol):
    def identify(self, request: Request) -> CurrentUser: ...


class Authorizer(Protocol):
    def check(self, user: CurrentUser, action: str, request: Request) -> None: ...


class DemoIdentity:
    """Local demo identity: the configured account, or the one picked in the demo user switcher."""

    def __init__(self, username: str | None = None):
        self.username = username or os.environ.get(DEMO_USERNAME_ENV) or "demo"

    def identify(self, request: Request) -> CurrentUser:
        wanted = request.cookies.get(DEMO_COOKIE) or self.username
        ws = request.app.state.ws
        from ..orgs.service import OrgService

        try:
            u = OrgService(ws).get_user(wanted)
        except NotFound:
            if wanted == self.username:
                return CurrentUser(username=wanted, name="本地演示用户", roles=(), demo=True)
            u = OrgService(ws).get_user(self.username)
        return CurrentUser(username=u["username"], name=u["name"], roles=tuple(u["roles"]), org=u["org"],
                           org_id=u["org_id"], department=u["department"], demo=True)


class AllowAll:
    """Development authorizer: every registered action is allowed (the security issue replaces it)."""

    def check(self, user: CurrentUser, action: str, request: Request) -> None:
        return None


def current_user(request: Request) -> CurrentUser:
    """The user of this request (cached on ``request.state``)."""
    cached = getattr(request.state, "user", None)
    if cached is None:
        cached = request.app.state.identity.identify(request)
        request.state.user = cached
    return cached


User = Annotated[CurrentUser, Depends(current_user)]


def require(action: str):
    """Dependency factory: the route needs ``action`` (a key of :data:`ACTIONS`)."""
    if action not in ACTIONS:
        raise KeyError(f"未登记的权限动作 {action}；先在 shujian.web.security.ACTIONS 中登记")

    async def dependency(request: Request, user: User) -> CurrentUser:
        # async on purpose: the org scope set here (a context variable) must reach the endpoint
        from ..security.scope import set_scope

        request.state.action = action
        request.app.state.authorizer.check(user, action, request)
        set_scope(user.extra.get("scope"))
        return user

    dependency.action = action  # type: ignore[attr-defined]  # read by the route-audit test
    return Depends(dependency)


# ---------------------------------------------------------------- CSRF (token bound to the session)
def csrf_token(request: Request) -> str:
    """The form token for this browser.  Logged in: an HMAC, under the server's secret, of the login
    session — valid only with that session and impossible to make, or to plant along with a cookie,
    without the secret.  Before login (the login form; the demo switcher in development): a random
    nonce echoed from the ``shujian_csrf`` cookie (double submit).  The cookie is kept equal to the token
    (the middleware in app.py and the login response set it) so scripts may read either."""
    session = _session_of(request)
    if session:
        token = session_csrf(request, session)
        if request.cookies.get(CSRF_COOKIE) != token:
            request.state.new_csrf = token
        return token
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if token is None:
        token = secrets.token_urlsafe(24)
        request.state.new_csrf = token
    return token


def _session_of(request: Request) -> str | None:
    """The raw session token of the request's (signed) session cookie, via the identity in use."""
    reader = getattr(request.app.state, "csrf_session", None)
    return reader(request) if reader is not None else None


def session_csrf(request: Request, session: str) -> str:
    """The CSRF token of one login session."""
    import hashlib
    import hmac

    secret = getattr(request.app.state, "csrf_secret", None) or _PROCESS_SECRET
    return hmac.new(secret, f"csrf\n{session}".encode(), hashlib.sha256).hexdigest()[:40]


_PROCESS_SECRET = secrets.token_bytes(32)   # apps built without the security module: valid in this process


async def check_csrf(request: Request) -> None:
    """Form posts must carry the token of this session (field ``csrf_token`` or header ``X-CSRF-Token``);
    without a session, the cookie's nonce."""
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        sent = form.get(CSRF_FIELD)
    session = _session_of(request)
    expected = session_csrf(request, session) if session else request.cookies.get(CSRF_COOKIE)
    if not expected or not sent or not secrets.compare_digest(str(expected), str(sent)):
        raise PermissionDenied("表单校验码（CSRF）缺失或不匹配，请求已拒绝",
                               hint="刷新页面后重新提交表单（登录或退出后，旧页面上的表单需要刷新）")


CSRF = Depends(check_csrf)
