"""Consistency checks and warnings (置信度与告警) on a parsed judgment."""

from __future__ import annotations

from datetime import date, timedelta

from ..dates import add_months
from .model import Defendant, Judgment
from .sections import Layout

#: statutory ceilings in months: single count, and after 数罪并罚 (刑法第四十五条、第六十九条)
_MAX_MONTHS = {"有期徒刑": (180, 300), "拘役": (6, 12), "管制": (24, 36)}


def run_checks(j: Judgment, layout: Layout) -> None:
    """Fill ``warnings`` (document and per defendant) and ``confidence``."""
    doc = _document_warnings(j, layout)
    j.warnings.extend(doc)
    total = len(doc)
    for d in j.defendants:
        d.warnings.extend(_defendant_warnings(d))
        total += len(d.warnings)
        j.warnings.extend(f"被告人{d.name}：{w}" for w in d.warnings)
    j.confidence = round(max(0.0, 1.0 - 0.1 * total), 2)


def _document_warnings(j: Judgment, layout: Layout) -> list[str]:
    out = []
    if layout.verdict is None:
        out.append("未找到“判决如下/裁定如下”：文书可能不完整（截断）或不是判决")
    elif "尾部" in layout.sections and layout.sections["尾部"].end - layout.sections["尾部"].start < 4:
        out.append("判决结果之后没有尾部：文书可能被截断")
    for name, value in (("案号", j.case_number), ("法院", j.court), ("判决日期", j.judgment_date)):
        if not value:
            out.append(f"未找到{name}")
    if not j.prosecutor and not j.private_prosecutor:
        out.append("未找到公诉机关或自诉人")
    if not j.defendants and not j.units:
        out.append("未找到被告人")
    return out


def _defendant_warnings(d: Defendant) -> list[str]:
    out = []
    if d.gender is None:
        out.append("未找到性别")
    if d.birth_date is None:
        out.append("未找到出生日期")
    if not d.charges:
        out.append("判决结果中未找到罪名")
    if d.penalty_type is None:
        out.append("判决结果中未找到刑罚")
    if d.probation_months and not d.term_months:
        out.append("有缓刑但没有主刑刑期")
    if d.penalty_type in ("有期徒刑", "拘役", "管制") and d.term_months is None:
        out.append(f"{d.penalty_type}未写明刑期")
    limit = _MAX_MONTHS.get(d.penalty_type or "")
    if limit and d.term_months:
        longest = max((c.term_months or 0 for c in d.counts), default=0)
        combined = len(d.counts) > 1 or d.term_months > longest  # 数罪并罚, also with an earlier sentence
        ceiling = limit[1] if combined else limit[0]
        if d.term_months > ceiling:
            out.append(f"刑期{d.term_months}个月超过{d.penalty_type}法定最高{ceiling}个月")
    out.extend(_term_dates_warning(d))
    return out


def _term_dates_warning(d: Defendant) -> list[str]:
    if not (d.sentence_start and d.sentence_end and d.term_months):
        return []
    if d.penalty_type not in ("有期徒刑", "拘役") or d.probation_months:
        return []
    start = date.fromisoformat(d.sentence_start)
    expected = add_months(start, d.term_months) - timedelta(days=1)
    actual = date.fromisoformat(d.sentence_end)
    gap = (actual - expected).days
    if abs(gap) > 1:
        why = "，可能已折抵其他羁押日数" if -60 <= gap < 0 else ""
        return [f"刑期起止（{d.sentence_start}至{d.sentence_end}）与刑期{d.term_months}个月不符"
                f"（按起始日应止于{expected.isoformat()}{why}）"]
    return []
