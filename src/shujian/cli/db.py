"""``shujian db`` — the metadata store."""

from __future__ import annotations

import typer

from ..db.session import current_revision
from .common import console, workspace

app = typer.Typer(no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """把元数据库迁移到最新版本（Alembic）。"""
    ws = workspace()
    ws.db.upgrade()
    console.print(f"元数据库已是最新版本：{current_revision(ws.db.engine)}（{ws.settings.metadata_url.split('@')[-1]}）")


@app.command("current")
def current() -> None:
    """显示元数据库当前版本。"""
    ws = workspace()
    console.print(current_revision(ws.db.engine) or "（未初始化）")
