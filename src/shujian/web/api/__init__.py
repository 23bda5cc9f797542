"""REST API under ``/api/v1``: one router per domain; every route declares ``require(action)``."""

from __future__ import annotations

from fastapi import APIRouter

from . import (
    bindings,
    builder,
    clues,
    data,
    delegation,
    documents,
    models,
    orgs,
    runs,
    sandbox,
    stats,
    system,
    text,
)

router = APIRouter()
for _module in (system, data, documents, models, bindings, builder, runs, sandbox, clues, delegation, orgs, stats,
                text):
    router.include_router(_module.router)
