"""Masking by role (按角色脱敏) and audited unmasking, sealed datasets (数据可用不可见).

Personal values are masked on display and export by default.  A user whose role is granted
``data.unmask.<level>`` may ask to see them unmasked, stating a reason; each such look is an audit
record.  The effective level of a personal column is at least 敏感, whatever the dataset says.
Sealed datasets cannot be previewed, exported or queried ad hoc by anyone.
"""

from __future__ import annotations

from ..catalog.semantic import SEMANTIC_TYPES
from ..config import CLASSIFICATION_LEVELS
from ..errors import InputError
from ..workspace import Workspace
from .audit import AuditLog
from .permissions import granted, unmask_action


class SealedData(InputError):
    """A sealed dataset was asked for rows."""

    code = "sealed"


def refuse_sealed(name: str, sealed: bool, what: str = "预览") -> None:
    """Raise :class:`SealedData` when ``sealed``."""
    if sealed:
        raise SealedData(f"数据集“{name}”为密封数据（数据可用不可见），任何人不能{what}其明细",
                         hint="模型可以在其上计算；只有经认证模型声明的线索字段会脱敏输出")


def is_personal(semantic: str | None) -> bool:
    t = SEMANTIC_TYPES.get(semantic or "")
    return bool(t and t.personal)


def effective_level(dataset_level: str | None, column_level: str | None, semantic: str | None) -> str:
    """The highest of the dataset's level, the column's level and 敏感 for personal columns."""
    levels = [lv for lv in (dataset_level, column_level) if lv in CLASSIFICATION_LEVELS]
    if is_personal(semantic):
        levels.append("敏感")
    return max(levels, key=CLASSIFICATION_LEVELS.index) if levels else "内部"


def may_unmask(roles, level: str) -> bool:
    """Whether ``roles`` may see unmasked values of ``level`` (公开/内部 values are never masked)."""
    action = unmask_action(level)
    return action is None or granted(tuple(roles), action)


def unmasked_preview(ws: Workspace, name: str, user, reason: str, *, version: int | None = None,
                     limit: int = 20, ip: str | None = None) -> dict:
    """The first rows of a dataset with the columns the user may unmask shown in clear; audited."""
    from ..catalog.masking import mask_rows
    from ..catalog.service import CatalogService

    svc = CatalogService(ws)
    info = svc.describe(name, version)
    refuse_sealed(name, info["sealed"])
    cols, rows = svc.preview(name, version, limit)
    by_name = {c["name"]: c for c in info["columns"]}
    clear, masked_sem = [], {}
    for c in cols:
        meta = by_name.get(c, {})
        level = effective_level(info["level"], meta.get("level"), meta.get("semantic"))
        if may_unmask(user.roles, level):
            clear.append(c)
        else:
            masked_sem[c] = meta.get("semantic")
    audit = AuditLog(ws)
    personal = [c for c in cols if is_personal(by_name.get(c, {}).get("semantic"))]
    if personal and not set(personal) & set(clear):
        audit.append("data.unmask", actor=user.username, org_id=user.org_id, target=f"dataset:{name}",
                     outcome="拒绝", reason=reason, ip=ip, detail={"columns": personal})
        raise_forbidden(user, name)
    audit.append("data.unmask", actor=user.username, org_id=user.org_id, target=f"dataset:{name}", reason=reason,
                 ip=ip, detail={"columns": clear, "rows": len(rows), "version": version})
    return {"columns": cols, "rows": mask_rows(cols, masked_sem, rows, clear=clear), "unmasked_columns": clear,
            "masked": bool(masked_sem)}


def raise_forbidden(user, name: str) -> None:
    from ..errors import PermissionDenied

    raise PermissionDenied(f"用户 {user.name}（{user.roles_text}）无权解除数据集“{name}”的脱敏",
                           hint="解除脱敏需要 data.unmask.敏感 或 data.unmask.核心 权限")


CERTIFIED_STATES = ("数字认证", "试运行", "上架", "推广")


