"""``shujian audit`` — verify, list and export the tamper-evident audit log (审计日志)."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import typer

from ..errors import InputError
from ..security.audit import AuditLog
from .common import OutputFormat, console, err_console, print_json, print_table, workspace
from .user import ActorOpt, require_cli

app = typer.Typer(no_args_is_help=True)
FormatOpt = typer.Option(OutputFormat.table, "--format", help="输出格式：table 或 json")
OutArg = typer.Argument(..., help="输出文件 .csv 或 .jsonl")


@app.command("verify")
def verify(head: str = typer.Option(None, "--head", help="此前保存的链尾哈希（发现末尾记录被删除）"),
           output: OutputFormat = FormatOpt) -> None:
    """校验哈希链；报告第一处断裂。"""
    result = AuditLog(workspace()).verify(head)
    if output == OutputFormat.json:
        print_json(result)
    elif result["ok"]:
        console.print(f"审计日志完整：{result['records']} 条记录，链尾哈希 {result['head']}")
    else:
        err_console.print(f"[bold red]审计日志被篡改：[/]{result['problem']}（此前 {result['records']} 条完好）")
    if not result["ok"]:
        raise typer.Exit(4)


@app.command("seal")
def seal(as_: str = ActorOpt) -> None:
    """重新签名审计链头：仅在链头缺失、未签名或被标记为损坏、且经核实后使用（需要 audit.read 权限和审计密钥）。

    先逐条校验全部记录（在当前密钥下），任何一条不通过就拒绝；通过后以当前链尾重新签名链头，并记入审计。
    """
    ws = workspace()
    user = require_cli(ws, as_, "audit.read")
    out = AuditLog(ws).seal()
    AuditLog(ws).append("audit.seal", actor=user, detail=out)
    console.print(f"已重新签名审计链头：{out['records']} 条记录，链尾哈希 {out['head']}")


def _since(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"时间“{text}”格式不对", hint="用 2026-11-01 或 2026-11-01T08:00") from exc


@app.command("list")
def list_(actor: str = typer.Option(None, "--actor", help="用户"), action: str = typer.Option(None, "--action"),
          target: str = typer.Option(None, "--target", help="对象包含"), since: str = typer.Option(None, "--since"),
          limit: int = typer.Option(50, "--limit", min=1, max=10000), as_: str = ActorOpt,
          output: OutputFormat = FormatOpt) -> None:
    """检索审计记录（最新在前；需要 audit.read 权限）。"""
    ws = workspace()
    require_cli(ws, as_, "audit.read")
    rows = AuditLog(ws).search(actor=actor, action=action, target=target, since=_since(since), limit=limit)
    if output == OutputFormat.json:
        print_json(rows)
        return
    print_table(rows, [("id", "编号"), ("at", "时间"), ("actor", "用户"), ("action_label", "动作"),
                       ("target", "对象"), ("outcome", "结果"), ("reason", "事由")], title=f"审计记录（{len(rows)}）")


@app.command("export")
def export(out: Path = OutArg, as_: str = ActorOpt,
           since: str = typer.Option(None, "--since")) -> None:
    """导出审计记录（含哈希，可离线复核；导出本身也记入审计）。"""
    ws = workspace()
    user = require_cli(ws, as_, "audit.read")
    rows = list(reversed(AuditLog(ws).search(since=_since(since), limit=10**9)))
    if out.suffix.lower() == ".jsonl":
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    else:
        with out.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["id"])
            w.writeheader()
            for r in rows:
                w.writerow({**r, "detail": json.dumps(r["detail"], ensure_ascii=False)})
    AuditLog(ws).append("audit.export", actor=user, target=str(out), detail={"records": len(rows)})
    console.print(f"已导出 {len(rows)} 条审计记录 → {out}")
