"""Engine, sessions and migrations for the metadata store (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import ConfigError

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the metadata store to ``revision`` (``shujian db upgrade``)."""
    from alembic import command

    cfg = alembic_config(str(engine.url))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except OperationalError as exc:
        raise ConfigError(f"无法连接元数据库 {engine.url.render_as_string(hide_password=True)}：{exc.orig}",
                          hint="检查 SHUJIAN_DATABASE_URL，或确认数据库服务已启动") from exc


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except OperationalError as exc:
        raise ConfigError(f"无法连接元数据库 {engine.url.render_as_string(hide_password=True)}：{exc.orig}",
                          hint="检查 SHUJIAN_DATABASE_URL，或确认数据库服务已启动") from exc


@dataclass(frozen=True)
class SchemaStatus:
    """Where a metadata store stands against the migrations this program ships.

    ``pending`` lists ``(revision, description)`` oldest first; ``known`` is False when the store was
    written by a newer shujian (its revision is not among ours).
    """

    current: str | None
    head: str
    pending: tuple[tuple[str, str], ...]
    known: bool = True

    @property
    def empty(self) -> bool:
        return self.current is None

    @property
    def up_to_date(self) -> bool:
        return self.known and self.current == self.head


def schema_status(engine: Engine) -> SchemaStatus:
    """Compare the store's Alembic revision with the newest migration shipped (read-only)."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    head = scripts.get_current_head()
    current = current_revision(engine)
    if current is not None and _unknown(scripts, current):
        return SchemaStatus(current, head, (), known=False)
    lower = "base" if current is None else current
    pending = [(s.revision, (s.doc or "").strip()) for s in scripts.walk_revisions(base=lower, head=head)
               if s.revision != current]
    return SchemaStatus(current, head, tuple(reversed(pending)))


def _unknown(scripts, revision: str) -> bool:
    from alembic.util import CommandError

    try:
        return scripts.get_revision(revision) is None
    except CommandError:
        return True


class Database:
    """The metadata store of one workspace; ``unit_of_work()`` is the only way services write."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def upgrade(self) -> None:
        upgrade(self.engine)

    @property
    def where(self) -> str:
        """The store's address without a password, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
