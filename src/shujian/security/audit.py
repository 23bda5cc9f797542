"""Append-only audit log: a keyed hash chain with a signed head (防篡改审计日志).

Each record stores the hash of the previous record (``prev_hash``) and its own HMAC-SM3 over
``prev_hash`` and its canonical content, keyed with the workspace's audit key, which is kept outside the
database (``audit.key`` in SHUJIAN_HOME, mode 0600, or ``SHUJIAN_AUDIT_KEY``).  Someone who can write the
database but not read the key can neither append a record nor recompute the chain.  The chain's end —
record count and last hash — is the signed head (:class:`~shujian.db.models.AuditHead`), updated in the
same transaction as every append, so a removed tail or an emptied table shows without a head kept
elsewhere (``--head`` still adds one).

Records are written **in the caller's transaction** (``session=``) so a change and its audit record
commit together or not at all; refusals are written in their own transaction.  The head row is locked
first (an ``UPDATE`` on it), which serialises writers on SQLite and PostgreSQL alike.

Records written before the key existed (algorithm ``sm3``, unkeyed) stay verifiable: the first keyed
record's HMAC covers the last of them, and the signed head covers the whole chain.  See docs/security.md.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db.models import AuditHead, AuditRecord
from ..errors import ConfigError
from ..workspace import Workspace
from .hashing import hexdigest, keyed

GENESIS = "0" * 64
ALGORITHM = "sm3"            # the unkeyed hash of records written before the key existed
# HMAC (RFC 2104) over SM3 (GB/T 32905): SM3 because 国密 is required of procuratorate systems; HMAC
# because a plain hash chain can be recomputed by anyone who can write the table.  SM3 comes from the
# local OpenSSL through hashlib (``hashlib.algorithms_available`` has it on our servers; no extra
# package), with the pure-Python ``gmssl`` (already a dependency, PyPI, no native build) as the fallback
# — see :mod:`shujian.security.hashing`.
KEYED = "hmac-sm3"
KEY_FILE = "audit.key"
HEAD_ID = 1
INVALID = "0" * 64           # written over a head that failed its check: it never verifies again
_FIELDS = ("at", "actor", "org_id", "action", "target", "outcome", "reason", "detail", "ip", "algorithm")
_HEAD_CACHE = "shujian.audit_head"

#: audit action → 中文
AUDIT_ACTIONS: dict[str, str] = {
    "login": "登录", "login.failed": "登录失败", "login.locked": "账号锁定", "logout": "退出",
    "token.create": "创建接口令牌", "token.revoke": "吊销接口令牌", "token.used": "接口令牌访问",
    "user.create": "新建用户", "user.password": "设置密码", "user.change": "修改用户",
    "data.import": "导入数据", "data.preview": "预览数据", "data.unmask": "解除脱敏", "data.govern": "修改分级/要素",
    "data.export": "导出数据", "data.retype": "修改列类型", "clue.view": "查看线索", "clue.export": "导出线索", "clue.transition": "线索流转",
    "clue.attachment.upload": "上传线索附件", "clue.attachment.download": "下载线索附件",
    "clue.comment": "评论线索", "model.edit": "编辑模型", "model.certify": "模型认证/上架", "model.adopt": "采用模型",
    "model.run": "运行模型", "model.bind": "数据绑定", "run.publish": "发布沙箱运行", "data.share": "共享个人数据",
    "denied": "拒绝访问", "audit.export": "导出审计日志", "audit.seal": "重新签名审计链头", "token.reidentify": "令牌回溯身份", "delegation": "委托研判",
}


def _canonical(values: dict) -> bytes:
    def norm(v):
        if isinstance(v, datetime):
            v = v if v.tzinfo else v.replace(tzinfo=UTC)
            return v.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return v

    return json.dumps({k: norm(values.get(k)) for k in _FIELDS}, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"), default=str).encode("utf-8")


def record_hash(prev_hash: str, values: dict, algorithm: str = KEYED, key: bytes | None = None) -> str:
    """H(prev_hash ‖ canonical JSON of the record): HMAC-SM3 under ``key`` for keyed records, the plain
    digest for records written before the workspace had a key."""
    data = prev_hash.encode("ascii") + b"\n" + _canonical(values)
    if algorithm == KEYED:
        if key is None:
            raise ConfigError("审计密钥缺失，无法计算带密钥的审计记录哈希", hint=_KEY_HINT)
        return keyed("sm3", key, data).hex()
    return hexdigest(algorithm, data)


def head_signature(key: bytes, records: int, last_hash: str) -> str:
    """HMAC-SM3 of the chain head (record count and last hash)."""
    return keyed("sm3", key, f"shujian-audit-head\n{records}\n{last_hash}".encode("ascii")).hex()


_KEY_HINT = ("审计密钥在工作区的 audit.key 文件（或环境变量 SHUJIAN_AUDIT_KEY）中；从备份的 files/audit.key "
             "恢复该文件，或设置 SHUJIAN_AUDIT_KEY 为原来的密钥")


# -- the key ---------------------------------------------------------------------------------------
def key_path(ws: Workspace) -> Path:
    return ws.home / KEY_FILE


def load_key(ws: Workspace) -> bytes | None:
    """The audit key: ``SHUJIAN_AUDIT_KEY`` (hex) if set, else the workspace's ``audit.key``; None if neither."""
    text = ws.settings.audit_key
    source = "SHUJIAN_AUDIT_KEY"
    if not text:
        path = key_path(ws)
        try:
            stamp = path.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        cached = _KEYS.get(path)
        if cached is not None and cached[0] == stamp:       # one stat per append, not a read
            return cached[1]
        key = _parse_key(path.read_text(encoding="ascii").strip(), str(path))
        _KEYS[path] = (stamp, key)
        return key
    return _parse_key(text, source)


