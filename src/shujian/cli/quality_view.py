"""Terminal rendering of a quality report."""

from __future__ import annotations

from .common import console, print_table


def render_quality(report: dict) -> None:
    console.print(f"[bold]数据质量核查：{report['dataset']}[/] 第 {report['version']} 版，{report['rows']:,} 行")
    if report.get("skipped_rows"):
        console.print(f"[yellow]导入时跳过 {report['skipped_rows']} 行格式错误的行[/]")
    cols = report.get("columns") or []
    if isinstance(cols, dict):
        cols = [{"name": k, **v} for k, v in cols.items()]
    rows = []
    for c in cols:
        inv = c.get("invalid") or {}
        examples = inv.get("examples") if isinstance(inv, dict) else None
        rows.append({"name": c.get("name"), "dtype": c.get("dtype"), "semantic": c.get("semantic"),
                     "null_rate": f"{(c.get('null_rate') or 0) * 100:.1f}%", "distinct": c.get("distinct"),
                     "invalid": (inv.get("count") if isinstance(inv, dict) else inv) or 0,
                     "examples": "；".join(f"第{e.get('row')}行 {e.get('value')}" for e in (examples or [])[:3]),
                     "range": _range(c)})
    print_table(rows, [("name", "列"), ("dtype", "类型"), ("semantic", "数据要素"), ("null_rate", "空值率"),
                       ("distinct", "不同值"), ("invalid", "无效值"), ("examples", "示例"), ("range", "日期范围")])
    for key in ("duplicates", "future_dates", "start_after_end"):
        if report.get(key):
            console.print(f"[bold]{key}[/]: {report[key]}")


def _range(c: dict) -> str:
    if c.get("min") is None and c.get("max") is None:
        return ""
    future = c.get("future_dates") or c.get("future") or 0
    return f"{c.get('min')} .. {c.get('max')}" + (f"（{future} 个未来日期）" if future else "")
