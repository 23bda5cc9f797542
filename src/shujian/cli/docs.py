"""``shujian docs``: parse criminal judgments (文书解析) from .txt/.docx/.html files or JSON Lines."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ..documents import parse_judgment

app = typer.Typer(help="文书解析：刑事判决书 → 结构化数据", no_args_is_help=True, add_completion=False)

_SUFFIXES = (".txt", ".docx", ".html", ".htm")


class DocFormat(StrEnum):
    jsonl = "jsonl"
    json = "json"


@app.callback()
def _group() -> None:
    """文书解析：刑事判决书 → 结构化数据。"""


@app.command("parse")
def parse_cmd(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT",
                                               help="一个 .txt/.docx/.html 文件、一个文件夹，或 .jsonl 文件")],
    fmt: Annotated[DocFormat, typer.Option("--format", "-f", help="jsonl：每行一个对象；json：一个数组")]
    = DocFormat.jsonl,
    text_field: Annotated[str, typer.Option("--text-field", help="JSON Lines 中全文所在字段")] = "fd",
    id_field: Annotated[str, typer.Option("--id-field", help="JSON Lines 中文书编号所在字段")] = "text_id",
) -> None:
    """解析刑事判决书，每份文书输出一个 JSON 对象；单份出错不影响其余文书。"""
    if not input_path.exists():
        typer.echo(f"输入不存在：{input_path}。请检查路径是否正确。", err=True)
        raise typer.Exit(2)
    read = 0
    results: list[dict[str, Any]] = []
    for doc_id, text, problem in iter_documents(input_path, text_field, id_field):
        if problem is not None:
            record: dict[str, Any] = {"id": doc_id, "error": problem, "warnings": []}
        else:
            read += 1
            record = parse_judgment(text or "", doc_id).to_dict()
        if fmt is DocFormat.jsonl:
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            results.append(record)
    if fmt is DocFormat.json:
        sys.stdout.write(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    if read == 0:
        typer.echo(f"没有读到任何文书：{input_path}。请提供 .txt/.docx/.html 文件、含这些文件的文件夹，"
                   f"或每行含“{text_field}”字段的 JSON Lines 文件。", err=True)
        raise typer.Exit(1)


@app.command("import")
def import_cmd(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="同 parse：文件、文件夹或 .jsonl")],
    name: Annotated[str, typer.Option("--name", "-n", help="数据集名称前缀，例如 刑事判决")] = "刑事判决",
    text_field: Annotated[str, typer.Option("--text-field", help="JSON Lines 中全文所在字段")] = "fd",
    id_field: Annotated[str, typer.Option("--id-field", help="JSON Lines 中文书编号所在字段")] = "text_id",
    agency: Annotated[str | None, typer.Option("--agency", help="来源单位")] = None,
    level: Annotated[str | None, typer.Option("--level", help="分级：公开/内部/敏感/核心")] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="显示进度条")] = True,
) -> None:
    """解析判决书并导入数据目录：被告人、罪名、前科三张表（带数据要素），供模型使用。"""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    from ..catalog.service import CatalogService
    from ..documents.catalog_import import import_judgments
    from .common import console, err_console, workspace

    if not input_path.exists():
        typer.echo(f"输入不存在：{input_path}。请检查路径是否正确。", err=True)
        raise typer.Exit(2)
    docs = list(iter_documents(input_path, text_field, id_field))
    records, failed = [], []
    with Progress(TextColumn("解析判决书"), BarColumn(), TaskProgressColumn(), console=err_console,
                  disable=not progress) as bar:
        task = bar.add_task("parse", total=len(docs))
        for doc_id, text, problem in docs:
            rec = parse_judgment(text or "", doc_id) if problem is None else None
            data = rec.to_dict() if rec is not None else {}
            if rec is None or data.get("error") or not data.get("defendants"):
                failed.append({"id": doc_id, "error": problem or data.get("error") or "未找到被告人"})
            else:
                records.append(rec)
            bar.advance(task)
    if not records:
        typer.echo(f"没有可导入的判决书：{input_path}（{len(failed)} 份无法解析）。", err=True)
        raise typer.Exit(1)
    prefix = "" if name == "刑事判决" else name
    results = import_judgments(CatalogService(workspace()), records, prefix=prefix, agency=agency, level=level)
    for ds, r in results.items():
        console.print(f"已导入数据集“{ds}”第 {r.version} 版：{r.rows:,} 行")
    if failed:
        console.print(f"[yellow]{len(failed)} 份文书未导入：" + "；".join(f"{f['id']}：{f['error']}" for f in failed[:10]) + "[/]")


def iter_documents(path: Path, text_field: str = "fd", id_field: str = "text_id") \
        -> Iterator[tuple[str, str | None, str | None]]:
    """Yield ``(id, text, problem)`` per document; ``problem`` is a Chinese message when unreadable."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _SUFFIXES)
        for file in files:
            yield _read_file(file)
    elif path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        yield from _read_jsonl(path, text_field, id_field)
    else:
        yield _read_file(path)


def _read_file(path: Path) -> tuple[str, str | None, str | None]:
    try:
        if path.suffix.lower() == ".docx":
            return path.stem, read_docx(path), None
        return path.stem, _decode(path.read_bytes()), None
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
        return path.stem, None, f"无法读取文件 {path.name}：{type(exc).__name__}: {exc}。请确认文件未损坏、格式与扩展名一致。"


def read_docx(path: Path) -> str:
    """Paragraph and table text of a .docx file, one paragraph per line."""
    import docx  # python-docx

    document = docx.Document(str(path))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.extend(cell.text for cell in row.cells)
    return "\n".join(line for line in lines if line.strip())


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ValueError("无法识别文本编码")
    return str(best)


def _read_jsonl(path: Path, text_field: str, id_field: str) -> Iterator[tuple[str, str | None, str | None]]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            fallback_id = f"{path.stem}:{number}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield fallback_id, None, f"第 {number} 行不是合法的 JSON（{exc.msg}，第 {exc.colno} 列）。请修正或删除该行。"
                continue
            if not isinstance(obj, dict) or not isinstance(obj.get(text_field), str):
                yield fallback_id, None, f"第 {number} 行没有文本字段“{text_field}”。请用 --text-field 指定全文字段。"
                continue
            doc_id = obj.get(id_field)
            yield (str(doc_id) if doc_id is not None else fallback_id), obj[text_field], None
