"""accessory-penalty (M4 附加刑判处不当) against a small hand-made 法定附加刑表 and the real one."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from tests.models_library.conftest import run_model

MODEL = "accessory-penalty"


def _law(charge: str, start: date, end: date | None, band: int, low: int, high: int, fine: str,
         conf: str = "无", dep: str = "无") -> dict:
    return {"罪名": charge, "条文": "第X条", "生效日期": start, "失效日期": end, "刑档序号": band,
            "主刑下限月数": low, "主刑上限月数": high, "罚金": fine, "没收财产": conf, "剥夺政治权利": dep}


LAW = [
    _law("职务侵占罪", date(1997, 10, 1), date(2021, 2, 28), 1, 1, 60, "未知"),
    _law("职务侵占罪", date(2021, 3, 1), None, 1, 1, 36, "必须"),
    _law("职务侵占罪", date(2021, 3, 1), None, 2, 36, 120, "必须"),
    _law("寻衅滋事罪", date(2011, 5, 1), None, 1, 1, 60, "无"),
    _law("寻衅滋事罪", date(2011, 5, 1), None, 2, 60, 120, "可以"),
    _law("盗窃罪", date(2011, 5, 1), None, 3, 120, 180, "择一", "择一"),
    _law("盗窃罪", date(2011, 5, 1), None, 3, 10000, 10000, "择一", "择一", "必须"),
    _law("毒品罪", date(1997, 10, 1), None, 1, 6, 180, "无", "必须"),
    _law("毒品罪", date(1997, 10, 1), None, 2, 84, 180, "必须"),
]


def _count(pid: str, charge: str, kind: str, term: int | None, offence: date, fine: int | None = None,
           conf: bool = False, dep: int | None = None, life: bool = False) -> dict:
    return {"文书编号": f"W{pid}", "案号": f"A{pid}", "被告人序号": 1, "身份证号": pid, "姓名": f"被告人{pid}",
            "罪名": charge, "刑种": kind, "刑期月数": term, "罚金元": fine, "没收财产": conf,
            "剥夺政治权利月数": dep, "剥夺政治权利终身": life, "犯罪日期": offence,
            "判决日期": offence + timedelta(days=120), "合并判处罚金元": 0, "合并判处没收财产": False,
            "合并判处剥夺政治权利": False}


def _defendants(counts: list[dict]) -> list[dict]:
    keep = ("案号", "身份证号", "姓名", "罪名", "刑种", "刑期月数", "剥夺政治权利月数", "剥夺政治权利终身")
    return [{k: c[k] for k in keep} for c in counts]


def _hits(counts: list[dict], law: list[dict] = LAW) -> set[tuple[str, str]]:
    # a clean defendant with every column filled, so that column types never fall back to text
    counts = [*counts, _count("0", "寻衅滋事罪", "有期徒刑", 24, date(2022, 1, 1), fine=1000, dep=24)]
    tables = {"刑事判决罪名": counts, "刑事判决被告人": _defendants(counts), "法定附加刑表": law}
    return {(r["person"], r["rule"]) for r in run_model(MODEL, tables)}


def test_r1_missing_mandatory_fine_by_version_in_force() -> None:
    hits = _hits([
        _count("1", "职务侵占罪", "有期徒刑", 24, date(2022, 5, 10)),              # new law, no fine
        _count("2", "职务侵占罪", "有期徒刑", 24, date(2022, 5, 10), fine=20000),  # fined: fine
        _count("3", "职务侵占罪", "有期徒刑", 24, date(2021, 2, 20)),              # old version 未知: skip
        _count("4", "职务侵占罪", "有期徒刑", 24, date(2021, 3, 1)),               # first day of new law
        _count("5", "寻衅滋事罪", "有期徒刑", 24, date(2022, 5, 10), dep=24),
    ])
    assert hits == {("1", "R1"), ("4", "R1")}


def test_r1_border_of_two_bands_takes_the_milder_one() -> None:
    hits = _hits([
        _count("1", "毒品罪", "有期徒刑", 180, date(2022, 1, 1), fine=5000),   # bands 1 and 2: no 没收 needed
        _count("2", "毒品罪", "有期徒刑", 60, date(2022, 1, 1), fine=5000),    # band 1 only: 没收 required
        _count("3", "毒品罪", "有期徒刑", 60, date(2022, 1, 1), conf=True),
    ])
    assert hits == {("2", "R1")}


def test_r1_either_fine_or_confiscation() -> None:
    hits = _hits([
        _count("1", "盗窃罪", "有期徒刑", 150, date(2022, 1, 1)),
        _count("2", "盗窃罪", "有期徒刑", 150, date(2022, 1, 1), conf=True),
        _count("3", "盗窃罪", "有期徒刑", 150, date(2022, 1, 1), fine=10000),
    ])
    assert hits == {("1", "R1")}


def test_r2_life_or_death_without_lifelong_deprivation() -> None:
    hits = _hits([
        _count("1", "盗窃罪", "无期徒刑", None, date(2022, 1, 1), fine=10000),
        _count("2", "盗窃罪", "无期徒刑", None, date(2022, 1, 1), fine=10000, life=True),
        _count("3", "故意杀人罪", "死刑缓期二年执行", None, date(2022, 1, 1), dep=None),
    ])
    assert hits == {("1", "R2"), ("3", "R2")}


def test_r4_deprivation_term_outside_one_to_five_years() -> None:
    hits = _hits([
        _count("1", "寻衅滋事罪", "有期徒刑", 24, date(2022, 1, 1), dep=72),
        _count("2", "寻衅滋事罪", "有期徒刑", 24, date(2022, 1, 1), dep=6),
        _count("3", "寻衅滋事罪", "有期徒刑", 24, date(2022, 1, 1), dep=60),
        _count("4", "寻衅滋事罪", "有期徒刑", 24, date(2022, 1, 1), dep=12),
    ])
    assert hits == {("1", "R4"), ("2", "R4")}


def test_with_the_real_law_table() -> None:
    from shujian.demo.groups.justice_law import accessory_rows, dataset_rows

    law = dataset_rows(accessory_rows())
    hits = _hits([
        _count("1", "危险驾驶罪", "拘役", 3, date(2023, 11, 5)),
        _count("2", "危险驾驶罪", "拘役", 3, date(2023, 11, 5), fine=5000),
        _count("3", "故意伤害罪", "有期徒刑", 30, date(2023, 11, 5)),
    ], law=law)
    assert hits == {("1", "R1")}


def _unscreened_model():
    """The model without its R1 screen: every count grouped with the versions it matched."""
    from shujian.models_library import get_model

    model = get_model(MODEL)
    steps = [s for s in model.steps if s.id not in {"r1_rows", "r1_matched"}]
    assert len(steps) == len(model.steps) - 2
    steps = [s.model_copy(update={"from_": "matched"}) if s.id == "per_item" else s for s in steps]
    return model.model_copy(update={"steps": steps})


@pytest.mark.parametrize("seed", range(3))
def test_r1_screen_changes_no_output_row(seed: int) -> None:
    """Random counts against versions of mixed demands (a count matching one that demands the penalty
    and one that does not), blank and shared 文书编号/序号: every output row (facts and evidence)
    equals the unscreened model's."""
    import json
    import random

    from shujian.demo.evaluate import load_tables, run_model_on
    from shujian.models_library import get_model

    rng = random.Random(seed)
    law = [*LAW, _law("毒品罪", date(1997, 10, 1), None, 3, 60, 100, "可以", "必须", "必须"),
           _law("寻衅滋事罪", date(2011, 5, 1), None, 3, 110, 150, "无", "无", "必须")]
    counts = []
    for k in range(160):
        charge = rng.choice(["职务侵占罪", "寻衅滋事罪", "盗窃罪", "毒品罪"])
        kind = rng.choice(["有期徒刑", "有期徒刑", "无期徒刑", "管制"])
        row = _count(str(k), charge, kind, rng.choice([None, 12, 36, 70, 90, 130, 150]),
                     date(2019, 1, 1) + timedelta(days=rng.randrange(2000)),
                     fine=rng.choice([None, 0, 5000]), conf=rng.random() < 0.3,
                     dep=rng.choice([None, None, 24]), life=rng.random() < 0.2)
        row["文书编号"] = rng.choice([row["文书编号"], None, "W-shared"])
        row["被告人序号"] = rng.choice([1, 2, None])
        counts.append(row)
    counts.append(_count("0", "寻衅滋事罪", "有期徒刑", 24, date(2022, 1, 1), fine=1000, dep=24))
    con, catalog = load_tables({"刑事判决罪名": counts, "刑事判决被告人": _defendants(counts), "法定附加刑表": law})
    try:
        screened = run_model_on(con, catalog, get_model(MODEL))
        reference = run_model_on(con, catalog, _unscreened_model())
    finally:
        con.close()
    assert {r["rule"] for r in screened} >= {"R1"}, "no R1 hit: the comparison would be vacuous"
    key = lambda r: json.dumps(r, sort_keys=True, default=str, ensure_ascii=False)  # noqa: E731
    assert sorted(map(key, screened)) == sorted(map(key, reference))
