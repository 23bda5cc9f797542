"""Terminal rendering of a quality report (数据质量核查), the shape made by catalog.quality."""

from __future__ import annotations

from .common import console, print_table


def render_quality(report: dict) -> None:
    """Print the report: one row per column, then duplicate keys, start-after-end pairs, skipped rows."""
    console.print(f"[bold]数据质量核查：{report['dataset']}[/] 第 {report['version']} 版，{report['rows']:,} 行")
    print_table([_column_row(name, c) for name, c in (report.get("columns") or {}).items()],
                [("name", "列"), ("dtype", "类型"), ("semantic", "数据要素"), ("null_rate", "空值率"),
                 ("distinct", "不同值"), ("invalid", "无效值"), ("examples", "无效值示例"), ("range", "日期范围")])
    for line in _findings(report):
        console.print(line, highlight=False)


def _distinct(c: dict) -> object:
    """The distinct count, marked 约 when the report gives an approximation (large tables)."""
    return f"约 {c['distinct']}" if c.get("distinct_approx") else c.get("distinct")


def _column_row(name: str, c: dict) -> dict:
    examples = c.get("invalid_examples") or []
    return {"name": name, "dtype": c.get("dtype"), "semantic": c.get("semantic"),
            "null_rate": f"{(c.get('null_rate') or 0) * 100:.1f}%", "distinct": _distinct(c),
            "invalid": "—" if c.get("invalid") is None else c["invalid"],
            "examples": "；".join(f"第{e['row']}行 {e['value']}" for e in examples[:3]), "range": _range(c)}


def _range(c: dict) -> str:
    if c.get("min") is None and c.get("max") is None:
        return ""
    future = c.get("future") or 0
    return f"{c.get('min')} .. {c.get('max')}" + (f"（{future} 个未来日期）" if future else "")


def _findings(report: dict) -> list[str]:
    out = [f"[yellow]{c['advice']}[/]" for c in (report.get("columns") or {}).values() if c.get("advice")]
    dup = report.get("duplicates")
    if dup:
        keys = "、".join(dup["columns"])
        if dup["values"]:
            ex = "；".join(f"{'/'.join(str(v) for v in e['key'].values())}：第 {'、'.join(map(str, e['rows']))} 行"
                          for e in dup["examples"][:3])
            out.append(f"[yellow]重复键（{keys}）：{dup['values']} 个值重复，涉及 {dup['rows']} 行；例如 {ex}[/]")
        else:
            out.append(f"重复键（{keys}）：无重复")
    for p in report.get("start_after_end") or []:
        if p["count"]:
            ex = "；".join(f"第 {e['row']} 行 {e['start']} > {e['end']}" for e in p["examples"][:3])
            out.append(f"[yellow]开始晚于结束（{p['start']} / {p['end']}）：{p['count']} 行；例如 {ex}[/]")
    if report.get("skipped_rows"):
        lines = "、".join(str(s["line"]) for s in (report.get("skipped") or [])[:20])
        out.append(f"[yellow]导入时跳过 {report['skipped_rows']} 行格式错误的行：第 {lines} 行[/]")
    return out
