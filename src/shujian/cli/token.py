"""``shujian token`` — keyed tokens for a provider agency (关键字段令牌化, 数据提供方使用).

keygen 生成密钥（保存在数据之外）；apply 把导出文件的身份证号等列换成 HMAC 令牌；
apply --reidentify 由密钥持有方对照自己的原始数据，回溯线索清单中令牌对应的真实身份。
"""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import InputError
from ..security import tokens as tk
from .common import console

app = typer.Typer(no_args_is_help=True)
KeyPathArg = typer.Argument(..., help="密钥文件路径（放在数据目录之外，仅本单位保管）")
SourceArg = typer.Argument(..., help="数据文件（CSV/XLSX）；回溯时为本单位原始数据")
KeyOpt = typer.Option(..., "--key", help="密钥文件（不得与数据同目录）")
OutOpt = typer.Option(..., "--out", help="输出文件（.csv 或 .xlsx）")
ReidentifyOpt = typer.Option(None, "--reidentify", help="线索清单文件：把其中的令牌换回 SOURCE 中的真实值（仅密钥持有方）")


@app.command("keygen")
def keygen(path: Path = KeyPathArg) -> None:
    """生成 32 字节随机密钥（文件权限 600，不覆盖已有密钥）。"""
    tk.new_key(path)
    console.print(f"已生成密钥 {path}；请与数据分开保管并备份，丢失后无法回溯令牌")


def _columns(text: str) -> list[str]:
    cols = [c.strip() for c in text.replace("，", ",").split(",") if c.strip()]
    if not cols:
        raise InputError("没有指定要令牌化的列", hint="用 --columns 身份证号,手机号")
    return cols


@app.command("apply")
def apply(source: Path = SourceArg,
          columns: str = typer.Option(..., "--columns", help="标识列，逗号分隔，如 身份证号,手机号"),
          key: Path = KeyOpt, out: Path = OutOpt,
          algorithm: str = typer.Option("sm3", "--algorithm", help="sm3（国密）或 sha256"),
          reidentify: Path = ReidentifyOpt,
          sheet: str = typer.Option(None, "--sheet", help="XLSX 工作表")) -> None:
    """把标识列替换为带密钥的 HMAC 令牌；或用 --reidentify 回溯线索清单。"""
    cols = _columns(columns)
    files = [source] + ([reidentify] if reidentify else [])
    secret = tk.read_key(key, files)
    header, rows = tk.read_table(source, sheet)
    if reidentify is None:
        n = tk.write_table(out, header, tk.tokenise_rows(header, rows, cols, secret, algorithm))
        console.print(f"已令牌化 {n} 行（列：{'、'.join(cols)}，算法 {algorithm}）→ {out}")
        return
    clue_header, clue_rows = tk.read_table(reidentify)
    wanted = {str(v) for r in clue_rows for v in r if str(v).startswith(tuple(tk.PREFIX.values()))}
    found = tk.reidentify(secret, wanted, header, rows, cols, algorithm)
    restored = [[found.get(str(v), v) for v in r] for r in clue_rows]
    n = tk.write_table(out, clue_header, restored)
    console.print(f"线索清单 {n} 行，回溯令牌 {len(found)}/{len(wanted)} 个 → {out}")
