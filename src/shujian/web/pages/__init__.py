"""Server-rendered zh-CN pages (Jinja2 + a little htmx/JS); one router per area."""

from __future__ import annotations

from fastapi import APIRouter

from . import admin, bindings, clues, data, documents, entity, home, models, org_settings, runs, sandbox, text

router = APIRouter(include_in_schema=False)
for _module in (home, data, documents, models, bindings, runs, sandbox, clues, admin, org_settings, entity, text):
    router.include_router(_module.router)
