"""One place where exceptions become responses: a JSON envelope for the API, an error page for HTML.

Envelope: ``{"error": {"code", "message", "hint", "details"}}`` with the HTTP status chosen from the
error class.  Pages get the same fields rendered in ``error.html``.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import Cancelled, ConfigError, InputError, NotFound, RunFailed, ShujianError, ValidationFailed

log = logging.getLogger("shujian.web")

_STATUS_BY_CODE = {"forbidden": 403, "transition_refused": 409, "unauthorized": 401, "too_large": 413}
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "bad_input"}
_HTTP_MESSAGES = {404: "页面或资源不存在", 405: "不支持该请求方法", 401: "需要登录", 403: "无权访问"}


def status_for(exc: ShujianError) -> int:
    """HTTP status of a shujian error."""
    if exc.code in _STATUS_BY_CODE:
        return _STATUS_BY_CODE[exc.code]
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, ValidationFailed | InputError):
        return 422
    if isinstance(exc, Cancelled):
        return 409
    if isinstance(exc, RunFailed | ConfigError):
        return 500
    return 400


def envelope(code: str, message: str, hint: str | None = None, details: dict | None = None) -> dict:
    """The error body every API failure uses."""
    err: dict = {"code": code, "message": message}
    if hint:
        err["hint"] = hint
    if details:
        err["details"] = details
    return {"error": err}


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "text/html")


def _respond(request: Request, status: int, body: dict) -> object:
    if wants_html(request):
        templates = request.app.state.templates
        return templates.TemplateResponse(request, "error.html", {"error": body["error"], "status": status},
                                          status_code=status)
    return JSONResponse(body, status_code=status)


def _located(errors: list[dict]) -> list[dict]:
    out = []
    for e in errors:
        loc = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "form"))
        out.append({"location": loc, "message": _pydantic_message(e)})
    return out


def _pydantic_message(e: dict) -> str:
    kind = e.get("type", "")
    if kind == "missing":
        return "缺少必填项"
    if kind.startswith(("int_", "float_")):
        return "应为数字"
    if kind.startswith("bool"):
        return "应为 true/false"
    if kind.startswith("date"):
        return "应为日期（YYYY-MM-DD）"
    if "greater_than" in kind or "less_than" in kind:
        return f"取值超出范围：{e.get('msg', '')}"
    return str(e.get("msg", "取值无效"))


def install(app: FastAPI) -> None:
    """Register the exception handlers on ``app``."""

    @app.exception_handler(ShujianError)
    async def _shujian(request: Request, exc: ShujianError):
        return _respond(request, status_for(exc), envelope(exc.code, exc.message, exc.hint, exc.details))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        problems = _located(exc.errors())
        text = "；".join(f"{p['location']}: {p['message']}" for p in problems)
        return _respond(request, 422, envelope("bad_input", f"请求参数有误：{text}",
                                               "按提示修改后重试", {"problems": problems}))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) and exc.detail not in ("Not Found",) else \
            _HTTP_MESSAGES.get(exc.status_code, "请求失败")
        return _respond(request, exc.status_code, envelope(code, f"{message}：{request.url.path}"))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s", request.url.path)
        return _respond(request, 500, envelope("internal", f"服务器内部错误：{type(exc).__name__}",
                                               "请联系系统管理员并提供发生时间"))
