"""Flat catalog tables built from parsed judgments (刑事判决被告人 / 刑事判决罪名 / 刑事判决前科).

Column names are a contract with the models and the demo city: change them only together.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..law import normalize_charge
from .model import Judgment

DEFENDANT_TABLE = "刑事判决被告人"
CHARGE_TABLE = "刑事判决罪名"
PRIOR_TABLE = "刑事判决前科"

DEFENDANT_COLUMNS = (
    "文书编号", "案号", "法院", "审理程序", "判决日期", "公诉机关", "被告人序号", "姓名", "性别", "出生日期",
    "身份证号", "罪名", "刑种", "刑期月数", "缓刑月数", "罚金元", "没收财产", "剥夺政治权利月数",
    "剥夺政治权利终身", "累犯", "自首", "立功", "坦白", "从犯", "主犯", "未成年", "认罪认罚", "首要分子",
    "刑期起始", "刑期截止", "犯罪日期", "犯罪时年龄",
)
CHARGE_COLUMNS = (
    "文书编号", "案号", "被告人序号", "姓名", "身份证号", "罪名", "刑种", "刑期月数", "罚金元", "没收财产",
    "剥夺政治权利月数", "剥夺政治权利终身", "犯罪日期", "判决日期", "合并判处罚金元", "合并判处没收财产",
    "合并判处剥夺政治权利",
)
PRIOR_COLUMNS = ("文书编号", "案号", "被告人序号", "姓名", "身份证号", "前科罪名", "前科刑种", "前科刑期月数", "释放日期",
                 "前科缓刑月数", "前科判决日期")

#: table → column → semantic type key (id_number, person_name, case_number, date, amount, text)
TABLE_SEMANTICS: dict[str, dict[str, str]] = {
    DEFENDANT_TABLE: {
        "文书编号": "text", "案号": "case_number", "法院": "text", "审理程序": "text", "判决日期": "date",
        "公诉机关": "text", "姓名": "person_name", "性别": "text", "出生日期": "date",
        "身份证号": "id_number", "罪名": "text", "刑种": "text", "罚金元": "amount",
        "刑期起始": "date", "刑期截止": "date", "犯罪日期": "date",
    },
    CHARGE_TABLE: {
        "文书编号": "text", "案号": "case_number", "姓名": "person_name", "身份证号": "id_number",
        "罪名": "text", "刑种": "text", "罚金元": "amount", "犯罪日期": "date", "判决日期": "date",
        "合并判处罚金元": "amount",
    },
    PRIOR_TABLE: {
        "文书编号": "text", "案号": "case_number", "姓名": "person_name", "身份证号": "id_number",
        "前科罪名": "text", "前科刑种": "text", "释放日期": "date", "前科判决日期": "date",
    },
}

_FLAGS = ("坦白", "从犯", "主犯", "未成年", "认罪认罚", "首要分子")


def judgment_rows(records: Iterable[Judgment | dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Three flat tables from parsed judgments (``Judgment`` objects or their ``to_dict()`` form).

    Records with an ``error`` (not a criminal judgment) give no rows.
    """
    tables: dict[str, list[dict[str, Any]]] = {DEFENDANT_TABLE: [], CHARGE_TABLE: [], PRIOR_TABLE: []}
    for record in records:
        doc = record.to_dict() if isinstance(record, Judgment) else record
        if doc.get("error"):
            continue
        for seq, person in enumerate(doc.get("defendants", []), start=1):
            tables[DEFENDANT_TABLE].append(_defendant_row(doc, seq, person))
            tables[CHARGE_TABLE].extend(_charge_rows(doc, seq, person))
            tables[PRIOR_TABLE].extend(_prior_rows(doc, seq, person))
    return tables


def _official(charge: str | None) -> str | None:
    """The 罪名 as the charge table names it today (盗窃 → 盗窃罪; an old name → its successor), so models
    join judgments to the law tables on one spelling; a name the table does not know is kept as written."""
    if not charge:
        return charge
    return normalize_charge(charge) or charge


def _deprivation(value: Any) -> tuple[int | None, bool]:
    if value == "终身":
        return None, True
    return (int(value) if value is not None else None), False


def _defendant_row(doc: dict, seq: int, d: dict) -> dict[str, Any]:
    months, life = _deprivation(d.get("deprivation_months"))
    circumstances = set(d.get("circumstances") or [])
    row = {
        "文书编号": doc.get("id"), "案号": doc.get("case_number"), "法院": doc.get("court"),
        "审理程序": doc.get("procedure"), "判决日期": doc.get("judgment_date"), "公诉机关": doc.get("prosecutor"),
        "被告人序号": seq, "姓名": d.get("name"), "性别": d.get("gender"), "出生日期": d.get("birth_date"),
        "身份证号": d.get("id_number"), "罪名": "、".join(_official(c) for c in d.get("charges") or []) or None,
        "刑种": d.get("penalty_type"), "刑期月数": d.get("term_months"), "缓刑月数": d.get("probation_months"),
        "罚金元": d.get("fine_yuan"), "没收财产": bool(d.get("confiscation")),
        "剥夺政治权利月数": months, "剥夺政治权利终身": life,
        "累犯": bool(d.get("recidivist")), "自首": bool(d.get("surrender")), "立功": bool(d.get("meritorious")),
        "刑期起始": d.get("sentence_start"), "刑期截止": d.get("sentence_end"), "犯罪日期": doc.get("offence_date"),
        "犯罪时年龄": d.get("age_at_offence"),
    }
    row.update({flag: flag in circumstances for flag in _FLAGS})
    return {col: row[col] for col in DEFENDANT_COLUMNS}


def _charge_rows(doc: dict, seq: int, d: dict) -> list[dict[str, Any]]:
    counts = {c["charge"]: c for c in d.get("counts") or [] if c.get("charge")}
    rows = []
    for charge in d.get("charges") or []:
        c = counts.get(charge, {})
        months, life = _deprivation(c.get("deprivation_months"))
        rows.append({
            "文书编号": doc.get("id"), "案号": doc.get("case_number"), "被告人序号": seq, "姓名": d.get("name"),
            "身份证号": d.get("id_number"), "罪名": _official(charge), "刑种": c.get("penalty_type"),
            "刑期月数": c.get("term_months"), "罚金元": c.get("fine_yuan"), "没收财产": bool(c.get("confiscation")),
            "剥夺政治权利月数": months, "剥夺政治权利终身": life, "犯罪日期": doc.get("offence_date"),
            "判决日期": doc.get("judgment_date"), "合并判处罚金元": c.get("joint_fine_yuan"),
            "合并判处没收财产": bool(c.get("joint_confiscation")),
            "合并判处剥夺政治权利": bool(c.get("joint_deprivation")),
        })
    return rows


def _prior_rows(doc: dict, seq: int, d: dict) -> list[dict[str, Any]]:
    return [{
        "文书编号": doc.get("id"), "案号": doc.get("case_number"), "被告人序号": seq, "姓名": d.get("name"),
        "身份证号": d.get("id_number"), "前科罪名": _official(p.get("charge")), "前科刑种": p.get("penalty_type"),
        "前科刑期月数": p.get("term_months"), "释放日期": p.get("release_date"),
        "前科缓刑月数": p.get("probation_months"), "前科判决日期": p.get("judgment_date"),
    } for p in d.get("priors") or []]
