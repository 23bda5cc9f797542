"""Login for the web layer: sessions, API tokens, the role authorizer, org scope, CSRF, hardening.

Plugs into the web engineer's points (:mod:`shujian.web.security`): ``app.state.identity`` becomes
:class:`SessionIdentity` (browser session cookie or ``Authorization: Bearer sjt_…``) and
``app.state.authorizer`` :class:`RoleAuthorizer` (the permission registry).  The org scope of the
user is set for the request so the query layer filters every list, count and detail.

In development (``SHUJIAN_ENV=development``) a request without a session still falls back to the
demo account switcher; in production it is refused (401, pages redirect to /login).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ..errors import ConfigError, InputError, NotFound
from ..security.accounts import AccountService, Unauthorized
from ..security.audit import AuditLog
from ..security.permissions import action_label, actions_of, granted, roles_for
from ..security.scope import NOBODY, scope_for, set_scope
from .limits import BODY_LIMIT, BodyLimit
from .security import (
    CSRF,
    CSRF_COOKIE,
    CurrentUser,
    DemoIdentity,
    PermissionDenied,
    csrf_token,
    require,
    session_csrf,
)

SESSION_COOKIE = "shujian_session"
MAX_BODY_MB = BODY_LIMIT >> 20
DEV_SECRET = "shujian-development-secret-not-for-production"


# ---------------------------------------------------------------- identity and authorization
class SessionIdentity:
    """Who is asking: an API token, else the session cookie, else (development only) the demo account."""

    def __init__(self, *, demo_fallback: bool = False, secret: str = DEV_SECRET):
        self.demo_fallback = demo_fallback
        self.secret = secret.encode("utf-8")
        self._demo = DemoIdentity()

    def identify(self, request: Request) -> CurrentUser:
        ws = request.app.state.ws
        accounts = AccountService(ws)
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            u = accounts.token_user(header[7:].strip())
            if u is None:
                raise Unauthorized("接口令牌无效、已过期或已吊销", hint="用 shujian user token-create 重新申请")
            return self._user(request, u, via="token")
        token = self.read_cookie(request.cookies.get(SESSION_COOKIE))
        if token:
            u = accounts.session_user(token)
            if u is not None:
                return self._user(request, u, via="session")
            if not self.demo_fallback:
                raise Unauthorized("登录已过期或已退出，请重新登录", hint="访问 /login 登录")
        if self.demo_fallback:
            demo = self._demo.identify(request)
            return self._with_scope(request, demo)
        raise Unauthorized("请先登录", hint="浏览器访问 /login；脚本在请求头中携带 Authorization: Bearer <接口令牌>")

    def _user(self, request: Request, u: dict, *, via: str) -> CurrentUser:
        cu = CurrentUser(username=u["username"], name=u["name"], roles=tuple(u["roles"]), org=u["org"],
                         org_id=u["org_id"], department=u["department"], demo=False, extra={"via": via})
        return self._with_scope(request, cu)

    @staticmethod
    def _with_scope(request: Request, user: CurrentUser) -> CurrentUser:
        with request.app.state.ws.db.unit_of_work() as s:
            user.extra["scope"] = scope_for(s, user.username, user.org_id, user.roles, ip=client_ip(request))
        return user

    # the cookie carries token.signature: a cookie forged without the server secret is refused early
    def cookie_value(self, token: str) -> str:
        return f"{token}.{self._sign(token)}"

    def read_cookie(self, value: str | None) -> str | None:
        if not value or "." not in value:
            return None
        token, sig = value.rsplit(".", 1)
        return token if hmac.compare_digest(sig, self._sign(token)) else None

    def _sign(self, token: str) -> str:
        return hmac.new(self.secret, token.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


class RoleAuthorizer:
    """Allows an action when one of the user's roles is granted it; refusals are audited."""

    def check(self, user: CurrentUser, action: str, request: Request) -> None:
        if granted(user.roles, action):
            return
        AuditLog(request.app.state.ws).append("denied", actor=user.username, org_id=user.org_id,
                                              target=request.url.path, outcome="拒绝", detail={"action": action},
                                              ip=client_ip(request))
        who = "、".join(roles_for(action)) or "（无角色）"
        raise PermissionDenied(f"用户 {user.name}（{user.roles_text or '无角色'}）无权“{action_label(action)}”：该操作由{who}办理",
                               hint=f"请联系{who}办理，或请系统管理员调整您的角色")


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def apply_scope(user: CurrentUser) -> None:
    """Set the org scope of ``user`` for the rest of this request (called by ``require``)."""
    set_scope(user.extra.get("scope"))


