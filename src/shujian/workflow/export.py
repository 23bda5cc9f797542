"""Export a filtered clue list to Excel (xlsx) with the same filters and masking as the list view."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from ..clues.service import ClueFilter
from ..db.models import Clue, Department, Org, Subject, User
from ..security.access import present_clue
from ..workspace import Workspace

COLUMNS: tuple[tuple[str, str], ...] = (
    ("clue_id", "线索编号"), ("model_id", "模型"), ("rule", "规则"), ("subject", "对象"), ("name", "姓名/名称"),
    ("title", "摘要"), ("state", "状态"), ("org", "承办院"), ("department", "承办部门"), ("assignee", "承办人"),
    ("deadline", "办理期限"), ("overdue", "逾期"), ("supervised", "督办"), ("exclusion_type", "误报类型"),
    ("case_number", "案号"), ("first_seen", "首次发现"),
)


def clue_rows(ws: Workspace, f: ClueFilter, *, unmask: bool = False) -> list[dict]:
    """Flat rows for the export; personal identifiers masked unless ``unmask``."""
    overdue_ids = set()
    with ws.db.unit_of_work() as s:
        if f.overdue is None:
            overdue_ids = {c.id for c in ClueFilter(overdue=True, today=f.today).apply(s, s.query(Clue).join(Subject))}
        orgs = dict(s.query(Org.id, Org.name))
        depts = dict(s.query(Department.id, Department.name))
        users = dict(s.query(User.id, User.name))
        rows = []
        for c in f.apply(s, s.query(Clue).join(Subject)).order_by(Clue.id):
            shown = present_clue({"subject": {"type": c.subject.type, "key": c.subject.key, "name": c.subject.name},
                                  "title": c.title,
                                  "facts": c.facts or {}}, clear=unmask)
            rows.append({"clue_id": c.id, "model_id": c.model_id, "rule": c.rule,
                         "subject": shown["subject"]["key"], "name": shown["subject"]["name"] or "",
                         "title": shown["title"], "state": c.state, "org": orgs.get(c.org_id, ""),
                         "department": depts.get(c.department_id, ""), "assignee": users.get(c.assignee_id, ""),
                         "deadline": c.deadline, "overdue": "是" if (f.overdue or c.id in overdue_ids) else "否",
                         "supervised": "是" if c.supervised else "否", "exclusion_type": c.exclusion_type or "",
                         "case_number": c.case_number or "", "first_seen": c.first_seen.date()})
        return rows


def export_xlsx(ws: Workspace, path: str | Path, f: ClueFilter, *, unmask: bool = False) -> int:
    """Write the clues matching ``f`` to ``path``; returns the number of clues written."""
    rows = clue_rows(ws, f, unmask=unmask)
    wb = Workbook()
    sheet = wb.active
    sheet.title = "线索清单"
    sheet.append([label for _, label in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r in rows:
        sheet.append([r[k] for k, _ in COLUMNS])
    sheet.freeze_panes = "A2"
    for col, width in zip("ABCDEFGHIJKLMNOP", (9, 26, 6, 22, 10, 48, 8, 26, 18, 10, 12, 6, 6, 10, 26, 12),
                          strict=True):
        sheet.column_dimensions[col].width = width
    wb.save(path)
    return len(rows)
