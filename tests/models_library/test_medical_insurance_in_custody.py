"""medical-insurance-in-custody (M12a): strict overlap, designated hospitals, approved outside care."""

from __future__ import annotations

from datetime import date

from tests.models_library.conftest import pairs, person_id, run_model

MODEL = "medical-insurance-in-custody"
OTHER = person_id(499)


def visit(pid: str, admitted: date, discharged: date, hospital: str = "台州医院", kind: str = "住院") -> dict:
    return {"结算单号": f"JS{pid}{admitted}", "身份证号": pid, "姓名": "某", "医疗机构": hospital, "就医类型": kind,
            "入院日期": admitted, "出院日期": discharged, "结算日期": discharged, "统筹支付金额": 5000.0}


def custody(pid: str, start: date, end: date | None) -> dict:
    return {"身份证号": pid, "入所日期": start, "出所日期": end, "羁押性质": "逮捕", "看守所名称": "台州市看守所"}


def tables(medical=(), custody_rows=(), prison=(), outside=()) -> dict:
    return {
        "医保结算": [visit(OTHER, date(2024, 1, 1), date(2024, 1, 3)), *medical],
        "看守所出入所": [custody(person_id(498), date(2024, 1, 1), date(2024, 2, 1)), *custody_rows],
        "监狱服刑人员": [{"身份证号": person_id(498), "收监日期": date(2024, 3, 1), "释放日期": date(2024, 9, 1),
                      "监狱名称": "浙江省十里丰监狱"}, *prison],
        "所外就医记录": [{"身份证号": person_id(498), "出所就医日期": date(2024, 1, 10), "返所日期": date(2024, 1, 12)},
                   *outside],
    }


def test_flags_ordinary_hospital_during_custody_and_prison() -> None:
    a, b = person_id(1), person_id(2)
    rows = run_model(MODEL, tables(
        medical=[visit(a, date(2024, 4, 1), date(2024, 4, 10)), visit(a, date(2024, 5, 1), date(2024, 5, 3)),
                 visit(b, date(2024, 7, 7), date(2024, 7, 7), kind="门诊")],
        custody_rows=[custody(a, date(2024, 3, 1), date(2024, 10, 1))],
        prison=[{"身份证号": b, "收监日期": date(2024, 1, 1), "释放日期": None, "监狱名称": "浙江省乔司监狱"}]))
    assert pairs(rows) == {(a, "R1"), (b, "R1")}
    assert {r["person"]: r["统筹支付合计"] for r in rows}[a] == 10000.0


def test_boundaries_designated_hospital_and_outside_care() -> None:
    released_before, admitted_at_entry, outpatient_release_day, designated, approved = (
        person_id(i) for i in range(10, 15))
    start, end = date(2024, 3, 1), date(2024, 6, 1)
    rows = run_model(MODEL, tables(
        medical=[visit(released_before, date(2024, 6, 2), date(2024, 6, 9)),
                 visit(admitted_at_entry, date(2024, 2, 20), start),
                 visit(outpatient_release_day, end, end, kind="门诊"),
                 visit(designated, date(2024, 4, 1), date(2024, 4, 5), hospital="台州市公安局监管医院"),
                 visit(approved, date(2024, 4, 1), date(2024, 4, 5))],
        custody_rows=[custody(p, start, end) for p in (released_before, admitted_at_entry, outpatient_release_day,
                                                       designated, approved)],
        outside=[{"身份证号": approved, "出所就医日期": date(2024, 4, 1), "返所日期": date(2024, 4, 5)}]))
    assert rows == []


def test_designated_hospital_list_is_a_parameter() -> None:
    p = person_id(20)
    t = tables(medical=[visit(p, date(2024, 4, 1), date(2024, 4, 5), hospital="台州市公安局监管医院")],
               custody_rows=[custody(p, date(2024, 3, 1), None)])
    assert pairs(run_model(MODEL, t, params={"custody_hospitals": ["某省监管医院"]})) == {(p, "R1")}
