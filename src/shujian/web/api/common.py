"""Helpers shared by the API routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request

from ...workspace import Workspace


def ws_of(request: Request) -> Workspace:
    return request.app.state.ws


#: a database id in a path: positive and within a 64-bit integer (larger values would overflow the store)
Id = Annotated[int, Path(ge=1, le=2**62, description="编号")]
