"""Helpers shared by the API routers."""

from __future__ import annotations

from fastapi import Request

from ...workspace import Workspace


def ws_of(request: Request) -> Workspace:
    return request.app.state.ws
