"""数据资源目录: datasets, import with progress, masked preview, quality, semantic types."""

from __future__ import annotations

import re
import uuid
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from pydantic import BaseModel, Field

from ...catalog.importer import ImportRequest
from ...catalog.inputs import sheet_requests, split_columns, split_sheets
from ...catalog.semantic import SEMANTIC_TYPES
from ...catalog.service import CatalogService
from ...config import CLASSIFICATION_LEVELS
from ...errors import InputError
from ..jobs import ImportProgress
from ..masking import mask_rows
from ..pagination import Paging, filter_rows, page_of
from ..security import require
from .common import ws_of

router = APIRouter(tags=["数据"])
UPLOAD_FORMATS = (".xlsx", ".xls", ".csv", ".txt", ".tsv", ".parquet", ".json", ".jsonl")
MAX_UPLOAD_MB = 512


@router.get("/datasets", summary="数据集列表（分页、筛选、排序）")
def datasets(request: Request, paging: Paging, user=require("data.read"),
             q: Annotated[str | None, Query(max_length=100, description="名称包含")] = None,
             level: Annotated[str | None, Query(description="分级：公开/内部/敏感/核心")] = None,
             agency: Annotated[str | None, Query(max_length=100, description="提供单位")] = None) -> dict:
    rows = CatalogService(ws_of(request)).list_datasets()
    if q:
        rows = [r for r in rows if q in r["name"]]
    rows = filter_rows(rows, level=level, agency=agency)
    return page_of(rows, paging, allowed_sort=("name", "rows", "columns", "level", "agency", "imported_at",
                                               "current_version"))


@router.get("/datasets/{name}", summary="数据集详情：来源、版本、列、分级")
def dataset(name: str, request: Request, user=require("data.read"),
            version: Annotated[int | None, Query(ge=1)] = None) -> dict:
    return CatalogService(ws_of(request)).describe(name, version)


@router.get("/datasets/{name}/preview", summary="脱敏预览前若干行")
def preview(name: str, request: Request, user=require("data.preview"),
            version: Annotated[int | None, Query(ge=1)] = None,
            limit: Annotated[int, Query(ge=1, le=200)] = 20) -> dict:
    svc = CatalogService(ws_of(request))
    info = svc.describe(name, version)
    if info["sealed"]:
        raise InputError(f"数据集“{name}”为密封数据（数据可用不可见），不能预览",
                         hint="模型可以在其上计算，只输出声明的线索字段")
    cols, rows = svc.preview(name, version, limit)
    sem = {c["name"]: c["semantic"] for c in info["columns"]}
    return {"columns": cols, "semantics": [sem.get(c) for c in cols], "rows": mask_rows(cols, sem, rows),
            "masked": True}


@router.get("/datasets/{name}/quality", summary="质量报告")
def quality(name: str, request: Request, user=require("data.read"),
            version: Annotated[int | None, Query(ge=1)] = None) -> dict:
    return CatalogService(ws_of(request)).quality(name, version)


class SemanticIn(BaseModel):
    semantic: str | None = Field(None, description="数据要素类型键，如 id_number；null 表示清除")


@router.put("/datasets/{name}/columns/{column}/semantic", summary="修改列的数据要素类型")
def set_semantic(name: str, column: str, body: SemanticIn, request: Request, user=require("data.govern")) -> dict:
    return CatalogService(ws_of(request)).set_semantic(name, column, body.semantic)


class TypeIn(BaseModel):
    type: str = Field(description="text/int/decimal/double/date/month/timestamp/bool（或 文本/整数/金额/小数/日期/年月/时间/是否）")


@router.put("/datasets/{name}/columns/{column}/type", summary="修改当前版本某列的类型（重建该列与其质量报告）")
def set_type(name: str, column: str, body: TypeIn, request: Request, user=require("data.govern")) -> dict:
    return CatalogService(ws_of(request)).retype(name, column, body.type, actor=user.username)


@router.get("/datasets/{name}/diff", summary="版本比对：新增、删除、修改的行与列的变化（按用户权限脱敏）")
def diff(name: str, request: Request, old: Annotated[int, Query(ge=1)], new: Annotated[int, Query(ge=1)],
         user=require("data.preview"), key: Annotated[list[str] | None, Query(max_length=10)] = None,
         limit: Annotated[int, Query(ge=0, le=200)] = 20) -> dict:
    from ...security.audit import record as audit

    ws = ws_of(request)
    out = CatalogService(ws).diff(name, old, new, [k for k in key or [] if k] or None, roles=user.roles, limit=limit)
    audit(ws, "data.diff", actor=user.username, org_id=user.org_id, target=f"dataset:{name}",
          detail={"old": old, "new": new, "key": key or [], "masked": out["masked"], "via": "web"})
    return out


class LevelIn(BaseModel):
    level: str = Field(description="公开/内部/敏感/核心")
    sealed: bool | None = None


