"""数据: catalog list, dataset detail (provenance, classification, quality, masked preview), import."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse

from ...catalog.importer import ImportRequest
from ...catalog.inputs import sheet_requests, split_columns, split_sheets
from ...catalog.semantic import SEMANTIC_TYPES
from ...catalog.service import CatalogService
from ...config import CLASSIFICATION_LEVELS
from ...errors import InputError, ShujianError
from ..api.common import Id
from ..api.data import datasets as api_datasets
from ..api.data import preview as api_preview
from ..api.data import save_upload, start_import_job
from ..pagination import page_params
from ..security import CSRF, require
from .common import field_errors, render

router = APIRouter()
TYPE_CHOICES = [("text", "文本", "VARCHAR"), ("int", "整数", "BIGINT"), ("decimal", "金额", "DECIMAL(18,2)"),
                ("double", "小数", "DOUBLE"), ("date", "日期", "DATE"), ("timestamp", "时间", "TIMESTAMP"),
                ("bool", "是/否", "BOOLEAN")]
IMPORT_FIELDS = ["file", "name", "agency", "request_no", "level", "sheet", "header_row", "period_start", "period_end",
                 "skip_columns"]


@router.get("/data")
def data(request: Request, user=require("data.read"), page: Annotated[int, Query(ge=1)] = 1,
         sort: Annotated[str | None, Query(max_length=40)] = None,
         q: Annotated[str | None, Query(max_length=100)] = None,
         level: Annotated[str | None, Query(max_length=10)] = None):
    listing = api_datasets(request, page_params(page, 20, sort), user, q=q, level=level or None)
    jobs = CatalogService(request.app.state.ws).jobs(limit=10)
    return render(request, "data.html", {"listing": listing, "jobs": jobs, "levels": CLASSIFICATION_LEVELS,
                                         "f": {"q": q or "", "level": level or "", "sort": sort or ""},
                                         "active": "data"})


@router.get("/data/import")
def import_form(request: Request, user=require("data.import")):
    return render(request, "data_import.html", {"form": {}, "errors": {}, "levels": CLASSIFICATION_LEVELS,
                                                "active": "data"})


@router.post("/data/import", dependencies=[CSRF])
async def import_submit(request: Request, user=require("data.import"),
                        file: Annotated[UploadFile | None, File()] = None,
                        name: Annotated[str, Form(max_length=100)] = "",
                        agency: Annotated[str, Form(max_length=100)] = "",
                        request_no: Annotated[str, Form(max_length=100)] = "",
                        level: Annotated[str, Form(max_length=10)] = "",
                        sheet: Annotated[str, Form(max_length=100)] = "",
                        header_row: Annotated[str, Form(max_length=6)] = "",
                        period_start: Annotated[str, Form(max_length=20)] = "",
                        period_end: Annotated[str, Form(max_length=20)] = "",
                        skip_bad_rows: Annotated[bool, Form()] = False,
                        all_sheets: Annotated[bool, Form()] = False,
                        skip_columns: Annotated[str, Form(max_length=2000)] = "",
                        skip_hidden: Annotated[bool, Form()] = False):
    form = {"name": name, "agency": agency, "request_no": request_no, "level": level, "sheet": sheet, "header_row": header_row,
            "period_start": period_start, "period_end": period_end, "skip_bad_rows": skip_bad_rows,
            "all_sheets": all_sheets, "skip_columns": skip_columns, "skip_hidden": skip_hidden}
    return await submit_import(request, user.username, file, form)


async def submit_import(request: Request, username: str, file: UploadFile | None, form: dict, *,
                        personal: bool = False):
    """The import form's submission (数据 › 导入, or 导入到个人数据区 with ``personal``): the upload saved, one
    request per sheet started as a background job; the form again with errors pinned to its fields."""
    try:
        req = _import_request(form, username)
        if file is None or not file.filename:
            raise InputError("请选择要导入的文件", details={"problems": [{"location": "file", "message": "请选择文件"}]})
        req.path = await save_upload(request.app.state.ws.settings.tmp_path / "uploads", file)
        reqs = sheet_requests(req, split_sheets(form["sheet"]), form["all_sheets"])
        for r in reqs:
            r.personal = personal
    except ShujianError as exc:
        errors, general = field_errors(exc, IMPORT_FIELDS)
        extra = {"personal": True, "active": "sandbox"} if personal else {"active": "data"}
        return render(request, "data_import.html", {"form": form, "errors": errors, "message": general,
                                                    "levels": CLASSIFICATION_LEVELS, **extra}, status=422)
    job = start_import_job(request, reqs)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


def _import_request(form: dict, username: str) -> ImportRequest:
    problems = []
    if not form["name"].strip():
        problems.append({"location": "name", "message": "请填写数据集名称，如 养老金发放"})
    if form["level"] and form["level"] not in CLASSIFICATION_LEVELS:
        problems.append({"location": "level", "message": f"可选：{'/'.join(CLASSIFICATION_LEVELS)}"})
    dates = {}
    for key in ("period_start", "period_end"):
        try:
            dates[key] = date.fromisoformat(form[key]) if form[key] else None
        except ValueError:
            problems.append({"location": key, "message": "日期格式应为 YYYY-MM-DD，如 2026-01-31"})
    header_row = (form.get("header_row") or "1").strip()
    if not header_row.isdigit() or int(header_row) < 1:
        problems.append({"location": "header_row", "message": "表头所在行应为正整数，如 2（第 1 行是标题时）"})
    if problems:
        raise InputError("导入表单有误", details={"problems": problems})
    return ImportRequest(name=form["name"].strip(), agency=form["agency"] or None,
                         request_no=form["request_no"] or None, level=form["level"] or None,
                         sheet=None, skip_bad_rows=bool(form["skip_bad_rows"]), header_row=int(header_row),
                         skip_columns=split_columns(form.get("skip_columns")), skip_hidden=bool(form.get("skip_hidden")),
                         importer=username, **dates)


@router.get("/jobs/{job_id}")
def job_page(job_id: Id, request: Request, user=require("jobs.read")):
    job = request.app.state.jobs.get(job_id)
    return render(request, "job.html", {"job": job.to_dict(), "active": "runs" if job.kind == "run" else "data"})


@router.get("/data/{name}")
def dataset(name: str, request: Request, user=require("data.read"),
            version: Annotated[int | None, Query(ge=1)] = None):
    svc = CatalogService(request.app.state.ws)
    info = svc.describe(name, version)
    quality = svc.quality(name, version)
    try:
        preview = api_preview(name, request, user, version=version, limit=20)
    except ShujianError as exc:
        preview = {"error": exc.message}
    return render(request, "dataset.html", {"d": info, "q": quality, "preview": preview,
                                            "quality_columns": quality_columns(quality),
                                            "semantic_types": list(SEMANTIC_TYPES.values()),
                                            "type_choices": TYPE_CHOICES,
                                            "levels": CLASSIFICATION_LEVELS, "active": "data"})


@router.get("/data/{name}/diff")
def dataset_diff(name: str, request: Request, user=require("data.preview"),
                 old: Annotated[int | None, Query(ge=1)] = None, new: Annotated[int | None, Query(ge=1)] = None,
                 key: Annotated[str, Query(max_length=200)] = ""):
    from ..api.data import diff as api_diff

    info = CatalogService(request.app.state.ws).describe(name)
    numbers = [v["version"] for v in info["versions"]]
    new = new or numbers[-1]
    old = old or (numbers[-2] if len(numbers) > 1 else numbers[-1])
    keys = [k.strip() for k in key.replace("，", ",").split(",") if k.strip()]
    try:
        d = api_diff(name, request, old, new, user, key=keys or None, limit=50)
        error = None
    except ShujianError as exc:
        d, error = None, exc
    return render(request, "dataset_diff.html", {"d": d, "info": info, "numbers": numbers, "error": error,
                                                 "f": {"old": old, "new": new, "key": key}, "active": "data"})


@router.post("/data/{name}/semantic", dependencies=[CSRF])
def set_semantic(name: str, request: Request, column: Annotated[str, Form(max_length=200)],
                 semantic: Annotated[str, Form(max_length=50)] = "", user=require("data.govern")):
    CatalogService(request.app.state.ws).set_semantic(name, column, semantic or None)
    return RedirectResponse(f"/data/{name}#columns", status_code=303)


@router.post("/data/{name}/retype", dependencies=[CSRF])
def retype(name: str, request: Request, column: Annotated[str, Form(max_length=200)],
           dtype: Annotated[str, Form(max_length=20)], user=require("data.govern")):
    CatalogService(request.app.state.ws).retype(name, column, dtype, actor=user.username)
    return RedirectResponse(f"/data/{name}#columns", status_code=303)


@router.post("/data/{name}/level", dependencies=[CSRF])
def set_level(name: str, request: Request, level: Annotated[str, Form(max_length=10)],
              sealed: Annotated[bool, Form()] = False, user=require("data.govern")):
    CatalogService(request.app.state.ws).set_level(name, level, sealed)
    return RedirectResponse(f"/data/{name}", status_code=303)


def quality_columns(quality: dict) -> list[dict]:
    """Per-column quality rows with the invalid examples masked by the column's semantic type."""
    from ...catalog.masking import mask_value

    out = []
    for name, c in (quality.get("columns") or {}).items():
        sem = c.get("semantic")
        examples = [str(mask_value(sem, str(e.get("value"))) if sem else e.get("value"))
                    for e in (c.get("invalid_examples") or [])[:3]]
        out.append({"name": name, "semantic": sem, "null_rate": c.get("null_rate"), "distinct": (f"约 {c['distinct']:,}" if c.get("distinct_approx") else c.get("distinct")),
                    "invalid": c.get("invalid"), "examples": examples, "min": c.get("min"), "max": c.get("max")})
    return out
