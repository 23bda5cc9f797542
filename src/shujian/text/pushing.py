"""Matches → clues (推送线索): one clue per message, in the subscriber's inbox.

The clues belong to the generated model ``text-sub-<id>`` — the subscription written in the model
language (one ``text`` step over the dataset) — so they have a model version, a run, evidence rows
and fingerprints like any other clue: a message pushed twice is one clue, and a clue excluded as a
false positive stays suppressed.
"""

from __future__ import annotations

import os
from datetime import datetime

from shujian.clues.store import ClueCandidate, store_clues
from shujian.db.models import Clue, Run, User
from shujian.runs.models import record_version
from shujian.spec import Model, load_model
from shujian.text.matcher import describe
from shujian.text.tables import TextMatch, TextSubscription

ROLE = "messages"


def subscription_model(sub: TextSubscription) -> Model:
    """The subscription as a model: its rule as a ``text`` step over the subscribed dataset."""
    fields = {f"text{i + 1}": f for i, f in enumerate(sub.text_fields)}
    if sub.key_field:
        fields["message_key"] = sub.key_field
    step: dict = {"id": "matched", "from": ROLE, "text": {"fields": list(fields)[:len(sub.text_fields)],
                                                           "rule": sub.rule, "merchant": "merchant"}}
    key = "message_key" if sub.key_field else "text_match"
    return load_model({
        "id": f"text-sub-{sub.id}", "name": f"关键词订阅：{sub.name}", "line": "公益诉讼检察",
        "point": "12345 热线文本筛查", "description": f"订阅数据集“{sub.dataset}”的新工单，按文本规则筛查命中。",
        "rule_text": describe({"rule": sub.rule.get("name", sub.name), "matched": True, "hits": []}),
        "inputs": {ROLE: {"dataset": sub.dataset, "fields": fields}},
        "steps": [step],
        "output": {"subject": {"type": "case", "key": key}, "title": "关键词订阅命中：{text_words}",
                   "facts": ["text_words", "text_match", "merchant"]},
    })


def push_clues(s, sub: TextSubscription, matches: list[TextMatch], now: datetime) -> int:
    """Create (or refresh) the clues of ``matches`` in session ``s``; returns the run id."""
    model = subscription_model(sub)
    mv = record_version(s, model, builtin=False)
    run = Run(model_id=model.id, model_version_id=mv.id, model_hash=mv.hash, params={},
              dataset_versions={ROLE: {"dataset": sub.dataset, "version_id": matches[0].dataset_version_id}},
              engine="text", sql=f"-- 关键词订阅 {sub.id}：文本规则在 Python 中逐条筛查（shujian.text.screening）",
              status="succeeded", pid=os.getpid(), started_at=now, finished_at=now, seconds=0.0,
              rows_scanned=len(matches), rows_out=len(matches), org_id=sub.org_id)
    s.add(run)
    s.flush()
    stored = store_clues(s, run.id, [_candidate(sub, model, m) for m in matches])
    run.clues_new, run.clues_seen = stored.new, stored.seen + stored.suppressed + stored.reopened
    owner = s.query(User).filter_by(username=sub.owner).one_or_none() if sub.owner else None
    for match, clue_id in zip(matches, stored.clue_ids, strict=True):
        match.clue_id = clue_id
        clue = s.get(Clue, clue_id)
        if clue.org_id is None:              # the subscriber's inbox: their org, themselves
            clue.org_id = sub.org_id
            clue.assignee_id = owner.id if owner is not None else None
    return run.id


def _candidate(sub: TextSubscription, model: Model, m: TextMatch) -> ClueCandidate:
    explanation = describe(m.explain)
    facts = {"工单编号": m.message_key, "受理时间": m.message_date, "命中词": m.words,
             "命中解释": explanation, "被反映对象": m.merchant, "工单摘要": m.excerpt,
             "订阅": sub.name}
    title = f"关键词订阅“{sub.name}”命中工单 {m.message_key}：{m.words}"
    if m.merchant:
        title += f"（{m.merchant}）"
    return ClueCandidate(
        model_id=model.id, rule=(sub.rule.get("name") or "R1")[:64], subject_type="case",
        subject_key=f"{sub.dataset}:{m.message_key}", subject_name=f"{sub.dataset} {m.message_key}",
        title=title[:500], facts=facts, measure=None, legal_basis=[],
        evidence=[(ROLE, sub.dataset, m.dataset_version_id, m.row_id)])