@router.put("/datasets/{name}/level", summary="修改分级与密封")
def set_level(name: str, body: LevelIn, request: Request, user=require("data.govern")) -> dict:
    return CatalogService(ws_of(request)).set_level(name, body.level, body.sealed)


@router.get("/semantic-types", summary="数据要素类型")
def semantic_types(user=require("data.read")) -> dict:
    items = [{"key": t.key, "label": t.label, "personal": t.personal} for t in SEMANTIC_TYPES.values()]
    return {"items": items, "total": len(items), "levels": list(CLASSIFICATION_LEVELS)}


@router.get("/import-jobs", summary="导入作业记录（持久）")
def import_jobs(request: Request, paging: Paging, user=require("data.read")) -> dict:
    return page_of(CatalogService(ws_of(request)).jobs(limit=500), paging, allowed_sort=("id", "status"))


@router.post("/datasets/import", status_code=202, summary="上传文件并在后台导入（返回任务号，轮询进度）")
async def start_import(request: Request, file: Annotated[UploadFile, File(description="xlsx/csv 等文件")],
                       name: Annotated[str, Form(min_length=1, max_length=100, description="数据集名称")],
                       agency: Annotated[str | None, Form(max_length=100)] = None,
                       request_no: Annotated[str | None, Form(max_length=100)] = None,
                       level: Annotated[str | None, Form()] = None,
                       sheet: Annotated[str | None, Form(max_length=100)] = None,
                       header_row: Annotated[int, Form(ge=1, le=10_000, description="表头所在行")] = 1,
                       description: Annotated[str | None, Form(max_length=500)] = None,
                       period_start: Annotated[date | None, Form()] = None,
                       period_end: Annotated[date | None, Form()] = None,
                       skip_bad_rows: Annotated[bool, Form()] = False,
                       all_sheets: Annotated[bool, Form(description="导入全部工作表（每个工作表一个数据集）")] = False,
                       skip_columns: Annotated[str | None, Form(max_length=2000, description="不导入的列，逗号分隔")] = None,
                       skip_hidden: Annotated[bool, Form(description="不导入 Excel 中隐藏的列")] = False,
                       user=require("data.import")) -> dict:
    ws = ws_of(request)
    path = await save_upload(ws.settings.tmp_path / "uploads", file)
    req = ImportRequest(name=name.strip(), path=path, agency=agency or None, request_no=request_no or None,
                        level=level or None, description=description or None, header_row=header_row,
                        period_start=period_start, period_end=period_end, skip_bad_rows=skip_bad_rows,
                        skip_columns=split_columns(skip_columns), skip_hidden=skip_hidden, importer=user.username)
    return start_import_job(request, sheet_requests(req, split_sheets(sheet), all_sheets)).to_dict()


def start_import_job(request: Request, reqs: ImportRequest | list[ImportRequest]):
    """Start a background import of ``reqs`` (several: the sheets of one workbook, all or nothing);
    its progress is polled at /api/v1/jobs/<id>.  The result describes the first dataset and lists
    every imported one under ``imported``."""
    ws, user = ws_of(request), request.state.user
    reqs = reqs if isinstance(reqs, list) else [reqs]

    def work(job) -> dict:
        results = CatalogService(ws).import_files(reqs, ImportProgress(job))
        done = [{"dataset": r.dataset, "version": r.version, "rows": r.rows, "sheet": r.sheet,
                 "skipped_rows": r.skipped_rows, "seconds": round(r.seconds, 2),
                 "notes": r.notes, "columns": [c.name for c in r.columns]} for r in results]
        return {**done[0], "imported": done}

    return request.app.state.jobs.start("import", "、".join(r.name for r in reqs), user.username, work,
                                        personal=any(r.personal for r in reqs))


async def save_upload(folder: Path, file: UploadFile) -> Path:
    """Store an uploaded file under ``folder`` with a safe unique name; refuse unknown formats."""
    from ...catalog.importer import check_upload_name

    original = check_upload_name(file.filename or "upload")      # a name with ".." is refused, not trimmed
    suffix = Path(original).suffix.lower()
    if suffix not in UPLOAD_FORMATS:
        raise InputError(f"文件“{original}”的格式 {suffix or '（无扩展名）'} 不支持",
                         hint=f"支持：{'、'.join(UPLOAD_FORMATS)}",
                         details={"problems": [{"location": "file", "message": "格式不支持"}]})
    folder.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^\w.\-\u4e00-\u9fff]", "_", original)
    path = folder / f"{uuid.uuid4().hex[:12]}_{safe}"
    size = 0
    with path.open("wb") as out:
        while chunk := await file.read(1 << 20):
            size += len(chunk)
            if size > MAX_UPLOAD_MB << 20:
                out.close()
                path.unlink(missing_ok=True)
                raise InputError(f"文件“{original}”超过 {MAX_UPLOAD_MB} MB", hint="大文件请用命令行 shujian data import")
            out.write(chunk)
    return path
