"""migrant-wage-guarantee (M9): account, deposit and payment guarantee, with boundaries."""

from __future__ import annotations

from datetime import date, timedelta

from tests.models_library.conftest import run_model

MODEL = "migrant-wage-guarantee"
PERMIT = date(2024, 3, 1)
FINISH = PERMIT + timedelta(days=720)


def _project(pid: str, *, account: int | None = 10, account_uscc: str | None = None,
             ratio: float | None = 0.02, letter_gap: int | None = 90, guarantee: bool = True) -> dict:
    amount = 50_000_000.0
    out: dict[str, list[dict]] = {"施工许可": [{
        "项目编号": pid, "项目名称": f"项目{pid}", "区域": "椒江区", "建设单位": "甲公司",
        "建设单位统一社会信用代码": f"OWN{pid}", "施工总承包单位": "乙公司",
        "施工总承包单位统一社会信用代码": f"BLD{pid}", "合同金额": amount, "发证日期": PERMIT,
        "计划竣工日期": FINISH}], "农民工工资专用账户": [], "工资保证金": [], "工程款支付担保": []}
    if account is not None:
        out["农民工工资专用账户"].append({"项目编号": pid, "施工总承包单位统一社会信用代码": account_uscc or f"BLD{pid}",
                                  "开户日期": PERMIT + timedelta(days=account)})
    if ratio is not None:
        out["工资保证金"].append({"项目编号": pid, "金额": round(amount * ratio, 2),
                             "保函到期日": None if letter_gap is None else FINISH + timedelta(days=letter_gap)})
    if guarantee:
        out["工程款支付担保"].append({"项目编号": pid, "建设单位统一社会信用代码": f"OWN{pid}"})
    return out


def _hits(*projects: dict, params: dict | None = None) -> set[tuple[str, str]]:
    tables: dict[str, list[dict]] = {}
    for p in (*projects, _project("anchor")):
        for k, rows in p.items():
            tables.setdefault(k, []).extend(rows)
    return {(r["project"], r["rule"]) for r in run_model(MODEL, tables, params)}


def test_r1_account() -> None:
    assert _hits(_project("1", account=None), _project("2", account=45), _project("3", account_uscc="OTHER"),
                 _project("4", account=30), _project("5", account=-5)) == {
        ("1", "R1"), ("2", "R1"), ("3", "R1")}


def test_r1_days_are_a_parameter() -> None:
    assert _hits(_project("4", account=30), params={"account_days": 20}) == {("4", "R1")}


def test_r2_deposit() -> None:
    assert _hits(_project("1", ratio=None), _project("2", ratio=0.005), _project("3", letter_gap=-30),
                 _project("4", ratio=0.01), _project("5", letter_gap=0), _project("6", letter_gap=None)) == {
        ("1", "R2"), ("2", "R2"), ("3", "R2")}


def test_r3_guarantee_and_all_three() -> None:
    assert _hits(_project("1", guarantee=False),
                 _project("2", account=None, ratio=None, guarantee=False)) == {
        ("1", "R3"), ("2", "R1"), ("2", "R2"), ("2", "R3")}
