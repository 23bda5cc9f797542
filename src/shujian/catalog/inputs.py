"""Checks on what a user hands to an import: file paths, upload names, dataset names, formats."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import ImportFailed, InputError

FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xlsx",
           ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
MAX_NAME = 64


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_upload_name(name: str | None) -> str:
    """The bare file name of an uploaded file; refuses names that try to climb out of the upload folder.

    A browser sends only a file name.  A name with a ``..`` component, control characters or NUL is
    an attempt at path traversal and is refused (not silently cut down), so the attempt is visible.
    Folder parts of an otherwise harmless name (``C:\\报表\\a.xlsx`` from old browsers) are dropped.
    """
    raw = (name or "").strip()
    parts = [p for p in re.split(r"[\\/]", raw) if p]
    if not parts or _CONTROL.search(raw) or any(p in ("..", ".") for p in parts):
        raise InputError(f"上传的文件名“{_CONTROL.sub('?', raw)[:100]}”不合法：含有“..”或控制字符（路径穿越）",
                         hint="只上传普通文件，文件名中不要包含“..”或路径；重命名后再上传")
    return parts[-1]


def check_import_path(path: Path | str, settings) -> Path:
    """The real location of a file to import, checked (导入路径检查); raises :class:`InputError`.

    Rules: the file must exist and be a regular file (not a folder, device or pipe); it may not be one
    of the workspace's own files (metadata store, warehouse, configuration: the files directly in the
    workspace folder); and when ``SHUJIAN_IMPORT_ROOTS`` is set it must lie, after following symbolic
    links, inside one of those folders or inside the workspace (web uploads, the demo city).  Without
    import roots a local operator may import any file their account can read.
    """
    given = Path(path).expanduser()
    try:
        real = given.resolve(strict=True)
    except (FileNotFoundError, RuntimeError, OSError):
        raise InputError(f"导入文件 {given} 不存在或无法访问", hint="检查路径和文件权限") from None
    if not real.is_file():
        raise InputError(f"导入路径 {given} 不是普通文件（目录、设备或管道不能导入）", hint="给出一个数据文件的路径")
    home = settings.home_path
    if real.parent == home:
        raise InputError(f"导入文件 {given} 是工作区 {home} 自身的文件（元数据库、数据仓库或配置），不能作为数据导入",
                         hint="把数据文件放到工作区之外（或其子目录）再导入")
    roots = settings.import_root_paths
    if roots and not real.is_relative_to(home) and not any(real.is_relative_to(r) for r in roots):
        shown = f"{given}（实际位置 {real}）" if real != given.absolute() else str(given)
        raise InputError(f"导入文件 {shown} 不在允许的导入目录之内：{'、'.join(map(str, roots))}",
                         hint="把文件复制到导入目录下再导入，或请系统管理员调整 SHUJIAN_IMPORT_ROOTS")
    return real


def validate_name(name: str | None) -> str:
    """Dataset names are shown everywhere and used in models: short, printable, no path characters."""
    name = (name or "").strip()
    if not name:
        raise InputError("数据集名称不能为空", hint="用 --name 指定，例如 --name 养老金发放")
    if len(name) > MAX_NAME:
        raise InputError(f"数据集名称“{name[:20]}…”过长（{len(name)} 个字符，最多 {MAX_NAME} 个）",
                         hint="请使用简短的名称，例如“养老金发放”")
    if re.search(r"[\x00-\x1f\x7f/\\\"`]", name) or name.startswith(("_", ".")):
        raise InputError(f"数据集名称“{name}”含有不允许的字符（控制字符、斜杠、引号，或以 _ . 开头）",
                         hint="名称只用中文、字母、数字、短横线和下划线")
    return name


def detect_format(path: Path, fmt: str | None) -> str:
    if fmt:
        fmt = fmt.lower().lstrip(".")
        fmt = {"tsv": "csv", "xls": "xlsx", "ndjson": "jsonl", "json": "jsonl"}.get(fmt, fmt)
        if fmt not in set(FORMATS.values()):
            raise InputError(f"不支持的格式“{fmt}”", hint="支持 csv、tsv、xlsx、parquet、jsonl")
        return fmt
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise InputError(f"无法从扩展名判断文件 {path.name} 的格式",
                         hint="支持 .csv .tsv .xlsx .xls .parquet .jsonl；或用 --format 指定") from None


def check_path(path: Path | str) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError(f"文件 {p} 不存在", hint="检查路径是否正确（相对路径以当前目录为准）")
    if p.is_dir():
        raise InputError(f"{p} 是一个目录，不是文件", hint="请指定目录中的某个数据文件")
    if p.stat().st_size == 0:
        raise ImportFailed(f"文件 {p.name} 是空文件（0 字节）", hint="确认导出是否成功，重新获取数据后再导入")
    return p


SHEET_SEPARATORS = re.compile(r"[,，、;；\n]+")
COLUMN_SEPARATORS = SHEET_SEPARATORS     # the same separators a clerk types between column names


def split_sheets(text: str | None) -> list[str]:
    """Sheet names typed in one form field: ``名单, 补充`` or ``名单=人员名单、补充=人员补充``."""
    return [s.strip() for s in SHEET_SEPARATORS.split(text or "") if s.strip()]


def split_columns(text: str | None) -> list[str]:
    """Column names typed in one form field (不导入的列): ``家庭住址, 联系电话`` or ``家庭住址、联系电话``,
    one per line too."""
    return [s.strip() for s in COLUMN_SEPARATORS.split(text or "") if s.strip()]


def sheet_requests(base, sheets: list[str], all_sheets: bool) -> list:
    """One import request per sheet of an XLSX workbook (``base`` unchanged for one or no sheet).

    ``sheets`` holds ``工作表`` or ``工作表=数据集``; several sheets without a dataset name become
    ``<base.name>_<工作表>``.  ``all_sheets`` takes every sheet of ``base.path``.  The CLI
    (``--sheet`` repeated, ``--all-sheets``) and the web form share this.
    """
    from dataclasses import replace

    from .readers import xlsx_sheet_names

    if all_sheets:
        if sheets:
            raise InputError("“全部工作表”与指定的工作表不能同时使用",
                             hint="二者选一：去掉工作表名称，或不选“全部工作表”（命令行：--all-sheets 与 --sheet）",
                             details={"problems": [{"location": "sheet", "message": "与“全部工作表”二选一"}]})
        sheets = xlsx_sheet_names(Path(base.path).expanduser())
    if not sheets:
        return [base]
    pairs = [(s.split("=", 1) + [""])[:2] for s in sheets]
    if len(pairs) == 1 and not pairs[0][1]:
        return [replace(base, sheet=pairs[0][0].strip())]
    return [replace(base, sheet=sh.strip(), name=(ds.strip() or f"{base.name}_{sh.strip()}"),
                    semantics=dict(base.semantics), types=dict(base.types), skip_columns=list(base.skip_columns))
            for sh, ds in pairs]


def _memory_setting(value: str) -> str:
    """The import's DuckDB memory limit (``SHUJIAN_IMPORT_MEMORY_LIMIT``), checked."""
    if not re.fullmatch(r"\s*\d+(\.\d+)?\s*[KMGT]?i?B\s*", value, re.IGNORECASE):
        raise InputError(f"SHUJIAN_IMPORT_MEMORY_LIMIT 的值“{value}”无效", hint="应为类似 1GB、512MB 的大小")
    return value.strip()
