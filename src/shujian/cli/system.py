"""Top-level commands: ``shujian init``, ``shujian demo``."""

from __future__ import annotations

import typer

from .common import console, workspace


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    from .schedule import worker

    app.command("worker")(worker)
    from .demo import demo

    app.command("demo")(demo)
    from .backup import backup, restore

    app.command("backup")(backup)
    app.command("restore")(restore)


def init() -> None:
    """创建（或检查）工作区：SHUJIAN_HOME 下的元数据库与分析库。"""
    ws = workspace()
    with ws.warehouse():
        pass
    console.print(f"工作区已就绪：{ws.home}")
    console.print(f"  元数据库：{ws.settings.metadata_url.split('@')[-1]}")
    console.print(f"  分析库：{ws.settings.duckdb_path}")
