"""Shared fixtures: real workspaces on SQLite and on the real PostgreSQL server.

PostgreSQL is required: if the server at SHUJIAN_TEST_PG_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/test) cannot be reached, the tests that need it fail
rather than skip.  Set SHUJIAN_TEST_POSTGRES=skip on a laptop without PostgreSQL to skip them.
"""

from __future__ import annotations

import contextlib
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
#: files whose tests share one expensive per-process fixture run on one worker, as one unit: the local Spark files
#: share one local SparkSession (one JVM), the parity files one library pass on a standalone cluster, the browser
#: files one Chromium and the e2e demo city server
SHARED_WORKER = {
    **dict.fromkeys(("tests/parity/test_number_text.py", "tests/engines/test_spark_runs.py",
                     "tests/entity/test_spark_parity.py", "tests/text/test_step.py", "tests/text/test_among.py",
                     "tests/text/test_prefilter.py"), "spark-session"),
    # the engine and cluster parity read one library pass on the standalone cluster (parity/conftest)
    **dict.fromkeys(("tests/parity/test_engine_parity.py", "tests/parity/test_cluster_parity.py"), "spark-cluster"),
    **{f"tests/e2e/{name}.py": "browser" for name in (
        "test_layout", "test_english_residue", "test_flows", "test_journey", "test_adopt_journey",
        "test_api_docs_offline", "test_builder_bound_names", "test_builder_derive", "test_sandbox_journey",
        "test_text_screening")},
}
#: the longest units (seconds of one worker, full run under load ≈ 8 on 2 cores): handed out first, longest
#: first, so that no long unit starts last on one worker while the other idles; the rest follow by test count
LONG_UNITS = {"browser": 420, "spark-cluster": 250, "spark-session": 150,
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
def small_city(tmp_path_factory) -> Path:
    """The small demo city (seed 42, every group) generated once per process, for the fixtures that read it
    (the compiler's, the parity files', the e2e demo server's); a fixture that writes beside its files (a
    Parquet export, a workspace) copies it first (``shutil.copytree``)."""
    from shujian.demo.core import generate

    out = tmp_path_factory.mktemp("small-city-42")
    generate("small", 42, out)
    return out


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
def metadata_backend(request) -> str:
    """``sqlite`` or ``postgres``: the backend of the test's metadata store (:func:`metadata_url`, :func:`ws`)."""
    if request.param == "postgres" and not request.getfixturevalue("pg_available"):
        pytest.skip("SHUJIAN_TEST_POSTGRES=skip")
    return request.param


@pytest.fixture
def metadata_url(metadata_backend: str, tmp_path: Path):
    """A fresh, empty metadata store: a SQLite file, or a new schema on the PostgreSQL server."""
    if metadata_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'metadata.sqlite'}"
        return
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


