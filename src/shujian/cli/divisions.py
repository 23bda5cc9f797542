"""``shujian divisions``: look up 行政区划代码 by code (with history) or by name."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated

import typer

from .. import divisions
from ..errors import InputError
from .common import OutputFormat, print_json, print_table

app = typer.Typer(help="行政区划代码：按代码（含沿革）或名称查询", no_args_is_help=True, add_completion=False)

_COLUMNS = [("code", "代码"), ("name", "名称"), ("level", "层级"), ("parent", "上级"), ("period", "有效年份"),
            ("source", "来源")]


@app.callback()
def _group() -> None:
    """行政区划代码：按代码（含沿革）或名称查询。"""


@app.command("lookup")
def lookup_cmd(
    query: Annotated[str, typer.Argument(help="代码（6/9/12 位）或名称，如 110228、北京市东城区、朝阳区")],
    on: Annotated[str | None, typer.Option("--on", help="只看这一天有效的区划，如 2010-06-30")] = None,
    within: Annotated[list[str] | None, typer.Option("--in", help="名称的上级（省/市名称或代码），可重复")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="table 或 json")] = OutputFormat.table,
) -> None:
    """查询区划：代码给出历年名称与上级；名称给出对应代码，重名时列出全部候选。"""
    day = _day(on)
    q = query.strip()
    if q.isdigit():
        if divisions.county_code(q) is None:
            raise InputError(f"区划代码 “{q}” 应为 6、9 或 12 位数字", hint="例如 110101 或 110101001001")
        found = divisions.lookup(q, day)
        status = "found" if found else "not_found"
    else:
        res = divisions.resolve_name(q, context=within or None, on=day)
        found, status = list(res.matches), res.status
    rows = [{**asdict(d), "period": d.period} for d in found]
    if fmt is OutputFormat.json:
        print_json({"query": q, "on": day, "status": status, "matches": rows})
    else:
        print_table(rows, _COLUMNS, title=f"{q}：{_STATUS[status]}")
    if not found:
        raise typer.Exit(1)


_STATUS = {"found": "找到", "unique": "唯一", "ambiguous": "重名，请用 --in 指定上级", "not_found": "未找到"}


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"日期 “{text}” 无法识别", hint="请写成 YYYY-MM-DD，如 2010-06-30") from None
