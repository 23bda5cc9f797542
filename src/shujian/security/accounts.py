"""Accounts: passwords, lockout, browser sessions and API tokens (身份鉴别).

Session cookies and API tokens are random 256-bit secrets; only their SHA-256 is stored, so a copy
of the database does not let anyone log in.  After :data:`MAX_FAILURES` wrong passwords an account is
locked for :data:`LOCK_MINUTES` minutes (登录失败处理).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from ..db.models import ApiToken, AuthSession, Org, User
from ..errors import InputError, NotFound, ShujianError
from ..orgs.roles import ADMIN
from ..orgs.service import find_org, find_user, new_user, user_dict
from ..workspace import Workspace
from .access import load_visible, restrict, visible_or_missing
from .audit import AuditLog
from .passwords import check_rules, hash_password, needs_rehash, spend_check, verify_password
from .scope import current_scope

MAX_FAILURES = 5
LOCK_MINUTES = 15
SESSION_HOURS = 8
TOKEN_PREFIX = "sjt_"


class Unauthorized(ShujianError):
    """Not logged in, wrong password, expired session or token (401)."""

    code = "unauthorized"
    exit_code = 3


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def aware(d: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes for UTC columns; make them comparable."""
    return d.replace(tzinfo=UTC) if d is not None and d.tzinfo is None else d


