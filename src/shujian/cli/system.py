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
    """创建（或检查）工作区：SHUJIAN_HOME 下的元数据库与分析库，并导入法律表（法定附加刑表）。"""
    from shujian.catalog.service import CatalogService
    from shujian.law.catalog import LAW_TABLE, ensure_law_tables

    ws = workspace()
    with ws.warehouse():
        pass
    if ensure_law_tables(CatalogService(ws)):      # accessory-penalty reads it (docs/law-tables.md)
        console.print(f"  已导入法律表：{LAW_TABLE}")
    console.print(f"工作区已就绪：{ws.home}")
    console.print(f"  元数据库：{ws.settings.metadata_url.split('@')[-1]}")
    console.print(f"  分析库：{ws.settings.duckdb_path}")
