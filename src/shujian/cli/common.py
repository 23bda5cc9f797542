"""Shared CLI helpers: output in rich tables or JSON, Chinese errors, progress bars."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..workspace import Workspace, open_workspace

console = Console()
err_console = Console(stderr=True)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


def workspace() -> Workspace:
    return open_workspace()


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