_KEYS: dict[Path, tuple[int, bytes]] = {}


def _parse_key(text: str, source: str) -> bytes:
    try:
        key = bytes.fromhex(text)
    except ValueError as exc:
        raise ConfigError(f"审计密钥（{source}）不是十六进制串", hint=_KEY_HINT) from exc
    if len(key) < 32:
        raise ConfigError(f"审计密钥（{source}）太短：{len(key)} 字节，至少 32 字节", hint=_KEY_HINT)
    return key


def ensure_key(ws: Workspace, *, sign_unsigned: bool = False) -> bytes:
    """The audit key, creating ``audit.key`` (0600) when there is none; a head left unsigned is signed
    only when the key is created here or when ``sign_unsigned`` (a new or just upgraded store, or
    ``shujian audit seal``) — never by an ordinary append, which could otherwise bless a truncated chain."""
    key = load_key(ws)
    created = False
    if key is None:
        key, created = _create_key_file(key_path(ws))
    if created or sign_unsigned:
        AuditLog(ws).sign_unsigned_head(key)
    return key


def _create_key_file(path: Path) -> tuple[bytes, bool]:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:            # another process created it first: use theirs
        return bytes.fromhex(path.read_text(encoding="ascii").strip()), False
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key.hex() + "\n")
    return key, True


# -- the chain -------------------------------------------------------------------------------------
@dataclass
class Broken:
    """The first broken link of the chain."""

    record_id: int
    problem: str


@event.listens_for(Session, "after_transaction_end")
def _forget_head(session: Session, transaction) -> None:  # noqa: ANN001
    if transaction.parent is None:
        session.info.pop(_HEAD_CACHE, None)


@event.listens_for(Session, "before_commit")
def _write_head(session: Session) -> None:
    """The head is written once per transaction, just before it commits (the row is already locked)."""
    end = session.info.get(_HEAD_CACHE)
    if end is None or not end["dirty"]:
        return
    session.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(
        records=end["records"], last_hash=end["last"], updated_at=datetime.now(UTC),
        signature=head_signature(end["key"], end["records"], end["last"]) if end["valid"] else INVALID))
    end["dirty"] = False


