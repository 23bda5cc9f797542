"""``shujian demo`` — the main job: a synthetic city with planted violations, end to end."""

from __future__ import annotations

import typer

from ..demo.pipeline import SCALES, run_demo
from ..errors import InputError
from .common import OutputFormat, console, err_console, print_json, print_table, workspace


def demo(scale: str = typer.Option("small", "--scale", help="规模：small（约10万行）/ medium（约500万）/ large（约5000万）"),
         seed: int = typer.Option(42, "--seed", help="随机种子（相同种子生成相同数据）"),
         regenerate: bool = typer.Option(False, "--regenerate", help="重新生成演示数据"),
         serve: bool = typer.Option(True, "--serve/--no-serve", help="结束后启动网页界面（如已安装）"),
         workflow: bool = typer.Option(True, "--workflow/--no-workflow",
                                       help="把部分线索走完流转（研判、交办、排除、成案、监督措施、回复），供一本账展示"),
         output: OutputFormat = typer.Option(OutputFormat.table, "--format", help="输出格式：table 或 json")) -> None:
    """生成演示城市（含埋点违法情形），导入数据目录，运行全部内置模型，报告精确率与召回率。"""
    if scale not in SCALES:
        raise InputError(f"规模“{scale}”无效", hint=f"可选：{' / '.join(SCALES)}")
    ws = workspace()
    quiet = output == OutputFormat.json
    report = run_demo(ws, scale, seed, regenerate=regenerate, workflow=workflow,
                      say=(lambda m: err_console.print(m, highlight=False)) if not quiet else (lambda m: None))
    if quiet:
        print_json({"models": [{k: r[k] for k in ("id", "clues", "planted", "precision", "recall", "seconds")}
                               for r in report.models], "scale": report.scale, "rows": report.rows,
                    "workflow": report.workflow})
    else:
        print_table(report.models, [("id", "模型"), ("name", "名称"), ("clues", "线索"), ("planted", "埋点"),
                                    ("precision", "精确率"), ("recall", "召回率"), ("seconds", "秒")],
                    title=f"演示城市（{report.scale}，{report.rows:,} 行）：内置模型的精确率与召回率")
        console.print(f"工作区：{ws.home}。查看线索：shujian clue list；查看数据：shujian data list")
        if report.workflow:
            console.print("一本账：shujian stats --by model；模型台账：shujian model-gov ledger；"
                          "到期事项：shujian clue due")
    if serve and not quiet:
        _serve(ws)


def _serve(ws) -> None:
    try:
        from ..web.server import serve_workspace  # the web UI (later issue)
    except ModuleNotFoundError:
        console.print("（网页界面尚未安装；命令行演示到此结束。）")
        return
    serve_workspace(ws)
