"""文书解析: upload or paste a judgment, get the parsed facts with the spans that were found."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from ...documents import parse_judgment
from ...documents.sections import clean_text
from ...errors import InputError
from ..security import require

router = APIRouter(tags=["文书"])
MAX_TEXT = 500_000


@router.post("/documents/parse", summary="解析刑事判决书（粘贴文本或上传 txt/docx）")
async def parse(text: Annotated[str | None, Form(max_length=MAX_TEXT, description="判决书全文")] = None,
                file: Annotated[UploadFile | None, File(description="txt 或 docx 文件")] = None,
                user=require("documents.parse")) -> dict:
    body = await document_text(text, file)
    return parse_with_spans(body)


async def document_text(text: str | None, file: UploadFile | None) -> str:
    """The judgment text from the form: the pasted text, else the uploaded file (txt/docx)."""
    if text and text.strip():
        return text
    if file is None or not file.filename:
        raise InputError("没有提供判决书：请粘贴全文或上传 txt/docx 文件",
                         details={"problems": [{"location": "text", "message": "不能为空"}]})
    data = await file.read()
    if len(data) > 20 << 20:
        raise InputError(f"文件“{file.filename}”超过 20 MB", hint="判决书通常小于 1 MB；检查是否选错文件")
    if Path(file.filename).suffix.lower() == ".docx":
        import io

        import docx

        try:
            document = docx.Document(io.BytesIO(data))
        except Exception as exc:  # noqa: BLE001 - python-docx raises several kinds
            raise InputError(f"无法读取 Word 文件“{file.filename}”：{type(exc).__name__}",
                             hint="确认文件是 .docx（不是旧版 .doc）且未损坏") from exc
        return "\n".join(p.text for p in document.paragraphs if p.text.strip())
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(f"文件“{file.filename}”的文本编码无法识别", hint="另存为 UTF-8 或 GB18030 编码的 txt")


def parse_with_spans(text: str) -> dict:
    """The parsed record, the cleaned text the spans refer to, and the highlights in text order."""
    record = parse_judgment(text).to_dict()
    clean = clean_text(text)
    return {"record": record, "text": clean, "highlights": highlights(record)}


def highlights(record: dict) -> list[dict]:
    """Every span the parser found: {start, end, kind, label}, sorted, overlaps removed."""
    out: list[dict] = []

    def add(span: dict | None, kind: str, label: str) -> None:
        if span and span.get("end", 0) > span.get("start", 0):
            out.append({"start": span["start"], "end": span["end"], "kind": kind, "label": label})

    for d in record.get("defendants", []):
        for p in d.get("priors", []):
            add(p.get("span"), "prior", f"前科：{p.get('charge') or ''}")
        for c in d.get("custody", []):
            add(c.get("span"), "custody", f"{c.get('measure')} {c.get('date') or ''}")
        for s in d.get("verdict_spans", []):
            add(s, "verdict", f"判决：{d.get('name')}")
    for f in record.get("facts", []):
        add(f.get("span"), "fact", f"{f.get('kind')}：{f.get('value')}")
    out.sort(key=lambda h: (h["start"], -h["end"]))
    kept, end = [], -1
    for h in out:
        if h["start"] >= end:
            kept.append(h)
            end = h["end"]
    return kept


def segments(text: str, marks: list[dict]) -> list[dict]:
    """Split ``text`` into plain and highlighted pieces for the page (no HTML built here)."""
    out, pos = [], 0
    for h in marks:
        if h["start"] > pos:
            out.append({"text": text[pos:h["start"]]})
        out.append({"text": text[h["start"]:h["end"]], "kind": h["kind"], "label": h["label"]})
        pos = h["end"]
    out.append({"text": text[pos:]})
    return out
