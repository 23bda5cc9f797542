"""Shared fixtures: real workspaces on SQLite and on the real PostgreSQL server.

PostgreSQL is required: if the server at SHUJIAN_TEST_PG_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/test) cannot be reached, the tests that need it fail
rather than skip.  Set SHUJIAN_TEST_POSTGRES=skip on a laptop without PostgreSQL to skip them.
"""

from __future__ import annotations

import os
import shutil
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


# ---- xdist distribution (``--dist loadfile``): which files share a worker, and which start first ----------
#: files whose tests share one expensive per-process fixture run on one worker, as one unit: the Spark files
#: share one local SparkSession (one JVM), the browser files one Chromium and the e2e demo city server
SHARED_WORKER = {
    **dict.fromkeys(("tests/parity/test_engine_parity.py", "tests/parity/test_number_text.py",
                     "tests/engines/test_spark_runs.py", "tests/entity/test_spark_parity.py",
                     "tests/text/test_step.py", "tests/text/test_among.py", "tests/text/test_prefilter.py"),
                    "spark-session"),
    **{f"tests/e2e/{name}.py": "browser" for name in (
        "test_layout", "test_english_residue", "test_flows", "test_journey", "test_adopt_journey",
        "test_api_docs_offline", "test_builder_bound_names", "test_builder_derive", "test_sandbox_journey",
        "test_text_screening")},
}
#: the longest units (seconds of one worker, full run under load ≈ 8 on 2 cores): handed out first, longest
#: first, so that no long unit starts last on one worker while the other idles; the rest follow by test count
LONG_UNITS = {"browser": 420, "spark-session": 300, "tests/parity/test_cluster_parity.py": 200,
              "tests/deploy/test_bundle.py": 130, "tests/security/test_matrix.py": 50,
              "tests/parity/test_postgres_parity.py": 50, "tests/entity/test_train_sample.py": 20}


def unit_of(nodeid: str) -> str:
    """The xdist work unit of a test: its file, or the group its file shares a worker with."""
    path = nodeid.split("::", 1)[0]
    return SHARED_WORKER.get(path, path)


@pytest.hookimpl(optionalhook=True)          # -p no:xdist: no such hook, and none needed
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadfile`` with the :data:`SHARED_WORKER` groups as single units, handed out in collection
    order (which :func:`pytest_collection_modifyitems` sets) instead of xdist's by-test-count order."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class GroupedFiles(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

    config.option.loadscopereorder = False
    return GroupedFiles(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist: the :data:`LONG_UNITS` first (longest first), then the other units by test count; the
    tests of one unit keep their order (ordered journeys, module fixtures)."""
    if not hasattr(config, "workerinput"):        # an xdist worker (its own "dist" option reads "no")
        return
    units: dict[str, list[pytest.Item]] = {}
    for item in items:
        units.setdefault(unit_of(item.nodeid), []).append(item)
    order = sorted(units, key=lambda u: (-LONG_UNITS.get(u, 0), -len(units[u])))
    items[:] = [item for unit in order for item in units[unit]]


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


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A SQLite metadata store brought to the shipped head by the migrations, once per process: ``ws`` starts
    from a copy (the migrations' own tests, ``shujian init`` and the upgrade tests start from empty stores)."""
    from shujian.db.session import make_engine, upgrade

    path = tmp_path_factory.mktemp("migrated") / "metadata.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


#: the template schema's name in :func:`migrated_postgres`'s script, replaced by the test's schema
_TEMPLATE_SCHEMA = "shujian_migrated_template"


@pytest.fixture(scope="session")
def migrated_postgres(pg_available) -> str | None:
    """The SQL that recreates a PostgreSQL store at the shipped head (``pg_dump`` of a schema the migrations
    built, data included), once per process; None without ``pg_dump`` (``ws`` then runs the migrations)."""
    import shutil
    import subprocess

    from sqlalchemy.engine import make_url

    from shujian.db.session import make_engine, upgrade

    if not pg_available or not shutil.which("pg_dump"):
        return None
    schema = f"{_TEMPLATE_SCHEMA}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        engine = make_engine(_pg_schema_url(schema))
        upgrade(engine)
        engine.dispose()
        url = make_url(PG_URL)
        env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
        dump = subprocess.run(["pg_dump", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
                               "-U", url.username or "postgres", "-d", url.database, "-n", schema, "--inserts",
                               "--no-owner", "--no-privileges"], env=env, capture_output=True, text=True, check=True)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    # psql's \restrict lines and the CREATE SCHEMA (the test's schema exists) are left out
    lines = [line for line in dump.stdout.splitlines() if not line.startswith(("\\", "CREATE SCHEMA"))]
    return "\n".join(lines).replace(schema, _TEMPLATE_SCHEMA)


def _start_from_migrated(request: pytest.FixtureRequest, metadata_url: str) -> None:
    """Put a store at the shipped head where ``metadata_url`` points (a copy of the per-process template)."""
    if metadata_url.startswith("sqlite:///"):
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), metadata_url.removeprefix("sqlite:///"))
        return
    script = request.getfixturevalue("migrated_postgres")
    if script is None:
        return
    import psycopg

    schema = metadata_url.rsplit("search_path%3D", 1)[1]
    with psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute(script.replace(_TEMPLATE_SCHEMA, schema))


@pytest.fixture
def ws(request: pytest.FixtureRequest, tmp_path: Path, metadata_url: str,
       monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A new workspace in a temporary SHUJIAN_HOME, on SQLite and on PostgreSQL.  Its store starts as a copy of
    one the migrations built in this process (the same tables and rows; no audit key yet, so ``ensure()``
    creates the key and signs the chain head as on a new store)."""
    home = tmp_path / "home"
    monkeypatch.setenv("SHUJIAN_HOME", str(home))
    monkeypatch.setenv("SHUJIAN_DATABASE_URL", metadata_url)
    _start_from_migrated(request, metadata_url)
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
