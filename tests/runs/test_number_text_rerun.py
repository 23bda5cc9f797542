"""A re-run after numbers in explanations changed their writing ("合计8000.0元" → "合计8000元",
``compiler.dialects.number_text``) refreshes the stored clues: no duplicate, and a clue excluded (排除)
as a false positive stays excluded — only the writing of a number changed, not a fact."""

from __future__ import annotations

from sqlalchemy import update

from shujian.clues.service import ClueService
from shujian.clues.store import facts_hash
from shujian.db.models import Clue
from shujian.runs.service import RunService
from shujian.spec import load_model

from .conftest import MODEL, B


def _model():
    text = MODEL.read_text(encoding="utf-8").replace("output:", """  - id: explained
    derive:
      columns:
        reason: "concat('领取', cast(months as varchar), '个月，合计', cast(total as varchar), '元')"
output:""").replace("facts: [months, total, first_month]", "facts: [months, total, first_month, reason]")
    return load_model(text)


def _stored_as_before(ws) -> None:
    """The clues as the compiler before number_text stored them: "合计8000.0元" and its facts hash."""
    with ws.db.unit_of_work() as s:
        for clue in s.query(Clue).all():
            facts = dict(clue.facts, reason=clue.facts["reason"].replace("元", ".0元"))
            s.execute(update(Clue).where(Clue.id == clue.id).values(facts=facts, facts_hash=facts_hash(facts)))


def test_rerun_after_number_writing_changed_keeps_clues_and_exclusions(city):
    svc, clues = RunService(city), ClueService(city)
    svc.run(_model())
    reasons = {c["subject"]["key"]: c["facts"]["reason"] for c in clues.list()}
    assert reasons[B] == "领取4个月，合计8000元"                       # not 8000.0元
    _stored_as_before(city)
    b = next(c for c in clues.list() if c["subject"]["key"] == B)
    assert b["facts"]["reason"] == "领取4个月，合计8000.0元"
    clues.exclude(b["clue_id"], "已整改")

    again = svc.run(_model())
    after = {c["subject"]["key"]: c for c in clues.list()}
    assert (again.clues_new, len(after)) == (0, 2)                    # no duplicate clue
    assert after[B]["state"] == "排除"                                 # not reopened for 研判
    assert all(c["facts"]["reason"].endswith("000元") and ".0" not in c["facts"]["reason"] for c in after.values())
