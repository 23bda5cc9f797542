"""pension-during-custody (M1): hand-made positives, negatives and boundary cases."""

from __future__ import annotations

from datetime import date

from tests.models_library.conftest import pairs, person_id, run_model

MODEL = "pension-during-custody"
MONTHS = [date(2024, m, 1) for m in range(1, 13)]


def pay(pid: str, months: list[date] = MONTHS) -> list[dict]:
    return [{"身份证号": pid, "姓名": "某", "发放年月": m, "发放金额": 3000.0, "险种": "企业职工基本养老保险",
             "发放机构": "台州市椒江区社会保险事业管理中心"} for m in months]


def custody(pid: str, start: date, end: date | None, kind: str = "逮捕") -> dict:
    return {"身份证号": pid, "姓名": "张三", "入所日期": start, "出所日期": end, "羁押性质": kind,
            "看守所名称": "台州市看守所"}


def roster(pid: str, start: date, expiry: date, ended: date | None = None) -> dict:
    return {"身份证号": pid, "姓名": "李四", "矫正类别": "缓刑", "入矫日期": start, "矫正期满日期": expiry,
            "解矫日期": ended}


def adjust(pid: str, day: date, delta: float) -> dict:
    return {"身份证号": pid, "调整日期": day, "调整金额": delta, "经办机构": "台州市椒江区社会保险事业管理中心"}


def tables(custody_rows=(), prison_rows=(), pension_rows=(), roster_rows=(), adjust_rows=()) -> dict:
    other = person_id(499)
    return {
        "看守所出入所": [custody(other, date(2020, 1, 1), date(2020, 2, 1)), *custody_rows],
        "监狱服刑人员": [{"身份证号": other, "姓名": "王五", "收监日期": date(2020, 3, 1), "释放日期": date(2021, 3, 1),
                      "监狱名称": "浙江省十里丰监狱"}, *prison_rows],
        "养老金发放": [*pay(person_id(498)), *pension_rows],
        "社区矫正对象": [roster(other, date(2019, 1, 1), date(2019, 6, 1), date(2019, 6, 1)), *roster_rows],
        "养老金待遇调整": [adjust(person_id(498), date(2024, 7, 1), 80.0), *adjust_rows],
    }


def test_r1_paid_during_arrest_with_grace_month() -> None:
    a, b = person_id(1), person_id(2)
    rows = run_model(MODEL, tables(
        custody_rows=[custody(a, date(2024, 3, 10), date(2024, 7, 20)),          # Apr..Jun between; Apr tolerated
                      custody(b, date(2024, 9, 10), date(2024, 11, 5))],         # only Oct between = lag month
        pension_rows=pay(a) + pay(b)))
    assert pairs(rows) == {(a, "R1")}
    hit = rows[0]
    assert hit["次数"] == 2 and hit["金额合计"] == 6000.0          # May and June
    assert hit["最早日期"] == date(2024, 5, 1) and hit["最晚日期"] == date(2024, 6, 1)


def test_r1_grace_parameter_zero_flags_the_lag_month() -> None:
    b = person_id(2)
    rows = run_model(MODEL, tables(custody_rows=[custody(b, date(2024, 9, 10), date(2024, 11, 5))],
                                   pension_rows=pay(b)), params={"grace_months": 0})
    assert pairs(rows) == {(b, "R1")} and rows[0]["次数"] == 1


def test_r1_boundaries_and_kinds() -> None:
    same_month, boundary, bail, stopped = (person_id(i) for i in (3, 4, 5, 6))
    rows = run_model(MODEL, tables(
        custody_rows=[custody(same_month, date(2024, 5, 3), date(2024, 5, 28), "刑事拘留"),
                      custody(boundary, date(2024, 5, 20), date(2024, 6, 18), "刑事拘留"),
                      custody(bail, date(2024, 2, 1), date(2024, 10, 1), "指定居所监视居住"),
                      custody(stopped, date(2024, 2, 15), date(2024, 9, 10))],
        pension_rows=pay(same_month) + pay(boundary) + pay(bail)
        + pay(stopped, [m for m in MONTHS if not date(2024, 3, 1) < m < date(2024, 9, 1)])))
    assert rows == []


def test_r1_prison_open_ended() -> None:
    a = person_id(7)
    rows = run_model(MODEL, tables(
        prison_rows=[{"身份证号": a, "姓名": "赵六", "收监日期": date(2024, 8, 15), "释放日期": None,
                      "监狱名称": "浙江省乔司监狱"}],
        pension_rows=pay(a)))
    assert pairs(rows) == {(a, "R1")}
    assert rows[0]["次数"] == 3 and rows[0]["羁押性质"] == "监狱服刑"        # Oct, Nov, Dec


def test_r2_adjustment_during_correction_and_boundaries() -> None:
    a, before, after, zero = (person_id(i) for i in (8, 9, 10, 11))
    rows = run_model(MODEL, tables(
        roster_rows=[roster(a, date(2024, 1, 10), date(2025, 1, 9)),
                     roster(before, date(2024, 7, 2), date(2025, 6, 30)),
                     roster(after, date(2023, 7, 1), date(2025, 6, 30), date(2024, 6, 30)),
                     roster(zero, date(2024, 1, 10), date(2025, 1, 9))],
        adjust_rows=[adjust(a, date(2024, 7, 1), 86.5), adjust(before, date(2024, 7, 1), 80.0),
                     adjust(after, date(2024, 7, 1), 80.0), adjust(zero, date(2024, 7, 1), 0.0)]))
    assert pairs(rows) == {(a, "R2")}
    assert rows[0]["金额合计"] == 86.5


def test_r2_adjustment_on_last_day_of_correction_is_flagged() -> None:
    a = person_id(12)
    rows = run_model(MODEL, tables(roster_rows=[roster(a, date(2023, 7, 1), date(2024, 7, 1))],
                                   adjust_rows=[adjust(a, date(2024, 7, 1), 50.0)]))
    assert pairs(rows) == {(a, "R2")}
