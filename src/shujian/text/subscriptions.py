"""关键词订阅: a saved text rule over a message dataset, screened on every new version.

A prosecutor or an org subscribes a rule (a built-in one such as ``prepaid-card`` or their own) to
a message dataset (12345 工单).  Every new version — an import, a connector pull, a scheduled
re-import — is screened incrementally (``screening``); matches land in the subscriber's inbox:

* ``confirm`` mode: a list to judge in bulk — 确认为线索 makes clues, 排除 records a reason;
* ``clue`` mode: each match becomes a clue at once (its later 排除 in the clue workflow counts as
  a false positive of the rule).

The rule's measured precision is confirmed ÷ (confirmed + excluded).  The clues belong to the
generated model ``text-sub-<id>`` (one message = one clue, subject 工单 <dataset>:<编号>), carry
the message row as evidence and the match explanation as facts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from shujian.db.base import utcnow
from shujian.db.models import Dataset, DatasetVersion
from shujian.errors import InputError, NotFound
from shujian.security.access import check_owner, load_visible, restrict
from shujian.security.audit import record as audit
from shujian.security.scope import acting, current_scope
from shujian.spec.text import TextRule, first_error
from shujian.text import screening
from shujian.text.dictionary import user_words
from shujian.text.pushing import push_clues, subscription_model
from shujian.text.tables import TextMatch, TextScreening, TextSubscription
from shujian.workspace import Workspace

MODES = ("confirm", "clue")
TRIGGERS = ("subscribe", "import", "schedule", "manual")


class SubscriptionService:
    def __init__(self, ws: Workspace, clock: Callable[[], datetime] = utcnow):
        self.ws = ws
        self.clock = clock

    # -- subscriptions ----------------------------------------------------------------------------
    def create(self, *, name: str, dataset: str, text_fields: list[str], rule: dict | TextRule | None = None,
               rule_name: str | None = None, key_field: str | None = None, date_field: str | None = None,
               mode: str = "confirm", screen_now: bool = True) -> dict:
        """Save a subscription (checked against the dataset's columns) and screen the current data."""
        if mode not in MODES:
            raise InputError(f"推送方式“{mode}”无效", hint="confirm（列表确认）或 clue（直接生成线索）")
        parsed = _rule(rule, rule_name)
        self._check_columns(dataset, [*text_fields, *(f for f in (key_field, date_field) if f)])
        if not name.strip():
            raise InputError("订阅名称不能为空")
        username, org_id, _ = acting()
        with self.ws.db.unit_of_work() as s:
            sub = TextSubscription(name=name.strip()[:100], dataset=dataset, key_field=key_field,
                                   text_fields=list(text_fields), date_field=date_field,
                                   rule=parsed.model_dump(mode="json", exclude_defaults=True), rule_name=rule_name,
                                   mode=mode, owner=username if current_scope() else None, org_id=org_id)
            s.add(sub)
            s.flush()
            sub_id = sub.id
            audit(self.ws, "text.subscribe", target=f"subscription:{sub_id}",
                  detail={"dataset": dataset, "rule": rule_name or parsed.name, "mode": mode}, session=s)
        out = self.get(sub_id)
        if screen_now:
            out["screenings"] = self.screen(sub_id, trigger="subscribe")
        return out

    def list(self) -> list[dict]:
        with self.ws.db.unit_of_work() as s:
            subs = restrict(s.query(TextSubscription), TextSubscription).order_by(TextSubscription.id).all()
            return [_sub_dict(x, _counts(s, x.id)) for x in subs]

    def get(self, sub_id: int) -> dict:
        with self.ws.db.unit_of_work() as s:
            sub = self._sub(s, sub_id)
            return _sub_dict(sub, _counts(s, sub.id))

    def set_active(self, sub_id: int, active: bool) -> dict:
        with self.ws.db.unit_of_work() as s:
            self._sub(s, sub_id, write=True).active = active
        return self.get(sub_id)

    def delete(self, sub_id: int) -> None:
        with self.ws.db.unit_of_work() as s:
            s.delete(self._sub(s, sub_id, write=True))
            audit(self.ws, "text.unsubscribe", target=f"subscription:{sub_id}", session=s)
        with self.ws.warehouse() as con:
            screening.forget(con, sub_id)

    # -- screening --------------------------------------------------------------------------------
    def screen(self, sub_id: int, trigger: str = "manual") -> list[dict]:
        """Screen every version of the subscribed dataset imported since the last screening."""
        with self.ws.db.unit_of_work() as s:
            sub = self._sub(s, sub_id)
            if not sub.active:
                return []
            versions = _new_versions(s, sub)
        return [self._screen_version(sub_id, v, trigger) for v in versions]

    def screen_due(self, trigger: str = "schedule", dataset: str | None = None) -> list[dict]:
        """Screen every active subscription whose dataset has an unscreened version (called after
        an import and by the worker, which also sees connector pulls and scheduled re-imports)."""
        with self.ws.db.unit_of_work() as s:
            q = s.query(TextSubscription.id).filter(TextSubscription.active.is_(True))
            if dataset is not None:
                q = q.filter(TextSubscription.dataset == dataset)
            ids = [i for (i,) in q.order_by(TextSubscription.id)]
        out = []
        for sub_id in ids:
            out += self.screen(sub_id, trigger=trigger)
        return out

    def _screen_version(self, sub_id: int, version: tuple[int, int, str], trigger: str) -> dict:
        version_id, number, relation = version
        started = time.monotonic()
        with self.ws.db.unit_of_work() as s:
            sub = s.get(TextSubscription, sub_id)
            spec = _source_args(sub)
            rule = TextRule.model_validate(sub.rule)
        words = user_words(self.ws)
        with self.ws.warehouse() as con:
            result = screening.screen_version(con, subscription_id=sub_id, relation=relation, rule=rule,
                                              words=words, **spec)
        entry = self._store(sub_id, version_id, number, trigger, result, time.monotonic() - started)
        with self.ws.warehouse() as con:
            screening.mark_seen(con, subscription_id=sub_id, relation=relation, **spec)
        audit(self.ws, "text.screen", target=f"subscription:{sub_id}",
              detail={"version": number, "messages": result.messages, "matched": entry["matched"]})
        return entry

    def _store(self, sub_id: int, version_id: int, number: int, trigger: str,
               result: screening.Screened, seconds: float) -> dict:
        with self.ws.db.unit_of_work() as s:
            sub = s.get(TextSubscription, sub_id)
            known = {k for (k,) in s.query(TextMatch.message_key).filter(
                TextMatch.subscription_id == sub_id,
                TextMatch.message_key.in_([f.key for f in result.found] or [""]))}
            found = [f for f in result.found if f.key not in known]
            s.add(scr := TextScreening(
                subscription_id=sub_id, dataset_version_id=version_id, version=number, trigger=trigger,
                messages=result.messages, candidates=result.candidates, matched=len(found),
                seconds=round(seconds, 3), quality=result.quality.to_dict(), created_at=self.clock()))
            s.flush()
            matches = [TextMatch(subscription_id=sub_id, screening_id=scr.id, dataset_version_id=version_id,
                                 row_id=f.row_id, message_key=f.key[:128], message_date=(f.date or "")[:32] or None,
                                 excerpt=screening.excerpt(f.text, f.match), explain=f.match.to_dict(),
                                 words="、".join(f.match.words)[:500], merchant=(f.merchant or "")[:100] or None,
                                 status="pending", created_at=self.clock()) for f in found]
            s.add_all(matches)
            s.flush()
            if sub.mode == "clue" and matches:
                scr.run_id = push_clues(s, sub, matches, self.clock())
                for m in matches:
                    m.status = "pushed"
            sub.last_version_id = max(version_id, sub.last_version_id or 0)
            sub.last_screened_at = self.clock()
            return _screening_dict(scr)

    # -- the inbox --------------------------------------------------------------------------------
    def matches(self, sub_id: int, status: str | None = None, limit: int = 200, offset: int = 0) -> list[dict]:
        with self.ws.db.unit_of_work() as s:
            self._sub(s, sub_id)
            q = s.query(TextMatch).filter(TextMatch.subscription_id == sub_id)
            if status:
                q = q.filter(TextMatch.status == status)
            rows = q.order_by(TextMatch.id).offset(offset).limit(limit).all()
            states = _clue_states(s, [m.clue_id for m in rows if m.clue_id])
            return [_match_dict(m, states.get(m.clue_id)) for m in rows]

    def decide(self, sub_id: int, match_ids: list[int], action: str, reason: str | None = None) -> dict:
        """确认为线索 (``confirm``) or 排除 (``exclude``, with a reason) a batch of pending matches."""
        if action not in ("confirm", "exclude"):
            raise InputError(f"操作“{action}”无效", hint="confirm（确认为线索）或 exclude（排除）")
        if action == "exclude" and not (reason or "").strip():
            raise InputError("排除命中需要说明理由", hint="如：惯用语“少跑路”、与预付卡无关的话费充值")
        who = acting()[0]
        with self.ws.db.unit_of_work() as s:
            sub = self._sub(s, sub_id, write=True)
            rows = s.query(TextMatch).filter(TextMatch.subscription_id == sub_id, TextMatch.id.in_(match_ids)).all()
            missing = sorted(set(match_ids) - {m.id for m in rows})
            if missing:
                raise NotFound(f"订阅 {sub_id} 中没有命中 {'、'.join(map(str, missing[:10]))}")
            todo = [m for m in rows if m.status == "pending"]
            now = self.clock()
            for m in todo:
                m.status = "confirmed" if action == "confirm" else "excluded"
                m.reason, m.decided_by, m.decided_at = (reason or "").strip() or None, who, now
            run_id = push_clues(s, sub, todo, now) if action == "confirm" and todo else None
            done = {"decided": len(todo), "skipped": len(rows) - len(todo), "run_id": run_id}
            audit(self.ws, f"text.{action}", target=f"subscription:{sub_id}",
                  detail={"matches": [m.id for m in todo][:200], "reason": reason}, session=s)
        return {**done, "subscription": self.get(sub_id)}

    # -- helpers ----------------------------------------------------------------------------------
    def _sub(self, s, sub_id: int, *, write: bool = False) -> TextSubscription:
        sub = load_visible(s, current_scope(), TextSubscription, sub_id)     # another org's: as if missing
        if write:                                      # the subscriber, or a pool role of an org that sees it
            check_owner(s, sub, what=f"关键词订阅 {sub_id}（订阅人 {sub.owner}）")
        return sub

    def _check_columns(self, dataset: str, columns: list[str]) -> None:
        from shujian.catalog.service import CatalogService

        info = CatalogService(self.ws).describe(dataset)
        have = [c["name"] for c in info["columns"]]
        bad = [c for c in columns if c not in have]
        if bad:
            raise InputError(f"数据集“{dataset}”没有列 {'、'.join(bad)}", hint=f"现有列：{'、'.join(have)}")
        if not columns:
            raise InputError("至少指定一个文本列（如 详情）")


def _rule(rule: dict | TextRule | None, rule_name: str | None) -> TextRule:
    if isinstance(rule, TextRule):
        return rule
    if rule is None:
        if not rule_name:
            raise InputError("需要文本规则：指定内置规则名（如 prepaid-card）或给出规则", hint="shujian text rules")
        from shujian.text.library import get_rule

        return get_rule(rule_name)
    try:
        return TextRule.model_validate(rule)
    except ValidationError as exc:
        raise InputError(f"文本规则有误：{first_error(exc)}") from None


def _new_versions(s, sub: TextSubscription) -> list[tuple[int, int, str]]:
    ds = s.query(Dataset).filter_by(name=sub.dataset).one_or_none()
    if ds is None:
        return []
    q = s.query(DatasetVersion).filter(DatasetVersion.dataset_id == ds.id)
    if sub.last_version_id:
        q = q.filter(DatasetVersion.id > sub.last_version_id)
    return [(v.id, v.version, v.relation) for v in q.order_by(DatasetVersion.id)]


def _source_args(sub: TextSubscription) -> dict[str, Any]:
    return {"key_field": sub.key_field, "text_fields": list(sub.text_fields), "date_field": sub.date_field}


def _counts(s, sub_id: int) -> dict:
    from sqlalchemy import func

    by = dict(s.query(TextMatch.status, func.count()).filter(TextMatch.subscription_id == sub_id)
              .group_by(TextMatch.status).all())
    screened = s.query(func.coalesce(func.sum(TextScreening.messages), 0), func.count()).filter(
        TextScreening.subscription_id == sub_id).one()
    pushed_ids = [c for (c,) in s.query(TextMatch.clue_id).filter(
        TextMatch.subscription_id == sub_id, TextMatch.status == "pushed", TextMatch.clue_id.isnot(None))]
    states = _clue_states(s, pushed_ids)
    pushed_bad = sum(1 for st in states.values() if st == "排除")
    pushed_good = sum(1 for st in states.values() if st not in ("生成", "研判", "排除"))
    confirmed, excluded = by.get("confirmed", 0) + pushed_good, by.get("excluded", 0) + pushed_bad
    judged = confirmed + excluded
    return {"messages": int(screened[0]), "screenings": int(screened[1]), "matches": sum(by.values()),
            "pending": by.get("pending", 0), "confirmed": confirmed, "excluded": excluded,
            "pushed": by.get("pushed", 0), "precision": round(confirmed / judged, 4) if judged else None}


def _clue_states(s, clue_ids: list[int]) -> dict[int, str]:
    from shujian.db.models import Clue

    out: dict[int, str] = {}
    for i in range(0, len(clue_ids), 500):
        out.update(dict(s.query(Clue.id, Clue.state).filter(Clue.id.in_(clue_ids[i:i + 500])).all()))
    return out


def _sub_dict(x: TextSubscription, counts: dict) -> dict:
    return {"id": x.id, "name": x.name, "dataset": x.dataset, "key_field": x.key_field,
            "text_fields": x.text_fields, "date_field": x.date_field, "rule_name": x.rule_name,
            "rule": x.rule, "mode": x.mode, "owner": x.owner, "org_id": x.org_id, "active": x.active,
            "model_id": subscription_model_id(x.id),
            "last_screened_at": x.last_screened_at.isoformat() if x.last_screened_at else None, **counts}


def subscription_model_id(sub_id: int) -> str:
    return f"text-sub-{sub_id}"


def _screening_dict(x: TextScreening) -> dict:
    return {"screening_id": x.id, "subscription_id": x.subscription_id, "version": x.version,
            "trigger": x.trigger, "messages": x.messages, "candidates": x.candidates, "matched": x.matched,
            "seconds": x.seconds, "quality": x.quality, "run_id": x.run_id}


def _match_dict(m: TextMatch, clue_state: str | None) -> dict:
    from shujian.catalog.masking import mask_embedded
    from shujian.text.matcher import describe

    return {"id": m.id, "message_key": m.message_key, "date": m.message_date, "excerpt": mask_embedded(m.excerpt),
            "words": m.words, "merchant": m.merchant, "status": m.status, "reason": m.reason,
            "explain": m.explain, "explanation": describe(m.explain), "clue_id": m.clue_id,
            "clue_state": clue_state, "decided_by": m.decided_by, "row_id": m.row_id,
            "dataset_version_id": m.dataset_version_id}


__all__ = ["MODES", "SubscriptionService", "subscription_model", "subscription_model_id"]
