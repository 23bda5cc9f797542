"""``shujian stats`` — 一本账 by model, org (rolled up) or 业务条线 for a period."""

from __future__ import annotations

from pathlib import Path

import typer

from ..stats.export import export_xlsx
from ..stats.service import METRICS, StatsService, parse_period
from .common import AsOpt, OutputFormat, console, print_json, print_table, workspace

app = typer.Typer(invoke_without_command=True)
FormatOpt = typer.Option(OutputFormat.table, "--format", help="输出格式：table 或 json")
TABLE_METRICS = ("generated", "judged", "assigned", "excluded", "cases", "conversion", "accuracy", "measures",
                 "replied_on_time", "adopted", "money_recovered")   # the rest: --format json or --xlsx
XlsxOpt = typer.Option(None, "--xlsx", help="导出到 Excel（按模型、按院、按业务条线、关键词订阅四张表）")


@app.callback()
def stats(by: str = typer.Option("model", "--by", help="统计维度：model（模型）、org（院，含下级汇总）、line（业务条线）、"
                                                    "subscription（关键词订阅）"),
          period: str | None = typer.Option(None, "--period", help="统计期间，如 2026、2026-03、2026-01..2026-12"),
          xlsx: Path | None = XlsxOpt, as_: str | None = AsOpt,
          output: OutputFormat = FormatOpt) -> None:
    """一本账：线索 → 研判 → 交办 → 成案/排除 → 监督措施 → 回复/采纳 → 追回金额（--as 时只统计该用户范围内的线索）。"""
    svc, p = StatsService(workspace(as_, "stats.view")), parse_period(period)
    if xlsx is not None:
        written = export_xlsx(svc, xlsx, p)
        console.print(f"已导出一本账到 {xlsx}（{'、'.join(f'{k} {v} 行' for k, v in written.items())}）")
        return
    if by == "subscription":
        _subscriptions(svc, p, output)
        return
    rows = svc.ledger(by, p)
    if output == OutputFormat.json:
        print_json({"by": by, "period": p.label(), "rows": rows})
        return
    labels = dict(METRICS)
    cols = [("name", "名称"), *[(k, labels[k]) for k in TABLE_METRICS]]
    print_table(rows, cols, title=f"一本账（{by}，{p.label()}）")


def _subscriptions(svc: StatsService, period, output: OutputFormat) -> None:
    """一本账 per 关键词订阅 (the same rows as ``shujian text sub stats``)."""
    from ..stats.text import COLUMNS, subscription_ledger, totals

    rows = subscription_ledger(svc.ws, period)
    if output == OutputFormat.json:
        print_json({"by": "subscription", "period": period.label(), "rows": rows, "total": totals(rows)})
        return
    print_table([*rows, totals(rows)], list(COLUMNS), title=f"一本账（关键词订阅，{period.label()}）")
