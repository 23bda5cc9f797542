"""The clue store: one output row → one clue with a stable fingerprint, evidence and subject.

Re-running a model refreshes a known clue (last seen, run list) instead of duplicating it; a clue
excluded as a false positive (排除) stays suppressed unless its facts change.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import JSON, Column, MetaData, String, Table, and_, bindparam, exists, func, select
from sqlalchemy.orm import Session

from ..catalog.typeinfer import NULL_MARKERS
from ..db.base import utcnow
from ..db.models import Clue, ClueEvidence, Subject
from .render import json_value

MAX_EVIDENCE_PER_ROLE = 200
EXCLUDED_STATES = ("排除",)
KEYLESS_PREFIX = "无标识-"       # subject key of a row whose own key was empty (see keyless_key)


@dataclass
class ClueCandidate:
    model_id: str
    rule: str
    subject_type: str
    subject_key: str
    subject_name: str | None
    title: str
    facts: dict[str, Any]
    measure: str | None
    legal_basis: list[dict]
    evidence: list[tuple[str, str, int, int]] = field(default_factory=list)  # role, dataset, version_id, row_id
    keyless: bool = False          # the row's subject key was empty: subject_key is its keyless_key


@dataclass
class StoreResult:
    new: int = 0
    seen: int = 0
    reopened: int = 0
    suppressed: int = 0
    clue_ids: list[int] = field(default_factory=list)


def fingerprint(model_id: str, subject_type: str, subject_key: str, rule: str) -> str:
    """Stable identity of a clue: model id + subject + rule (not the facts, which may change)."""
    raw = "\x1f".join([model_id, subject_type, subject_key, rule])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def is_empty_key(value: Any) -> bool:
    """Whether a subject key is missing: None, blank or whitespace, or a null marker (无, 暂无, NULL, - …).

    >>> [is_empty_key(v) for v in (None, "", "  ", "无", " NULL ", "110105194912310021")]
    [True, True, True, True, True, False]
    """
    return value is None or str(value).strip() in NULL_MARKERS


def keyless_key(sources: list[tuple[int, int]], content: dict[str, Any]) -> str:
    """The identity of an output row whose subject key is empty: a hash of its source rows (dataset
    version id + row id, sorted), or of the row's own values when it names no source row.

    Deterministic: the same rows give the same clue on a re-run; two different rows never share one
    (rows without a key are not assumed to be the same person).
    """
    if sources:
        raw = "\x1f".join(f"{v}:{r}" for v, r in sorted(set(sources)))
    else:
        raw = json.dumps(json_value(content), sort_keys=True, ensure_ascii=False, default=str)
    return KEYLESS_PREFIX + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


def facts_hash(facts: dict) -> str:
    return _hash_json(json_value(facts))


# A number written with a point or an exponent inside a fact's text: "280000.0", "2.5E7", "0.30000000000000004"
_NUMBER_IN_TEXT = re.compile(r"(?<![A-Za-z\d.])-?(?:\d+\.\d+(?:[Ee][+-]?\d+)?|\d+[Ee][+-]?\d+)(?![A-Za-z\d.])")


def _canonical_number(m: re.Match) -> str:
    try:
        d = Decimal(m.group()).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return m.group()
    text = format(d, "f").rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _canonical(v: Any) -> Any:
    if isinstance(v, str):
        return _NUMBER_IN_TEXT.sub(_canonical_number, v)
    if isinstance(v, list):
        return [_canonical(x) for x in v]
    if isinstance(v, dict):
        return {k: _canonical(x) for k, x in v.items()}
    return v


def same_facts(old: dict, new: dict) -> bool:
    """Whether two facts say the same, numbers in text compared by value as the compiler now writes
    them (``dialects.number_text``): "已存280000.0元" (DuckDB before), "已存2.5E7元" (Spark before) and
    "已存280000元" are one fact.  So a re-run after that change does not reopen an excluded clue.

    >>> same_facts({"r": "已存280000.0元"}, {"r": "已存280000元"}), same_facts({"r": "1.5"}, {"r": "1.6"})
    (True, False)
    """
    return _canonical(json_value(old)) == _canonical(json_value(new))


def _stored_facts(conn, ids: list[int]) -> dict[int, dict]:
    """The stored facts of the clues ``ids`` (excluded clues whose facts hash differs: few)."""
    if not ids:
        return {}
    clues = Clue.__table__
    return {cid: facts for cid, facts in conn.execute(select(clues.c.id, clues.c.facts).where(clues.c.id.in_(ids)))}


def store_clues(session: Session, run_id: int, candidates: list[ClueCandidate]) -> StoreResult:
    """Write the clues of one run inside the caller's transaction (all or nothing)."""
    writer = ClueWriter(session, run_id)
    writer.add(candidates)
    return writer.result


