"""``shujian backup OUT`` and ``shujian restore IN`` (docs/operations.md, 备份与恢复)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..workspace import open_workspace
from .common import console, err_console


def backup(out: Path = typer.Argument(..., help="新的备份目录（不能已存在，应在工作区之外）"),
           wait: float = typer.Option(600, "--wait", min=0, help="分析库被导入或运行占用时最多等待的秒数")) -> None:
    """对正在使用的工作区做一致性备份：元数据库、分析库、附件与密钥，附清单与校验和。"""
    from ..backup.service import backup as run_backup

    ws = open_workspace(check=False)
    report = run_backup(ws, out, wait_seconds=wait, progress=lambda m: err_console.print(m, highlight=False))
    console.print(f"备份完成：{report.path}", highlight=False)
    console.print(f"  元数据库版本 {report.revision}，{len(report.tables)} 张表 {sum(report.tables.values())} 行；"
                  f"分析库 {len(report.warehouse_tables)} 张表；文件 {report.files} 个；共 {report.bytes / 1e6:.1f} MB",
                  highlight=False)


def restore(src: Path = typer.Argument(..., exists=True, file_okay=False, help="shujian backup 生成的备份目录")) -> None:
    """把备份恢复到空的工作区（SHUJIAN_HOME / SHUJIAN_DATABASE_URL 指向的新位置），并升级到本版本。"""
    from ..backup.service import restore as run_restore

    ws = open_workspace(check=False, create=False)
    result = run_restore(ws, src, progress=lambda m: err_console.print(m, highlight=False))
    console.print(f"恢复完成：{ws.home}", highlight=False)
    console.print(f"  元数据库 {len(result['tables'])} 张表 {sum(result['tables'].values())} 行（版本 {result['revision']}"
                  f" → {result['upgraded_to']}）；分析库 {result['warehouse_tables']} 张表", highlight=False)
    if any(result["interrupted"].values()):
        console.print(f"  备份时仍在进行的任务 {result['interrupted']['jobs']} 个、运行 {result['interrupted']['runs']} 个"
                      "已标记为中断，可重新执行", highlight=False)
    console.print("建议随后运行 shujian audit verify 校验审计链", highlight=False)
