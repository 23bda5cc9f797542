"""The audit hash chain on SQLite and PostgreSQL: verify, tampering found at the first broken link."""

from __future__ import annotations

import threading

from sqlalchemy import text

from shujian.db.models import AuditRecord
from shujian.security.audit import GENESIS, AuditLog, record_hash


def _fill(ws, n=6) -> AuditLog:
    log = AuditLog(ws)
    for i in range(n):
        log.append("data.preview", actor=f"user{i}", target=f"dataset:养老金发放#{i}", reason="核查",
                   detail={"rows": i, "列": ["身份证号"]})
    return log


def test_chain_links_each_record_to_the_previous(ws):
    log = _fill(ws)
    rows = list(reversed(log.search(limit=100)))
    assert rows[0]["prev_hash"] == GENESIS
    for prev, cur in zip(rows, rows[1:], strict=False):
        assert cur["prev_hash"] == prev["hash"]
    result = log.verify()
    assert result["ok"] and result["records"] == 6 and result["head"] == rows[-1]["hash"]


def test_altered_record_is_found(ws):
    log = _fill(ws)
    third = sorted(r["id"] for r in log.search())[2]
    with ws.db.unit_of_work() as s:
        s.query(AuditRecord).filter_by(id=third).update({"actor": "someone_else"})
    result = log.verify()
    assert not result["ok"] and result["broken_at"] == third and "内容被改动" in result["problem"]


def test_deleted_record_is_found_at_the_next_one(ws):
    log = _fill(ws)
    ids = sorted(r["id"] for r in log.search())
    with ws.db.unit_of_work() as s:
        s.execute(text("DELETE FROM audit_log WHERE id = :i"), {"i": ids[3]})
    result = log.verify()
    assert not result["ok"] and result["broken_at"] == ids[4]


def test_rewritten_record_with_recomputed_hash_is_found_at_itself(ws):
    """Without the audit key the forger cannot make a matching HMAC: the rewritten record itself fails."""
    log = _fill(ws)
    ids = sorted(r["id"] for r in log.search())
    with ws.db.unit_of_work() as s:
        rec = s.get(AuditRecord, ids[1])
        rec.reason = "伪造"
        values = {k: getattr(rec, k) for k in ("at", "actor", "org_id", "action", "target", "outcome", "reason",
                                                "detail", "ip", "algorithm")}
        rec.hash = record_hash(rec.prev_hash, values, "sm3")     # without the key: a plain hash
    result = log.verify()
    assert not result["ok"] and result["broken_at"] == ids[1]


def test_truncated_tail_is_found_against_a_saved_head(ws):
    log = _fill(ws)
    head = log.verify()["head"]
    last = max(r["id"] for r in log.search())
    with ws.db.unit_of_work() as s:
        s.execute(text("DELETE FROM audit_log WHERE id = :i"), {"i": last})
    assert not log.verify()["ok"]                    # the signed head in the database sees a removed tail …
    assert not log.verify(head)["ok"]                # … and so does a head hash kept elsewhere


def test_concurrent_writers_keep_one_chain(ws):
    log = AuditLog(ws)
    errors = []

    def write(i):
        try:
            for j in range(5):
                log.append("clue.view", actor=f"t{i}", target=f"clue:{j}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    result = log.verify()
    assert result["ok"] and result["records"] == 20