class ClueWriter:
    """Stores the clues of one run, batch by batch, inside the caller's transaction — set-based.

    Per batch: subjects are inserted where missing with one ``INSERT … SELECT`` from a staged list;
    the batch's fingerprints are staged and joined with ``clues`` to find the known ones (dedup in
    SQL); new clues are inserted with one executemany; known ones are refreshed with one executemany
    per outcome; run links and evidence go in with ``COPY`` on PostgreSQL and executemany elsewhere.
    A fingerprint met again in a later batch of the same run refreshes that clue (the last row wins,
    as within one batch).
    """

    def __init__(self, session: Session, run_id: int, now=None):
        self.session, self.run_id, self.now = session, run_id, now or utcnow()
        self.result = StoreResult()
        self._stored: dict[str, int] = {}        # fingerprint → clue id, for clues of this run

    def add(self, candidates: list[ClueCandidate]) -> None:
        """Store one batch of candidates."""
        if not candidates:
            return
        self.session.flush()        # pending ORM changes (an exclusion in this session) are visible to SQL
        conn = self.session.connection()
        _create_stages(conn)
        fps: dict[str, ClueCandidate] = {}
        for c in candidates:
            fps[fingerprint(c.model_id, c.subject_type, c.subject_key, c.rule)] = c
        again = {fp: c for fp, c in fps.items() if fp in self._stored}
        fresh = {fp: c for fp, c in fps.items() if fp not in self._stored}
        facts = {fp: json_value(c.facts) for fp, c in fps.items()}
        hashes = {fp: _hash_json(f) for fp, f in facts.items()}
        if fresh:
            self._fresh(conn, fresh, facts, hashes)
        for fp, c in again.items():
            self._overwrite(conn, self._stored[fp], c, facts[fp], hashes[fp])
        self.session.expire_all()   # ORM objects loaded before see the new state

    # -- steps ------------------------------------------------------------------------------------
    def _fresh(self, conn, fresh: dict[str, ClueCandidate], facts: dict, hashes: dict) -> None:
        subjects = _subject_ids(conn, {(c.subject_type, c.subject_key): c.subject_name for c in fresh.values()})
        conn.execute(_STAGE_FP.delete())
        _copy_rows(conn, "shujian_stage_fp", ("fp",), [(fp,) for fp in fresh])
        clues = Clue.__table__
        joined = select(clues.c.id, clues.c.fingerprint, clues.c.facts_hash, clues.c.suppressed).join(
            _STAGE_FP, _STAGE_FP.c.fp == clues.c.fingerprint)
        known = {fp: (cid, fh, bool(sup)) for cid, fp, fh, sup in conn.execute(joined)}
        self._refresh(conn, known, fresh, facts, hashes)
        new = [(fp, c) for fp, c in fresh.items() if fp not in known]
        if new:
            self._insert(conn, new, subjects, facts, hashes)
            ids = {fp: cid for cid, fp in conn.execute(select(clues.c.id, clues.c.fingerprint).join(
                _STAGE_FP, _STAGE_FP.c.fp == clues.c.fingerprint))}
        else:
            ids = {fp: k[0] for fp, k in known.items()}
        run_id = self.run_id
        links, evidence = [], []
        for fp, c in fresh.items():
            cid = ids[fp]
            self._stored[fp] = cid
            self.result.clue_ids.append(cid)
            links.append((cid, run_id))
            evidence += [(cid, run_id, role, ds, vid, rid) for role, ds, vid, rid in c.evidence]
        _copy_rows(conn, "clue_runs", ("clue_id", "run_id"), links)
        _copy_rows(conn, "clue_evidence", _EVIDENCE_COLUMNS, evidence)

    def _insert(self, conn, new: list[tuple[str, ClueCandidate]], subjects: dict, facts: dict,
                hashes: dict) -> None:
        """New clues in one bulk insert; values converted as SQLAlchemy would store them."""
        col = Clue.__table__.c
        now, run_id = _bound(conn, col.first_seen, self.now), self.run_id
        state, suppressed = _bound(conn, col.state, "生成"), _bound(conn, col.suppressed, False)
        dumps = _json_dumps(conn)
        basis: dict[int, str] = {}       # the same legal basis list is serialised once
        rows = []
        for fp, c in new:
            lb = basis.get(id(c.legal_basis))
            if lb is None:
                lb = basis[id(c.legal_basis)] = dumps(c.legal_basis)
            rows.append((fp, c.model_id, c.rule, subjects[(c.subject_type, c.subject_key)], c.title,
                         dumps(facts[fp]), hashes[fp], c.measure, lb, state, suppressed, run_id, run_id,
                         now, now, 1))
        _copy_rows(conn, "clues", _CLUE_COLUMNS, rows)
        self.result.new += len(rows)

    def _refresh(self, conn, known: dict, fresh: dict, facts: dict, hashes: dict) -> None:
        """Known clues: last seen, run, count; facts unless suppressed and unchanged; reopen if changed."""
        clues = Clue.__table__
        quiet, seen, reopened, restated = [], [], [], []
        stored = _stored_facts(conn, [cid for fp, (cid, fh, sup) in known.items() if sup and fh != hashes[fp]])
        for fp, (cid, old_hash, suppressed) in known.items():
            c, changed = fresh[fp], old_hash != hashes[fp]
            if suppressed and not changed:
                quiet.append({"_id": cid})
                continue
            row = {"_id": cid, "title": c.title, "facts": facts[fp], "facts_hash": hashes[fp]}
            if suppressed and same_facts(stored[cid] or {}, facts[fp]):
                restated.append(row)        # only the writing of a number changed: stays excluded
                continue
            (reopened if suppressed else seen).append(row)
        self.result.suppressed += len(quiet) + len(restated)
        self.result.seen += len(seen)
        self.result.reopened += len(reopened)
        base = {"last_seen": self.now, "last_run_id": self.run_id, "seen_count": clues.c.seen_count + 1}
        where = clues.c.id == bindparam("_id")
        if quiet:
            conn.execute(clues.update().where(where).values(**base), quiet)
        for rows in (seen, restated):       # restated: the new writing is kept, the clue stays excluded
            if rows:
                conn.execute(clues.update().where(where).values(**base, title=bindparam("title"),
                                                                facts=bindparam("facts", type_=JSON),
                                                                facts_hash=bindparam("facts_hash")), rows)
        if reopened:
            # The facts differ from those judged a false positive: raise it again for 研判.
            conn.execute(clues.update().where(where).values(**base, title=bindparam("title"),
                                                            facts=bindparam("facts", type_=JSON),
                                                            facts_hash=bindparam("facts_hash"),
                                                            suppressed=False, state="生成"), reopened)

    def _overwrite(self, conn, clue_id: int, c: ClueCandidate, facts: dict, fh: str) -> None:
        """A fingerprint seen again later in the same run: its last row's title, facts and evidence."""
        clues, ev = Clue.__table__, ClueEvidence.__table__
        conn.execute(clues.update().where(clues.c.id == clue_id).values(title=c.title, facts=facts, facts_hash=fh))
        conn.execute(ev.delete().where(ev.c.clue_id == clue_id, ev.c.run_id == self.run_id))
        _copy_rows(conn, "clue_evidence", _EVIDENCE_COLUMNS,
                   [(clue_id, self.run_id, role, ds, vid, rid) for role, ds, vid, rid in c.evidence])


