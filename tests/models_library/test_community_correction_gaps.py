"""community-correction-gaps (M6): 10-day reporting, detention during correction without handling."""

from __future__ import annotations

from datetime import date, timedelta

from tests.models_library.conftest import pairs, person_id, run_model

MODEL = "community-correction-gaps"
OTHER = person_id(499)


def sentence(pid: str, kind: str, effective: date) -> dict:
    return {"身份证号": pid, "姓名": "某", "案号": f"（2024）浙1002刑初{pid[-4:]}号", "刑罚类型": kind,
            "生效日期": effective, "执行地": "椒江区"}


def roster(pid: str, report: date | None, expiry: date, ended: date | None = None) -> dict:
    return {"身份证号": pid, "姓名": "某", "案号": f"（2024）浙1002刑初{pid[-4:]}号", "矫正类别": "缓刑",
            "报到日期": report, "入矫日期": report, "矫正期满日期": expiry, "解矫日期": ended}


def held(pid: str, start: date, end: date | None) -> dict:
    return {"身份证号": pid, "入所日期": start, "出所日期": end}


def tables(sentences=(), rosters=(), custody=(), detention=(), handling=()) -> dict:
    return {
        "判处非监禁刑人员": [sentence(OTHER, "缓刑", date(2020, 1, 1)), *sentences],
        "社区矫正对象": [roster(OTHER, date(2020, 1, 5), date(2021, 1, 4), date(2021, 1, 4)), *rosters],
        "看守所出入所": [{**held(OTHER, date(2019, 1, 1), date(2019, 2, 1)), "羁押性质": "刑事拘留", "看守所名称": "台州市看守所"},
                   *({**c, "羁押性质": "刑事拘留", "看守所名称": "台州市看守所"} for c in custody)],
        "拘留所出入所": [{**held(OTHER, date(2019, 3, 1), date(2019, 3, 5)), "拘留类型": "行政拘留", "拘留所名称": "台州市拘留所"},
                   *({**d, "拘留类型": "行政拘留", "拘留所名称": "台州市拘留所"} for d in detention)],
        "社区矫正处置记录": [{"身份证号": OTHER, "处置日期": date(2020, 6, 1), "处置类型": "警告"}, *handling],
    }


def test_r1_unreported_late_and_day_ten() -> None:
    missing, late, day10, parole_late, medical_parole = (person_id(i) for i in range(1, 6))
    eff = date(2024, 3, 1)
    rows = run_model(MODEL, tables(
        sentences=[sentence(missing, "缓刑", eff), sentence(late, "缓刑", eff), sentence(day10, "管制", eff),
                   sentence(parole_late, "假释", eff), sentence(medical_parole, "暂予监外执行", eff)],
        rosters=[roster(late, eff + timedelta(days=11), date(2025, 3, 1)),
                 roster(day10, eff + timedelta(days=10), date(2025, 3, 1)),
                 roster(parole_late, eff + timedelta(days=14), date(2025, 3, 1)),
                 roster(medical_parole, eff + timedelta(days=30), date(2025, 3, 1))]))
    assert pairs(rows) == {(missing, "R1"), (late, "R1"), (parole_late, "R1")}
    texts = {r["person"]: r["情形"] for r in rows}
    assert "漏管" in texts[missing] and "逾期报到" in texts[late]


def test_r1_grace_days_parameter() -> None:
    late = person_id(2)
    eff = date(2024, 3, 1)
    t = tables(sentences=[sentence(late, "缓刑", eff)], rosters=[roster(late, eff + timedelta(days=11), date(2025, 3, 1))])
    assert run_model(MODEL, t, params={"grace_days": 1}) == []


def test_r2_detained_during_correction() -> None:
    admin, criminal, handled, after_end, before_start, warned_only = (person_id(i) for i in range(10, 16))
    start, expiry = date(2024, 1, 10), date(2025, 1, 9)
    people = (admin, criminal, handled, warned_only)
    rows = run_model(MODEL, tables(
        rosters=[*(roster(p, start, expiry) for p in people),
                 roster(after_end, start, expiry, ended=date(2024, 6, 30)), roster(before_start, start, expiry)],
        detention=[held(admin, date(2024, 5, 1), date(2024, 5, 11)), held(handled, date(2024, 5, 1), date(2024, 5, 6)),
                   held(after_end, date(2024, 7, 1), date(2024, 7, 8)),
                   held(warned_only, date(2024, 8, 1), date(2024, 8, 6))],
        custody=[held(criminal, date(2024, 9, 1), None), held(before_start, date(2023, 12, 1), date(2024, 1, 9))],
        handling=[{"身份证号": handled, "处置日期": date(2024, 5, 4), "处置类型": "知悉被羁押登记"},
                  {"身份证号": warned_only, "处置日期": date(2024, 8, 3), "处置类型": "训诫"}]))
    assert pairs(rows) == {(admin, "R2"), (criminal, "R2"), (warned_only, "R2")}


def test_r2_handling_after_notice_window_does_not_count() -> None:
    p = person_id(20)
    t = tables(rosters=[roster(p, date(2024, 1, 10), date(2025, 1, 9))],
               detention=[held(p, date(2024, 5, 1), date(2024, 5, 11))],
               handling=[{"身份证号": p, "处置日期": date(2024, 5, 17), "处置类型": "知悉被羁押登记"}])
    assert pairs(run_model(MODEL, t)) == {(p, "R2")}
    assert run_model(MODEL, t, params={"notice_days": 15 + 1}) == []
