"""Accounts on SQLite and PostgreSQL: argon2 hashes, password rules, lockout, sessions, API tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shujian.db.models import ApiToken, AuthSession, User
from shujian.errors import InputError
from shujian.orgs.service import OrgService
from shujian.security.accounts import LOCK_MINUTES, MAX_FAILURES, AccountService, Unauthorized
from shujian.security.audit import AuditLog
from shujian.security.passwords import check_rules

GOOD = "Correct-Horse-9"


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def accounts(ws):
    OrgService(ws).seed(["33"])
    OrgService(ws).add_user("li", "李", "331002", ["检察官"])
    clock = Clock()
    acc = AccountService(ws, clock)
    acc.set_password("li", GOOD)
    return acc, clock


@pytest.mark.parametrize("bad", ["short1A!", "alllowercaseletters", "li-Password-123", "1234567890123"])
def test_password_rules_refuse_weak_passwords(bad):
    with pytest.raises(InputError, match="口令不符合要求"):
        check_rules(bad, "li")


def test_password_is_stored_as_salted_argon2id(ws, accounts):
    acc, _ = accounts
    with ws.db.unit_of_work() as s:
        stored = s.query(User.password_hash).filter_by(username="li").scalar()
    assert stored.startswith("$argon2id$") and GOOD not in stored
    OrgService(ws).add_user("wang", "王", "331002", ["检察官"])
    acc.set_password("wang", GOOD)
    with ws.db.unit_of_work() as s:
        other = s.query(User.password_hash).filter_by(username="wang").scalar()
    assert other != stored          # salted: same password, different hash
    assert acc.authenticate("li", GOOD)["username"] == "li"


def test_lockout_after_five_failures_is_time_boxed(ws, accounts):
    acc, clock = accounts
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(Unauthorized, match="用户名或口令错误"):
            acc.authenticate("li", "wrong-Password-1")
    with pytest.raises(Unauthorized, match="用户名或口令错误"):    # locked, with the answer of any failure
        acc.authenticate("li", "wrong-Password-1")
    with pytest.raises(Unauthorized, match="用户名或口令错误"):    # even the right password while locked
        acc.authenticate("li", GOOD)
    clock.now += timedelta(minutes=LOCK_MINUTES + 1)
    assert acc.authenticate("li", GOOD)["username"] == "li"
    actions = [r["action"] for r in AuditLog(ws).search(actor="li")]
    assert actions.count("login.failed") >= MAX_FAILURES and "login.locked" in actions and "login" in actions


def test_unknown_user_gets_the_same_answer(accounts):
    acc, _ = accounts
    with pytest.raises(Unauthorized) as exc:
        acc.authenticate("nobody", GOOD)
    assert exc.value.message == "用户名或口令错误"


def test_session_expires_and_logout_revokes(ws, accounts):
    acc, clock = accounts
    token = acc.start_session("li", hours=1)
    assert acc.session_user(token)["username"] == "li"
    with ws.db.unit_of_work() as s:
        assert s.query(AuthSession).filter_by(token_hash=token).count() == 0     # hashed at rest
    clock.now += timedelta(hours=1, seconds=1)
    assert acc.session_user(token) is None                                    # expired session refused
    token2 = acc.start_session("li")
    acc.end_session(token2)
    assert acc.session_user(token2) is None


def test_api_token_hashed_expiring_revocable(ws, accounts):
    acc, clock = accounts
    t = acc.create_token("li", "夜间脚本", days=1)
    assert t["token"].startswith("sjt_") and acc.token_user(t["token"])["username"] == "li"
    with ws.db.unit_of_work() as s:
        row = s.get(ApiToken, t["id"])
        assert row.token_hash != t["token"] and t["token"] not in row.token_hash
    assert acc.token_user(t["token"] + "x") is None
    clock.now += timedelta(days=2)
    assert acc.token_user(t["token"]) is None
    t2 = acc.create_token("li", "另一个", days=None)
    acc.revoke_token(t2["id"], actor="admin")
    assert acc.token_user(t2["token"]) is None
    assert [x["revoked"] for x in acc.tokens("li")] == [False, True]


def test_disabled_user_cannot_log_in(ws, accounts):
    acc, _ = accounts
    token = acc.start_session("li")
    with ws.db.unit_of_work() as s:
        s.query(User).filter_by(username="li").update({"active": False})
    assert acc.session_user(token) is None
    with pytest.raises(Unauthorized):
        acc.authenticate("li", GOOD)


def test_initial_admin(ws):
    OrgService(ws).seed(["33"])
    u = AccountService(ws).create_admin("root", "管理员", "3310", GOOD)
    assert u["roles"] == ["系统管理员"]
    assert AccountService(ws).authenticate("root", GOOD)["username"] == "root"
    with pytest.raises(InputError):
        AccountService(ws).create_admin("root2", "管理员", "3310", "weak")
