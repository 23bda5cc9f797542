"""The clue list through the database driver: ``shujian clue list`` without SQLAlchemy.

``shujian clue list`` should answer within 0.3 s (issue 20 target 4); importing SQLAlchemy and the mapped
tables alone takes longer.  So the command reads the list here with the DB-API driver (``sqlite3``, or
``psycopg`` for a ``postgresql+psycopg://`` store) — the same rows, in the same order, as
:meth:`shujian.clues.service.ClueService.list`:

- which clues the reader may see is the access layer's condition
  (:func:`shujian.security.clue_rules.clue_visibility_sql`, the text the ORM query also uses), for
  the scope ``act_as`` would set (:func:`shujian.security.scope.scope_of`, which ``scope_for`` uses too);
- what a reader without clearance sees masked is the layer's ``present_clue``;
- each row becomes a dict through :func:`clue_record`, which the ORM path uses too.

Anything this path does not handle returns None and the caller takes the full path: another driver, a
store that is not at this program's migration head (the full path creates, migrates or refuses it), a
store without its audit key yet, a filter other than model, state and subject.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

#: the clue columns :func:`clue_record` reads, in the order the query selects them
CLUE_COLUMNS = ("id", "model_id", "rule", "title", "facts", "state", "suppressed", "measure", "legal_basis",
                "fingerprint", "first_seen", "last_seen", "seen_count", "first_run_id", "last_run_id", "org_id",
                "assignee_id", "deadline", "supervised", "exclusion_type", "case_number", "escalation")
_JSON = ("facts", "legal_basis")
_BOOL = ("suppressed", "supervised")
_TIME = ("first_seen", "last_seen")


def clue_record(c: Any, runs: int) -> dict:
    """A clue as a dict, raw (personal values in clear; the access layer's ``present_clue`` masks them):
    ``c`` is a mapped ``Clue`` or the light path's row object with the same attributes."""
    return {"clue_id": c.id, "model_id": c.model_id, "rule": c.rule,
            "subject": {"type": c.subject.type, "key": c.subject.key, "name": c.subject.name},
            "title": c.title, "facts": dict(c.facts or {}), "masked_facts": [], "state": c.state,
            "suppressed": c.suppressed, "measure": c.measure, "legal_basis": c.legal_basis,
            "fingerprint": c.fingerprint, "first_seen": c.first_seen.isoformat(),
            "last_seen": c.last_seen.isoformat(), "seen_count": c.seen_count, "run_count": runs,
            "first_run_id": c.first_run_id, "last_run_id": c.last_run_id, "org_id": c.org_id,
            "assignee_id": c.assignee_id, "deadline": c.deadline.isoformat() if c.deadline else None,
            "supervised": c.supervised, "exclusion_type": c.exclusion_type, "case_number": c.case_number,
            "escalation": c.escalation}


class _Driver:
    """A DB-API connection and its parameter marker."""

    def __init__(self, conn: Any, marker: str, decode_json: bool, errors: tuple[type[Exception], ...]):
        self.conn, self.marker, self.decode_json, self.errors = conn, marker, decode_json, errors

    def rows(self, sql: str, params: list | tuple = ()) -> list[tuple]:
        cur = self.conn.cursor()
        try:
            cur.execute(sql.replace("?", self.marker), tuple(params))
            return cur.fetchall()
        finally:
            cur.close()

    def close(self) -> None:
        self.conn.close()


def connect(url: str) -> _Driver | None:
    """The driver for a metadata store URL, or None when this path does not read that kind of store."""
    if url.startswith("sqlite:///") and "?" not in url and len(url) > len("sqlite:///"):
        import sqlite3
        from pathlib import Path

        path = Path(url[len("sqlite:///"):])
        if not path.is_file():
            return None
        try:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        except sqlite3.Error:
            return None
        return _Driver(conn, "?", decode_json=True, errors=(sqlite3.Error,))
    if url.startswith("postgresql+psycopg://"):
        import psycopg

        try:       # an option only SQLAlchemy knows, a server that does not answer: the full path words it
            conn = psycopg.connect("postgresql://" + url[len("postgresql+psycopg://"):], autocommit=True)
        except psycopg.Error:
            return None
        return _Driver(conn, "%s", decode_json=False, errors=(psycopg.Error,))
    return None


def _current(db: _Driver) -> bool:
    """Whether the store is at this program's migration head (else the full path decides what to do)."""
    from ..workspace import shipped_head

    head = shipped_head()
    try:
        found = db.rows("SELECT version_num FROM alembic_version")
    except db.errors:            # no version table (an empty store): the full path creates it
        return False
    return head is not None and [r[0] for r in found] == [head]


def _value(name: str, v: Any, decode_json: bool) -> Any:
    if v is None:
        return None
    if name in _JSON:
        return json.loads(v) if decode_json and isinstance(v, str) else v
    if name in _BOOL:
        return bool(v)
    if name in _TIME and isinstance(v, str):
        return datetime.fromisoformat(v)
    if name == "deadline" and isinstance(v, str):
        return date.fromisoformat(v)
    return v


def list_clues(settings: Any, *, username: str | None, model_id: str | None = None, state: str | None = None,
               subject: str | None = None, limit: int = 1000) -> list[dict] | None:
    """The clues ``clue list`` shows for these filters, as :meth:`ClueService.list` gives them to ``username``
    acting through :func:`shujian.cli.common.act_as` (None: the local operator, every clue in clear); read
    through the driver.  None when this path cannot answer (see the module docstring) — also for an
    unknown user or one whose roles lack ``clues.read``: the full path words (and audits) the refusal."""
    db = connect(settings.metadata_url)
    if db is None:
        return None
    try:
        if not _current(db) or not _audit_key_present(settings):
            return None
        scope = None
        if username:
            scope = _scope(db, username)
            if scope is None:
                return None
        rows = _select(db, scope, model_id=model_id, state=state, subject=subject, limit=limit)
    except db.errors:            # locked, unreadable, not the schema expected: the full path decides and words it
        return None
    finally:
        db.close()
    return _records(rows, db.decode_json, clear=scope is None)


def _scope(db: _Driver, username: str) -> Any:
    """The scope ``act_as`` gives ``username`` for ``clues.read`` (the access layer's :func:`scope_of` over the
    org tree read here), or None when they are unknown or lack the right."""
    from ..security.permissions import granted
    from ..security.scope import scope_of

    found = db.rows("SELECT org_id, roles FROM users WHERE username = ?", [username])
    if len(found) != 1:
        return None
    org_id, roles = found[0]
    roles = (json.loads(roles) if isinstance(roles, str) else roles) or []
    if not granted(tuple(roles), "clues.read"):
        return None
    tree = db.rows("SELECT id, parent_id FROM orgs") if org_id is not None else []
    return scope_of(username, org_id, roles, tree)


def _select(db: _Driver, scope: Any, *, model_id: str | None, state: str | None, subject: str | None,
            limit: int) -> list[tuple]:
    """The rows of one page: the access layer's condition for ``scope``, then the filters (as ClueFilter
    applies them), clue id order."""
    from ..security.clue_rules import clue_visibility_sql

    condition = clue_visibility_sql(scope)
    where, params = [condition] if condition else [], []
    if model_id:
        where.append("clues.model_id = ?")
        params.append(model_id)
    if state:
        states = state.split(",")
        where.append(f"clues.state IN ({', '.join('?' * len(states))})")
        params.extend(states)
    if subject:
        where.append("subjects.key = ?")
        params.append(subject)
    cols = ", ".join(f"clues.{c}" for c in CLUE_COLUMNS)
    sql = (f"SELECT {cols}, subjects.type, subjects.key, subjects.name, "
           "(SELECT count(*) FROM clue_runs WHERE clue_runs.clue_id = clues.id) "
           "FROM clues JOIN subjects ON subjects.id = clues.subject_id"
           + (" WHERE " + " AND ".join(f"({w})" for w in where) if where else "")
           + " ORDER BY clues.id ASC LIMIT ?")
    return db.rows(sql, [*params, int(limit)])


def _records(rows: list[tuple], decode_json: bool, *, clear: bool) -> list[dict]:
    """The rows as :func:`clue_record` dicts; masked by the access layer's :func:`present_clue` unless
    ``clear`` (the local operator), as ClueService.list does."""
    from ..security.clue_rules import present_clue

    out, n = [], len(CLUE_COLUMNS)
    for r in rows:
        c = SimpleNamespace(**{k: _value(k, v, decode_json) for k, v in zip(CLUE_COLUMNS, r[:n], strict=True)})
        c.subject = SimpleNamespace(type=r[n], key=r[n + 1], name=r[n + 2])
        raw = clue_record(c, int(r[n + 3]))
        out.append(raw if clear else present_clue(raw))
    return out


def _audit_key_present(settings: Any) -> bool:
    """Whether the audit key exists (``SHUJIAN_AUDIT_KEY`` or ``audit.key``, as security.audit.load_key reads
    it): the full path creates it on first use, so without it this path steps aside."""
    return bool(settings.audit_key) or (settings.home_path / "audit.key").is_file()
