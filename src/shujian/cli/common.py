"""Shared CLI helpers: output in rich tables or JSON, Chinese errors, progress bars."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

if TYPE_CHECKING:  # pragma: no cover
    from rich.progress import Progress

    from ..workspace import Workspace

# Heavy modules (the workspace pulls in SQLAlchemy and DuckDB; rich's progress and table renderers)
# are imported where they are used, so that `shujian --version` and light commands start fast.

console = Console()
err_console = Console(stderr=True)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


#: ``shujian --as 用户 …``: the acting user for the whole command (a command's own ``--as`` wins)
GLOBAL_AS: ContextVar[str | None] = ContextVar("shujian_cli_as", default=None)


def identity(as_: str | None = None) -> str | None:
    """The acting username: the command's ``--as``, else ``shujian --as``, else SHUJIAN_USER (None: the
    local operator, unrestricted — see docs/security.md)."""
    return as_ or GLOBAL_AS.get() or os.environ.get("SHUJIAN_USER") or None


def workspace(as_: str | None = None, action: str | None = None) -> Workspace:
    """The workspace, with the acting user's org scope applied when a user is named.

    ``action``: the permission the command needs; checked (and a refusal audited) when a user is named,
    exactly as the web layer checks the route's action.
    """
    from ..workspace import open_workspace

    ws = open_workspace()
    name = identity(as_)
    if name:
        act_as(ws, name, action)
    return ws


def act_as(ws: Workspace, username: str, action: str | None = None) -> dict:
    """Run the rest of this command as ``username``: their org scope filters every list, count, detail
    and export, and audit records name them.  Raises PermissionDenied when they lack ``action``."""
    from ..errors import PermissionDenied
    from ..orgs.service import OrgService
    from ..security.audit import AuditLog
    from ..security.permissions import granted
    from ..security.scope import scope_for, set_scope

    u = OrgService(ws).get_user(username)
    if action and not granted(u["roles"], action):
        AuditLog(ws).append("denied", actor=username, org_id=u["org_id"], target="cli", outcome="拒绝",
                            detail={"action": action, "argv": sys.argv[1:6]})
        from ..security.permissions import action_label, roles_for

        who = "、".join(roles_for(action)) or "（无角色）"
        raise PermissionDenied(f"用户 {username}（{'、'.join(u['roles']) or '无角色'}）无权“{action_label(action)}”：该操作由{who}办理",
                               hint=f"请系统管理员调整角色，或换一个{who}用户 --as")
    with ws.db.unit_of_work() as s:
        set_scope(scope_for(s, username, u["org_id"], u["roles"]))
    return u


AsOpt = typer.Option(None, "--as", help="以哪个用户的身份操作：按其权限与所属院范围过滤（默认取 SHUJIAN_USER）")


def _default(o: Any) -> Any:
    if isinstance(o, (datetime, date)):
        return o.isoformat()
    if isinstance(o, Decimal):
        return float(o)
    if isinstance(o, (set, tuple)):
        return list(o)
    return str(o)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_default) + "\n")


def print_table(rows: Sequence[dict], columns: Sequence[tuple[str, str]], title: str | None = None) -> None:
    from rich.table import Table

    table = Table(title=title, show_lines=False, header_style="bold")
    for _, label in columns:
        table.add_column(label, overflow="fold")
    for row in rows:
        table.add_row(*[_cell(row.get(key)) for key, _ in columns])
    console.print(table)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) >= 1000 else f"{v:g}"
    if isinstance(v, (list, tuple)):
        return "、".join(_cell(x) for x in v)
    return str(v)


class RichProgress:
    """A ProgressSink for long jobs: one bar per stage, updated from the pipeline."""

    def __init__(self, progress: Progress):
        self.p = progress
        self.task = None

    def stage(self, description: str, total: float | None = None) -> None:
        if self.task is not None:
            self.p.update(self.task, completed=self.p.tasks[self.task].total or 1)
        self.task = self.p.add_task(description, total=total)

    def advance(self, amount: float) -> None:
        if self.task is not None:
            self.p.advance(self.task, amount)

    def update(self, completed: float) -> None:
        if self.task is not None:
            self.p.update(self.task, completed=completed)


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[RichProgress | None]:
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                  console=err_console, transient=False) as p:
        yield RichProgress(p)


def parse_pairs(items: list[str], opt: str, example: str) -> dict[str, str]:
    """``["k=v", …]`` from a repeated option into a dict; a malformed item names the option and an example."""
    from ..errors import InputError

    out = {}
    for item in items:
        if "=" not in item:
            raise InputError(f"{opt} 的值“{item}”格式不对", hint=f"应为 名称=值，例如 {opt} {example}")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out
