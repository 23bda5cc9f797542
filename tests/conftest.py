"""Shared fixtures: real workspaces on SQLite and on the real PostgreSQL server.

PostgreSQL is required: if the server at SHUJIAN_TEST_PG_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/test) cannot be reached, the tests that need it fail
rather than skip.  Set SHUJIAN_TEST_POSTGRES=skip on a laptop without PostgreSQL to skip them.
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from shujian.config import load_settings
from shujian.workspace import Workspace

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()
PG_URL = os.environ.get("SHUJIAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(autouse=True)
def _web_jobs_finish_within_their_test():
    """A web background job (thread ``job-N``) must not outlive the test that started it: a job still
    importing with DuckDB's Python UDFs while the next test runs its own import crashed a worker
    process once (segfault inside the UDF, two connections' UDFs at once).  Wait for them here."""
    yield
    for t in threading.enumerate():
        if t.name.startswith("job-") and t.is_alive():
            t.join(timeout=120)


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("SHUJIAN_DUCKDB_MEMORY_LIMIT", "2GB")


@pytest.fixture(scope="session")
def pg_available() -> bool:
    if os.environ.get("SHUJIAN_TEST_POSTGRES") == "skip":
        return False
    engine = create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # the run must fail loudly, not skip
        pytest.fail(f"PostgreSQL at {PG_URL} is required for the metadata tests: {exc}")
    finally:
        engine.dispose()
    return True


def _pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgres"])
def metadata_url(request, tmp_path: Path):
    """A fresh, empty metadata store: a SQLite file, or a new schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'metadata.sqlite'}"
        return
    if not request.getfixturevalue("pg_available"):
        pytest.skip("SHUJIAN_TEST_POSTGRES=skip")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_schema_url(schema)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def ws(tmp_path: Path, metadata_url: str, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A new workspace in a temporary SHUJIAN_HOME, on SQLite and on PostgreSQL."""
    home = tmp_path / "home"
    monkeypatch.setenv("SHUJIAN_HOME", str(home))
    monkeypatch.setenv("SHUJIAN_DATABASE_URL", metadata_url)
    workspace = Workspace(load_settings()).ensure()
    yield workspace
    workspace.close()


@pytest.fixture
def sqlite_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A new workspace on SQLite only (for tests about the warehouse, not the metadata store)."""
    home = tmp_path / "home"
    monkeypatch.setenv("SHUJIAN_HOME", str(home))
    monkeypatch.delenv("SHUJIAN_DATABASE_URL", raising=False)
    workspace = Workspace(load_settings()).ensure()
    yield workspace
    workspace.close()
