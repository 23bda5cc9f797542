"""The baseline a user would otherwise write: M1, M5 and M7 as plain pandas over the demo city's Parquet.

Each function takes ``{dataset name: DataFrame}`` and returns one row per clue with at least the
columns ``subject`` and ``rule``, following the rules of the built-in models (same parameters,
same date boundaries) so the benchmark can check that both give the same clues.
Written as a competent analyst would: vectorised merges and group-bys, no Python loops over rows.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

CUSTODY_KINDS = ["刑事拘留", "逮捕", "拘役执行", "有期徒刑执行"]


def read_city(city: str | Path, names: list[str]) -> dict[str, pd.DataFrame]:
    """Read the named datasets of a generated city into DataFrames, as an analyst would: only the
    columns the collisions use (``COLUMNS``), date columns parsed to datetime64 once, here."""
    manifest = json.loads((Path(city) / "manifest.json").read_text("utf-8"))
    files = {d["name"]: d["file"] for d in manifest["datasets"]}
    frames = {}
    for n in names:
        df = pd.read_parquet(Path(city) / files[n], columns=COLUMNS[n])
        for col in df.columns:
            if df[col].dtype == object and _is_date(df[col]):
                df[col] = pd.to_datetime(df[col])
        frames[n] = df
    return frames


def _is_date(s: pd.Series) -> bool:
    first = s.dropna().head(1).tolist()
    return bool(first) and isinstance(first[0], date)


def _dt(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s)


def _add_months(s: pd.Series, months: pd.Series | int) -> pd.Series:
    """Calendar month arithmetic that clamps to month end, like SQL ``date + INTERVAL n MONTH``."""
    s = _dt(s)
    m = pd.Series(months, index=s.index) if np.isscalar(months) else months
    total = s.dt.year * 12 + (s.dt.month - 1) + m
    first = pd.to_datetime({"year": total // 12, "month": total % 12 + 1, "day": 1})
    last_day = (first + pd.offsets.MonthEnd(0)).dt.day
    return first + pd.to_timedelta(np.minimum(s.dt.day, last_day) - 1, unit="D")


M1_DATASETS = ["看守所出入所", "监狱服刑人员", "养老金发放", "社区矫正对象", "养老金待遇调整"]


def m1_pension_during_custody(d: dict[str, pd.DataFrame], grace_months: int = 1,
                              min_adjustment: float = 0.0) -> pd.DataFrame:
    """服刑/羁押期间领取养老金 (R1) and 社区矫正期间参加调整 (R2)."""
    today = pd.Timestamp(date.today())
    c = d["看守所出入所"]
    c = c[c["羁押性质"].isin(CUSTODY_KINDS)]
    held = pd.DataFrame({"person": c["身份证号"], "name": c["姓名"], "start": _dt(c["入所日期"]),
                         "end": _dt(c["出所日期"])})
    p = d["监狱服刑人员"]
    prison = pd.DataFrame({"person": p["身份证号"], "name": p["姓名"], "start": _dt(p["收监日期"]),
                           "end": _dt(p["释放日期"])})
    spans = pd.concat([held, prison], ignore_index=True)
    spans["start_month"] = spans["start"].dt.to_period("M").dt.to_timestamp()
    spans["end_month"] = spans["end"].fillna(today).dt.to_period("M").dt.to_timestamp()
    spans["after"] = _add_months(spans["start_month"], grace_months)
    pay = d["养老金发放"][["身份证号", "发放年月", "发放金额", "发放机构"]].rename(columns={"身份证号": "person"})
    pay["发放年月"] = _dt(pay["发放年月"])
    j = pay.merge(spans, on="person")
    j = j[(j["发放年月"] > j["after"]) & (j["发放年月"] < j["end_month"])]
    months = j.drop_duplicates(["person", "name", "发放年月", "发放金额", "发放机构"])
    r1 = months.groupby(["person", "name"], as_index=False).agg(次数=("发放年月", "size"),
                                                                 金额合计=("发放金额", "sum"))
    r1["rule"] = "R1"
    roster = d["社区矫正对象"].rename(columns={"身份证号": "person"})
    adj = d["养老金待遇调整"][["身份证号", "调整日期", "调整金额"]].rename(columns={"身份证号": "person"})
    k = adj.merge(roster, on="person")
    end = _dt(k["解矫日期"]).fillna(_dt(k["矫正期满日期"]))
    day = _dt(k["调整日期"])
    k = k[(day >= _dt(k["入矫日期"])) & (day <= end) & (k["调整金额"] > min_adjustment)]
    r2 = k.groupby(["person", "姓名"], as_index=False).agg(次数=("调整金额", "size"), 金额合计=("调整金额", "sum"))
    r2 = r2.rename(columns={"姓名": "name"})
    r2["rule"] = "R2"
    out = pd.concat([r1, r2], ignore_index=True)
    return out.rename(columns={"person": "subject"})


M5_DATASETS = ["危险驾驶案件", "驾驶证业务记录", "交通违法"]


def m5_drunk_driving_licence(d: dict[str, pd.DataFrame], revoke_days: int = 30, ban_years: int = 5,
                             trade_ban_years: int = 10) -> pd.DataFrame:
    """醉驾未吊销 (R1), 禁驾期内重新领证 (R2), 吊销/注销后仍驾驶 (R3)."""
    cases = d["危险驾驶案件"]
    cases = cases[cases["处理结果"].isin(["判决有罪", "相对不起诉"])].copy()
    cases["offence"], cases["effective"] = _dt(cases["违法日期"]), _dt(cases["生效日期"])
    ev = d["驾驶证业务记录"].rename(columns={"身份证号": "person"}).dropna(subset=["person"])
    ev = ev.assign(day=_dt(ev["业务日期"]))
    cases = cases.rename(columns={"身份证号": "person"}).reset_index(drop=True)
    cases["case_row"] = cases.index
    # R1: held a licence before the offence, no revocation in [offence, effective + N days]
    first = cases.merge(ev[ev["业务类型"] == "初次申领"][["person", "day"]], on="person")
    holders = set(first.loc[first["day"] < first["offence"], "case_row"])
    rev = cases.merge(ev[ev["业务类型"] == "吊销"][["person", "day"]], on="person")
    deadline = rev["effective"] + pd.Timedelta(days=revoke_days)
    revoked = set(rev.loc[(rev["day"] >= rev["offence"]) & (rev["day"] <= deadline), "case_row"])
    r1 = cases[cases["case_row"].isin(holders - revoked)][["person"]].assign(rule="R1")
    # R2: relicensed inside the ban
    cases["ban_months"] = np.where(cases["是否营运车辆"] == "是", trade_ban_years * 12, ban_years * 12)
    re_ = cases.merge(ev[ev["业务类型"] == "重新申领"][["person", "day"]], on="person")
    re_ = re_[(re_["day"] > re_["offence"]) & (re_["day"] < _add_months(re_["offence"], re_["ban_months"]))]
    r2 = re_.drop_duplicates(["person", "姓名", "案件编号", "offence", "ban_months"])[["person"]].assign(rule="R2")
    # R3: drove after the licence was revoked or cancelled, with no relicence in between
    lost = ev[ev["业务类型"].isin(["吊销", "注销"])][["person", "day", "业务类型", "决定书编号"]]
    tr = d["交通违法"][["驾驶人身份证号", "驾驶人姓名", "违法日期"]].rename(columns={"驾驶人身份证号": "person"})
    tr = tr.dropna(subset=["person"])
    tr = tr.assign(drove=_dt(tr["违法日期"]))
    after = tr.merge(lost.rename(columns={"day": "lost_day"}), on="person")
    after = after[after["drove"] > after["lost_day"]].reset_index(drop=True)
    after["pair"] = after.index
    rl = after.merge(ev[ev["业务类型"] == "重新申领"][["person", "day"]], on="person")
    relicensed = set(rl.loc[(rl["day"] > rl["lost_day"]) & (rl["day"] <= rl["drove"]), "pair"])
    after = after[~after["pair"].isin(relicensed)]
    r3 = after.drop_duplicates(["person", "驾驶人姓名", "lost_day", "业务类型", "决定书编号"])[["person"]]
    r3 = r3.assign(rule="R3")
    return pd.concat([r1, r2, r3], ignore_index=True).rename(columns={"person": "subject"})


M7_DATASETS = ["民事案件"]


def m7_frequent_lending_plaintiff(d: dict[str, pd.DataFrame], window_months: int = 24,
                                  min_cases: int = 15) -> pd.DataFrame:
    """同一原告任意 24 个月内民间借贷起诉 ≥ 阈值 (R1): sorted search per plaintiff, no self-join."""
    c = d["民事案件"]
    c = c[c["案由"] == "民间借贷纠纷"].copy()
    c["pid"] = c["原告证件号码"].str.strip().str.upper()
    c = c[c["pid"].notna()]
    c["filed"] = _dt(c["立案日期"])
    c = c[c["filed"].notna()]
    code = c["pid"].astype("category").cat.codes.to_numpy(np.int64)
    days = (c["filed"] - pd.Timestamp("1900-01-01")).dt.days.to_numpy(np.int64)
    low = (_add_months(c["filed"], -window_months) - pd.Timestamp("1900-01-01")).dt.days.to_numpy(np.int64)
    key = code * 100_000 + days
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    hi = np.searchsorted(sorted_key, key, side="right")
    lo = np.searchsorted(sorted_key, code * 100_000 + low, side="left")
    c["in_window"] = hi - lo
    frequent = c[c["in_window"] >= min_cases].groupby("pid", as_index=False)["in_window"].max()
    suits = c[c["pid"].isin(frequent["pid"])].groupby("pid").size().rename("suits")
    out = frequent.merge(suits, left_on="pid", right_index=True).rename(columns={"in_window": "peak"})
    return out.rename(columns={"pid": "subject"}).assign(rule="R1")


# the columns each collision reads (what an analyst passes to read_parquet(columns=…))
COLUMNS = {
    "看守所出入所": ["身份证号", "姓名", "羁押性质", "入所日期", "出所日期"],
    "监狱服刑人员": ["身份证号", "姓名", "收监日期", "释放日期"],
    "养老金发放": ["身份证号", "发放年月", "发放金额", "发放机构"],
    "社区矫正对象": ["身份证号", "姓名", "入矫日期", "矫正期满日期", "解矫日期"],
    "养老金待遇调整": ["身份证号", "调整日期", "调整金额"],
    "危险驾驶案件": ["案件编号", "身份证号", "姓名", "违法日期", "生效日期", "处理结果", "是否营运车辆"],
    "驾驶证业务记录": ["身份证号", "业务日期", "业务类型", "决定书编号"],
    "交通违法": ["驾驶人身份证号", "驾驶人姓名", "违法日期"],
    "民事案件": ["案由", "原告证件号码", "立案日期"],
}

COLLISIONS = {
    "pension-during-custody": (M1_DATASETS, m1_pension_during_custody),
    "drunk-driving-licence": (M5_DATASETS, m5_drunk_driving_licence),
    "frequent-lending-plaintiff": (M7_DATASETS, m7_frequent_lending_plaintiff),
}
