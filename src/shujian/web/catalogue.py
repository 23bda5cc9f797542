"""The model catalogue the pages show: built-in models plus the workspace's governed models.

A thin read-side join of :mod:`shujian.models_library`, the governance ledger and clue counts
(no SQL of its own).  ``load(ws, id)`` gives the model a run uses: the latest governed revision
when there is one (drafts built in the browser), else the built-in file.
"""

from __future__ import annotations

import yaml

from .. import models_library
from ..clues.service import ClueService
from ..errors import NotFound, ShujianError
from ..spec import Model
from ..workspace import Workspace

_LIBRARY: dict[tuple, list[Model]] = {}


def library() -> list[Model]:
    """The built-in models, re-read only when a model file changes (pages list them on every request)."""
    key = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(models_library.LIBRARY_DIR.glob("*.yaml")))
    if key not in _LIBRARY:
        _LIBRARY.clear()
        _LIBRARY[key] = models_library.list_models()
    return list(_LIBRARY[key])


def governed(ws: Workspace) -> dict[str, dict]:
    """Ledger rows by model id ({} when governance has no models yet)."""
    from ..governance.service import GovernanceService

    return {row["model_id"]: row for row in GovernanceService(ws).ledger()}


def governed_row(ws: Workspace, model_id: str) -> dict | None:
    """One model's ledger row, or None (not governed, or not visible to the acting user)."""
    from ..governance.service import GovernanceService

    return next(iter(GovernanceService(ws).ledger(model_id)), None)


def card(model: Model, ledger: dict | None, clues: int, builtin: bool) -> dict:
    """One model card: 业务条线, 监督点, legal basis, certification state, ledger figures."""
    ledger = ledger or {}
    return {"model_id": model.id, "name": model.name, "line": model.line, "point": model.point,
            "legal_basis": [f"《{b.law}》{b.article}".strip() for b in model.legal_basis],
            "measure": model.measure, "version": model.version, "builtin": builtin,
            "state": ledger.get("state") or ("内置" if builtin else "草稿"),
            "certification": ledger.get("certification") or {}, "scope": ledger.get("scope"),
            "clues": clues, "runs": ledger.get("runs"), "cases": ledger.get("cases"),
            "measures_adopted": ledger.get("measures_adopted"), "money_recovered": ledger.get("money_recovered"),
            "trial_accuracy": ledger.get("trial_accuracy"), "rule_text": model.rule_text,
            "inputs": sorted({i.dataset for i in model.inputs.values()})}


def cards(ws: Workspace) -> list[dict]:
    gov = governed(ws)
    clue_svc = ClueService(ws)
    out, seen = [], set()
    for m in library():
        if m.id in gov:                  # a governed version of a built-in model: the card shows what runs
            try:
                m = runnable(ws, m.id)
            except ShujianError:
                pass
        out.append(card(m, gov.get(m.id), clue_svc.count(m.id), True))
        seen.add(m.id)
    for model_id in gov:
        if model_id in seen:
            continue
        try:
            m = load(ws, model_id)
        except ShujianError:
            continue
        out.append(card(m, gov[model_id], clue_svc.count(model_id), False))
    return out


def latest_source(ws: Workspace, model_id: str) -> str | None:
    """The latest governed revision's model file, or None."""
    from ..governance.service import GovernanceService

    try:
        revs = GovernanceService(ws).revisions(model_id)
    except NotFound:
        return None
    return revs[-1]["source"] if revs else None


def source(ws: Workspace, model_id: str) -> str:
    """The model file text (YAML) shown on the detail page."""
    text = latest_source(ws, model_id)
    if text is not None:
        return text
    return models_library.model_path(model_id).read_text(encoding="utf-8")


def load(ws: Workspace, model_id: str) -> Model:
    from ..governance.versions import parse_source

    text = latest_source(ws, model_id)
    return parse_source(text) if text is not None else models_library.get_model(model_id)


def runnable(ws: Workspace, model_id: str) -> Model:
    """The model a run uses: the listed version while the model is listed (an edit in progress does not
    replace it until it is certified and listed).  Otherwise a workspace model runs its latest version
    (as :func:`load`), but a built-in model's id runs the shipped file unless a version of it has passed
    both certifications: any user who may build models can save a draft under a built-in id, and that
    uncertified draft must not change what the 院's runs of the built-in model find (it is tried with a
    沙箱运行, see :func:`trial`)."""
    from ..governance.service import GovernanceService
    from ..governance.versions import parse_source

    gov = GovernanceService(ws)
    text = gov.runnable_source(model_id)
    if text is None and model_id in models_library.list_ids():
        text = gov.certified_source(model_id)
        return parse_source(text) if text is not None else models_library.get_model(model_id)
    return parse_source(text) if text is not None else load(ws, model_id)


def trial(ws: Workspace, model_id: str) -> Model:
    """The model a 沙箱运行 uses: the latest version, a draft included (its results stay in the sandbox
    until a 数字办 or 院领导 publishes them)."""
    return load(ws, model_id)


def to_yaml(model: Model) -> str:
    """The model language as YAML (the form saved from the visual builder)."""
    data = model.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)
    data = {"id": model.id, **data}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def load_source_id(text: str) -> str:
    """The id declared in a model file."""
    from ..governance.versions import parse_source

    return parse_source(text).id
