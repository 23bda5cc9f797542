"""Chinese labels for clue fact keys: the built-in models' English output names and the internal
column names a join leaves (``狱_监狱名称`` → ``监狱名称``), for documents and pages read by people."""

from __future__ import annotations

import re

FACT_LABELS: dict[str, str] = {
    "absent_share": "缺席审理占比", "builder": "施工单位", "builder_uscc": "施工单位统一社会信用代码",
    "case_list": "涉及案件", "case_no": "案号", "charge": "罪名", "complaints": "投诉次数", "contract": "合同",
    "counties_n": "涉及区县数", "district": "区县", "events_n": "涉案次数", "expected": "应有情况",
    "first_date": "最早日期", "first_filed": "首次起诉日期", "kind": "刑种", "last_date": "最晚日期",
    "last_filed": "最近起诉日期", "max_agent_suits": "同一代理人最多代理件数", "members_n": "涉及人数",
    "merchant": "商户", "owner": "建设单位", "peak": "峰值", "permit_date": "施工许可日期", "person": "身份证号",
    "prior_case": "前案", "probation": "缓刑考验期（月）", "project": "项目编号",
    "quick_mediations": "快速调解件数", "reason": "理由", "round_share": "整数金额占比", "sample_tickets": "投诉单号（示例）",
    "score": "风险评分", "severe_tickets": "严重投诉次数", "status": "经营状态", "suits": "起诉件数",
    "term": "刑期（月）", "trade": "行业", "uscc": "统一社会信用代码", "withdrawn_share": "撤诉占比",
    "months": "月数", "total": "合计金额", "amount": "金额", "name": "姓名", "count": "次数",
}
_ALIAS = re.compile(r"^[\u4e00-\u9fff]{1,4}_(?=\S)")       # ``狱_``: the alias a join put before a column name


def fact_label(key: str) -> str:
    """The Chinese label of a fact key: known English names translated, join aliases dropped.

    >>> fact_label("case_no"), fact_label("狱_监狱名称"), fact_label("金额合计")
    ('案号', '监狱名称', '金额合计')
    """
    key = str(key)
    if key in FACT_LABELS:
        return FACT_LABELS[key]
    bare = _ALIAS.sub("", key)
    return FACT_LABELS.get(bare, bare)


def labelled(facts: dict | None) -> dict:
    """``facts`` with Chinese keys (a later key with the same label keeps both values apart)."""
    out: dict = {}
    for k, v in (facts or {}).items():
        label = fact_label(k)
        n = 2
        while label in out:
            label = f"{fact_label(k)}（{n}）"
            n += 1
        out[label] = v
    return out
