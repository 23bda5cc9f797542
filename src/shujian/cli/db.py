"""``shujian db`` — the metadata store: its schema version and upgrades.

Nothing migrates by itself: ``db current`` only reads, and every other command refuses an outdated store
with the list of pending migrations (see docs/operations.md, 升级).
"""

from __future__ import annotations

import typer

from ..db.session import schema_status
from ..workspace import open_workspace
from .common import OutputFormat, console, print_json

app = typer.Typer(no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """把元数据库迁移到本程序的版本（Alembic）；升级前请先 shujian backup。"""
    ws = open_workspace(check=False)
    before = ws.upgrade()
    where = ws.db.where.split("@")[-1]
    if before.up_to_date:
        console.print(f"元数据库已是最新版本：{before.head}（{where}），无需迁移", highlight=False)
        return
    for rev, doc in before.pending:
        console.print(f"  已迁移 {rev}：{doc}", highlight=False)
    console.print(f"元数据库已升级：{before.current or '（空）'} → {before.head}（{where}）", highlight=False)


@app.command("current")
def current(fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table 或 json")) -> None:
    """显示元数据库当前版本与待执行的迁移（只读，不会迁移）。"""
    ws = open_workspace(check=False, create=False)
    status = schema_status(ws.db.engine)
    if fmt == OutputFormat.json:
        print_json({"current": status.current, "head": status.head, "known": status.known,
                   "pending": [{"revision": r, "description": d} for r, d in status.pending]})
        return
    console.print(status.current or "（未初始化）", highlight=False)
    if not status.known:
        console.print(f"该版本不为本程序所知（本程序最新为 {status.head}）：由更新版本的 shujian 写入", highlight=False)
    elif status.pending and status.current:
        console.print(f"待执行 {len(status.pending)} 个迁移（shujian db upgrade）：", highlight=False)
        for rev, doc in status.pending:
            console.print(f"  - {rev}：{doc}", highlight=False)
