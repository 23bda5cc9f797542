"""drunk-driving-licence (M5): revocation deadline, re-licensing ban, driving after revocation."""

from __future__ import annotations

from datetime import date

from tests.models_library.conftest import pairs, person_id, run_model

MODEL = "drunk-driving-licence"
OTHER = person_id(499)


def case(pid: str, offence: date, effective: date, result: str = "判决有罪", trade: str = "否") -> dict:
    return {"案件编号": f"台椒检刑诉〔2024〕{pid[-4:]}号", "身份证号": pid, "姓名": "某", "违法日期": offence,
            "血液酒精含量": 150.0, "是否营运车辆": trade, "处理结果": result, "生效日期": effective}


def event(pid: str, kind: str, day: date) -> dict:
    return {"身份证号": pid, "业务类型": kind, "业务日期": day, "决定书编号": "台公交决字〔2024〕1号" if kind == "吊销" else None}


def drove(pid: str, day: date) -> dict:
    return {"决定书编号": f"3310{pid[-6:]}{day:%Y%m%d}", "驾驶人身份证号": pid, "驾驶人姓名": "某", "违法日期": day, "违法行为": "违停", "号牌号码": "浙J12345"}


def tables(cases=(), events=(), traffic=()) -> dict:
    return {"危险驾驶案件": [case(OTHER, date(2018, 1, 1), date(2018, 3, 1), "撤案"), *cases],
            "驾驶证业务记录": [event(OTHER, "初次申领", date(2010, 1, 1)), *events],
            "交通违法": [drove(OTHER, date(2024, 1, 1)), *traffic]}


def test_r1_revocation_deadline_and_exemptions() -> None:
    never, late, on_time, day30, withdrawn, unlicensed, doubtful, early = (person_id(i) for i in range(1, 9))
    off, eff = date(2024, 1, 10), date(2024, 3, 1)
    licensed = [event(p, "初次申领", date(2015, 1, 1)) for p in (never, late, on_time, day30, withdrawn, doubtful, early)]
    rows = run_model(MODEL, tables(
        cases=[case(never, off, eff), case(late, off, eff), case(on_time, off, eff, "相对不起诉"),
               case(day30, off, eff), case(withdrawn, off, eff, "撤案"), case(unlicensed, off, eff),
               case(doubtful, off, eff, "存疑不起诉"), case(early, off, eff)],
        events=[*licensed, event(late, "吊销", date(2024, 4, 1)), event(on_time, "吊销", date(2024, 3, 5)),
                event(day30, "吊销", date(2024, 3, 31)), event(early, "吊销", date(2024, 1, 12))]))
    assert pairs(rows) == {(never, "R1"), (late, "R1")}


def test_r1_deadline_parameter() -> None:
    late = person_id(2)
    t = tables(cases=[case(late, date(2024, 1, 10), date(2024, 3, 1))],
               events=[event(late, "初次申领", date(2015, 1, 1)), event(late, "吊销", date(2024, 4, 1))])
    assert run_model(MODEL, t, params={"revoke_days": 31}) == []


def test_r2_relicensing_within_ban() -> None:
    # the ban runs from the revocation (申领和使用规定: 吊销未满五年), so 2024-08-02 is the first allowed day
    early, exact, trade = person_id(10), person_id(11), person_id(12)
    rows = run_model(MODEL, tables(
        cases=[case(early, date(2019, 6, 1), date(2019, 8, 1)), case(exact, date(2019, 6, 1), date(2019, 8, 1)),
               case(trade, date(2016, 3, 1), date(2016, 5, 1), trade="是")],
        events=[e for p, back in ((early, date(2023, 6, 1)), (exact, date(2024, 8, 2)), (trade, date(2024, 3, 1)))
                for e in (event(p, "初次申领", date(2005, 1, 1)), event(p, "吊销", date(2019, 8, 2) if p != trade
                                                                       else date(2016, 5, 2)),
                          event(p, "重新申领", back))]))
    assert pairs(rows) == {(early, "R2"), (trade, "R2")}


def test_r3_driving_after_revocation() -> None:
    after, same_day, relicensed, cancelled = (person_id(i) for i in (20, 21, 22, 23))
    rev = date(2023, 5, 1)
    rows = run_model(MODEL, tables(
        events=[event(after, "吊销", rev), event(same_day, "吊销", rev), event(relicensed, "吊销", rev),
                event(relicensed, "重新申领", date(2024, 1, 1)), event(cancelled, "注销", rev)],
        traffic=[drove(after, date(2023, 9, 1)), drove(after, date(2023, 10, 1)), drove(same_day, rev),
                 drove(relicensed, date(2024, 2, 1)), drove(cancelled, date(2023, 5, 2))]))
    assert pairs(rows) == {(after, "R3"), (cancelled, "R3")}
    assert {r["person"]: r["说明"] for r in rows}[after].startswith("2023-05-01吊销后有2次")