class MigratedPostgres:
    """A schema on the PostgreSQL server that the migrations brought to the shipped head once per process, and
    that :meth:`fresh` puts back to exactly that state for each ``ws`` test: every table emptied, the rows the
    migrations wrote inserted again, every sequence set back (triggers and foreign-key checks off meanwhile:
    ``session_replication_role = replica``, which needs a superuser, as the test server's ``postgres`` is).
    Building a store per test by replaying its DDL cost ≈ 0.5–1 s of the server (38 tables with their indexes,
    constraints and triggers, then a ``DROP SCHEMA … CASCADE``); this costs a few milliseconds.

    :meth:`fresh` migrates a new schema instead when the old one's structure is no longer what the migrations
    built (a test altered a table, added an index …: :attr:`FINGERPRINT`), when a lock
    is not granted within 5 s (a connection a test left in a transaction), and on every call when the user
    is not a superuser."""

    #: the structure of a schema, cheaply: the catalog rows of its relations, columns, defaults, constraints,
    #: triggers, sequences and functions with the transaction that last wrote each (``xmin``); any DDL inserts,
    #: deletes or rewrites one of them (ANALYZE and VACUUM update in place: no change).  Deparsing the
    #: definitions instead took 50–130 ms a test.
    FINGERPRINT = """
        WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = %(s)s),
             rel AS (SELECT c.oid, c.xmin::text AS x, c.relname FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM ns))
        SELECT md5(coalesce(string_agg(x, ',' ORDER BY x), '')) FROM (
          SELECT 'r' || oid || ':' || x || ':' || relname AS x FROM rel
          UNION ALL SELECT 'a' || attrelid || ':' || attnum || ':' || xmin FROM pg_attribute
           WHERE attrelid IN (SELECT oid FROM rel)
          UNION ALL SELECT 'd' || oid || ':' || xmin FROM pg_attrdef WHERE adrelid IN (SELECT oid FROM rel)
          UNION ALL SELECT 'k' || oid || ':' || xmin FROM pg_constraint WHERE connamespace = (SELECT oid FROM ns)
          UNION ALL SELECT 't' || oid || ':' || xmin FROM pg_trigger WHERE tgrelid IN (SELECT oid FROM rel)
          UNION ALL SELECT 's' || seqrelid || ':' || xmin FROM pg_sequence WHERE seqrelid IN (SELECT oid FROM rel)
          UNION ALL SELECT 'f' || oid || ':' || xmin FROM pg_proc WHERE pronamespace = (SELECT oid FROM ns)
        ) parts"""

    def __init__(self) -> None:
        self.dsn = PG_URL.replace("postgresql+psycopg://", "postgresql://")
        self.schemas: list[str] = []
        self.resettable = True
        self.resets = self.rebuilt = 0
        self._new_schema()

    def _new_schema(self) -> None:
        import psycopg

        from shujian.db.session import make_engine, upgrade

        schema = f"w_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        self.schemas.append(schema)
        engine = make_engine(_pg_schema_url(schema))
        upgrade(engine)
        engine.dispose()
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            self.fingerprint = conn.execute(self.FINGERPRINT, {"s": schema}).fetchone()[0]
            tables = [r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", (schema,))]
            self.rows = {t: [r[0] for r in conn.execute(f'SELECT row_to_json(t)::text FROM "{schema}"."{t}" t')]
                         for t in tables}
            self.sequences = conn.execute(
                "SELECT sequencename, coalesce(last_value, start_value), last_value IS NOT NULL FROM pg_sequences"
                " WHERE schemaname = %s", (schema,)).fetchall()
        self.schema = schema

    def _reset(self) -> bool:
        """Put :attr:`schema` back to the state the migrations left; False when it cannot be (see the class)."""
        import psycopg

        s = self.schema
        try:
            with psycopg.connect(self.dsn) as conn:     # one transaction: all or nothing
                conn.execute("SET LOCAL lock_timeout = '5s'")
                conn.execute("SET LOCAL session_replication_role = replica")
                if conn.execute(self.FINGERPRINT, {"s": s}).fetchone()[0] != self.fingerprint:
                    return False
                conn.execute("".join(f'DELETE FROM "{s}"."{t}";' for t in self.rows))
                with conn.cursor() as cur:
                    for table, rows in self.rows.items():
                        cur.executemany(f'INSERT INTO "{s}"."{table}" SELECT * FROM '
                                        f'json_populate_record(NULL::"{s}"."{table}", %s)', [(r,) for r in rows])
                    for seq, value, called in self.sequences:
                        cur.execute("SELECT setval(%s, %s, %s)", (f'"{s}"."{seq}"', value, called))
            return True
        except psycopg.errors.LockNotAvailable:
            return False
        except psycopg.errors.InsufficientPrivilege:      # not a superuser: a newly migrated schema per test
            self.resettable = False
            return False

    def fresh(self) -> str:
        """The URL of a schema at the shipped head holding the migrations' rows and nothing else; unique per
        call (``application_name`` differs), so no per-URL cache of the product carries over between tests."""
        if self.resettable and self._reset():
            self.resets += 1
        else:
            self.rebuilt += 1
            self._new_schema()
        return f"{_pg_schema_url(self.schema)}&application_name=shujian-test-{uuid.uuid4().hex[:8]}"

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("SET lock_timeout = '10s'")
            for schema in self.schemas:
                with contextlib.suppress(psycopg.errors.LockNotAvailable):   # left on the test server
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="session")
def migrated_postgres(pg_available) -> MigratedPostgres:
    """The per-process schema at the shipped head every PostgreSQL ``ws`` starts from (see
    :class:`MigratedPostgres`; ``shujian init``, upgrade and migration tests start from empty schemas)."""
    store = MigratedPostgres()
    yield store
    store.drop()


@pytest.fixture
def ws(request: pytest.FixtureRequest, tmp_path: Path, metadata_backend: str,
       monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A new workspace in a temporary SHUJIAN_HOME, on SQLite and on PostgreSQL.  Its store is at the shipped
    head with the rows the migrations write and nothing else (no audit key yet, so ``ensure()`` creates the key
    and signs the chain head as on a new store): on SQLite a copy of a file the migrations built in this
    process, on PostgreSQL the process's migrated schema put back to that state (:class:`MigratedPostgres`)."""
    home = tmp_path / "home"
    if metadata_backend == "sqlite":
        path = tmp_path / "metadata.sqlite"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("migrated_postgres").fresh()
    monkeypatch.setenv("SHUJIAN_HOME", str(home))
    monkeypatch.setenv("SHUJIAN_DATABASE_URL", url)
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
