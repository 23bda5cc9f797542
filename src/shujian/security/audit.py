"""Append-only audit log with a hash chain (防篡改审计日志).

Each record stores the hash of the previous record (``prev_hash``) and its own hash over
``prev_hash`` and its canonical content, so changing or deleting any record breaks the chain at the
next one.  ``prev_hash`` is unique: two writers racing for the chain end cannot both append — the
loser retries on the new end.  Removing the last records is only visible against a head hash kept
elsewhere (``shujian audit verify --head``); see docs/security.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from ..db.models import AuditRecord
from ..workspace import Workspace
from .hashing import hexdigest

GENESIS = "0" * 64
ALGORITHM = "sm3"
_FIELDS = ("at", "actor", "org_id", "action", "target", "outcome", "reason", "detail", "ip", "algorithm")

#: audit action → 中文
AUDIT_ACTIONS: dict[str, str] = {
    "login": "登录", "login.failed": "登录失败", "login.locked": "账号锁定", "logout": "退出",
    "token.create": "创建接口令牌", "token.revoke": "吊销接口令牌", "token.used": "接口令牌访问",
    "user.create": "新建用户", "user.password": "设置密码", "user.change": "修改用户",
    "data.import": "导入数据", "data.preview": "预览数据", "data.unmask": "解除脱敏", "data.govern": "修改分级/要素",
    "data.export": "导出数据", "clue.view": "查看线索", "clue.export": "导出线索", "clue.transition": "线索流转",
    "clue.attachment.upload": "上传线索附件", "clue.attachment.download": "下载线索附件",
    "clue.comment": "评论线索", "model.edit": "编辑模型", "model.certify": "模型认证/上架", "model.run": "运行模型",
    "model.bind": "数据绑定",
    "denied": "拒绝访问", "audit.export": "导出审计日志", "token.reidentify": "令牌回溯身份", "delegation": "委托研判",
}


def _canonical(values: dict) -> bytes:
    def norm(v):
        if isinstance(v, datetime):
            v = v if v.tzinfo else v.replace(tzinfo=UTC)
            return v.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return v

    return json.dumps({k: norm(values.get(k)) for k in _FIELDS}, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"), default=str).encode("utf-8")


def record_hash(prev_hash: str, values: dict, algorithm: str = ALGORITHM) -> str:
    """H(prev_hash ‖ canonical JSON of the record)."""
    return hexdigest(algorithm, prev_hash.encode("ascii") + b"\n" + _canonical(values))


@dataclass
class Broken:
    """The first broken link of the chain."""

    record_id: int
    problem: str


class AuditLog:
    """Writing, verifying and searching the audit log of one workspace."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    def append(self, action: str, *, actor: str | None = None, org_id: int | None = None,
               target: str | None = None, outcome: str = "成功", reason: str | None = None,
               detail: dict | None = None, ip: str | None = None) -> dict:
        """Append one record in its own transaction (so refusals are recorded too); returns it."""
        values = {"at": datetime.now(UTC), "actor": actor,
                  "org_id": org_id, "action": action, "target": (target or "")[:255] or None,
                  "outcome": outcome, "reason": reason, "detail": _jsonable(detail or {}), "ip": ip,
                  "algorithm": ALGORITHM}
        for _attempt in range(20):
            try:
                with self.ws.db.unit_of_work() as s:
                    last = s.query(AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1).scalar()
                    prev = last or GENESIS
                    rec = AuditRecord(**values, prev_hash=prev, hash=record_hash(prev, values))
                    s.add(rec)
                    s.flush()
                    return _dict(rec)
            except IntegrityError:
                continue        # another writer took this chain end; retry on the new one
        raise RuntimeError("审计日志写入冲突过多")

    def verify(self, head: str | None = None) -> dict:
        """Walk the chain; report the first broken link (``ok`` False) or the head hash."""
        prev, count = GENESIS, 0
        with self.ws.db.unit_of_work() as s:
            for rec in s.query(AuditRecord).order_by(AuditRecord.id).yield_per(1000):
                values = {k: getattr(rec, k) for k in _FIELDS}
                if rec.prev_hash != prev:
                    return _broken(rec.id, count, "前一条记录被删除或改动（链接哈希不符）")
                if rec.hash != record_hash(prev, values, rec.algorithm or ALGORITHM):
                    return _broken(rec.id, count, "本条记录内容被改动（哈希不符）")
                prev, count = rec.hash, count + 1
        if head and head != prev:
            return {"ok": False, "records": count, "head": prev, "broken_at": None,
                    "problem": f"链尾哈希与保存的 {head[:16]}… 不符：末尾记录可能被删除"}
        return {"ok": True, "records": count, "head": prev, "broken_at": None, "problem": None}

    def search(self, *, actor: str | None = None, action: str | None = None, target: str | None = None,
               since: datetime | None = None, until: datetime | None = None, limit: int = 200,
               offset: int = 0) -> list[dict]:
        """Records matching the filters, newest first, within the reader's org scope (本院及下级院; records
        without an org — the local operator, failed logins of unknown names — are platform records that
        every audit reader sees).  :meth:`verify` always walks the whole chain."""
        from .scope import filter_org

        with self.ws.db.unit_of_work() as s:
            q = filter_org(s.query(AuditRecord), AuditRecord.org_id, shared_none=True)
            if actor:
                q = q.filter(AuditRecord.actor == actor)
            if action:
                q = q.filter(AuditRecord.action.startswith(action))
            if target:
                q = q.filter(AuditRecord.target.contains(target))
            if since:
                q = q.filter(AuditRecord.at >= since)
            if until:
                q = q.filter(AuditRecord.at <= until)
            return [_dict(r) for r in q.order_by(AuditRecord.id.desc()).offset(offset).limit(limit)]


def record(ws: Workspace, action: str, *, target: str | None = None, outcome: str = "成功",
           reason: str | None = None, detail: dict | None = None, actor: str | None = None,
           org_id: int | None = None) -> dict:
    """Append one record for a domain event done by the acting user (web request, ``--as`` or the local
    operator, see :func:`shujian.security.scope.acting`); services call this, so web and CLI share it."""
    from .scope import acting

    who, org, ip = acting()
    return AuditLog(ws).append(action, actor=actor or who, org_id=org_id if org_id is not None else org,
                               target=target, outcome=outcome, reason=reason, detail=detail, ip=ip)


def _broken(record_id: int, count: int, problem: str) -> dict:
    return {"ok": False, "records": count, "head": None, "broken_at": record_id,
            "problem": f"第 {record_id} 号记录：{problem}"}


def _jsonable(d: dict) -> dict:
    return json.loads(json.dumps(d, ensure_ascii=False, default=str))


def _dict(r: AuditRecord) -> dict:
    return {"id": r.id, "at": r.at.isoformat() if r.at else None, "actor": r.actor, "org_id": r.org_id,
            "action": r.action, "action_label": AUDIT_ACTIONS.get(r.action, r.action), "target": r.target,
            "outcome": r.outcome, "reason": r.reason, "detail": r.detail, "ip": r.ip, "prev_hash": r.prev_hash,
            "hash": r.hash}
