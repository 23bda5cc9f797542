"""The app factory: ``create_app(settings)`` → FastAPI with the API, the pages and the static assets."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from .. import __version__
from ..config import Settings, load_settings
from ..workspace import Workspace
from . import auth, errors
from .formatting import FILTERS, Names
from .jobs import JobRegistry
from .security import CSRF_COOKIE, CSRF_FIELD, Authorizer, Identity, csrf_token

HERE = Path(__file__).parent

TAGS = [
    {"name": "系统", "description": "当前用户、后台任务"},
    {"name": "数据", "description": "数据资源目录：导入、预览（脱敏）、质量报告、数据要素类型"},
    {"name": "文书", "description": "判决书解析"},
    {"name": "模型", "description": "模型库、校验、SQL、认证与采用"},
    {"name": "可视化建模", "description": "画布 ↔ 模型语言、节点校验与预览"},
    {"name": "运行", "description": "运行模型、进度、取消、历史"},
    {"name": "线索", "description": "线索列表、详情、流转、评论、导出"},
    {"name": "委托研判", "description": "检察官提出研判需求，数字办受理、关联运行、反馈线索包"},
    {"name": "机构与用户", "description": "院、部门、用户"},
    {"name": "一本账", "description": "统计"},
]


def create_app(settings: Settings | None = None, *, workspace: Workspace | None = None,
               identity: Identity | None = None, authorizer: Authorizer | None = None) -> FastAPI:
    """Build the application for one workspace.

    ``identity`` and ``authorizer`` are the security layer's plug points (defaults: login sessions and
    API tokens, with the demo account switcher in development; role permissions — see
    :mod:`shujian.web.auth`).
    """
    ws = workspace or Workspace(settings or load_settings()).ensure()
    # outside development the default identity is login only (no demo account fallback): see web.auth
    app = FastAPI(title="数检 shujian API", version=__version__, openapi_tags=TAGS,
                  description="数检大数据法律监督平台接口。所有错误返回统一结构 "
                              "`{\"error\": {\"code\", \"message\", \"hint\", \"details\"}}`；"
                              "列表返回 `{items, total, page, page_size, pages}`。",
                  docs_url=None, redoc_url=None, openapi_url="/api/v1/openapi.json")
    app.state.ws = ws
    app.state.jobs = JobRegistry()
    production = ws.settings.env != "development"
    app.state.identity = identity or auth.SessionIdentity(demo_fallback=not production,
                                                          secret=ws.settings.secret_key or auth.DEV_SECRET)
    app.state.authorizer = authorizer or auth.RoleAuthorizer()
    app.state.templates = _templates()
    app.state.templates.env.globals.update(Names(ws).globals())
    errors.install(app)
    auth.install(app, production=production, secret=ws.settings.secret_key)
    _csrf_cookie(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    _routers(app)
    return app


def _templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(HERE / "templates"))
    t.env.filters.update(FILTERS)
    t.env.globals.update({"csrf_field": CSRF_FIELD, "version": __version__})
    return t


def _csrf_cookie(app: FastAPI) -> None:
    @app.middleware("http")
    async def set_csrf_cookie(request: Request, call_next):
        response = await call_next(request)
        token = getattr(request.state, "new_csrf", None)
        if token and request.cookies.get(CSRF_COOKIE) != token:     # new, or now bound to a login session
            response.set_cookie(CSRF_COOKIE, token, httponly=False, samesite="strict")
        return response

    app.state.csrf_token = csrf_token


def _routers(app: FastAPI) -> None:
    from .api import router as api_router
    from .apidocs import router as docs_router
    from .health import router as health_router
    from .pages import router as pages_router

    app.include_router(api_router, prefix="/api/v1")
    app.include_router(pages_router)
    app.include_router(health_router)
    app.include_router(docs_router)


def endpoint_routes(app) -> list:
    """Every endpoint with its full path.

    FastAPI ≥ 0.16x keeps included routers as lazy route contexts, so ``app.routes`` alone does not
    list the API; the permission tests walk the app through this.
    """
    from fastapi.routing import APIRoute

    out = []
    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):
            out += [c for c in route.effective_route_contexts() if getattr(c, "dependant", None) is not None]
        elif isinstance(route, APIRoute):
            out.append(route)
    return out
