"""probation-misuse (M3 缓刑适用不当): hand-made judgments with positives, negatives and boundaries."""

from __future__ import annotations

from datetime import date

from tests.models_library.conftest import run_model

MODEL = "probation-misuse"


def _defendant(pid: str, charge: str, kind: str, term: int | None, probation: int | None,
               offence: date = date(2023, 3, 10), leader: bool = False) -> dict:
    return {"文书编号": f"W{pid}", "案号": f"（2023）浙1002刑初{pid}号", "被告人序号": 1, "身份证号": pid,
            "姓名": f"被告人{pid}", "罪名": charge, "刑种": kind, "刑期月数": term, "缓刑月数": probation,
            "犯罪日期": offence, "首要分子": leader, "出生日期": date(1980, 1, 1)}


def _prior(pid: str, charge: str, kind: str, released: date) -> dict:
    return {"文书编号": f"W{pid}", "被告人序号": 1, "前科罪名": charge, "前科刑种": kind, "前科刑期月数": 24,
            "释放日期": released, "前科判决日期": date(2010, 1, 1)}


def _hits(defendants: list[dict], priors: list[dict], params: dict | None = None) -> set[tuple[str, str]]:
    other_count = {"文书编号": "W999", "被告人序号": 1, "罪名": "盗窃罪", "刑种": "拘役", "刑期月数": 3}
    rows = run_model(MODEL, {"刑事判决被告人": defendants, "刑事判决罪名": [other_count], "刑事判决前科": priors},
                     params)
    return {(r["person"], r["rule"]) for r in rows}


def test_r1_penalty_not_eligible_for_probation() -> None:
    hits = _hits([
        _defendant("1", "诈骗罪", "有期徒刑", 48, 60),          # > 3 years
        _defendant("2", "盗窃罪", "管制", 12, 24),              # 管制 cannot be suspended
        _defendant("3", "诈骗罪", "有期徒刑", 36, 48),          # exactly 3 years: allowed
        _defendant("4", "诈骗罪", "有期徒刑", 48, None),        # no probation
    ], [_prior("9", "盗窃罪", "拘役", date(2020, 1, 1))])
    assert hits == {("1", "R1"), ("2", "R1")}


def test_r1_threshold_is_a_parameter() -> None:
    hits = _hits([_defendant("3", "诈骗罪", "有期徒刑", 36, 48)],
                 [_prior("9", "盗窃罪", "拘役", date(2020, 1, 1))], {"max_term_months": 24})
    assert hits == {("3", "R1")}


def test_r2_probation_period_range_with_boundaries() -> None:
    hits = _hits([
        _defendant("1", "盗窃罪", "有期徒刑", 18, 12),      # shorter than the sentence
        _defendant("2", "危险驾驶罪", "拘役", 4, 18),       # 拘役: more than one year
        _defendant("3", "盗窃罪", "有期徒刑", 6, 6),        # 有期徒刑: less than one year
        _defendant("4", "危险驾驶罪", "拘役", 1, 1),        # 拘役: less than two months
        _defendant("5", "盗窃罪", "有期徒刑", 8, 12),       # minimum one year: fine
        _defendant("6", "危险驾驶罪", "拘役", 1, 2),        # minimum two months: fine
        _defendant("7", "危险驾驶罪", "拘役", 5, 12),       # maximum one year: fine
        _defendant("8", "诈骗罪", "有期徒刑", 36, 60),      # maximum five years: fine
    ], [_prior("9", "盗窃罪", "拘役", date(2020, 1, 1))])
    assert hits == {("1", "R2"), ("2", "R2"), ("3", "R2"), ("4", "R2")}


def test_r3_recidivist_from_priors() -> None:
    offence = date(2023, 3, 10)
    defendants = [_defendant(str(k), "盗窃罪", "有期徒刑", 12, 24, offence) for k in range(1, 8)]
    defendants.append(_defendant("8", "交通肇事罪", "有期徒刑", 12, 24, offence))
    priors = [
        _prior("1", "盗窃罪", "有期徒刑", date(2018, 3, 10)),       # exactly 5 years: 累犯
        _prior("2", "诈骗罪", "有期徒刑", date(2021, 6, 1)),        # 2 years: 累犯
        _prior("3", "盗窃罪", "有期徒刑", date(2018, 3, 9)),        # 5 years and 1 day: not
        _prior("4", "交通肇事罪", "有期徒刑", date(2021, 6, 1)),    # negligent prior: not
        _prior("5", "过失致人死亡罪", "有期徒刑", date(2021, 6, 1)),  # negligent prior: not
        _prior("6", "盗窃罪", "拘役", date(2021, 6, 1)),            # 拘役 is below 有期徒刑: not
        _prior("7", "盗窃罪", "有期徒刑", date(2023, 6, 1)),        # released after the new offence
        _prior("8", "盗窃罪", "有期徒刑", date(2021, 6, 1)),        # the new crime is negligent: not
    ]
    assert _hits(defendants, priors) == {("1", "R3"), ("2", "R3")}


def test_r3_prior_without_probation_is_not_flagged() -> None:
    defendants = [_defendant("1", "盗窃罪", "有期徒刑", 12, None), _defendant("2", "盗窃罪", "有期徒刑", 12, 24)]
    assert _hits(defendants, [_prior("1", "盗窃罪", "有期徒刑", date(2021, 6, 1))]) == set()


def test_r4_ringleader_with_probation() -> None:
    hits = _hits([
        _defendant("1", "寻衅滋事罪", "有期徒刑", 24, 36, leader=True),
        _defendant("2", "寻衅滋事罪", "有期徒刑", 24, 36, leader=False),
        _defendant("3", "寻衅滋事罪", "有期徒刑", 48, None, leader=True),
    ], [_prior("9", "盗窃罪", "拘役", date(2020, 1, 1))])
    assert hits == {("1", "R4")}


def test_r3_prior_belongs_to_the_right_co_defendant() -> None:
    first = _defendant("1", "寻衅滋事罪", "有期徒刑", 12, 24)
    second = {**_defendant("2", "寻衅滋事罪", "有期徒刑", 18, 24), "文书编号": "W1", "被告人序号": 2}
    prior = {**_prior("1", "故意伤害罪", "有期徒刑", date(2020, 8, 1)), "被告人序号": 2}
    assert _hits([first, second], [prior]) == {("2", "R3")}
