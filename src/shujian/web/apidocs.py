"""接口文档 and the site icon, served from the vendored assets: nothing is fetched from the Internet.

``/api/docs`` is Swagger UI and ``/api/redoc`` is ReDoc, both from ``static/vendor`` (an intranet has no
CDN); ``/favicon.ico`` is the 数检 icon.  All three are public like the OpenAPI document itself.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

STATIC = Path(__file__).parent / "static"
VENDOR = "/static/vendor"
ICON = "/favicon.ico"

router = APIRouter(include_in_schema=False)


@router.get("/api/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI over ``/api/v1/openapi.json`` with the local bundle, stylesheet and icon."""
    return get_swagger_ui_html(openapi_url=request.app.openapi_url, title="数检接口文档",
                               swagger_js_url=f"{VENDOR}/swagger-ui/swagger-ui-bundle.js",
                               swagger_css_url=f"{VENDOR}/swagger-ui/swagger-ui.css",
                               swagger_favicon_url=ICON, swagger_ui_parameters={"defaultModelsExpandDepth": 0})


@router.get("/api/redoc")
def redoc(request: Request) -> HTMLResponse:
    """ReDoc over the same document, without web fonts (the page uses the system's fonts)."""
    return get_redoc_html(openapi_url=request.app.openapi_url, title="数检接口文档（ReDoc）",
                          redoc_js_url=f"{VENDOR}/redoc/redoc.standalone.js", redoc_favicon_url=ICON,
                          with_google_fonts=False)


@router.get(ICON)
def favicon() -> FileResponse:
    """The 数检 icon (16, 32 and 48 px), cached for a day."""
    return FileResponse(STATIC / "favicon.ico", media_type="image/x-icon",
                        headers={"Cache-Control": "public, max-age=86400"})
