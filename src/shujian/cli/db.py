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


@app.command("check")
def check(fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table 或 json"),
          repair: bool = typer.Option(False, "--repair", help="按线索重建一本账计数（先 shujian backup）")) -> None:
    """检查元数据库的一致性：一本账计数等于按线索逐条重数；每条证据行的线索和运行记录都存在。有问题时退出码为 1。"""
    from ..clues.store import orphan_evidence
    from ..stats.service import check_counters

    ws = open_workspace()
    counters = check_counters(ws, repair=repair)
    with ws.db.unit_of_work() as s:
        orphans = orphan_evidence(s)
    ok = (repair or not counters) and not any(orphans.values())
    if fmt == OutputFormat.json:
        print_json({"ok": ok, "counters": [{**c, "day": c["day"].isoformat()} for c in counters],
                    "orphan_evidence": orphans})
    else:
        fixed = "，已按线索重建" if repair and counters else ""
        console.print(f"一本账计数：{'与线索一致' if not counters else f'{len(counters)} 处与线索不一致{fixed}'}",
                      highlight=False)
        for c in counters[:20]:
            console.print(f"  - {c['grain']} {c['day']} {c['model_id']} 院 {c['org_id']} 状态 {c['state']}："
                          f"计数 {c['stored']}，重数 {c['counted']}", highlight=False)
        console.print(f"证据行：缺线索 {orphans['without_clue']} 行，缺运行记录 {orphans['without_run']} 行", highlight=False)
        if not ok:
            console.print("修复：计数由迁移 0012 的触发器维护，不一致说明有人绕过或删除了触发器——先 shujian backup，"
                          "再 shujian db check --repair 按线索重建；孤立证据行由手写 SQL 留下，可以删除"
                          "（docs/runs-and-clues.md）", highlight=False)
    if not ok:
        raise typer.Exit(1)
