"""``shujian run`` — sandbox runs (沙箱运行): list, show the results, publish them as clues."""

from __future__ import annotations

import typer

from ..runs.sandbox import SandboxService
from .common import AsOpt, OutputFormat, console, print_json, print_table, workspace

app = typer.Typer(no_args_is_help=True)
FormatOpt = typer.Option(OutputFormat.table, "--format", help="输出格式：table 或 json")
_COLUMNS = [("run_id", "运行"), ("model_id", "模型"), ("status_text", "状态"), ("started_by", "发起人"),
            ("org", "院"), ("rows_out", "结果"), ("published_by", "发布人"), ("clues_new", "新线索")]


@app.command("list")
def list_(as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """沙箱运行（本人发起的；数字办、院领导另见本院及下级院的）。"""
    rows = SandboxService(workspace(as_, "runs.sandbox")).list()
    if output == OutputFormat.json:
        print_json(rows)
        return
    print_table(rows, _COLUMNS, title="沙箱运行")


@app.command("show")
def show(run_id: int = typer.Argument(..., help="沙箱运行编号"), limit: int = typer.Option(50, "--limit"),
         as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """一次沙箱运行的结果（个人信息脱敏；未发布前不是线索）。"""
    data = SandboxService(workspace(as_, "runs.sandbox")).get(run_id, limit=limit)
    if output == OutputFormat.json:
        print_json(data)
        return
    state = f"已由{data['published_by']}发布" if data["published_at"] else "未发布"
    console.print(f"沙箱运行 {run_id}（{data['model_id']}）：{data['status_text']}，结果 {data['total']} 条，{state}")
    print_table([{"n": i + 1, "subject": (r["subject"] or {}).get("key"), "title": r["title"]}
                 for i, r in enumerate(data["results"])], [("n", "序号"), ("subject", "对象"), ("title", "标题")])


@app.command("publish")
def publish(run_id: int = typer.Argument(..., help="沙箱运行编号"), as_: str | None = AsOpt,
            output: OutputFormat = FormatOpt) -> None:
    """发布沙箱运行：结果作为该运行的线索进入线索池（指纹去重同正式运行；数字办、院领导；须 --as）。"""
    data = SandboxService(workspace(as_, "runs.publish")).publish(run_id)
    if output == OutputFormat.json:
        print_json({k: data[k] for k in ("run_id", "model_id", "clues_new", "clues_seen", "published_by",
                                         "published_at")})
        return
    console.print(f"沙箱运行 {run_id} 已发布：新线索 {data['clues_new']} 条，已有线索 {data['clues_seen']} 条")
