"""``shujian schedule`` — 定期调度 of model runs; ``shujian worker`` executes them."""

from __future__ import annotations

import typer

from ..runs.schedule import ScheduleService
from .common import OutputFormat, console, print_json, print_table, workspace
from .model import _kv

app = typer.Typer(no_args_is_help=True)
FormatOpt = typer.Option(OutputFormat.table, "--format", help="输出格式：table 或 json")


@app.command("add")
def add(model: str = typer.Argument(..., help="模型编号"),
        cron: str = typer.Option(..., "--cron", help="cron 表达式，例如 “0 2 * * *”（每天 2:00）"),
        param: list[str] = typer.Option([], "--param"), engine: str = typer.Option("duckdb", "--engine")) -> None:
    """为模型添加定期运行计划。"""
    s = ScheduleService(workspace()).add(model, cron, _kv(param), engine)
    console.print(f"已添加调度 {s['schedule_id']}：{model} 按 “{cron}” 运行，下次 {s['next_run_at']}")


@app.command("list")
def list_(output: OutputFormat = FormatOpt) -> None:
    """列出调度。"""
    rows = ScheduleService(workspace()).list()
    if output == OutputFormat.json:
        print_json(rows)
        return
    print_table(rows, [("schedule_id", "编号"), ("model_id", "模型"), ("cron", "cron"), ("enabled", "启用"),
                       ("next_run_at", "下次运行"), ("last_run_id", "最近运行")])


@app.command("remove")
def remove(schedule_id: int = typer.Argument(...)) -> None:
    """删除调度。"""
    ScheduleService(workspace()).remove(schedule_id)
    console.print(f"已删除调度 {schedule_id}")


@app.command("pause")
def pause(schedule_id: int = typer.Argument(...)) -> None:
    ScheduleService(workspace()).set_enabled(schedule_id, False)
    console.print(f"已暂停调度 {schedule_id}")


@app.command("resume")
def resume(schedule_id: int = typer.Argument(...)) -> None:
    ScheduleService(workspace()).set_enabled(schedule_id, True)
    console.print(f"已恢复调度 {schedule_id}")


def worker(interval: float = typer.Option(30.0, "--interval", help="检查间隔（秒）"),
           once: bool = typer.Option(False, "--once", help="只检查一次后退出")) -> None:
    """执行到期的定期调度、数据源的定期汇聚，并筛查关键词订阅尚未筛查的新版本（常驻进程）。"""
    import time

    from ..catalog.sources import SourceService
    from ..text.hooks import screen_all

    console.print("调度执行器已启动" + ("（单次）" if once else f"，每 {interval:g} 秒检查一次；Ctrl-C 退出"))
    ws = workspace()
    schedules, sources = ScheduleService(ws), SourceService(ws)
    while True:
        for e in schedules.run_due():
            console.print(f"调度 {e['schedule_id']} → {e['model_id']}：{e.get('status')} 新线索 {e.get('clues_new', 0)}"
                          + (f" 错误：{e['error']}" if e.get("error") else ""))
        for e in sources.pull_due():      # 定期汇聚 of saved database sources
            console.print(f"数据源 {e['source']}：{e['status']}" + (f" 第 {e['version']} 版" if e.get("version") else "")
                          + (f" 错误：{e['error']}" if e.get("error") else ""))
        for e in screen_all(ws):          # 关键词订阅: versions no import screened yet (paused, failed)
            console.print(f"订阅 {e.get('subscription_id', '—')} 第 {e.get('version', '—')} 版：新消息 {e.get('messages', 0)} 条，"
                          f"命中 {e.get('matched', 0)} 条" + (f" 错误：{e['error']}" if e.get("error") else ""))
        if once:
            return
        time.sleep(interval)
