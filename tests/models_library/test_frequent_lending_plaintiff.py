"""frequent-lending-plaintiff (M7): sliding 24-month window, ID normalisation, 案由 filter, score."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from tests.models_library.conftest import run_model

MODEL = "frequent-lending-plaintiff"


def _suits(pid: str, n: int, first: date, every_days: int, cause: str = "民间借贷纠纷",
           way: str = "判决", absent: bool = True) -> list[dict]:
    out = []
    for k in range(n):
        filed = first + timedelta(days=every_days * k)
        out.append({"案号": f"{pid}-{k}", "案由": cause, "原告": f"原告{pid}", "原告证件号码": pid,
                    "代理人": "某律师事务所 张三", "立案日期": filed, "结案日期": filed + timedelta(days=20),
                    "结案方式": way, "是否缺席": absent, "标的额": 30000.0})
    return out


def _run(rows: list[dict], params: dict | None = None) -> dict[str, dict]:
    return {r["pid"]: r for r in run_model(MODEL, {"民事案件": rows}, params)}


def test_threshold_and_window() -> None:
    rows = (_suits("A", 15, date(2022, 3, 1), 49)          # 15 within 686 days: hit
            + _suits("B", 14, date(2023, 2, 1), 25)        # 14: one short
            + _suits("C", 16, date(2021, 1, 4), 75)        # 16 spread over 37 months: no window of 15
            + _suits("D", 30, date(2023, 1, 3), 10, cause="金融借款合同纠纷"))
    hits = _run(rows)
    assert set(hits) == {"A"}
    assert hits["A"]["rule"] == "R1" and hits["A"]["peak"] == 15 and hits["A"]["suits"] == 15


def test_window_edge_is_inclusive() -> None:
    first = date(2022, 1, 10)
    rows = _suits("E", 14, first, 30) + _suits("E", 1, date(2024, 1, 10), 1)   # 15th exactly 24 months on
    rows[-1]["案号"] = "E-last"
    assert set(_run(rows)) == {"E"}
    rows[-1]["立案日期"] = date(2024, 1, 11)                                    # one day later: the first falls out
    assert set(_run(rows)) == set()


def test_id_is_normalised_and_threshold_is_a_parameter() -> None:
    rows = _suits("33100219800101123X", 8, date(2024, 1, 8), 20)
    rows += [{**r, "原告证件号码": " 33100219800101123x", "案号": r["案号"] + "b"} for r in rows]
    assert set(_run(rows)) == {"33100219800101123X"}
    assert set(_run(rows, {"min_cases": 17})) == set()


def test_score_counts_risk_features() -> None:
    rows = _suits("F", 16, date(2023, 1, 1), 20, absent=True)
    hit = _run(rows)["F"]
    # absent share 100 %, round amounts 100 %, same agent 16 cases; no withdrawals, no quick mediation
    assert hit["score"] == 3
    assert hit["absent_share"] == 1.0


def _unscreened_model():
    """The model without its screens: the suits of every plaintiff told apart, the window counting
    every lending suit of every plaintiff."""
    from shujian.models_library import get_model

    model = get_model(MODEL)
    steps = [s for s in model.steps if s.id not in {"plaintiff_rows", "busy", "plaintiff_totals", "candidates"}]
    assert len(steps) == len(model.steps) - 4
    reads = {"counted": "dated", "suits": "attributable"}
    steps = [s.model_copy(update={"from_": reads[s.id]}) if s.id in reads else s for s in steps]
    return model.model_copy(update={"steps": steps})


@pytest.mark.parametrize("seed", range(3))
def test_screen_changes_no_output_row(seed: int) -> None:
    """Random suits around the threshold: every output row (facts and evidence) equals the unscreened model's."""
    import json
    import random

    from shujian.demo.evaluate import load_tables, run_model_on
    from shujian.models_library import get_model

    rng = random.Random(seed)
    rows: list[dict] = []
    for k in range(30):
        n = rng.choice([1, 3, 14, 15, 16, 20, 40])
        rows += _suits(f"P{k:02d}", n, date(2019, 1, 1) + timedelta(days=rng.randrange(900)), rng.choice([5, 30, 60]),
                       way=rng.choice(["判决", "调解", "撤诉"]), absent=rng.random() < 0.5)
    for r in rng.sample(rows, 20):
        r["原告证件号码"] = rng.choice([None, " " + str(r["原告证件号码"]).lower()])
    con, catalog = load_tables({"民事案件": rows})
    try:
        screened = run_model_on(con, catalog, get_model(MODEL), {"min_cases": 12})
        reference = run_model_on(con, catalog, _unscreened_model(), {"min_cases": 12})
    finally:
        con.close()
    assert screened, "no plaintiff reaches the threshold: the comparison would be vacuous"
    key = lambda r: json.dumps(r, sort_keys=True, default=str, ensure_ascii=False)  # noqa: E731
    assert sorted(map(key, screened)) == sorted(map(key, reference))