class AuditLog:
    """Writing, verifying and searching the audit log of one workspace."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    def append(self, action: str, *, actor: str | None = None, org_id: int | None = None,
               target: str | None = None, outcome: str = "成功", reason: str | None = None,
               detail: dict | None = None, ip: str | None = None, session: Session | None = None) -> dict:
        """Append one record; returns it.  With ``session`` the record is part of that transaction (the
        change it records and the record commit together); without, it has its own transaction (so
        refusals are recorded too)."""
        values = {"at": datetime.now(UTC), "actor": actor,
                  "org_id": org_id, "action": action, "target": (target or "")[:255] or None,
                  "outcome": outcome, "reason": reason, "detail": _jsonable(detail or {}), "ip": ip,
                  "algorithm": KEYED}
        key = ensure_key(self.ws)
        if session is not None:         # flushed with the caller's changes (``id`` is then set)
            return _dict(self._write(session, values, key))
        for _attempt in range(20):
            try:
                with self.ws.db.unit_of_work() as s:
                    rec = self._write(s, values, key)
                    s.flush()
                    return _dict(rec)
            except IntegrityError:
                continue        # a writer that bypassed the head lock took this chain end; retry
        raise RuntimeError("审计日志写入冲突过多")

    def _write(self, s: Session, values: dict, key: bytes) -> AuditRecord:
        end = self._chain_end(s, key)
        rec = AuditRecord(**values, prev_hash=end["last"], hash=record_hash(end["last"], values, KEYED, key))
        s.add(rec)
        end.update(records=end["records"] + 1, last=rec.hash, key=key, dirty=True)
        return rec

    def _chain_end(self, s: Session, key: bytes) -> dict:
        """The chain end for this transaction (count, last hash, whether the stored head was sound),
        locking the head row until the transaction ends; the head is written at commit."""
        cached = s.info.get(_HEAD_CACHE)
        if cached is not None:
            return cached
        locked = s.execute(update(AuditHead).where(AuditHead.id == HEAD_ID)
                           .values(records=AuditHead.records)).rowcount
        if not locked:
            raise ConfigError("审计链头（audit_head 表）缺失：审计日志可能被清空或篡改，已拒绝继续写入",
                              hint="先运行 shujian audit verify 查明情况；核实后由系统管理员运行 shujian audit seal")
        head = s.get(AuditHead, HEAD_ID, populate_existing=True)
        last = s.query(AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1).scalar() or GENESIS
        # a head that does not sign the actual chain end stays broken: appending must not bless a
        # truncated or rewritten chain by re-signing it
        valid = (head.signature is not None and head.last_hash == last
                 and hmac.compare_digest(head.signature, head_signature(key, head.records, head.last_hash)))
        s.info[_HEAD_CACHE] = end = {"records": head.records, "last": last, "valid": valid, "key": key,
                                     "dirty": False}
        return end

    def sign_unsigned_head(self, key: bytes) -> bool:
        """Sign a head that has no signature yet (a store migrated from before the key); True if signed."""
        with self.ws.db.unit_of_work() as s:
            if not s.execute(update(AuditHead).where(AuditHead.id == HEAD_ID, AuditHead.signature.is_(None))
                             .values(records=AuditHead.records)).rowcount:
                return False
            head = s.get(AuditHead, HEAD_ID, populate_existing=True)
            head.signature = head_signature(key, head.records, head.last_hash)
            return True

    def seal(self) -> dict:
        """``shujian audit seal``: after checking every record (under the current key), sign the head over
        the chain as it stands — for a store whose head is missing, unsigned or marked broken after an
        investigation.  Refuses when a record does not verify."""
        key = ensure_key(self.ws)
        walk = self._walk(key)
        if not walk["ok"]:
            raise ConfigError(f"审计链未通过校验，不能重新签名：{walk['problem']}",
                              hint="审计链被改动时不能用重新签名掩盖；保留现场，报告安全管理员")
        with self.ws.db.unit_of_work() as s:
            head = s.get(AuditHead, HEAD_ID)
            if head is None:
                head = AuditHead(id=HEAD_ID)
                s.add(head)
            head.records, head.last_hash, head.updated_at = walk["records"], walk["head"], datetime.now(UTC)
            head.signature = head_signature(key, walk["records"], walk["head"])
        return {"records": walk["records"], "head": walk["head"]}

    def verify(self, head: str | None = None) -> dict:
        """Walk the chain and check the signed head; report the first problem (``ok`` False) or the head hash.

        ``head``: a last hash saved elsewhere earlier (optional; the signed head already finds a removed tail).
        """
        key = load_key(self.ws)
        with self.ws.db.unit_of_work() as s:        # read the head first: records appended later extend it
            signed = s.get(AuditHead, HEAD_ID)
            signed = None if signed is None else (signed.records, signed.last_hash, signed.signature)
        walk = self._walk(key, signed[0] if signed else None)
        if not walk["ok"]:
            return walk
        problem = self._head_problem(key, signed, walk)
        if problem is None and head and head != walk["head"]:
            problem = f"链尾哈希与保存的 {head[:16]}… 不符：末尾记录可能被删除"
        out = {"ok": problem is None, "records": walk["records"], "head": walk["head"], "broken_at": None,
               "problem": problem, "keyed": key is not None}
        return out

    def _walk(self, key: bytes | None, mark: int | None = None) -> dict:
        prev, count, keyed_seen, at_mark = GENESIS, 0, False, GENESIS if mark == 0 else None
        with self.ws.db.unit_of_work() as s:
            for rec in s.query(AuditRecord).order_by(AuditRecord.id).yield_per(1000):
                values = {k: getattr(rec, k) for k in _FIELDS}
                algorithm = rec.algorithm or ALGORITHM
                if rec.prev_hash != prev:
                    return _broken(rec.id, count, "前一条记录被删除或改动（链接哈希不符）")
                if algorithm == KEYED and key is None:
                    return _broken(rec.id, count, "记录带密钥签名，但找不到审计密钥，无法校验")
                if algorithm != KEYED and keyed_seen:
                    return _broken(rec.id, count, "带密钥的记录之后出现无密钥记录（伪造的追加）")
                if not hmac.compare_digest(rec.hash, record_hash(prev, values, algorithm, key)):
                    return _broken(rec.id, count, "本条记录内容被改动或伪造（哈希不符）")
                keyed_seen = keyed_seen or algorithm == KEYED
                prev, count = rec.hash, count + 1
                if count == mark:
                    at_mark = prev
        return {"ok": True, "records": count, "head": prev, "at_mark": at_mark,
                "broken_at": None, "problem": None}

    @staticmethod
    def _head_problem(key: bytes | None, signed: tuple | None, walk: dict) -> str | None:
        if key is None:
            return None if signed is None or signed[2] is None else "链头已签名，但找不到审计密钥，无法校验"
        if signed is None:
            return "审计链头（audit_head）缺失：审计表或链头可能被清空"
        records, last, signature = signed
        if signature is None:
            return "审计链头未签名（新升级的工作区请运行 shujian audit seal）"
        if not hmac.compare_digest(signature, head_signature(key, records, last)):
            return "审计链头签名无效：链头被改动，或此前写入时发现链尾与链头不符"
        if walk["records"] < records:
            return (f"审计记录只有 {walk['records']} 条，签名链头记载 {records} 条："
                    f"末尾 {records - walk['records']} 条记录被删除（或整张表被清空）")
        if walk["at_mark"] != last:
            return f"第 {records} 条记录的哈希与签名链头不符：链尾被改写"
        return None

    def search(self, *, actor: str | None = None, action: str | None = None, target: str | None = None,
               since: datetime | None = None, until: datetime | None = None, limit: int = 200,
               offset: int = 0) -> list[dict]:
        """Records matching the filters, newest first, within the reader's org scope (本院及下级院; records
        without an org — the local operator, failed logins of unknown names — are platform records that
        every audit reader sees).  :meth:`verify` always walks the whole chain."""
        from .access import restrict

        with self.ws.db.unit_of_work() as s:
            q = restrict(s.query(AuditRecord), AuditRecord)
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
           org_id: int | None = None, session: Session | None = None) -> dict:
    """Append one record for a domain event done by the acting user (web request, ``--as`` or the local
    operator, see :func:`shujian.security.scope.acting`); services call this, so web and CLI share it.
    Pass the service's ``session`` so the record commits with the change it records."""
    from .scope import acting

    who, org, ip = acting()
    return AuditLog(ws).append(action, actor=actor or who, org_id=org_id if org_id is not None else org,
                               target=target, outcome=outcome, reason=reason, detail=detail, ip=ip,
                               session=session)


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