class AccountService:
    """Passwords, sessions and tokens of one workspace; ``clock`` is injectable for tests."""

    def __init__(self, ws: Workspace, clock: Callable[[], datetime] | None = None):
        self.ws = ws
        self.clock = clock or (lambda: datetime.now(UTC))
        self.audit = AuditLog(ws)

    # -- passwords --------------------------------------------------------------------------------
    def set_password(self, username: str, password: str, *, actor: str | None = None) -> None:
        """Set a user's password after checking the rules; clears a lockout and ends every session and API
        token of the user (whoever knew the old password, or stole a cookie or token, is out)."""
        check_rules(password, username)
        with self.ws.db.unit_of_work() as s:
            self._set_password(s, find_user(s, username), password, actor or username)

    def _set_password(self, s: Session, u: User, password: str, actor: str | None) -> None:
        u.password_hash = hash_password(password)
        now = self.clock()
        u.password_changed_at, u.failed_logins, u.locked_until = now, 0, None
        sessions = (s.query(AuthSession).filter(AuthSession.user_id == u.id, AuthSession.revoked_at.is_(None))
                    .update({"revoked_at": now}, synchronize_session=False))
        tokens = (s.query(ApiToken).filter(ApiToken.user_id == u.id, ApiToken.revoked_at.is_(None))
                  .update({"revoked_at": now}, synchronize_session=False))
        self.audit.append("user.password", actor=actor, org_id=u.org_id, target=u.username,
                          detail={"sessions_ended": sessions, "tokens_revoked": tokens}, session=s)

    def _create(self, username: str, name: str, org: str | int, roles: list[str], *, password: str | None,
                department: str | None, actor: str | None, detail: dict) -> dict:
        """The user row, its initial password and the ``user.create`` record in one transaction: a refused
        record (or password) leaves no half-made account behind."""
        with self.ws.db.unit_of_work() as s:
            u = new_user(s, username, name, org, roles, department)
            if password is not None:
                self._set_password(s, u, password, actor or username)
            self.audit.append("user.create", actor=actor, org_id=u.org_id, target=username,
                              detail={"roles": list(roles), **detail}, session=s)
            return user_dict(s, u)

    def create_admin(self, username: str, name: str, org: str, password: str) -> dict:
        """The initial 系统管理员 (``shujian user create --admin``)."""
        check_rules(password, username)
        return self._create(username, name, org, [ADMIN], password=password, department=None, actor=username,
                            detail={"initial_admin": True})

    # -- administration (用户与机构 page and API; scoped to the acting user's org and below) --------
    def create_user(self, username: str, name: str, org: str | int, roles: list[str], password: str, *,
                    department: str | None = None, actor: str | None = None) -> dict:
        """A new user with an initial password that meets the rules; audited as ``user.create``."""
        check_rules(password, username)
        target = self.managed_org(org)
        return self._create(username, name, target["id"], roles, password=password, department=department,
                            actor=actor, detail={"org": target["name"], "department": department})

    def add_user(self, username: str, name: str, org: str | int, roles: list[str], *,
                 department: str | None = None, actor: str | None = None) -> dict:
        """A new user without a password (``shujian user add``), in the acting user's org scope; audited."""
        target = self.managed_org(org)
        return self._create(username, name, target["id"], roles, password=None, department=department,
                            actor=actor, detail={"org": target["name"], "department": department})

    def reset_password(self, username: str, password: str, *, actor: str | None = None) -> dict:
        """An administrator sets a new password for ``username`` (in scope); clears a lockout."""
        self._scoped_user(username)
        self.set_password(username, password, actor=actor)
        return self.account(username)

    def set_locked(self, username: str, locked: bool, *, actor: str | None = None) -> dict:
        """停用 (``locked``) or 启用 an account; enabling also clears a failed-login lockout.  Audited."""
        self._scoped_user(username)
        if locked and actor == username:
            raise InputError(f"不能停用自己的账号 {username}", hint="请另一位系统管理员操作")
        with self.ws.db.unit_of_work() as s:
            u = find_user(s, username)
            u.active = not locked
            if not locked:
                u.failed_logins, u.locked_until = 0, None
            self.audit.append("user.change", actor=actor, org_id=u.org_id, target=username,
                              detail={"locked": locked}, session=s)
        return self.account(username)

    def account(self, username: str) -> dict:
        """One user with the account state (停用, 锁定至) for administration pages."""
        now = self.clock()
        with self.ws.db.unit_of_work() as s:
            u = find_user(s, username)
            until = aware(u.locked_until)
            return {**user_dict(s, u), "locked_until": until.isoformat() if until and until > now else None,
                    "has_password": bool(u.password_hash)}

    def managed_org(self, org: str | int) -> dict:
        """The org ``org`` (code, name or id) if the acting user administers it (本院及下级院); missing and
        out of reach give the same NotFound (access layer)."""
        with self.ws.db.unit_of_work() as s:
            try:
                target = find_org(s, org)
            except NotFound:
                target = None
            target = visible_or_missing(target, org, kind=Org, session=s)
            return {"id": target.id, "code": target.code, "name": target.name}

    def users(self, org: str | int | None = None) -> list[dict]:
        """Users (of ``org``, or all) that the acting user's org scope covers (本院及下级院)."""
        with self.ws.db.unit_of_work() as s:
            q = restrict(s.query(User), User).order_by(User.id)
            if org is not None:
                q = q.filter(User.org_id == find_org(s, org).id)
            return [user_dict(s, u) for u in q]

    def _scoped_user(self, username: str) -> None:
        """A user outside the acting user's org scope is reported as missing (no hint that it exists)."""
        with self.ws.db.unit_of_work() as s:
            load_visible(s, current_scope(), User, username, by="username")

    def authenticate(self, username: str, password: str, *, ip: str | None = None) -> dict:
        """The user for a correct password; counts failures and locks the account after 5."""
        now, result, org_id = self.clock(), None, None
        with self.ws.db.unit_of_work() as s:
            u = s.query(User).filter_by(username=username).first()
            if u is None:
                spend_check(password)
                outcome = "unknown"
            else:
                org_id = u.org_id
                outcome = self._check(u, password, now)
                if outcome == "ok":
                    result = user_dict(s, u)
        return self._login_outcome(outcome, username, org_id, ip, result)

    @staticmethod
    def _check(u: User, password: str, now: datetime) -> str:
        locked = bool(aware(u.locked_until) and aware(u.locked_until) > now)
        if locked or not u.active:
            spend_check(password)           # same cost as a real check (no timing hint of the state)
            return "locked" if locked else "inactive"
        if verify_password(u.password_hash, password):
            u.failed_logins, u.locked_until = 0, None
            if needs_rehash(u.password_hash):
                u.password_hash = hash_password(password)
            return "ok"
        u.failed_logins = (u.failed_logins or 0) + 1
        if u.failed_logins >= MAX_FAILURES:
            u.locked_until, u.failed_logins = now + timedelta(minutes=LOCK_MINUTES), 0
            return "lock"
        return "failed"

    def _login_outcome(self, outcome: str, username: str, org_id: int | None, ip: str | None,
                       result: dict | None) -> dict:
        if outcome == "ok" and result is not None:
            self.audit.append("login", actor=username, org_id=org_id, ip=ip)
            return result
        action = {"lock": "login.locked", "locked": "login.failed"}.get(outcome, "login.failed")
        self.audit.append(action, actor=username, org_id=org_id, ip=ip, outcome="失败",
                          detail={"why": outcome})
        # one answer for an unknown name, a wrong password, a locked or a disabled account: the reply
        # must not tell which usernames exist (the audit record above keeps the real reason)
        raise Unauthorized("用户名或口令错误",
                           hint=f"连续 {MAX_FAILURES} 次错误将锁定账号 {LOCK_MINUTES} 分钟；"
                                "已锁定时请稍后再试，或请系统管理员重置口令")

    # -- sessions ---------------------------------------------------------------------------------
    def start_session(self, username: str, *, ip: str | None = None, hours: float = SESSION_HOURS) -> str:
        """A new session token for the browser cookie."""
        token = secrets.token_urlsafe(32)
        with self.ws.db.unit_of_work() as s:
            u = find_user(s, username)
            s.add(AuthSession(token_hash=_sha(token), user_id=u.id, created_at=self.clock(),
                              expires_at=self.clock() + timedelta(hours=hours), ip=ip))
        return token

    def session_user(self, token: str) -> dict | None:
        """The user of a live session (None if unknown, expired, revoked or the user is disabled)."""
        now = self.clock()
        with self.ws.db.unit_of_work() as s:
            sess = s.query(AuthSession).filter_by(token_hash=_sha(token)).first()
            if sess is None or sess.revoked_at is not None or aware(sess.expires_at) <= now:
                return None
            u = s.get(User, sess.user_id)
            if u is None or not u.active:
                return None
            sess.last_seen_at = now
            return user_dict(s, u)

    def end_session(self, token: str) -> None:
        with self.ws.db.unit_of_work() as s:
            sess = s.query(AuthSession).filter_by(token_hash=_sha(token)).first()
            if sess is not None and sess.revoked_at is None:
                sess.revoked_at = self.clock()

    # -- API tokens -------------------------------------------------------------------------------
    def create_token(self, username: str, name: str, *, days: int | None = 90, actor: str | None = None) -> dict:
        """A new API token; the secret is returned once and stored only as a hash."""
        if not name.strip():
            raise InputError("接口令牌需要名称", hint="用 --name 说明用途，如“夜间调度脚本”")
        if actor is not None and actor != username:
            self._scoped_user(username)          # for another user: only in the acting admin's org and below
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.ws.db.unit_of_work() as s:
            u = find_user(s, username)
            t = ApiToken(name=name, prefix=secret[:12], token_hash=_sha(secret), user_id=u.id,
                         created_at=self.clock(),
                         expires_at=self.clock() + timedelta(days=days) if days else None)
            s.add(t)
            s.flush()
            out = {"id": t.id, "name": name, "user": username, "token": secret,
                   "expires_at": t.expires_at.isoformat() if t.expires_at else None}
            self.audit.append("token.create", actor=actor or username, org_id=u.org_id, target=f"token:{out['id']}",
                              detail={"user": username, "name": name}, session=s)
        return out

    def revoke_token(self, token_id: int, *, actor: str | None = None) -> dict:
        with self.ws.db.unit_of_work() as s:
            t = load_visible(s, current_scope(), ApiToken, token_id)      # another org's user's: as if missing
            t.revoked_at = t.revoked_at or self.clock()
            self.audit.append("token.revoke", actor=actor, target=f"token:{token_id}", session=s)
        return {"id": token_id, "revoked": True}

    def tokens(self, username: str | None = None) -> list[dict]:
        with self.ws.db.unit_of_work() as s:
            q = restrict(s.query(ApiToken, User.username).join(User, User.id == ApiToken.user_id), ApiToken)
            if username:
                q = q.filter(User.username == username)
            return [{"id": t.id, "name": t.name, "user": un, "prefix": t.prefix,
                     "created_at": t.created_at.isoformat(),
                     "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                     "revoked": t.revoked_at is not None} for t, un in q.order_by(ApiToken.id)]

    def token_user(self, secret: str) -> dict | None:
        """The user of a valid API token (None if unknown, expired or revoked)."""
        now = self.clock()
        with self.ws.db.unit_of_work() as s:
            t = s.query(ApiToken).filter_by(token_hash=_sha(secret)).first()
            if t is None or t.revoked_at is not None or (t.expires_at and aware(t.expires_at) <= now):
                return None
            u = s.get(User, t.user_id)
            if u is None or not u.active:
                return None
            t.last_used_at = now
            return user_dict(s, u)