_CLUE_COLUMNS = ("fingerprint", "model_id", "rule", "subject_id", "title", "facts", "facts_hash", "measure",
                 "legal_basis", "state", "suppressed", "first_run_id", "last_run_id", "first_seen", "last_seen",
                 "seen_count")
_EVIDENCE_COLUMNS = ("clue_id", "run_id", "role", "dataset", "dataset_version_id", "row_id")
_STAGES = MetaData()
_STAGE_FP = Table("shujian_stage_fp", _STAGES, Column("fp", String(64), primary_key=True),
                  prefixes=["TEMPORARY"])
_STAGE_SUBJECT = Table("shujian_stage_subject", _STAGES, Column("type", String(16), primary_key=True),
                       Column("key", String(128), primary_key=True), Column("name", String(128)),
                       prefixes=["TEMPORARY"])


def _create_stages(conn) -> None:
    """The temporary tables a batch is staged in (per connection; dropped at commit on PostgreSQL)."""
    pg = conn.dialect.name == "postgresql"
    tail = " ON COMMIT DROP" if pg else ""
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE IF NOT EXISTS shujian_stage_fp (fp VARCHAR(64) PRIMARY KEY){tail}")
    conn.exec_driver_sql("CREATE TEMPORARY TABLE IF NOT EXISTS shujian_stage_subject (type VARCHAR(16), "
                         f"key VARCHAR(128), name VARCHAR(128), PRIMARY KEY (type, key)){tail}")


