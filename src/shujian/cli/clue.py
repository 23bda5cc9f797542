"""``shujian clue`` — clues found by model runs."""

from __future__ import annotations

import typer

from ..clues.render import mask_guess
from ..clues.service import ClueService
from .common import OutputFormat, console, print_json, print_table, workspace

app = typer.Typer(no_args_is_help=True)
FormatOpt = typer.Option(OutputFormat.table, "--format", help="输出格式：table 或 json")


@app.command("list")
def list_(model: str | None = typer.Option(None, "--model", help="模型编号"),
          state: str | None = typer.Option(None, "--state", help="状态，如 生成、排除"),
          subject: str | None = typer.Option(None, "--subject", help="对象标识（如身份证号）"),
          limit: int = typer.Option(1000, "--limit"), output: OutputFormat = FormatOpt) -> None:
    """列出线索。"""
    rows = ClueService(workspace()).list(model_id=model, state=state, subject=subject, limit=limit)
    if output == OutputFormat.json:
        print_json(rows)
        return
    for r in rows:
        r["who"] = mask_guess(r["subject"]["key"])
    print_table(rows, [("clue_id", "线索"), ("model_id", "模型"), ("rule", "规则"), ("who", "对象"),
                       ("title", "摘要"), ("state", "状态"), ("seen_count", "命中次数")], title=f"线索（{len(rows)} 条）")


@app.command("show")
def show(clue_id: int = typer.Argument(...), output: OutputFormat = FormatOpt) -> None:
    """线索详情：事实、证据行、同一对象的其他线索。"""
    c = ClueService(workspace()).get(clue_id)
    if output == OutputFormat.json:
        print_json(c)
        return
    console.print(f"[bold]线索 {c['clue_id']}[/]：{c['title']}")
    console.print(f"模型 {c['model_id']} 规则 {c['rule']}  状态：{c['state']}  建议：{c['measure'] or '—'}")
    for k, v in (c["facts"] or {}).items():
        console.print(f"  {k}：{v}")
    for ev in c["evidence"]:
        print_table([dict(zip(ev["columns"], r, strict=True)) for r in ev["rows"]], [(x, x) for x in ev["columns"]],
                    title=f"证据：{ev['dataset']} 第 {ev['version']} 版（{ev['row_count']} 行）")
    for o in c["other_grounds"]:
        console.print(f"同一对象的其他线索：#{o['clue_id']} {o['model_id']} {o['title']}")


@app.command("exclude")
def exclude(clue_id: int = typer.Argument(...), reason: str = typer.Option(..., "--reason", help="排除理由")) -> None:
    """排除线索（误报）：再次运行时不再提出，除非事实发生变化。"""
    ClueService(workspace()).exclude(clue_id, reason)
    console.print(f"线索 {clue_id} 已排除")
