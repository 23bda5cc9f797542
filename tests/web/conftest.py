"""A seeded workspace and a TestClient for the web tests: demo accounts, two datasets, one run's clues."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient
from tests.runs.conftest import MODEL, custody_table, load, pension_table

from shujian.config import load_settings
from shujian.governance.service import GovernanceService
from shujian.runs.service import RunService
from shujian.spec import load_model
from shujian.web.accounts import ensure_demo_accounts
from shujian.web.app import create_app
from shujian.workspace import Workspace

EVAL_OK = {e: {"passed": True, "comment": "同意"} for e in ("建模必要性", "技术可行性", "线索准确性")}


def seeded_workspace(home) -> Workspace:
    ws = Workspace(load_settings(home=home, database_url=f"sqlite:///{home / 'metadata.sqlite'}")).ensure()
    ensure_demo_accounts(ws)
    load(ws, "监所在押人员", custody_table())
    load(ws, "养老金发放", pension_table())
    # the fixture model (same id as the built-in one, bound to the fixture tables) as a governed version
    # past both certifications: the web layer then opens and runs this version (an uncertified draft of a
    # built-in id would not replace the shipped file for runs)
    gov = GovernanceService(ws)
    gov.save(MODEL.read_text(encoding="utf-8"), "demo")
    gov.submit("pension-during-custody", "demo")
    gov.certify("pension-during-custody", "业务认证", "shi_lingdao", EVAL_OK)
    gov.certify("pension-during-custody", "数字认证", "shi_shuzi", EVAL_OK)
    RunService(ws).run(load_model(MODEL))
    return ws


@pytest.fixture(scope="session")
def seeded_home(tmp_path_factory):
    """One seeded workspace folder per session; each module works on its own copy (seeding is the slow part)."""
    home = tmp_path_factory.mktemp("web-seed") / "home"
    seeded_workspace(home).close()
    return home


def copy_workspace(seeded_home, target) -> Workspace:
    shutil.copytree(seeded_home, target)
    return Workspace(load_settings(home=target, database_url=f"sqlite:///{target / 'metadata.sqlite'}")).ensure()


@pytest.fixture(scope="module")
def web_ws(seeded_home, tmp_path_factory):
    ws = copy_workspace(seeded_home, tmp_path_factory.mktemp("web") / "home")
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def client(web_ws) -> TestClient:
    app = create_app(workspace=web_ws)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def csrf(client: TestClient) -> str:
    """Fetch a page so the CSRF cookie is set; return the token."""
    client.get("/", headers={"accept": "text/html"})
    return client.cookies.get("shujian_csrf")
