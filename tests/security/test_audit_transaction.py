"""Issue 14 finding 11: a change and its audit record are one transaction.

The bulk transition used to commit the clues' moves and then append one audit record per clue in
transactions of their own: a ``kill -9`` between the two left 3,000 clues moved and 1,236 records (here: 1,000 clues, killed the moment the first move shows).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from tests.workflow.conftest import make_clues, seed_people

from shujian.db.models import AuditRecord, Clue
from shujian.security.audit import AuditLog
from shujian.workflow.service import WorkflowService

N = 1000
SCRIPT = """
import sys
from shujian.workspace import open_workspace
from shujian.workflow.service import WorkflowService
ws = open_workspace()
ids = [int(x) for x in open(sys.argv[1]).read().split()]
print("start", flush=True)
WorkflowService(ws).bulk(ids, "研判", "shi_shuzi")
print("done", flush=True)
"""


def _counts(db) -> tuple[int, int]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        moved = con.execute("SELECT count(*) FROM clues WHERE state = '研判'").fetchone()[0]
        audited = con.execute("SELECT count(*) FROM audit_log WHERE action = 'clue.transition'").fetchone()[0]
    finally:
        con.close()
    return moved, audited


def test_kill_9_in_a_bulk_transition_leaves_as_many_records_as_moves(sqlite_ws, tmp_path):
    from tests.runs.conftest import MODEL

    from shujian.spec import load_model

    seed_people(sqlite_ws)
    ids = make_clues(sqlite_ws, load_model(MODEL), N)
    id_file = tmp_path / "ids.txt"
    id_file.write_text(" ".join(map(str, ids)))
    db = sqlite_ws.home / "metadata.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(id_file)], env=os.environ.copy(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "start"
        # kill the writer the moment the first moved clue is visible (the old code then still had
        # thousands of audit records to write), or at once when it has finished
        while proc.poll() is None and _counts(db)[0] == 0:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    moved, audited = _counts(db)
    assert moved in (0, N)
    assert moved == audited
    assert AuditLog(sqlite_ws).verify()["ok"]


def test_a_refused_bulk_writes_neither_moves_nor_records(ws):
    from tests.runs.conftest import MODEL

    from shujian.spec import load_model
    from shujian.workflow.service import TransitionRefused

    seed_people(ws)
    ids = make_clues(ws, load_model(MODEL), 3)
    wf = WorkflowService(ws)
    wf.transition(ids[0], "排除", "shi_shuzi", exclusion_type="重复")
    before = len(AuditLog(ws).search(action="clue.transition"))
    with pytest.raises(TransitionRefused):
        wf.bulk(ids, "研判", "shi_shuzi")
    assert len(AuditLog(ws).search(action="clue.transition")) == before


def test_a_failing_audit_write_rolls_the_transition_back(ws):
    """The audit record is part of the change: if it cannot be written, the clue does not move."""
    from tests.runs.conftest import MODEL

    from shujian.errors import ConfigError
    from shujian.spec import load_model

    seed_people(ws)
    ids = make_clues(ws, load_model(MODEL), 1)
    with ws.db.unit_of_work() as s:                # the chain head is gone: appending is refused
        s.execute(AuditRecord.__table__.delete())
        from sqlalchemy import text
        s.execute(text("DELETE FROM audit_head"))
    with pytest.raises(ConfigError):
        WorkflowService(ws).transition(ids[0], "研判", "shi_shuzi")
    with ws.db.unit_of_work() as s:
        assert s.get(Clue, ids[0]).state == "生成"
