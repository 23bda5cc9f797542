"""The clue store: one output row → one clue with a stable fingerprint, evidence and subject.

Re-running a model refreshes a known clue (last seen, run list) instead of duplicating it; a clue
excluded as a false positive (排除) stays suppressed unless its facts change.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from ..catalog.typeinfer import NULL_MARKERS
from ..db.base import utcnow
from ..db.models import Clue, ClueEvidence, ClueRun, Subject
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
    return hashlib.sha256(json.dumps(json_value(facts), sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def store_clues(session: Session, run_id: int, candidates: list[ClueCandidate]) -> StoreResult:
    """Write the clues of one run inside the caller's transaction (all or nothing)."""
    result = StoreResult()
    subjects = _subjects(session, candidates)
    fps = {fingerprint(c.model_id, c.subject_type, c.subject_key, c.rule): c for c in candidates}
    existing = _existing(session, list(fps))
    now = utcnow()
    for fp, cand in fps.items():
        fh = facts_hash(cand.facts)
        clue = existing.get(fp)
        if clue is None:
            clue = Clue(fingerprint=fp, model_id=cand.model_id, rule=cand.rule,
                        subject_id=subjects[(cand.subject_type, cand.subject_key)].id, title=cand.title,
                        facts=json_value(cand.facts), facts_hash=fh, measure=cand.measure,
                        legal_basis=cand.legal_basis, state="生成", first_run_id=run_id, last_run_id=run_id,
                        first_seen=now, last_seen=now, seen_count=1)
            session.add(clue)
            session.flush()
            result.new += 1
        else:
            _refresh(clue, cand, fh, run_id, now, result)
        session.add(ClueRun(clue_id=clue.id, run_id=run_id))
        for role, dataset, version_id, row_id in cand.evidence:
            session.add(ClueEvidence(clue_id=clue.id, run_id=run_id, role=role, dataset=dataset,
                                     dataset_version_id=version_id, row_id=row_id))
        result.clue_ids.append(clue.id)
    return result


def _refresh(clue: Clue, cand: ClueCandidate, fh: str, run_id: int, now, result: StoreResult) -> None:
    changed = clue.facts_hash != fh
    clue.last_seen, clue.last_run_id, clue.seen_count = now, run_id, clue.seen_count + 1
    if clue.suppressed and not changed:
        result.suppressed += 1
        return
    if clue.suppressed and changed:
        # The facts differ from those judged a false positive: raise it again for 研判.
        clue.suppressed, clue.state = False, "生成"
        result.reopened += 1
    else:
        result.seen += 1
    clue.title, clue.facts, clue.facts_hash = cand.title, json_value(cand.facts), fh


def _subjects(session: Session, candidates: list[ClueCandidate]) -> dict[tuple[str, str], Subject]:
    keys = {(c.subject_type, c.subject_key): c.subject_name for c in candidates}
    found: dict[tuple[str, str], Subject] = {}
    by_type: dict[str, list[str]] = {}
    for t, k in keys:
        by_type.setdefault(t, []).append(k)
    for t, ks in by_type.items():
        for chunk in _chunks(ks, 500):
            for s in session.query(Subject).filter(Subject.type == t, Subject.key.in_(chunk)):
                found[(s.type, s.key)] = s
    for (t, k), name in keys.items():
        if (t, k) not in found:
            s = Subject(type=t, key=k, name=name)
            session.add(s)
            found[(t, k)] = s
        elif name and not found[(t, k)].name:
            found[(t, k)].name = name
    session.flush()
    return found


def _existing(session: Session, fps: list[str]) -> dict[str, Clue]:
    out: dict[str, Clue] = {}
    for chunk in _chunks(fps, 500):
        for c in session.query(Clue).filter(Clue.fingerprint.in_(chunk)):
            out[c.fingerprint] = c
    return out


def _chunks(items: list, n: int):
    for i in range(0, len(items), n):
        yield items[i:i + n]


def exclude(session: Session, clue_id: int, reason: str) -> Clue:
    """Mark a clue as a false positive (排除): it stays suppressed on re-runs unless facts change.

    The full workflow (with roles, 误报类型 and events) lives in the clue-workflow service; this is
    the minimal transition the engine needs for suppression.
    """
    clue = session.get(Clue, clue_id)
    clue.state, clue.suppressed = "排除", True
    return clue
