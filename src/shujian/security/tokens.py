"""Keyed tokens (关键字段令牌化): a provider replaces identifiers with HMAC(key, normalised value).

An unsalted hash of an 18-digit 身份证号 is no protection: there are only about 10⁹ plausible IDs per
birth year range, so anyone can hash them all (a dictionary attack) and reverse the table in hours.
An HMAC under a secret key held only by the provider cannot be precomputed without the key, yet the
same value always gives the same token, so the procuratorate can join two providers' data that were
tokenised under a shared key.  Re-identification needs the key and the provider's own records.
"""

from __future__ import annotations

import csv
import os
import secrets
import stat
import unicodedata
from pathlib import Path

from ..errors import InputError
from .hashing import ALGORITHMS, keyed

PREFIX = {"sm3": "T3:", "sha256": "T2:"}
KEY_BYTES = 32


def normalise(value: str, semantic: str | None = None) -> str:
    """Canonical text of an identifier: NFKC (全角→半角), trimmed, spaces removed, upper-case ``x``.

    >>> normalise(" １１０１０５１９９００３０７１２３x ")
    '11010519900307123X'
    """
    text = unicodedata.normalize("NFKC", str(value)).strip()
    text = "".join(text.split())
    return text.upper()


def new_key(path: Path) -> Path:
    """Write a new random key file readable only by its owner; refuses to overwrite."""
    if path.exists():
        raise InputError(f"密钥文件 {path} 已存在，拒绝覆盖", hint="换一个路径；覆盖密钥会使已发出的令牌无法回溯")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(KEY_BYTES) + "\n")
    return path


def read_key(path: Path, data_files: list[Path] = ()) -> bytes:
    """The key in ``path`` (hex); refuses a key stored beside the data it protects."""
    if not path.exists():
        raise InputError(f"密钥文件 {path} 不存在", hint="先用 shujian token keygen <路径> 生成密钥，并保存在数据目录之外")
    key_dir = path.resolve().parent
    for d in data_files:
        if d.resolve().parent == key_dir:
            raise InputError(f"密钥文件 {path} 与数据文件 {d} 在同一目录",
                             hint="密钥必须与数据分开保存（不同目录、不同介质），否则拿到数据的人也拿到了密钥")
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH):
        raise InputError(f"密钥文件 {path} 对其他用户可读", hint=f"执行 chmod 600 {path}")
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except ValueError as exc:
        raise InputError(f"密钥文件 {path} 不是十六进制密钥", hint="用 shujian token keygen 生成") from exc
    if len(key) < 16:
        raise InputError(f"密钥文件 {path} 太短（{len(key)} 字节）", hint="至少 16 字节，建议 32 字节")
    return key


def token(key: bytes, value: str, algorithm: str = "sm3") -> str:
    """The token of one identifier (empty stays empty)."""
    if algorithm not in ALGORITHMS:
        raise InputError(f"算法“{algorithm}”不支持", hint=f"可选：{'、'.join(ALGORITHMS)}")
    text = normalise(value)
    if not text:
        return ""
    return PREFIX[algorithm] + keyed(algorithm, key, text.encode("utf-8")).hex()


def tokenise_rows(header: list[str], rows, columns: list[str], key: bytes, algorithm: str):
    """Rows with ``columns`` replaced by tokens (generator)."""
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(f"文件中没有列 {'、'.join(missing)}", hint=f"现有列：{'、'.join(header)}")
    idx = [header.index(c) for c in columns]
    for row in rows:
        row = list(row)
        for i in idx:
            if i < len(row) and row[i] is not None and str(row[i]) != "":
                row[i] = token(key, str(row[i]), algorithm)
        yield row


def read_table(path: Path, sheet: str | None = None) -> tuple[list[str], list[list]]:
    """Header and rows of a CSV (UTF-8/GBK) or XLSX file."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        from ..catalog.readers import check_xlsx

        check_xlsx(path)        # a zip bomb or one 400 MB shared string is refused before openpyxl parses it
        wb = load_workbook(path, read_only=True, data_only=True)
        ws = wb[sheet] if sheet else wb.worksheets[0]
        rows = [["" if v is None else v for v in r] for r in ws.iter_rows(values_only=True)]
        return [str(h) for h in rows[0]], rows[1:]
    for enc in ("utf-8-sig", "gb18030"):
        try:
            with path.open(encoding=enc, newline="") as f:
                rows = list(csv.reader(f))
            return rows[0], rows[1:]
        except UnicodeDecodeError:
            continue
    raise InputError(f"无法识别 {path} 的编码", hint="另存为 UTF-8 CSV")


def write_table(path: Path, header: list[str], rows) -> int:
    """Write CSV or XLSX (by suffix); returns the row count."""
    n = 0
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        sheet = wb.create_sheet("数据")
        sheet.append(header)
        for r in rows:
            sheet.append(r)
            n += 1
        wb.save(path)
        return n
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow(r)
            n += 1
    return n


def reidentify(key: bytes, tokens: set[str], source_header: list[str], source_rows, columns: list[str],
               algorithm: str) -> dict[str, str]:
    """Token → original value, found by tokenising the key holder's own source records."""
    found: dict[str, str] = {}
    idx = [source_header.index(c) for c in columns if c in source_header]
    if not idx:
        raise InputError(f"原始数据中没有列 {'、'.join(columns)}", hint=f"现有列：{'、'.join(source_header)}")
    for row in source_rows:
        for i in idx:
            if i < len(row) and row[i] not in (None, ""):
                t = token(key, str(row[i]), algorithm)
                if t in tokens:
                    found[t] = str(row[i])
    return found