def sealed_inputs(ws: Workspace, dataset_names) -> list[str]:
    """The sealed ones among ``dataset_names``."""
    from ..db.models import Dataset

    names = sorted(set(dataset_names))
    with ws.db.unit_of_work() as s:
        return [n for (n,) in s.query(Dataset.name).filter(Dataset.name.in_(names), Dataset.sealed.is_(True))]


def refuse_adhoc_on_sealed(ws: Workspace, dataset_names) -> None:
    """Ad hoc queries (node previews, unsaved models) may not read sealed datasets."""
    sealed = sealed_inputs(ws, dataset_names)
    if sealed:
        refuse_sealed("、".join(sealed), True, "临时查询或预览")


def check_sealed_run(ws: Workspace, model_id: str, builtin: bool, dataset_names) -> None:
    """A model reading sealed data must be built in or certified (数字认证 or later)."""
    sealed = sealed_inputs(ws, dataset_names)
    if not sealed or builtin:
        return
    from ..db.models import GovModel

    with ws.db.unit_of_work() as s:
        state = s.query(GovModel.state).filter_by(model_id=model_id).scalar()
    if state not in CERTIFIED_STATES:
        raise SealedData(f"模型 {model_id}（状态：{state or '未纳入治理'}）读取密封数据 {'、'.join(sealed)}，"
                         "未经认证的模型不能在密封数据上运行",
                         hint="先完成业务认证与数字认证；认证模型只输出其声明的线索字段")


def unmasked_evidence(ws: Workspace, clue_id: int, user, reason: str, *, ip: str | None = None) -> dict:
    """A clue's evidence rows with the personal columns the user may unmask in clear; audited.

    The clue is read through the org scope (another org's clue is not found); rows from sealed
    datasets stay withheld.
    """
    from ..catalog.masking import mask_rows
    from ..clues.service import ClueService
    from .access import evidence_meta, mask_evidence

    clue = ClueService(ws).get(clue_id, unmask_facts=True)
    out, opened, levels = [], [], ["敏感"]
    metas = evidence_meta(ws, clue["evidence"])       # from the catalog itself, not the viewer's dataset scope
    for e in clue["evidence"]:
        info = metas.get((e["dataset"], e.get("version")))
        if info is None:                              # no metadata: nothing is opened (fail closed)
            out += mask_evidence(ws, [e])
            levels.append("核心")
            continue
        levels.append(info["level"])
        meta = {c["name"]: c for c in info["columns"]}
        masked = {}
        for col in e["columns"]:
            m = meta.get(col, {})
            if is_personal(m.get("semantic")):
                if may_unmask(user.roles, effective_level(info["level"], m.get("level"), m.get("semantic"))):
                    opened.append(f"{e['dataset']}.{col}")
                else:
                    masked[col] = m.get("semantic")
        clear = [c for c in e["columns"] if c not in masked]
        out.append({**e, "rows": mask_rows(e["columns"], masked, e["rows"], clear=clear), "masked": bool(masked)})
    facts, opened_facts = unmasked_facts(clue["facts"], user.roles, levels)
    opened += [f"事实.{name}" for name in opened_facts]
    audit = AuditLog(ws)
    if not opened:
        audit.append("data.unmask", actor=user.username, org_id=user.org_id, target=f"clue:{clue_id}",
                     outcome="拒绝", reason=reason, ip=ip)
        raise_forbidden(user, f"线索 {clue_id} 的证据")
    audit.append("data.unmask", actor=user.username, org_id=user.org_id, target=f"clue:{clue_id}", reason=reason,
                 ip=ip, detail={"columns": opened})
    return {"clue_id": clue_id, "evidence": out, "facts": facts, "unmasked_columns": opened}


def unmasked_facts(facts: dict, roles, levels) -> tuple[dict, list[str]]:
    """A clue's facts in clear when ``roles`` may unmask the highest of ``levels`` (the clue's source
    datasets; personal facts are at least 敏感), else masked; returns (facts, names shown in clear)."""
    from ..clues.render import mask_facts

    masked, personal = mask_facts(facts)
    known = [lv for lv in levels if lv in CLASSIFICATION_LEVELS] or ["敏感"]
    level = max(known, key=CLASSIFICATION_LEVELS.index)
    if personal and may_unmask(roles, level):
        return dict(facts), personal
    return masked, []
