"""文书: paste or upload a judgment; parsed facts beside the text with the found spans highlighted."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile

from ...errors import ShujianError
from ..api.documents import document_text, parse_with_spans, segments
from ..security import CSRF, require
from .common import field_errors, render

router = APIRouter()


@router.get("/documents")
def documents(request: Request, user=require("documents.parse")):
    return render(request, "documents.html", {"form": {}, "errors": {}, "active": "documents"})


@router.post("/documents", dependencies=[CSRF])
async def parse(request: Request, user=require("documents.parse"),
                text: Annotated[str, Form(max_length=500_000)] = "",
                file: Annotated[UploadFile | None, File()] = None):
    try:
        body = await document_text(text, file)
    except ShujianError as exc:
        errors, general = field_errors(exc, ["text", "file"])
        return render(request, "documents.html", {"form": {"text": text}, "errors": errors, "message": general,
                                                  "active": "documents"}, status=422)
    parsed = parse_with_spans(body)
    return render(request, "documents.html", {"form": {"text": body}, "errors": {}, "active": "documents",
                                              "r": parsed["record"], "segments": segments(parsed["text"],
                                                                                          parsed["highlights"])})
