"""Creating an account is one transaction (issue 14, finding 11): the user row, the initial password and
the ``user.create`` record commit together.  Before, they were three transactions: with the audit write
refused, the account existed — with a working password — and no record said who made it."""

from __future__ import annotations

import pytest
from tests.security.test_audit_paths import audit_refused, chain_ok, records

from shujian.config import load_settings
from shujian.db.models import User
from shujian.errors import ShujianError
from shujian.security.accounts import AccountService
from shujian.web.accounts import ensure_demo_accounts
from shujian.workspace import Workspace

PASSWORD = "Jiaojiang-Jcg-2026"


@pytest.fixture
def ws(tmp_path):
    home = tmp_path / "home"
    w = Workspace(load_settings(home=home, database_url=f"sqlite:///{home / 'metadata.sqlite'}")).ensure()
    ensure_demo_accounts(w)
    yield w
    w.close()


def _exists(ws, username: str) -> bool:
    with ws.db.unit_of_work() as s:
        return s.query(User).filter_by(username=username).first() is not None


@pytest.mark.parametrize("with_password", [True, False])
def test_a_refused_record_leaves_no_account(ws, with_password):
    accounts = AccountService(ws)
    before = len(records(ws, "user.create"))

    def create() -> dict:
        if with_password:
            return accounts.create_user("new_jcg", "新检察官", "331002", ["检察官"], PASSWORD, actor="admin")
        return accounts.add_user("new_jcg", "新检察官", "331002", ["检察官"], actor="admin")

    with audit_refused(ws), pytest.raises(ShujianError):
        create()
    assert not _exists(ws, "new_jcg") and len(records(ws, "user.create")) == before
    made = create()                                                   # with the head back it lands whole
    assert made["username"] == "new_jcg" and _exists(ws, "new_jcg")
    got = [r for r in records(ws, "user.create") if r["target"] == "new_jcg"]
    assert len(got) == 1 and got[0]["detail"]["roles"] == ["检察官"]
    if with_password:
        assert accounts.authenticate("new_jcg", PASSWORD)["username"] == "new_jcg"
        assert [r["target"] for r in records(ws, "user.password")].count("new_jcg") == 1
    chain_ok(ws)
