"""Request body limits enforced while the body streams in (请求体大小限制).

A ``Content-Length`` check alone is bypassed by ``Transfer-Encoding: chunked`` (no length is declared),
and FastAPI reads — buffers or spools — a body before the route's dependencies authenticate the caller.
This ASGI middleware therefore counts the bytes of every ``http.request`` message itself:

- a request whose caller is not logged in (no valid API token, no live session) may send at most
  :data:`ANONYMOUS_LIMIT` bytes (the login form needs a few hundred); a larger declared length is refused
  before a byte is read, a chunked body as soon as it passes the limit;
- any request may send at most :data:`BODY_LIMIT` bytes (a little above the import upload limit).

The login check runs only for bodies that pass the anonymous limit, so ordinary requests pay nothing.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MB = 1 << 20
BODY_LIMIT = 600 * MB           # a little above the upload limit of the import route (512 MB)
ANONYMOUS_LIMIT = 1 * MB


def _too_large(limit: int) -> str:
    return f"请求体超过 {max(limit // MB, 1)} MB 上限，已拒绝"


_HINT = "大文件请用命令行 shujian data import 导入"
_ANON = f"未登录的请求体不能超过 {ANONYMOUS_LIMIT // MB} MB，已拒绝"
_ANON_HINT = "先登录（浏览器访问 /login），脚本在请求头中携带 Authorization: Bearer <接口令牌>"


class BodyLimit:
    """ASGI middleware: count request body bytes as they arrive, whatever ``Content-Length`` says."""

    def __init__(self, app: ASGIApp, *, limit: int | None = None, anonymous_limit: int | None = None):
        self.app = app
        self._limit, self._anonymous = limit, anonymous_limit

    @property
    def limit(self) -> int:
        return self._limit or BODY_LIMIT          # read late: an operator (or a test) may lower it

    @property
    def anonymous_limit(self) -> int:
        return self._anonymous or ANONYMOUS_LIMIT

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        declared = headers.get("content-length", "")
        declared_n = int(declared) if declared.isdigit() else None
        if declared_n is not None and declared_n > self.limit:
            await _refuse(413, "too_large", _too_large(self.limit), _HINT)(scope, receive, send)
            return
        state = {"received": 0, "known": None, "refused": False, "started": False}
        if declared_n is not None and declared_n > self.anonymous_limit:
            state["known"] = await run_in_threadpool(logged_in, scope, headers)
            if not state["known"]:
                await _refuse(401, "unauthorized", _ANON, _ANON_HINT)(scope, receive, send)
                return

        async def counted() -> Message:
            # past a limit: answer ourselves and tell the app the client is gone (raising here would
            # reach FastAPI wrapped in an exception group and come out as a 400)
            if state["refused"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                refusal = await self._refusal(scope, headers, state)
                if refusal is not None:
                    state["refused"] = True
                    if not state["started"]:
                        await refusal(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            if state["refused"]:
                return                  # the app's own answer to the cut-off body is dropped
            state["started"] = state["started"] or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counted, guarded)

    async def _refusal(self, scope: Scope, headers: dict, state: dict) -> JSONResponse | None:
        if state["received"] > self.limit:
            return _refuse(413, "too_large", _too_large(self.limit), _HINT)
        if state["received"] > self.anonymous_limit and state["known"] is None:
            state["known"] = await run_in_threadpool(logged_in, scope, headers)
        if state["received"] > self.anonymous_limit and not state["known"]:
            return _refuse(401, "unauthorized", _ANON, _ANON_HINT)
        return None


def _refuse(status: int, code: str, message: str, hint: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "hint": hint, "details": {}}},
                        status_code=status, headers={"Connection": "close"})


def logged_in(scope: Scope, headers: dict) -> bool:
    """Whether the request carries a valid API token or a live session (the demo switcher counts in
    development; an identity plugged in by a test or an integration is trusted to check itself)."""
    from ..security.accounts import AccountService
    from .auth import SESSION_COOKIE, SessionIdentity

    app = scope["app"]
    identity = app.state.identity
    if not isinstance(identity, SessionIdentity) or identity.demo_fallback:
        return True
    accounts = AccountService(app.state.ws)
    bearer = headers.get("authorization", "")
    if bearer.lower().startswith("bearer "):
        return accounts.token_user(bearer[7:].strip()) is not None
    jar = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # noqa: BLE001 - a malformed cookie header is simply not a login
        return False
    morsel = jar.get(SESSION_COOKIE)
    token = identity.read_cookie(morsel.value if morsel else None)
    return bool(token) and accounts.session_user(token) is not None
