"""Issue 14 finding 11: the keyed audit chain (HMAC-SM3, key outside the database) and its signed head.

Someone who can write the metadata store but cannot read the audit key appends a forged record,
recomputes the chain, removes the tail or empties the table: ``audit verify`` without ``--head`` finds
each.  Records written before the key existed stay verifiable after the upgrade.
"""

from __future__ import annotations

import stat
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import text

from shujian.config import load_settings
from shujian.db.models import AuditHead, AuditRecord
from shujian.db.session import alembic_config, make_engine
from shujian.security.audit import _FIELDS, GENESIS, KEY_FILE, AuditLog, record_hash
from shujian.workspace import Workspace

AT = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _fill(ws, n=5) -> AuditLog:
    log = AuditLog(ws)
    for i in range(n):
        log.append("clue.view", actor=f"user{i}", target=f"clue:{i}", detail={"via": "test"})
    return log


def _values(rec: AuditRecord) -> dict:
    return {k: getattr(rec, k) for k in _FIELDS}


def test_the_key_lives_in_a_0600_file_outside_the_database(ws):
    _fill(ws, 1)
    path = ws.home / KEY_FILE
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = path.read_text().strip()
    with ws.db.engine.connect() as conn:
        dumped = " ".join(str(r) for t in ("audit_log", "audit_head") for r in conn.execute(text(f"SELECT * FROM {t}")))
    assert secret not in dumped
    rows = AuditLog(ws).search()
    assert rows and all(r["hash"] != record_hash(r["prev_hash"], {}, "sm3") for r in rows)


def test_an_appended_forged_record_is_found_without_head(ws):
    log = _fill(ws)
    with ws.db.unit_of_work() as s:
        last = s.query(AuditRecord).order_by(AuditRecord.id.desc()).first()
        values = {**_values(last), "actor": "forger", "algorithm": "sm3"}
        s.add(AuditRecord(**values, prev_hash=last.hash, hash=record_hash(last.hash, values, "sm3")))
    result = log.verify()
    assert not result["ok"] and "无密钥记录" in result["problem"]


def test_a_forged_record_under_a_guessed_key_is_found(ws):
    log = _fill(ws)
    with ws.db.unit_of_work() as s:
        last = s.query(AuditRecord).order_by(AuditRecord.id.desc()).first()
        values = {**_values(last), "actor": "forger"}
        s.add(AuditRecord(**values, prev_hash=last.hash, hash=record_hash(last.hash, values, key=b"x" * 32)))
    result = log.verify()
    assert not result["ok"] and "伪造" in result["problem"]


def test_a_recomputed_chain_is_found_without_head(ws):
    """The forger rewrites record 2 and recomputes every hash after it, and the head's count and hash."""
    log = _fill(ws)
    with ws.db.unit_of_work() as s:
        recs = s.query(AuditRecord).order_by(AuditRecord.id).all()
        recs[1].reason = "伪造的事由"
        prev = recs[0].hash
        for rec in recs[1:]:
            rec.algorithm = "sm3"
            rec.prev_hash, rec.hash = prev, None
            rec.hash = record_hash(prev, _values(rec), "sm3")
            prev = rec.hash
        s.query(AuditHead).update({"last_hash": prev})
    assert not log.verify()["ok"]


def test_a_deleted_tail_is_found_without_head(ws):
    log = _fill(ws)
    assert log.verify()["ok"]
    with ws.db.unit_of_work() as s:
        last = s.query(AuditRecord.id).order_by(AuditRecord.id.desc()).limit(2).all()
        s.execute(text("DELETE FROM audit_log WHERE id IN (:a, :b)"), {"a": last[0][0], "b": last[1][0]})
    result = log.verify()
    assert not result["ok"] and "末尾 2 条记录被删除" in result["problem"]


def test_a_deleted_tail_with_the_head_set_back_is_found(ws):
    log = _fill(ws)
    with ws.db.unit_of_work() as s:
        recs = s.query(AuditRecord).order_by(AuditRecord.id).all()
        s.delete(recs[-1])
        s.query(AuditHead).update({"records": len(recs) - 1, "last_hash": recs[-2].hash})
    result = log.verify()
    assert not result["ok"] and "签名无效" in result["problem"]


@pytest.mark.parametrize("also_head", [False, True])
def test_an_emptied_table_is_found_without_head(ws, also_head):
    log = _fill(ws)
    with ws.db.unit_of_work() as s:
        s.execute(text("DELETE FROM audit_log"))
        if also_head:
            s.execute(text("DELETE FROM audit_head"))
    result = log.verify()
    assert not result["ok"] and result["records"] == 0 and ("清空" in result["problem"])


def test_appending_after_truncation_does_not_bless_the_truncated_chain(ws):
    log = _fill(ws)
    with ws.db.unit_of_work() as s:
        last = s.query(AuditRecord.id).order_by(AuditRecord.id.desc()).first()[0]
        s.execute(text("DELETE FROM audit_log WHERE id = :i"), {"i": last})
    log.append("login", actor="someone")                      # the next ordinary record
    result = log.verify()
    assert not result["ok"] and "签名无效" in result["problem"]


def test_a_missing_key_is_reported_not_passed(ws):
    log = _fill(ws)
    (ws.home / KEY_FILE).unlink()
    result = log.verify()
    assert not result["ok"] and "密钥" in result["problem"]


def test_records_from_before_the_key_stay_verifiable(metadata_url, tmp_path, monkeypatch):
    """A store at 0010 with an unkeyed chain is upgraded: old records verify, new ones are keyed, and a
    change to an old record is still found."""
    monkeypatch.setenv("SHUJIAN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SHUJIAN_DATABASE_URL", metadata_url)
    engine = make_engine(metadata_url)
    cfg = alembic_config(str(engine.url))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0010_page_indexes")
        prev = GENESIS
        for i in range(3):          # the old program's records: unkeyed SM3
            values = {"at": AT, "actor": f"old{i}", "org_id": None, "action": "login", "target": None,
                      "outcome": "成功", "reason": None, "detail": {}, "ip": None, "algorithm": "sm3"}
            h = record_hash(prev, values, "sm3")
            conn.execute(text("INSERT INTO audit_log (at, actor, action, outcome, detail, algorithm, prev_hash, hash)"
                              " VALUES (:at, :a, 'login', '成功', '{}', 'sm3', :p, :h)"),
                         {"at": AT, "a": f"old{i}", "p": prev, "h": h})
            prev = h
    engine.dispose()
    ws = Workspace(load_settings())
    try:
        before = ws.upgrade()
        assert before.current == "0010_page_indexes"
        log = AuditLog(ws)
        assert log.verify()["ok"] and log.verify()["records"] == 3
        log.append("login", actor="new")
        result = log.verify()
        assert result["ok"] and result["records"] == 4 and result["keyed"]
        with ws.db.unit_of_work() as s:
            s.query(AuditRecord).filter_by(actor="old1").update({"actor": "changed"})
        assert not log.verify()["ok"]
    finally:
        ws.close()


def test_seal_refuses_a_tampered_chain_and_signs_a_sound_one(ws):
    from shujian.errors import ConfigError

    log = _fill(ws)
    with ws.db.unit_of_work() as s:
        s.query(AuditHead).update({"signature": None})
    assert not log.verify()["ok"]
    assert log.seal()["records"] == 5
    assert log.verify()["ok"]
    with ws.db.unit_of_work() as s:
        s.query(AuditRecord).filter_by(actor="user2").update({"actor": "x"})
    with pytest.raises(ConfigError):
        log.seal()
