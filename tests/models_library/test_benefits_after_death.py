"""benefits-after-death (M2): earliest death date, month-of-death payments, 医保 exception."""

from __future__ import annotations

from datetime import date

from tests.models_library.conftest import pairs, person_id, run_model

MODEL = "benefits-after-death"
MONTHS = [date(2024, m, 1) for m in range(1, 13)]
OTHER = person_id(499)


def pay(pid: str, months: list[date] = MONTHS) -> list[dict]:
    return [{"身份证号": pid, "姓名": "某", "发放年月": m, "发放金额": 2800.0, "发放机构": "椒江区社保中心"}
            for m in months]


def allowance(pid: str, months: list[date] = MONTHS) -> list[dict]:
    return [{"身份证号": pid, "姓名": "某", "发放年月": m, "发放金额": 100.0, "乡镇街道": "海门街道"} for m in months]


def visit(pid: str, admitted: date, discharged: date, settled: date, leave: str | None = None,
          kind: str = "住院") -> dict:
    return {"结算单号": f"JS{pid}{settled}", "身份证号": pid, "姓名": "某", "医疗机构": "台州医院", "就医类型": kind,
            "入院日期": admitted, "出院日期": discharged, "结算日期": settled, "离院方式": leave,
            "统筹支付金额": 1200.0}


def tables(dereg=(), cremation=(), cert=(), pension=(), elderly=(), medical=()) -> dict:
    return {
        "户籍注销": [{"身份证号": OTHER, "姓名": "某", "注销日期": date(2020, 1, 1), "注销原因": "迁出"}, *dereg],
        "火化记录": [{"身份证号": OTHER, "姓名": "某", "火化日期": date(2020, 1, 1)}, *cremation],
        "死亡医学证明": [{"身份证号": OTHER, "姓名": "某", "死亡日期": date(2020, 1, 1)}, *cert],
        "养老金发放": [*pay(person_id(498)), *pension],
        "高龄津贴发放": [*allowance(person_id(498)), *elderly],
        "医保结算": [visit(person_id(498), date(2024, 1, 1), date(2024, 1, 5), date(2024, 1, 5), "医嘱离院"), *medical],
    }


def dead(pid: str, day: date, source: str = "cert") -> dict:
    if source == "cert":
        return {"cert": [{"身份证号": pid, "姓名": "某", "死亡日期": day}]}
    if source == "cremation":
        return {"cremation": [{"身份证号": pid, "姓名": "某", "火化日期": day}]}
    return {"dereg": [{"身份证号": pid, "姓名": "某", "注销日期": day, "注销原因": "死亡"}]}


def merge(*parts: dict) -> dict:
    out: dict[str, list] = {}
    for p in parts:
        for k, v in p.items():
            out.setdefault(k, []).extend(v)
    return tables(**out)


def test_r1_pension_after_death_month_only() -> None:
    a, ok = person_id(1), person_id(2)
    rows = run_model(MODEL, merge(dead(a, date(2024, 5, 20)), dead(ok, date(2024, 5, 20)),
                                  {"pension": pay(a, MONTHS[:8]) + pay(ok, MONTHS[:5])}))
    assert pairs(rows) == {(a, "R1")}
    assert rows[0]["次数"] == 3 and rows[0]["死亡日期"] == date(2024, 5, 20)


def test_death_date_is_earliest_source_and_migration_is_not_death() -> None:
    a, moved = person_id(3), person_id(4)
    rows = run_model(MODEL, merge(
        dead(a, date(2024, 3, 2), "cremation"), dead(a, date(2024, 7, 15), "dereg"),
        {"dereg": [{"身份证号": moved, "姓名": "某", "注销日期": date(2024, 2, 1), "注销原因": "迁出"}]},
        {"pension": pay(a, MONTHS[:7]) + pay(moved)}))
    assert pairs(rows) == {(a, "R1")}
    assert rows[0]["次数"] == 4 and "火化记录" in rows[0]["死亡日期依据"]      # Apr..Jul


def test_r2_allowance_and_grace_parameter() -> None:
    a = person_id(5)
    t = merge(dead(a, date(2024, 8, 31)), {"elderly": allowance(a, MONTHS[:9])})
    assert pairs(run_model(MODEL, t)) == {(a, "R2")}
    assert run_model(MODEL, t, params={"grace_months": 1}) == []


def test_r3_medical_after_death_and_inpatient_exception() -> None:
    outpatient, discharged_alive, next_day, died_inpatient = (person_id(i) for i in (6, 7, 8, 9))
    d = date(2024, 6, 10)
    rows = run_model(MODEL, merge(
        dead(outpatient, d), dead(discharged_alive, d), dead(next_day, d), dead(died_inpatient, d),
        {"medical": [visit(outpatient, date(2024, 6, 15), date(2024, 6, 15), date(2024, 6, 15), None, "门诊"),
                     visit(discharged_alive, date(2024, 6, 7), date(2024, 6, 14), date(2024, 6, 14), "医嘱离院"),
                     visit(next_day, d, d, date(2024, 6, 11), None, "门诊"),
                     visit(died_inpatient, date(2024, 5, 29), d, date(2024, 6, 24), "死亡")]}))
    assert pairs(rows) == {(outpatient, "R3"), (discharged_alive, "R3")}