# ---------------------------------------------------------------- middleware
def _middleware(app: FastAPI, *, secure_cookies: bool) -> None:
    @app.middleware("http")
    async def guard(request: Request, call_next):
        set_scope(NOBODY)            # fail closed: only ``require`` opens the user's scope
        request.state.csp_nonce = secrets.token_urlsafe(16)
        response = await call_next(request)     # body size: counted while streaming, see web.limits
        await _audit(request, response.status_code)
        policy = _CSP_DOCS if request.url.path in _DOCS_PAGES else csp(request.state.csp_nonce)
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if secure_cookies:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


#: the API docs pages are FastAPI's own HTML with an inline start-up script (Swagger UI, ReDoc's search
#: worker from a blob): they get a policy of their own, still without any other origin
_DOCS_PAGES = frozenset({"/api/docs", "/api/redoc"})
_CSP_DOCS = ("default-src 'self'; script-src 'self' 'unsafe-inline' blob:; worker-src 'self' blob:; "
             "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
             "frame-ancestors 'none'")


def csp(nonce: str) -> str:
    """The Content-Security-Policy of every page: scripts only from this server (static files) or inline
    with this response's nonce; no plugins, no framing, forms post only here.  Styles allow inline
    ``style`` attributes (layout only — they cannot run code).  Every asset is served locally (no CDN)."""
    return ("default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


#: route action → audit action, for requests that change something or show personal data.  Imports,
#: runs, clue transitions and comments, attachments, data governance (分级、密封、要素类型、列类型), model
#: governance (edit, certification, listing, adoption) and 委托研判 are recorded by their services in the
#: change's own transaction, for web and CLI alike.
AUDITED = {"data.preview": "data.preview", "clues.export": "clue.export",
           "orgs.admin": "user.change"}


async def _audit(request: Request, status: int) -> None:
    """One audit record per request that changed something, exported, or showed a clue's evidence."""
    action, user = getattr(request.state, "action", None), getattr(request.state, "user", None)
    if action is None or user is None or status in (401, 403):      # refusals are recorded by the authorizer
        return
    if action in AUDITED and (request.method != "GET" or action in ("data.preview", "clues.export")):
        kind = AUDITED[action]
    else:          # a clue's view is recorded by the access layer (security.access.clue_view), all surfaces alike
        return
    log = AuditLog(request.app.state.ws)
    await run_in_threadpool(log.append, kind, actor=user.username, org_id=user.org_id,
                            target=f"{request.method} {request.url.path}",
                            outcome="成功" if status < 400 else f"失败 {status}", ip=client_ip(request),
                            detail={"action": action, "query": str(request.url.query)[:200]})


def _unauthorized_handler(app: FastAPI) -> None:
    from .errors import envelope, wants_html

    @app.exception_handler(Unauthorized)
    async def _unauth(request: Request, exc: Unauthorized):
        if wants_html(request) and request.method == "GET":
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        return JSONResponse(envelope(exc.code, exc.message, exc.hint), status_code=401)


# ---------------------------------------------------------------- login pages and security API
pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["安全"])


