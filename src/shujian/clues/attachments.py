"""Clue attachments (线索附件): files uploaded with a comment, listed and downloaded within the org scope.

Files live under ``<workspace home>/attachments/`` with a random stored name; the uploaded name is
checked (a name with ``..`` or control characters is refused) and kept only for display, never used
for a path.  Reading follows the clue's org scope: another org's clue, its attachments and their
downloads are reported as missing, exactly like an unknown id.  Uploads and downloads are audited; an
upload's comment, attachment rows and audit records commit in one transaction (the files are written
first and removed again when that transaction fails).
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import BinaryIO

from ..db.models import Clue, ClueAttachment
from ..errors import InputError, NotFound
from ..orgs.service import find_user
from ..security.access import load_visible, sees
from ..security.audit import record as audit
from ..security.scope import current_scope
from ..workspace import Workspace

MAX_BYTES = 20 << 20          # 20 MB per file: scans, photos and office documents, not bulk data
MAX_FILES = 5                 # per comment
ALLOWED_SUFFIXES = (".pdf", ".ofd", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".csv", ".txt", ".jpg",
                    ".jpeg", ".png", ".zip", ".7z", ".rar")
_CHUNK = 1 << 16


class TooLarge(InputError):
    """An upload over :data:`MAX_BYTES` (413)."""

    code = "too_large"


class AttachmentService:
    """Store, list and open the attachments of clues in one workspace."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        self.folder = ws.home / "attachments"

    def comment(self, clue_id: int, actor: str, text: str, uploads: list[tuple[str, BinaryIO]]) -> dict:
        """A comment (评论) with files: stores each file, then the comment event naming them.

        All or nothing: when a file or the comment is refused, the files stored so far are removed.
        """
        from ..workflow.service import WorkflowService

        if len(uploads) > MAX_FILES:
            raise InputError(f"一次最多上传 {MAX_FILES} 个附件（本次 {len(uploads)} 个）", hint="分几次评论上传")
        self._visible_clue(clue_id)
        stored: list[dict] = []
        try:
            stored = [self._store(name, stream) for name, stream in uploads]
            text = text.strip() or "上传附件：" + "、".join(s["filename"] for s in stored)
            # one transaction: the comment, the attachment rows and their audit records
            with self.ws.db.unit_of_work() as s:
                event = WorkflowService(self.ws).comment_in(s, clue_id, actor, text, [x["filename"] for x in stored])
                rows = self._record(s, clue_id, actor, event["event_id"], stored)
                for row in rows:
                    audit(self.ws, "clue.attachment.upload", actor=actor, target=f"clue:{clue_id}", session=s,
                          detail={"attachment_id": row["attachment_id"], "filename": row["filename"],
                                  "size": row["size"], "sha256": row["sha256"]})
        except BaseException:
            for x in stored:
                (self.folder / x["stored_name"]).unlink(missing_ok=True)
            raise
        return {**event, "attachments": rows}

    def list(self, clue_id: int) -> list[dict]:
        """The attachments of a clue the acting user may see (oldest first)."""
        self._visible_clue(clue_id)
        with self.ws.db.unit_of_work() as s:
            q = s.query(ClueAttachment).filter_by(clue_id=clue_id).order_by(ClueAttachment.id)
            return [_dict(a, _username(s, a.uploaded_by)) for a in q]

    def open(self, clue_id: int, attachment_id: int) -> tuple[Path, dict]:
        """The stored file and its record, for a download (audited); outside the scope: :class:`NotFound`."""
        with self.ws.db.unit_of_work() as s:
            a = s.get(ClueAttachment, attachment_id)
            clue = s.get(Clue, clue_id)
            if a is None or clue is None or a.clue_id != clue_id or not sees(s, clue):
                raise NotFound(f"线索 {clue_id} 的附件 {attachment_id} 不存在", hint="在线索详情页查看附件")
            info = _dict(a, _username(s, a.uploaded_by))
        path = self.folder / info["stored_name"]
        if not path.is_file():
            raise NotFound(f"附件 {attachment_id}（{info['filename']}）的文件已丢失",
                           hint=f"工作区 attachments 文件夹中缺少 {info['stored_name']}，请从备份恢复")
        audit(self.ws, "clue.attachment.download", target=f"clue:{clue_id}",
              detail={"attachment_id": attachment_id, "filename": info["filename"]})
        return path, info

    # -- steps ------------------------------------------------------------------------------------
    def _visible_clue(self, clue_id: int) -> None:
        with self.ws.db.unit_of_work() as s:
            load_visible(s, current_scope(), Clue, clue_id)

    def _store(self, name: str, stream: BinaryIO) -> dict:
        """Copy ``stream`` to a new random file name, refusing bad names, types and sizes."""
        filename = safe_display_name(name)
        self.folder.mkdir(parents=True, exist_ok=True)
        stored_name = secrets.token_hex(16)
        target = self.folder / stored_name
        digest, size = hashlib.sha256(), 0
        try:
            with target.open("xb") as out:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > MAX_BYTES:
                        raise TooLarge(f"附件“{filename}”超过 {MAX_BYTES >> 20} MB",
                                       hint="压缩或拆分后再上传；大批数据请走数据导入")
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        if size == 0:
            target.unlink(missing_ok=True)
            raise InputError(f"附件“{filename}”是空文件", hint="选择要上传的文件")
        return {"filename": filename, "stored_name": stored_name, "size": size, "sha256": digest.hexdigest()}

    @staticmethod
    def _record(s, clue_id: int, actor: str, event_id: int | None, stored: list[dict]) -> list[dict]:
        user = find_user(s, actor)
        rows = [ClueAttachment(clue_id=clue_id, event_id=event_id,
                               filename=x["filename"], stored_name=x["stored_name"], size=x["size"],
                               sha256=x["sha256"], content_type=_content_type(x["filename"]),
                               uploaded_by=user.id) for x in stored]
        s.add_all(rows)
        s.flush()
        return [_dict(r, user.username) for r in rows]


def safe_display_name(name: str | None) -> str:
    """The uploaded file name for display: folders dropped, ``..`` and control characters refused,
    only the allowed document types.

    >>> safe_display_name("C:\\\\报表\\\\线索说明.pdf")
    '线索说明.pdf'
    """
    from ..catalog.importer import check_upload_name

    bare = check_upload_name(name)
    suffix = Path(bare).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise InputError(f"附件“{bare[:100]}”的类型 {suffix or '（无扩展名）'} 不允许上传",
                         hint=f"允许：{'、'.join(ALLOWED_SUFFIXES)}")
    return bare[-200:]


def _content_type(filename: str) -> str:
    import mimetypes

    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _username(s, user_id: int | None) -> str | None:
    from ..db.models import User

    u = s.get(User, user_id) if user_id else None
    return u.username if u else None


def _dict(a: ClueAttachment, uploader: str | None) -> dict:
    return {"attachment_id": a.id, "clue_id": a.clue_id, "event_id": a.event_id, "filename": a.filename,
            "stored_name": a.stored_name, "size": a.size, "sha256": a.sha256, "content_type": a.content_type,
            "uploaded_by": uploader, "uploaded_at": a.uploaded_at.isoformat() if a.uploaded_at else None}
