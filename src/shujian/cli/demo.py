"""``shujian demo`` — the main job: a synthetic city with planted violations, end to end."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import typer

from ..demo.pipeline import SCALES, Say, city_dir, generate_city, has_city, peak_rss_mb, run_demo
from ..errors import InputError
from .common import OutputFormat, console, err_console, print_json, print_table, workspace

SCALE_HELP = ("规模：small（约10万行）/ medium（约500万）/ large（约5000万）/ province（约10亿行，"
              "建议配合 --generate-only 只生成 Parquet）")


def demo(scale: str = typer.Option("small", "--scale", help=SCALE_HELP),
         seed: int = typer.Option(42, "--seed", help="随机种子（相同种子生成相同数据）"),
         regenerate: bool = typer.Option(False, "--regenerate", help="重新生成演示数据"),
         generate_only: bool = typer.Option(False, "--generate-only",
                                            help="只生成演示城市（Parquet 与埋点真值），不导入、不运行模型"),
         out: Path | None = typer.Option(None, "--out", help="演示城市目录（默认：工作区 demo-city/<规模>-<种子>）"),
         workers: int | None = typer.Option(None, "--workers", min=1,
                                            help="并行生成的进程数（默认：small 为 1，其余为分组数与 CPU 核数的较小者）"),
         serve: bool = typer.Option(True, "--serve/--no-serve", help="结束后启动网页界面（如已安装）"),
         workflow: bool = typer.Option(True, "--workflow/--no-workflow",
                                       help="把部分线索走完流转（研判、交办、排除、成案、监督措施、回复），供一本账展示"),
         output: OutputFormat = typer.Option(OutputFormat.table, "--format", help="输出格式：table 或 json")) -> None:
    """生成演示城市（含埋点违法情形），导入数据目录，运行全部内置模型，报告精确率与召回率。"""
    if scale not in SCALES:
        raise InputError(f"规模“{scale}”无效", hint=f"可选：{' / '.join(SCALES)}")
    quiet = output == OutputFormat.json
    say = (lambda m: err_console.print(m, highlight=False)) if not quiet else (lambda m: None)
    if generate_only:
        _generate_only(scale, seed, out, regenerate, output, say, workers)
        return
    if scale == "province":
        say("province 规模约 10 亿行：生成、导入与运行都以小时计，需要数十 GB 磁盘；"
            "可先用 --generate-only --out DIR 只生成 Parquet")
    ws = workspace()
    report = run_demo(ws, scale, seed, regenerate=regenerate, workflow=workflow, say=say, out=out, workers=workers)
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


def _generate_only(scale: str, seed: int, out: Path | None, regenerate: bool, output: OutputFormat,
                   say: Say, workers: int | None) -> None:
    """``--generate-only``: write the city's Parquet files and ground truth, report rows, time and memory."""
    out = out or city_dir(workspace(), scale, seed)
    t0, cpu0 = time.perf_counter(), _cpu_seconds()
    peak = 0.0
    if regenerate or not has_city(out, scale, seed):
        manifest = generate_city(out, scale, seed, say=say, workers=workers)
        peak = manifest.peak_rss_mb
    else:
        say(f"已有该规模与种子的演示城市：{out}（重新生成请加 --regenerate）")
        from ..demo.core import Manifest

        manifest = Manifest.load(out)
    result = {"scale": scale, "seed": seed, "city_dir": str(out), "datasets": len(manifest.datasets),
              "rows": manifest.total_rows, "seconds": round(time.perf_counter() - t0, 2),
              "cpu_seconds": round(_cpu_seconds() - cpu0, 2), "peak_rss_mb": max(peak, peak_rss_mb())}
    if output == OutputFormat.json:
        print_json(result)
        return
    console.print(f"演示城市（{scale}，种子 {seed}）：{result['datasets']} 个数据集，共 {result['rows']:,} 行，"
                  f"用时 {result['seconds']:.1f} 秒（CPU {result['cpu_seconds']:.1f} 秒），"
                  f"内存峰值 {result['peak_rss_mb']:,.0f} MB → {out}")
    console.print(f"导入并评估：shujian demo --scale {scale} --seed {seed} --out {out}")


def _cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its finished worker processes."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _serve(ws) -> None:
    try:
        from ..web.server import serve_workspace  # the web UI (later issue)
    except ModuleNotFoundError:
        console.print("（网页界面尚未安装；命令行演示到此结束。）")
        return
    serve_workspace(ws)
