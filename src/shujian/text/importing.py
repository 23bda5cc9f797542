"""Importing a message export (工单导出) that never stops on bad input, counting what was wrong.

The catalog's importer refuses a CSV that mixes UTF-8 and GBK lines (it names the line) — right for
registers, where a mis-decoded name is a wrong key.  A hotline export is free text written by many
operators and concatenated from several systems; one bad line should not block a month of messages.
Here each physical line is decoded on its own (UTF-8, else GB18030, else UTF-8 with �), quoted
fields may span lines, rows with too many or too few fields are padded or cut, and every such repair
is counted in the version's note and quality report.  The message text itself is checked too
(:func:`shujian.text.clean.clean_text`: Excel ``_x000D_`` escapes, line breaks, tabs, quotes, fields
over 10,000 characters, empty bodies, mis-decoded characters), one count per message, in the same
note.  The data then goes through the catalog's own Arrow import (versions, provenance, quality,
atomic); the cells keep their text as delivered — cleaning happens when a rule reads them.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from shujian.catalog.importer import ImportRequest
from shujian.catalog.readers import sniff_delimiter
from shujian.errors import ImportFailed
from shujian.text.clean import PROBLEMS, QualityCounts, clean_text
from shujian.workspace import Workspace

_DATETIME = re.compile(r"^\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2}))?)?")
REPAIRS = {
    "gbk_lines": "按 GBK/GB18030 解码的行", "undecodable_lines": "无法解码的行（已替换为 �）",
    "nul_chars": "去掉的 NUL 字符", "padded_rows": "字段不足、已补空的行", "cut_rows": "字段过多、已截断的行",
    "bad_dates": "无法识别的时间", "footer_rows": "表格末尾的表尾行（合计、制表人等，未导入）",
}
# Columns that hold the message text (主题/详情/诉求内容…); without one, the longest column is the text.
_TEXT_NAME = re.compile(r"详情|内容|诉求|描述|主题|标题|正文|留言|摘要|事项|问题")


@dataclass
class ReadResult:
    table: pa.Table
    repairs: Counter = field(default_factory=Counter)
    encoding: str = "utf-8"
    text_quality: QualityCounts | None = None
    text_columns: list[str] = field(default_factory=list)

    def note(self) -> str:
        found = [f"{REPAIRS[k]} {v}" for k, v in self.repairs.items() if v]
        head = "工单导入修复：" + "；".join(found) if found else "工单导入：无需修复"
        if self.text_quality is None:
            return head
        problems = self.text_quality.to_dict()["problems"]
        text = "、".join(f"{PROBLEMS[k]} {v}" for k, v in problems.items()) or "无问题"
        return f"{head}。文本质量（{'、'.join(self.text_columns)}，{self.text_quality.messages} 条）：{text}"


def decode_lines(data: bytes, repairs: Counter) -> str:
    """Each line decoded on its own: UTF-8, else GB18030, else UTF-8 with replacement characters."""
    out = []
    for line in data.splitlines(keepends=True):
        try:
            out.append(line.decode("utf-8"))
            continue
        except UnicodeDecodeError:
            pass
        try:
            out.append(line.decode("gb18030"))
            repairs["gbk_lines"] += 1
        except UnicodeDecodeError:
            out.append(line.decode("utf-8", errors="replace"))
            repairs["undecodable_lines"] += 1
    text = "".join(out)
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        repairs["nul_chars"] += text.count("\x00")
        text = text.replace("\x00", "")
    return text


def read_csv_export(path: Path) -> ReadResult:
    repairs: Counter = Counter()
    text = decode_lines(path.read_bytes(), repairs)
    if not text.strip():
        raise ImportFailed(f"文件 {path.name} 是空的", hint="确认导出时选择了数据")
    first = text.split("\n", 1)[0]
    # the csv module refuses fields over 128 KiB by default; a message field may be any length
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    rows = list(csv.reader(text.splitlines(keepends=True), delimiter=sniff_delimiter(first, path.suffix.lower())))
    header = _header(rows[0])
    body = []
    for row in _without_footer(rows[1:], len(header), repairs):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            repairs["padded_rows"] += 1
            row = row + [""] * (len(header) - len(row))
        elif len(row) > len(header):
            repairs["cut_rows"] += 1
            row = row[:len(header) - 1] + [",".join(row[len(header) - 1:])]
        body.append(row)
    cols = {h: [r[i] if r[i] != "" else None for r in body] for i, h in enumerate(header)}
    return ReadResult(pa.table({h: pa.array(v, pa.string()) for h, v in cols.items()}), repairs)


def _without_footer(rows: list[list[str]], width: int, repairs: Counter) -> list[list[str]]:
    """``rows`` without the sign-off and total rows under the table (catalog.readers.footer_start),
    counted as ``footer_rows``; blank rows among them go too."""
    from shujian.catalog.readers import footer_start, footer_text

    at = footer_start(rows, width)
    repairs["footer_rows"] += sum(footer_text(r, width) is not None for r in rows[at:])
    return rows[:at]


def read_xlsx_export(path: Path, sheet: str | None = None) -> ReadResult:
    from shujian.catalog.readers import xlsx_batches

    footers: list[tuple[int, str]] = []
    header, batches = xlsx_batches(path, sheet, footers=footers)
    tables = [pa.Table.from_batches([b]) for b in batches]
    names = _header(header)
    repairs = Counter({"footer_rows": len(footers)} if footers else {})
    if not tables:
        return ReadResult(pa.table({h: pa.array([], pa.string()) for h in names}), repairs)
    table = pa.concat_tables(tables).rename_columns(names)
    return ReadResult(table.cast(pa.schema([(h, pa.string()) for h in names])), repairs)


def _header(raw: list) -> list[str]:
    out: list[str] = []
    for i, cell in enumerate(raw):
        name = str(cell or "").strip().lstrip("\ufeff") or f"列{i + 1}"
        while name in out:
            name += "_2"
        out.append(name)
    return out


def text_columns(table: pa.Table) -> list[str]:
    """The columns holding message text: those named like 主题/详情/诉求内容, else the longest one."""
    named = [c for c in table.column_names if _TEXT_NAME.search(c)]
    if named or not table.num_columns:
        return named
    sample = table.slice(0, 1000)
    return [max(table.column_names, key=lambda c: sum(len(str(v or "")) for v in sample.column(c).to_pylist()))]


def count_text_quality(table: pa.Table, columns: list[str]) -> QualityCounts:
    """One count per message and problem over ``columns`` (empty: every text column is blank)."""
    counts = QualityCounts()
    values = [table.column(c).to_pylist() for c in columns]
    for cells in zip(*values, strict=True):
        found: set[str] = set()
        blank = True
        for cell in cells:
            text, problems = clean_text(cell)
            blank = blank and not text
            found.update(p for p in problems if p != "empty")
        if blank:
            found.add("empty")
        counts.add(sorted(found))
    return counts


def with_text_quality(result: ReadResult, columns: list[str] | None = None) -> ReadResult:
    """Count the text problems of ``columns`` (default: :func:`text_columns`) into ``result``."""
    cols = columns or text_columns(result.table)
    missing = [c for c in cols if c not in result.table.column_names]
    if missing:
        raise ImportFailed(f"导出文件中没有文本列“{'、'.join(missing)}”",
                           hint=f"现有列：{'、'.join(result.table.column_names)}")
    if cols:
        result.text_columns = cols
        result.text_quality = count_text_quality(result.table, cols)
    return result


def parse_datetime(value: str | None) -> datetime | None:
    """2025-03-01 / 2025/3/1 09:30 / 2025年3月1日 9时30分 → datetime; None when not a date.

    >>> parse_datetime("2025/3/1 09:30")
    datetime.datetime(2025, 3, 1, 9, 30)
    """
    m = _DATETIME.match(value or "")
    if not m:
        return None
    y, mo, d, h, mi, s = (int(x) if x else 0 for x in m.groups())
    try:
        return datetime(y, mo, d, h, mi, s)
    except ValueError:
        return None


def with_dates(result: ReadResult, columns: list[str]) -> ReadResult:
    """``columns`` as TIMESTAMP (unparseable values become NULL and are counted)."""
    table = result.table
    for name in columns:
        if name not in table.column_names:
            raise ImportFailed(f"导出文件中没有时间列“{name}”", hint=f"现有列：{'、'.join(table.column_names)}")
        values = table.column(name).to_pylist()
        parsed = [parse_datetime(v) for v in values]
        result.repairs["bad_dates"] += sum(1 for v, p in zip(values, parsed, strict=True) if v and p is None)
        table = table.set_column(table.column_names.index(name), name, pa.array(parsed, pa.timestamp("us")))
    result.table = table
    return result


def import_messages(ws: Workspace, path: Path, name: str, *, date_columns: list[str] | None = None,
                    sheet: str | None = None, agency: str | None = None, importer: str | None = None,
                    level: str | None = None, text_fields: list[str] | None = None):
    """Read a message export tolerantly and import it as a new version of dataset ``name``; repairs
    and text problems (of ``text_fields``, default :func:`text_columns`) go into the version's note."""
    from shujian.catalog.importer import check_import_path
    from shujian.catalog.service import CatalogService

    check_import_path(path, ws.settings)
    if not path.is_file():
        raise ImportFailed(f"文件 {path} 不存在")
    suffix = path.suffix.lower()
    result = read_xlsx_export(path, sheet) if suffix in (".xlsx", ".xlsm") else read_csv_export(path)
    result = with_text_quality(with_dates(result, date_columns or []), text_fields)
    req = ImportRequest(name=name, path=None, agency=agency or "12345 政务服务便民热线", importer=importer,
                        level=level, note=result.note(), description="热线工单（文本筛查导入）")
    imported = CatalogService(ws).import_arrow(req, result.table)
    return imported, result