def _safe_next(target: str | None) -> str:
    """Only local paths: an open redirect to another site would help phishing."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@pages.get("/login")
def login_form(request: Request, next: str | None = None):
    from .pages.common import render

    return render(request, "login.html", {"next": _safe_next(next), "error": None, "username": ""})


@pages.post("/login", dependencies=[CSRF])
def login(request: Request, username: Annotated[str, Form(max_length=64)],
          password: Annotated[str, Form(max_length=256)], next: Annotated[str, Form(max_length=500)] = "/"):
    from .pages.common import render

    accounts = AccountService(request.app.state.ws)
    try:
        accounts.authenticate(username, password, ip=client_ip(request))
    except Unauthorized as exc:
        return render(request, "login.html", {"next": _safe_next(next), "error": exc.message + "。" + (exc.hint or ""),
                                              "username": username}, status=401)
    token = accounts.start_session(username, ip=client_ip(request))
    resp = RedirectResponse(_safe_next(next), status_code=303)
    identity = request.app.state.identity
    resp.set_cookie(SESSION_COOKIE, identity.cookie_value(token), httponly=True, samesite="strict",
                    secure=request.app.state.secure_cookies, max_age=8 * 3600)
    # the form token of the new session (the pre-login one is no longer accepted)
    resp.set_cookie(CSRF_COOKIE, session_csrf(request, token), httponly=False, samesite="strict",
                    secure=request.app.state.secure_cookies)
    return resp


@pages.post("/logout", dependencies=[CSRF])
def logout(request: Request):
    identity = request.app.state.identity
    token = identity.read_cookie(request.cookies.get(SESSION_COOKIE)) if hasattr(identity, "read_cookie") else None
    if token:
        accounts = AccountService(request.app.state.ws)
        u = accounts.session_user(token)
        accounts.end_session(token)
        if u:
            AuditLog(request.app.state.ws).append("logout", actor=u["username"], org_id=u["org_id"],
                                                  ip=client_ip(request))
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


@api.get("/me/permissions", summary="本人被授予的权限动作")
def my_permissions(user=require("me.read")) -> dict:
    items = actions_of(user.roles)
    return {"items": items, "total": len(items)}


class UnmaskIn(BaseModel):
    reason: str = Field(min_length=4, max_length=500, description="解除脱敏的事由（记入审计）")
    version: int | None = Field(None, ge=1)
    limit: int = Field(20, ge=1, le=200)


@api.post("/datasets/{name}/unmask", summary="解除脱敏查看前若干行（须有相应分级权限并说明事由，留痕）")
def unmask_dataset(name: str, body: UnmaskIn, request: Request, user=require("data.preview")) -> dict:
    from ..security.masking import unmasked_preview

    return unmasked_preview(request.app.state.ws, name, user, body.reason, version=body.version,
                            limit=body.limit, ip=client_ip(request))


class ReasonIn(BaseModel):
    reason: str = Field(min_length=4, max_length=500, description="解除脱敏的事由（记入审计）")


@api.post("/clues/{clue_id}/unmask", summary="解除脱敏查看线索证据行（须有相应分级权限并说明事由，留痕）")
def unmask_clue(clue_id: Annotated[int, PathParam(ge=1, le=2**62)], body: ReasonIn, request: Request,
                user=require("clues.read")) -> dict:
    from ..security.masking import unmasked_evidence
    from .masking import jsonable

    out = unmasked_evidence(request.app.state.ws, clue_id, user, body.reason, ip=client_ip(request))
    for e in out["evidence"]:
        e["rows"] = [[jsonable(v) for v in r] for r in e["rows"]]
    return out


@api.get("/audit", summary="审计日志检索（最新在前）")
def audit_list(request: Request, user=require("audit.read"), actor: str | None = None, action: str | None = None,
               target: str | None = None, limit: int = 100) -> dict:
    if not 1 <= limit <= 1000:
        raise InputError("limit 应在 1–1000 之间")
    rows = AuditLog(request.app.state.ws).search(actor=actor, action=action, target=target, limit=limit)
    return {"items": rows, "total": len(rows)}


@api.get("/audit/export.csv", summary="导出审计日志（CSV，含哈希；导出本身也记入审计）")
def audit_export(request: Request, user=require("audit.read"), actor: str | None = None,
                 action: str | None = None):
    import csv
    import io
    import json

    from fastapi.responses import Response

    log = AuditLog(request.app.state.ws)
    rows = list(reversed(log.search(actor=actor, action=action, limit=1_000_000)))
    buf = io.StringIO()
    fields = ["id", "at", "actor", "org_id", "action", "action_label", "target", "outcome", "reason", "detail", "ip",
              "prev_hash", "hash"]
    w = csv.DictWriter(buf, fieldnames=fields)
    w.writeheader()
    for r in rows:
        w.writerow({**r, "detail": json.dumps(r["detail"], ensure_ascii=False)})
    log.append("audit.export", actor=user.username, org_id=user.org_id, target="web", ip=client_ip(request),
               detail={"records": len(rows), "actor": actor, "action": action})
    return Response("\ufeff" + buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=audit.csv"})


@api.get("/audit/verify", summary="校验审计日志哈希链")
def audit_verify(request: Request, user=require("audit.read")) -> dict:
    return AuditLog(request.app.state.ws).verify()


# ---------------------------------------------------------------- install
def install(app: FastAPI, *, production: bool, secret: str | None) -> None:
    """Wire sessions, the authorizer, middleware and the login/security routes into ``app``."""
    if production and (not secret or len(secret) < 32):
        # settings refuse this at load time; this guards settings changed afterwards
        raise ConfigError("生产环境缺少安全模块的会话签名密钥 SHUJIAN_SECRET_KEY（至少 32 个字符）",
                          hint="设置 SHUJIAN_SECRET_KEY 为随机串后重启；演示环境用 SHUJIAN_ENV=development")
    app.state.secure_cookies = production
    app.state.templates.env.globals["demo_mode"] = not production
    _middleware(app, secure_cookies=production)
    app.add_middleware(BodyLimit)      # outermost of ours: counts body bytes before anything reads them
    _unauthorized_handler(app)
    app.include_router(pages)
    app.include_router(api, prefix="/api/v1")
    app.state.csrf_token = csrf_token
    app.state.csrf_secret = hashlib.sha256(b"shujian-csrf\n" + (secret or DEV_SECRET).encode("utf-8")).digest()
    app.state.csrf_session = _session_token


def _session_token(request: Request) -> str | None:
    """The session token of the request's cookie (signature checked), for binding the CSRF token."""
    identity = request.app.state.identity
    reader = getattr(identity, "read_cookie", None)
    return reader(request.cookies.get(SESSION_COOKIE)) if reader is not None else None


def not_found_like(message: str) -> NotFound:
    """The error for a record outside the user's scope: identical to a missing one."""
    return NotFound(message)
