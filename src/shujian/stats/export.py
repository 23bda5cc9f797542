"""一本账 to Excel: one sheet per dimension and one of 关键词订阅, Chinese headers, rates as percentages."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from .service import METRICS, Period, StatsService

DIMENSIONS = {"model": "按模型", "org": "按院", "line": "按业务条线"}
SUBSCRIPTIONS = "关键词订阅"


def export_xlsx(svc: StatsService, path: str | Path, period: Period, dims: tuple[str, ...] = ("model", "org", "line"),
                models: Collection[str] | None = None, *, line: str | None = None,
                org: str | None = None) -> dict[str, int]:
    """Write the ledger for ``dims`` and the 关键词订阅 sheet into ``path``; returns the rows written per
    sheet (``subscription``: subscriptions, without the 合计 row).

    The rows are :meth:`StatsService.ledger`'s with the 工作台's filters (``line``, ``org``; ``models``
    narrows further): the numbers equal the cards' and the 按院 sheet lists only the reader's own org
    and the orgs below it."""
    wb = Workbook()
    wb.remove(wb.active)
    written = {}
    for dim in dims:
        rows = svc.ledger(dim, period, models, line=line, org=org, own_orgs=True)
        sheet = wb.create_sheet(DIMENSIONS[dim])
        sheet.append([f"一本账（{DIMENSIONS[dim]}）统计期间 {period.label()}"])
        sheet.append(["编码", "名称", *[label for _, label in METRICS]])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for r in rows:
            sheet.append([r["key"], r["name"], *[r[m] for m, _ in METRICS]])
        for col_idx, (metric, _) in enumerate(METRICS, start=3):
            if metric in ("conversion", "accuracy"):
                for row in sheet.iter_rows(min_row=3, min_col=col_idx, max_col=col_idx):
                    row[0].number_format = "0.0%"
        sheet.freeze_panes = "C3"
        written[dim] = len(rows)
    written["subscription"] = _subscriptions(wb, svc, period)
    wb.save(path)
    return written


def _subscriptions(wb: Workbook, svc: StatsService, period: Period) -> int:
    """The 关键词订阅 sheet: one row per subscription and a 合计 row."""
    from .text import COLUMNS, subscription_ledger, totals

    rows = subscription_ledger(svc.ws, period)
    sheet = wb.create_sheet(SUBSCRIPTIONS)
    sheet.append([f"一本账（{SUBSCRIPTIONS}）统计期间 {period.label()}"])
    sheet.append([label for _, label in COLUMNS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for r in [*rows, totals(rows)]:
        sheet.append([r.get(k) for k, _ in COLUMNS])
    for row in sheet.iter_rows(min_row=3, min_col=len(COLUMNS), max_col=len(COLUMNS)):
        row[0].number_format = "0.0%"
    sheet.freeze_panes = "B3"
    return len(rows)
