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


_PLACES = {"body": "请求体", "query": "查询参数", "path": "路径参数", "header": "请求头", "cookie": "Cookie",
           "form": "表单"}


def _located(errors: list[dict]) -> list[dict]:
    """Pydantic's request errors as located Chinese problems: where, which field, what is wrong."""
    out = []
    for e in errors:
        loc = list(e.get("loc", ()))
        place = _PLACES.get(str(loc[0]), "") if loc else ""
        rest = loc[1:] if place else loc
        field = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(rest))
        if e.get("type") == "json_invalid":            # the location is a character offset, not a field
            field, e = "", {**e, "ctx": {"error": f"第 {rest[0] if rest else 0} 个字符附近有误"}}
        out.append({"location": field, "place": place, "message": _pydantic_message(e)})
    return out


def describe(problem: dict) -> str:
    """One problem as a sentence: ``请求体字段“limit”应不小于 1``, ``查询参数“page”应为整数``."""
    place = problem.get("place") or "参数"
    field = place + ("字段" if place in ("请求体", "表单") else "")
    if not problem.get("location"):
        return f"{place}{problem['message']}"
    if problem.get("message") == _MESSAGES["missing"]:
        return f"{place}缺少必填{'字段' if field != place else '项'}“{problem['location']}”"
    return f"{field}“{problem['location']}”{problem['message']}"


def _choices(expected: object) -> str:
    return str(expected).replace(" or ", "、").replace(", ", "、").replace("'", "")


#: pydantic error type → Chinese text (``{name}`` is filled from the error's context)
_MESSAGES = {
    "missing": "缺少必填项", "extra_forbidden": "不是可用的字段，请删去",
    "int_parsing": "应为整数", "int_type": "应为整数", "int_from_float": "应为整数（不能有小数）",
    "float_parsing": "应为数字", "float_type": "应为数字", "decimal_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false", "bool_type": "应为 true 或 false",
    "string_type": "应为文本", "string_too_short": "至少 {min_length} 个字符", "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不对（应符合 {pattern}）",
    "too_short": "至少 {min_length} 项", "too_long": "最多 {max_length} 项",
    "greater_than": "应大于 {gt}", "greater_than_equal": "应不小于 {ge}", "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}", "multiple_of": "应为 {multiple_of} 的倍数",
    "list_type": "应为列表", "dict_type": "应为对象", "model_type": "应为对象", "model_attributes_type": "应为对象",
    "date_parsing": "应为日期（YYYY-MM-DD）", "date_type": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）", "datetime_parsing": "应为日期时间（YYYY-MM-DD HH:MM）",
    "datetime_type": "应为日期时间（YYYY-MM-DD HH:MM）", "uuid_parsing": "应为 UUID",
    "json_invalid": "不是有效的 JSON：{error}", "json_type": "不是有效的 JSON",
    "url_parsing": "应为网址", "none_required": "应为空",
}


def _pydantic_message(e: dict) -> str:
    kind, ctx = e.get("type", ""), dict(e.get("ctx") or {})
    if kind in ("literal_error", "enum"):
        return f"应为以下之一：{_choices(ctx.get('expected', ''))}"
    if kind in ("value_error", "assertion_error"):
        text = str(ctx.get("error") or e.get("msg", ""))
        return text.removeprefix("Value error, ").removeprefix("Assertion failed, ") or "取值无效"
    template = _MESSAGES.get(kind)
    if template is None:
        return "取值无效"
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template.split("{")[0].rstrip("（ ") or "取值无效"


def install(app: FastAPI) -> None:
    """Register the exception handlers on ``app``."""

    @app.exception_handler(ShujianError)
    async def _shujian(request: Request, exc: ShujianError):
        return _respond(request, status_for(exc), envelope(exc.code, exc.message, exc.hint, exc.details))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        problems = _located(exc.errors())
        text = "；".join(describe(p) for p in problems)
        return _respond(request, 422, envelope("bad_input", f"请求参数有误：{text}",
                                               "按提示修改后重试；各字段的含义见 /api/docs", {"problems": problems}))

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
