"""Seeded workspaces for the security tests: org tree, one user per role, two sibling 区县院, clues held
by each, a dataset owned by each; apps built in production mode (no demo fallback)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.runs.conftest import MODEL, custody_table, load, pension_table

from shujian.config import load_settings
from shujian.db.models import Clue, Dataset, Org, Run
from shujian.orgs.service import OrgService
from shujian.runs.service import RunService
from shujian.security.accounts import AccountService
from shujian.spec import load_model
from shujian.web.app import create_app
from shujian.web.auth import SessionIdentity
from shujian.workspace import Workspace

CITY, DISTRICT_A, DISTRICT_B = "3310", "331002", "331003"
PASSWORD = "Correct-Horse-9"
#: username → (org, roles, department)
USERS = {
    "a_jcg": (DISTRICT_A, ["检察官"], "刑事执行检察部"),
    "a_fzr": (DISTRICT_A, ["部门负责人"], "刑事执行检察部"),
    "b_jcg": (DISTRICT_B, ["检察官"], "刑事执行检察部"),
    "c_ld": (CITY, ["院领导"], None),
    "c_sz": (CITY, ["数字办"], None),
    "c_admin": (CITY, ["系统管理员"], None),
    "c_jcg": (CITY, ["检察官"], "刑事执行检察部"),
}
A_DATASET = "监所在押人员"
ROLE_USER = {"检察官": "c_jcg", "部门负责人": "a_fzr", "院领导": "c_ld", "数字办": "c_sz", "系统管理员": "c_admin"}


def seed(ws: Workspace, *, passwords: tuple[str, ...] = ("a_jcg", "b_jcg")) -> dict:
    """Orgs, users, two datasets (监所在押人员 owned by 区县院 A, 养老金发放 shared), one run's clues: one
    held by A, one by sibling B, the rest in the unassigned pool of the 市院 that ran the model."""
    svc = OrgService(ws)
    svc.seed(["33"])
    for username, (org, roles, dept) in USERS.items():
        svc.add_user(username, username, org, roles, department=dept)
    accounts = AccountService(ws)
    for username in passwords:
        accounts.set_password(username, PASSWORD)
    load(ws, "监所在押人员", custody_table())
    load(ws, "养老金发放", pension_table())
    RunService(ws).run(load_model(MODEL))
    with ws.db.unit_of_work() as s:
        org = {o.code: o.id for o in s.query(Org).filter(Org.code.in_([CITY, DISTRICT_A, DISTRICT_B]))}
        s.query(Dataset).filter_by(name=A_DATASET).update({"org_id": org[DISTRICT_A]})
        s.query(Run).update({"org_id": org[CITY]})           # the 市院 ran the model: its pool
        clues = [c for c in s.query(Clue).order_by(Clue.id)]
        assert len(clues) >= 2, "the fixture run must give at least two clues"
        clues[0].org_id, clues[1].org_id = org[DISTRICT_A], org[DISTRICT_B]
        ids = {"a": clues[0].id, "b": clues[1].id, "pool": [c.id for c in clues[2:]], "orgs": org}
    return ids


def production_app(ws: Workspace):
    return create_app(workspace=ws, identity=SessionIdentity(demo_fallback=False))


def bearer(ws: Workspace, username: str) -> dict:
    return {"Authorization": "Bearer " + AccountService(ws).create_token(username, "测试")["token"]}


@pytest.fixture(autouse=True)
def _fast_argon2(monkeypatch):
    """Cheaper argon2 parameters in tests only (same algorithm and code path)."""
    from argon2 import PasswordHasher

    from shujian.security import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A module-wide seeded SQLite workspace (for the slow, many-request tests)."""
    home = tmp_path_factory.mktemp("sec") / "home"
    ws = Workspace(load_settings(home=home, database_url=f"sqlite:///{home / 'metadata.sqlite'}")).ensure()
    ids = seed(ws)
    yield ws, ids
    ws.close()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def seeded_db(request, tmp_path_factory):
    """A module-wide seeded workspace on SQLite and on PostgreSQL (a fresh schema on the test server,
    the same way as :func:`tests.conftest.metadata_url`, but built once per module and backend)."""
    import uuid

    from sqlalchemy import create_engine, text
    from tests.conftest import PG_URL, _pg_schema_url

    home = tmp_path_factory.mktemp(f"sec-{request.param}") / "home"
    schema, engine = None, None
    if request.param == "sqlite":
        url = f"sqlite:///{home / 'metadata.sqlite'}"
    else:
        if not request.getfixturevalue("pg_available"):
            pytest.skip("SHUJIAN_TEST_POSTGRES=skip")
        schema, engine = f"t_{uuid.uuid4().hex[:12]}", create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = _pg_schema_url(schema)
    ws = Workspace(load_settings(home=home, database_url=url)).ensure()
    try:
        yield ws, seed(ws)
    finally:
        ws.close()
        if engine is not None:
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            engine.dispose()


@pytest.fixture(scope="module")
def db_client(seeded_db):
    """A production-mode test client on :func:`seeded_db` (both backends)."""
    ws, _ = seeded_db
    app = production_app(ws)
    with TestClient(app, raise_server_exceptions=False) as c:
        c.fastapi_app = app
        yield c


@pytest.fixture(scope="module")
def app_client(seeded):
    ws, _ = seeded
    app = production_app(ws)
    with TestClient(app, raise_server_exceptions=False) as c:
        c.fastapi_app = app
        yield c
