"""non-prosecution-follow-up (M16): 2-month reply on 检察意见, 12-month 挂案 after 不捕."""

from __future__ import annotations

from datetime import date

from tests.models_library.conftest import pairs, person_id, run_model

MODEL = "non-prosecution-follow-up"
OTHER = person_id(499)


def opinion(pid: str, issued: date, kind: str = "不起诉案件行政处罚") -> dict:
    return {"检察意见书文号": f"意{pid}", "不起诉决定书文号": f"诉{pid}", "身份证号": pid, "姓名": "某",
            "制发日期": issued, "被建议机关": "台州市公安局椒江分局", "意见类型": kind}


def nonpros(pid: str, decided: date) -> dict:
    return {"不起诉决定书文号": f"诉{pid}", "决定日期": decided, "不起诉类型": "酌定不起诉", "案由": "寻衅滋事罪"}


def penalty(pid: str, day: date) -> dict:
    return {"身份证号": pid, "处罚决定日期": day}


def review(pid: str, decided: date, reason: str | None, kind: str = "不批准逮捕") -> dict:
    return {"公安案件编号": f"A{pid}", "身份证号": pid, "姓名": "某", "决定类型": kind, "不捕理由": reason,
            "决定日期": decided, "案由": "诈骗罪"}


def closure(pid: str, day: date, how: str = "撤销案件") -> dict:
    return {"案件编号": f"A{pid}", "处理类型": how, "处理日期": day}


def tables(nonpros_rows=(), opinions=(), replies=(), penalties=(), reviews=(), closures=()) -> dict:
    return {
        "不起诉决定": [nonpros(OTHER, date(2020, 1, 1)), *nonpros_rows],
        "检察意见": [opinion(OTHER, date(2020, 1, 5)), *opinions],
        "检察意见回复": [{"检察意见书文号": f"意{OTHER}", "回复日期": date(2020, 2, 1)}, *replies],
        "行政处罚": [penalty(OTHER, date(2020, 2, 1)), *penalties],
        "审查逮捕决定": [review(OTHER, date(2020, 1, 1), None, "批准逮捕"), *reviews],
        "公安案件处理": [closure(OTHER, date(2020, 5, 1), "移送审查起诉"), *closures],
    }


def test_r1_opinion_without_follow_up() -> None:
    silent, late, exact, replied, before_opinion, other_kind = (person_id(i) for i in range(1, 7))
    issued = date(2024, 3, 15)
    people = (silent, late, exact, replied, before_opinion, other_kind)
    rows = run_model(MODEL, tables(
        nonpros_rows=[nonpros(p, date(2024, 3, 1)) for p in people],
        opinions=[opinion(p, issued) for p in people[:-1]] + [opinion(other_kind, issued, "其他")],
        penalties=[penalty(late, date(2024, 5, 16)), penalty(exact, date(2024, 5, 15)),
                   penalty(before_opinion, date(2024, 3, 10))],
        replies=[{"检察意见书文号": f"意{replied}", "回复日期": date(2024, 4, 30)}]))
    assert pairs(rows) == {(silent, "R1"), (late, "R1")}


def test_r1_reply_months_parameter() -> None:
    late = person_id(2)
    t = tables(nonpros_rows=[nonpros(late, date(2024, 3, 1))], opinions=[opinion(late, date(2024, 3, 15))],
               penalties=[penalty(late, date(2024, 5, 16))])
    assert run_model(MODEL, t, params={"reply_months": 3}) == []


def test_r2_pending_after_not_arrested() -> None:
    never, slow, exact, danger, approved = (person_id(i) for i in range(10, 15))
    d = date(2023, 2, 10)
    rows = run_model(MODEL, tables(
        reviews=[review(never, d, "证据不足"), review(slow, d, "不构成犯罪"), review(exact, d, "证据不足"),
                 review(danger, d, "无社会危险性"), review(approved, d, None, "批准逮捕")],
        closures=[closure(slow, date(2024, 4, 10)), closure(exact, date(2024, 2, 10), "终止侦查")]))
    assert pairs(rows) == {(never, "R2"), (slow, "R2")}
    texts = {r["person"]: r["说明"] for r in rows}
    assert "至今无" in texts[never] and "2024-04-10才处理" in texts[slow]
