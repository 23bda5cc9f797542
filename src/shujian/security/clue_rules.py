"""The access layer's clue rules that need no SQLAlchemy — part of :mod:`shujian.security.access`.

Two rules live here, each written once and used by every surface: which clues a scope may see, as SQL
text; and how a clue is presented to a viewer without clearance (subject, title and personal facts
masked: :func:`present_clue`, re-exported by ``access``).

The one decision "which clues may this scope see" is written once, here, as a condition on the ``clues``
table (and the ``runs`` table for the 线索池).  The ORM surfaces use it through
:func:`shujian.security.access.clue_condition` (which wraps it in ``sqlalchemy.text``); the light
``shujian clue list`` path (:mod:`shujian.clues.listing`) passes it to the database driver directly,
because importing SQLAlchemy alone costs more than that command may take (docs/benchmarks.md, issue 20
target 4).  Both therefore send the database the same condition for the same scope.

This module imports nothing heavy (no SQLAlchemy, no mapped tables), so it lives beside ``access.py``
rather than inside it; the source-tree check (tests/security/test_access_layer.py) counts it as part of the
layer.
"""

from __future__ import annotations

from typing import Any

from .scope import Scope


def org_list(scope: Scope) -> str:
    """The scope's orgs as an SQL list of integer literals (``-1`` for none: fail closed)."""
    return ", ".join(str(int(o)) for o in sorted(scope.orgs)) or "-1"


def clue_visibility_sql(scope: Scope | None) -> str | None:
    """SQL condition on ``clues``: the clues visible under ``scope`` — held by one of its orgs (承办院), or,
    for a pool role, unassigned clues (线索池) whose first run belongs to one of its orgs or is a platform run
    (no 发起院).  None: unrestricted (the local operator).  Org ids are integers written inline, so the text
    is the same for every driver and needs no parameters."""
    if scope is None:
        return None
    orgs = org_list(scope)
    cond = f"clues.org_id IN ({orgs})"
    if scope.pool:
        cond = (f"({cond} OR (clues.org_id IS NULL AND clues.first_run_id IN "
                f"(SELECT runs.id FROM runs WHERE runs.org_id IN ({orgs}) OR runs.org_id IS NULL)))")
    return cond


# ---------------------------------------------------------------------------------- presenting clues
def mask_clue_text(text: str | None, values: list[Any]) -> str | None:
    """``text`` (a clue title or free-text fact) with each known personal value replaced by its masked
    form, then any 身份证号/手机号/银行卡号 left inside it masked."""
    from ..catalog.masking import mask_embedded
    from ..clues.render import mask_guess

    if not text:
        return text
    for v in sorted({str(v) for v in values if v not in (None, "") and len(str(v)) >= 2}, key=len, reverse=True):
        text = text.replace(v, mask_guess(v))
    return mask_embedded(text)


#: whether a clue subject's key and name are personal data, by the subject's type (the model language's
#: ``output.subject.type``): a person's 身份证号 and 姓名 are; a case's key (案号, a 12345 工单号) is not —
#: it is shown as is, with any identifier written inside it masked.  An organisation's key and name stay
#: masked (a 个体工商户 is named after a person).  A type not listed is personal (fail closed).
SUBJECT_PERSONAL: dict[str, bool] = {"person": True, "organisation": True, "case": False}


def subject_personal(subject_type: str | None) -> bool:
    """Whether the subject key and name of a clue of this subject type are masked as personal data."""
    return SUBJECT_PERSONAL.get(subject_type or "", True)


def subject_values(subject_type: str | None, key: Any, name: Any) -> list[Any]:
    """The subject's values that are personal (to be replaced in titles and free text): none for a case."""
    return [key, name] if subject_personal(subject_type) else []


def show_subject(subject: dict) -> dict:
    """A clue subject as shown without clearance: a personal one masked (:func:`mask_guess`), a case's key
    and name as they are, with embedded 身份证号/手机号/银行卡号 masked."""
    from ..catalog.masking import mask_embedded
    from ..clues.render import mask_guess

    out = dict(subject)
    mask = mask_guess if subject_personal(out.get("type")) else mask_embedded
    out["key"] = mask(out.get("key")) if out.get("key") is not None else out.get("key")
    if out.get("name"):
        out["name"] = mask(out["name"])
    return out


def _personal_values(c: dict) -> list[Any]:
    from ..clues.render import fact_semantic

    subj = c.get("subject") or {}
    vals = subject_values(subj.get("type"), subj.get("key"), subj.get("name"))
    for name, value in (c.get("facts") or {}).items():
        for v in value if isinstance(value, list) else [value]:
            if v is not None and fact_semantic(name, v):
                vals.append(v)
    return vals


def present_clue(c: dict, *, clear: bool = False) -> dict:
    """A clue dict (raw facts, as :meth:`ClueService.get`/``list(raw=True)`` give it) as shown to a
    viewer: subject, title, facts and other grounds' titles masked unless ``clear``."""
    from ..catalog.masking import jsonable
    from ..clues.render import mask_facts

    if clear:
        return c
    values = _personal_values(c)
    subj = show_subject(c.get("subject") or {})
    facts, masked = mask_facts(c.get("facts"))
    for k, v in facts.items():           # free text may repeat the subject's name or id (even an invalid one)
        shown = [mask_clue_text(x, values) if isinstance(x, str) else x for x in (v if isinstance(v, list) else [v])]
        shown = shown if isinstance(v, list) else shown[0]
        if shown != v:
            facts[k] = shown
            masked = masked if k in masked else [*masked, k]
    out = {**c, "subject": subj, "title": mask_clue_text(c.get("title"), values),
           "facts": {k: jsonable(v) for k, v in facts.items()}, "masked_facts": masked}
    if "other_grounds" in c:
        out["other_grounds"] = [{**o, "title": mask_clue_text(o.get("title"), values)} for o in c["other_grounds"]]
    return out
