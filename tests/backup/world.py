"""A small but complete workspace for backup, restore and upgrade tests: orgs and users, two imported
datasets, a model run with clues, workflow events, an attachment and audit records."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from tests.runs.conftest import MODEL, custody_table, load, pension_table
from tests.workflow.conftest import Clock, seed_people

from shujian.clues.attachments import AttachmentService
from shujian.db.models import Clue
from shujian.runs.service import RunService
from shujian.spec import load_model
from shujian.workflow.service import WorkflowService

ATTACHMENT = "核查笔录（节选）：张三于2023年1月10日入所。\n".encode()


def build_world(ws) -> dict:
    """Fill ``ws``; returns what the tests compare after a restore."""
    seed_people(ws)
    load(ws, "监所在押人员", custody_table())
    load(ws, "养老金发放", pension_table())
    clock = Clock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    RunService(ws, clock=clock).run(load_model(MODEL))
    with ws.db.unit_of_work() as s:
        clue_ids = [c.id for c in s.query(Clue).order_by(Clue.id)]
    first = clue_ids[0]
    WorkflowService(ws, clock=clock).transition(first, "研判", "shi_shuzi", reason="线索属实，需核查")
    AttachmentService(ws).comment(first, "shi_shuzi", "附核查笔录", [("笔录.txt", io.BytesIO(ATTACHMENT))])
    return {"clue_ids": clue_ids, "first": first}