def _subject_ids(conn, keys: dict[tuple[str, str], str | None]) -> dict[tuple[str, str], int]:
    """Subject id of each (type, key): missing subjects inserted, missing names filled — in SQL."""
    subjects, stage = Subject.__table__, _STAGE_SUBJECT
    conn.execute(stage.delete())
    _copy_rows(conn, "shujian_stage_subject", ("type", "key", "name"), [(t, k, n) for (t, k), n in keys.items()])
    match = and_(subjects.c.type == stage.c.type, subjects.c.key == stage.c.key)
    missing = select(stage.c.type, stage.c.key, stage.c.name).where(~exists().where(match))
    conn.execute(subjects.insert().from_select(["type", "key", "name"], missing))
    named = select(stage.c.name).where(match, stage.c.name.is_not(None))
    conn.execute(subjects.update().where(subjects.c.name.is_(None), exists(named))
                 .values(name=named.scalar_subquery()))
    rows = conn.execute(select(subjects.c.id, subjects.c.type, subjects.c.key).join(stage, match))
    return {(t, k): sid for sid, t, k in rows}


def _copy_rows(conn, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Bulk insert of plain values: ``COPY`` on PostgreSQL, the driver's executemany elsewhere."""
    if not rows:
        return
    raw = conn.connection.driver_connection
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    cur = raw.cursor()
    try:
        cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", rows)
    finally:
        cur.close()


def _bound(conn, column, value):
    """``value`` as SQLAlchemy binds it for ``column`` on this connection's database (dates, booleans)."""
    proc = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return proc(value) if proc else value


def _json_dumps(conn):
    """The JSON serialiser SQLAlchemy uses for JSON columns on this connection (``json.dumps`` unless set)."""
    return getattr(conn.dialect, "_json_serializer", None) or json.dumps


def _hash_json(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def exclude(session: Session, clue_id: int, reason: str) -> Clue:
    """Mark a clue as a false positive (排除): it stays suppressed on re-runs unless facts change.

    The full workflow (with roles, 误报类型 and events) lives in the clue-workflow service; this is
    the minimal transition the engine needs for suppression.
    """
    clue = session.get(Clue, clue_id)
    clue.state, clue.suppressed = "排除", True
    return clue


def orphan_evidence(session: Session) -> dict[str, int]:
    """Evidence rows whose clue or run is missing (``shujian db check``).  ``clue_evidence`` has no
    foreign keys (migration 0013): :class:`ClueWriter` writes evidence only for its own clues and run in
    one transaction, and no code deletes clues or runs; this finds what hand-written SQL may have left."""
    from ..db.models import Run

    ev = ClueEvidence.__table__
    no_clue = select(func.count()).select_from(ev).where(~exists().where(Clue.__table__.c.id == ev.c.clue_id))
    no_run = select(func.count()).select_from(ev).where(~exists().where(Run.__table__.c.id == ev.c.run_id))
    return {"without_clue": session.execute(no_clue).scalar() or 0,
            "without_run": session.execute(no_run).scalar() or 0}
