"""``GET /healthz``: is this server able to work — for a reverse proxy, systemd or a monitoring probe.

Public (no login) and terse: it names the checks and their state, never paths, versions of libraries or
data.  200 when the metadata store answers at this program's schema and the warehouse opens; 503 otherwise.
A warehouse held by another process (a command-line import) is ``busy``: still healthy.
"""

from __future__ import annotations

import duckdb
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from .. import __version__
from ..db.session import schema_status
from ..errors import ShujianError, WarehouseBusy

router = APIRouter(include_in_schema=False)


def _metadata(ws) -> str:
    try:
        status = schema_status(ws.db.engine)
    except ShujianError:
        return "unreachable"
    return "ok" if status.up_to_date else "outdated"


def _warehouse(ws) -> str:
    try:
        with ws.warehouse() as con:
            con.execute("SELECT 1").fetchone()
    except WarehouseBusy:
        return "busy"
    except (ShujianError, duckdb.Error):
        return "unavailable"
    return "ok"


def check(ws) -> tuple[bool, dict[str, str]]:
    """(healthy, {check: state}) for the workspace ``ws``."""
    checks = {"metadata": _metadata(ws), "warehouse": _warehouse(ws)}
    return checks["metadata"] == "ok" and checks["warehouse"] in ("ok", "busy"), checks


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    healthy, checks = await run_in_threadpool(check, request.app.state.ws)
    return JSONResponse({"status": "ok" if healthy else "fail", "version": __version__, "checks": checks},
                        status_code=200 if healthy else 503, headers={"Cache-Control": "no-store"})
