"""The baseline a user would otherwise write: M1, M5 and M7 as plain pandas over the demo city's Parquet.

Each function takes ``{dataset name: DataFrame}`` and returns one row per clue with the columns
``subject``, ``rule`` and the count facts the benchmark compares (``次数`` for M1 and M5, ``peak`` and
``suits`` for M7).  Each follows its model's rule as written in src/shujian/models_library/<id>.yaml and
docs/models/<id>.md — every screen, with the same parameters (``PARAMS``, checked against the models'
defaults by bench_baselines.py), the same NULL handling and the same date boundaries — so the benchmark
can require the same clues with the same counts.  What the scripts leave out is presentation only: names,
titles, sums, risk scores and evidence lists, which the compiled SQL also builds.

Written as a competent analyst would: vectorised merges and group-bys, a sorted ``searchsorted`` window
count for M7 (no self-join), only the columns the rules read, dates parsed once when the files are read.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq


def read_city(city: str | Path, names: list[str]) -> dict[str, pd.DataFrame]:
    """Read the named datasets of a generated city into DataFrames, as an analyst would: only the
    columns the collisions use (``COLUMNS``), date columns as datetime64 (millisecond resolution, so
    that a year-9999 typo does not overflow)."""
    manifest = json.loads((Path(city) / "manifest.json").read_text("utf-8"))
    files = {d["name"]: d["file"] for d in manifest["datasets"]}
    return {n: pq.read_table(Path(city) / files[n], columns=COLUMNS[n]).to_pandas(date_as_object=False)
            for n in names}


def _today() -> pd.Timestamp:
    return pd.Timestamp(date.today())


def _add_months(s: pd.Series, months) -> pd.Series:
    """Calendar month arithmetic that clamps to the month's end, like SQL ``date + INTERVAL n MONTH``."""
    d = s.to_numpy(dtype="datetime64[D]")
    first = d.astype("datetime64[M]")
    m = np.asarray(months, dtype=np.int64)
    target = first + m
    last_day = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    day = (d - first.astype("datetime64[D]")).astype(np.int64)
    out = target.astype("datetime64[D]") + np.minimum(day, last_day - 1)
    return pd.Series(out.astype("datetime64[ms]"), index=s.index)


def _month_start(s: pd.Series) -> pd.Series:
    return pd.Series(s.to_numpy(dtype="datetime64[D]").astype("datetime64[M]").astype("datetime64[ms]"),
                     index=s.index)


def _contains_any(s: pd.Series, words: list[str]) -> pd.Series:
    """The models' ``keywords`` filter: the text contains one of ``words`` (a blank contains none)."""
    return s.str.contains("|".join(map(re.escape, words)), regex=True, na=False).astype(bool)


def _anti(left: pd.DataFrame, right: pd.DataFrame, on: str, cond) -> pd.DataFrame:
    """Rows of ``left`` with no row of ``right`` on the same ``on`` satisfying ``cond(merged)``."""
    left = left.reset_index(drop=True)
    m = left[[on]].assign(_lrow=np.arange(len(left))).merge(right, on=on)
    m = m.join(left.drop(columns=[on]), on="_lrow")
    hit = m.loc[cond(m), "_lrow"].unique()
    return left[~np.isin(np.arange(len(left)), hit)]


# ---------------------------------------------------------------------------------------------- M1

M1_DATASETS = ["看守所出入所", "监狱服刑人员", "养老金发放", "社区矫正对象", "养老金待遇调整"]


def m1_pension_during_custody(d: dict[str, pd.DataFrame], grace_months: int = 1,
                              exempt_kinds: tuple[str, ...] = ("监视居住", "取保候审"),
                              min_adjustment: float = 0.0) -> pd.DataFrame:
    """服刑/羁押期间领取养老金 (R1) and 社区矫正期间参加调整 (R2)."""
    today = _today()
    # R1: custody (not a non-custodial measure; blank counts as held) and prison spans
    c = d["看守所出入所"]
    c = c[c["身份证号"].notna() & c["入所日期"].notna() & ~_contains_any(c["羁押性质"], list(exempt_kinds))]
    p = d["监狱服刑人员"]
    p = p[p["身份证号"].notna() & p["收监日期"].notna()]
    spans = pd.concat([pd.DataFrame({"person": c["身份证号"], "start": c["入所日期"], "stop": c["出所日期"]}),
                       pd.DataFrame({"person": p["身份证号"], "start": p["收监日期"], "stop": p["释放日期"]})],
                      ignore_index=True)
    spans["stop"] = spans["stop"].fillna(today)
    # merge touching or overlapping spans into periods (sorted per person; ties share one frame, as in SQL)
    spans = spans.sort_values(["person", "start", "stop"], kind="stable", ignore_index=True)
    peers = [spans["person"], spans["start"], spans["stop"]]
    spans["reach"] = spans.groupby("person", sort=False)["stop"].cummax()
    spans["reach"] = spans.groupby(peers, sort=False)["reach"].transform("max")
    prev = spans.groupby("person", sort=False)["reach"].shift()
    spans["opens"] = (prev.isna() | (spans["start"] > prev + pd.Timedelta(days=1))).astype(np.int64)
    spans["period"] = spans.groupby("person", sort=False)["opens"].cumsum()
    spans["period"] = spans.groupby(peers, sort=False)["period"].transform("max")
    periods = spans.groupby(["person", "period"], as_index=False, sort=False).agg(
        period_start=("start", "min"), period_stop=("stop", "max"))
    periods["after"] = _add_months(_month_start(periods["period_start"]), grace_months)
    periods["end_month"] = _month_start(periods["period_stop"])
    # net payment per person and month: identical rows once, reversals in the same month cancel
    pay = d["养老金发放"].drop_duplicates(["身份证号", "发放年月", "发放金额", "发放机构"])
    pay = pay.groupby(["身份证号", "发放年月"], as_index=False, sort=False)["发放金额"].sum(min_count=1)
    pay = pay[pay["发放金额"] > 0].rename(columns={"身份证号": "person", "发放年月": "month"})
    j = pay.merge(periods, on="person")
    j = j[(j["month"] > j["after"]) & (j["month"] < j["end_month"])]
    r1 = j.groupby("person", as_index=False).size().rename(columns={"size": "次数"}).assign(rule="R1")
    # R2: an adjustment above the floor inside the community-correction term (inclusive)
    adj = d["养老金待遇调整"].drop_duplicates(["身份证号", "调整日期", "调整金额", "经办机构"])
    roster = d["社区矫正对象"]
    k = adj[adj["身份证号"].notna()].merge(roster[roster["身份证号"].notna()], on="身份证号")
    until = k["解矫日期"].fillna(k["矫正期满日期"]).fillna(today)
    k = k[(k["调整日期"] >= k["入矫日期"]) & (k["调整日期"] <= until) & (k["调整金额"] > min_adjustment)]
    k = k.drop_duplicates(["身份证号", "调整日期", "调整金额", "经办机构"])
    r2 = k.groupby("身份证号", as_index=False).size().rename(columns={"身份证号": "person", "size": "次数"})
    out = pd.concat([r1, r2.assign(rule="R2")], ignore_index=True)
    return out.rename(columns={"person": "subject"})


# ---------------------------------------------------------------------------------------------- M5

M5_DATASETS = ["危险驾驶案件", "驾驶证业务记录", "交通违法"]
M5_KINDS = {"established": ["有罪", "判处", "判决", "定罪", "相对不起诉", "酌定不起诉", "免予刑事处罚"],
            "rejected": ["无罪", "存疑", "证据不足", "法定不起诉", "绝对不起诉", "不构成犯罪", "撤案", "撤销案件", "撤回"],
            "first": ["初次申领", "初领"], "relicense": ["重新申领", "重新取得"], "revoke": ["吊销"],
            "lost": ["吊销", "注销"], "partial": ["准驾车型"]}
TRADE_YES = ["是", "true", "TRUE", "True", "Y", "y", "1", "营运"]     # as text: a BOOLEAN column reads "True"


def m5_drunk_driving_licence(d: dict[str, pd.DataFrame], revoke_days: int = 30, drunk_bac: float = 80.0,
                             law_from: date = date(2011, 5, 1), ban_years: int = 5,
                             trade_ban_years: int = 10) -> pd.DataFrame:
    """醉驾未吊销 (R1), 禁驾期内重新领证 (R2), 吊销/注销后仍驾驶 (R3)."""
    kinds = M5_KINDS
    cases = d["危险驾驶案件"]
    res = cases["处理结果"]
    cases = cases[_contains_any(res, kinds["established"]) & ~_contains_any(res, kinds["rejected"])
                  & cases["身份证号"].notna() & (cases["违法日期"] >= pd.Timestamp(law_from))
                  & ~(cases["血液酒精含量"] < drunk_bac)]          # a blank BAC counts as drunk
    cases = cases.rename(columns={"身份证号": "person", "案件编号": "case_no", "违法日期": "offence",
                                  "生效日期": "effective", "处理结果": "result"})
    ev = d["驾驶证业务记录"]
    ev = ev[ev["身份证号"].notna() & ev["业务日期"].notna() & ~_contains_any(ev["业务类型"], kinds["partial"])]
    ev = ev.rename(columns={"身份证号": "person", "业务日期": "day"})
    kind = ev["业务类型"]
    grants = ev.loc[_contains_any(kind, kinds["first"] + kinds["relicense"]), ["person", "day"]]
    grants = grants.rename(columns={"day": "grant_day"})
    losses = ev[_contains_any(kind, kinds["lost"])]
    revocations = ev.loc[_contains_any(kind, kinds["revoke"]), ["person", "day"]]
    today = _today()
    # R1: held a valid licence when driving drunk, no revocation in [offence, effective + N days]
    due = cases[cases["effective"].notna() & (cases["effective"] + pd.Timedelta(days=revoke_days) < today)]
    held = due.merge(grants, on="person")
    held = held[held["grant_day"] <= held["offence"]]
    held = _anti(held, losses[["person", "day"]], "person",
                 lambda m: (m["day"] > m["grant_day"]) & (m["day"] < m["offence"]))
    holders = held.drop_duplicates(["person", "case_no", "offence", "effective", "result"])
    not_revoked = _anti(holders, revocations, "person",
                        lambda m: (m["day"] >= m["offence"])
                        & (m["day"] <= m["effective"] + pd.Timedelta(days=revoke_days)))
    r1 = not_revoked.groupby("person", as_index=False).size().assign(rule="R1")
    # R2: a licence obtained inside the ban, counted from the revocation (else from the offence)
    ban = cases[["person", "case_no", "offence"]].assign(
        ban_months=np.where(cases["是否营运车辆"].astype(str).isin(TRADE_YES), trade_ban_years * 12, ban_years * 12))
    keys = ["person", "case_no", "offence", "ban_months"]
    ban = ban.drop_duplicates(keys)
    rev = ban.merge(revocations, on="person")
    rev = rev[rev["day"] >= rev["offence"]].groupby(keys, as_index=False, dropna=False)["day"].min()
    ban = ban.merge(rev, on=keys, how="left")
    ban["ban_start"] = ban["day"].fillna(ban["offence"])
    re_ = ban.merge(grants, on="person")
    re_ = re_[(re_["grant_day"] > re_["offence"])
              & (re_["grant_day"] < _add_months(re_["ban_start"], re_["ban_months"]))]
    re_ = re_.drop_duplicates([*keys, "ban_start"])
    r2 = re_.groupby("person", as_index=False).size().assign(rule="R2")
    # R3: drove (a ticket, once per 决定书编号) after a revocation or cancellation, not relicensed in between
    tr = d["交通违法"]
    tr = tr[tr["驾驶人身份证号"].notna() & tr["违法日期"].notna()].rename(
        columns={"驾驶人身份证号": "person", "违法日期": "drove"})
    after = tr.merge(losses[["person", "day"]].rename(columns={"day": "lost_day"}), on="person")
    after = after[after["drove"] > after["lost_day"]]
    after = _anti(after, grants, "person",
                  lambda m: (m["grant_day"] > m["lost_day"]) & (m["grant_day"] <= m["drove"]))
    ticket = after["决定书编号"].fillna(after["drove"].dt.strftime("%Y-%m-%d") + "|" + after["违法行为"].fillna("")
                                      + "|" + after["号牌号码"].fillna(""))
    per_ticket = after.assign(ticket=ticket).drop_duplicates(["person", "ticket"])
    r3 = per_ticket.groupby("person", as_index=False).size().assign(rule="R3")
    out = pd.concat([r1, r2, r3], ignore_index=True)
    return out.rename(columns={"person": "subject", "size": "次数"})


# ---------------------------------------------------------------------------------------------- M7

M7_DATASETS = ["民事案件"]


def m7_frequent_lending_plaintiff(d: dict[str, pd.DataFrame], window_months: int = 24, min_cases: int = 15,
                                  causes: tuple[str, ...] = ("民间借贷纠纷",)) -> pd.DataFrame:
    """同一原告任意 24 个月内民间借贷起诉 ≥ 阈值 (R1): suits by 案号, plaintiffs with fewer than
    ``min_cases`` dated suits in all screened out first, then a sorted search per plaintiff."""
    c = d["民事案件"]
    c = c[c["案由"].isin(causes)]
    pid = c["原告证件号码"].str.strip(" ").str.upper()                # SQL trim(): spaces only
    c = pd.DataFrame({"pid": pid, "case_no": c["案号"], "filed": c["立案日期"]})
    c = c[c["pid"].notna() & c["case_no"].notna()]
    suits = c.groupby(["pid", "case_no"], as_index=False, sort=False)["filed"].min()
    dated = suits[suits["filed"].notna()]
    totals = dated.groupby("pid", sort=False).size()
    dated = dated[dated["pid"].isin(totals.index[totals >= min_cases])]          # the screen
    code = dated["pid"].astype("category").cat.codes.to_numpy(np.int64)
    epoch = np.datetime64("0001-01-01", "D")
    days = (dated["filed"].to_numpy("datetime64[D]") - epoch).astype(np.int64)
    low = (_add_months(dated["filed"], -window_months).to_numpy("datetime64[D]") - epoch).astype(np.int64)
    low = np.maximum(low, 0)
    span = 1 << 22                                                               # > any day number (≤ 9999)
    key = code * span + days
    sorted_key = np.sort(key)
    in_window = (np.searchsorted(sorted_key, key, side="right")
                 - np.searchsorted(sorted_key, code * span + low, side="left"))
    hit = dated.assign(in_window=in_window)
    peak = hit[hit["in_window"] >= min_cases].groupby("pid")["in_window"].max().rename("peak")
    counts = suits[suits["pid"].isin(peak.index)].groupby("pid").size().rename("suits")
    out = pd.concat([peak, counts], axis=1, join="inner").reset_index()
    return out.rename(columns={"pid": "subject"}).assign(rule="R1")


# the columns each collision reads (what an analyst passes to read_parquet(columns=…))
COLUMNS = {
    "看守所出入所": ["身份证号", "羁押性质", "入所日期", "出所日期"],
    "监狱服刑人员": ["身份证号", "收监日期", "释放日期"],
    "养老金发放": ["身份证号", "发放年月", "发放金额", "发放机构"],
    "社区矫正对象": ["身份证号", "入矫日期", "矫正期满日期", "解矫日期"],
    "养老金待遇调整": ["身份证号", "调整日期", "调整金额", "经办机构"],
    "危险驾驶案件": ["案件编号", "身份证号", "违法日期", "血液酒精含量", "是否营运车辆", "处理结果", "生效日期"],
    "驾驶证业务记录": ["身份证号", "业务类型", "业务日期"],
    "交通违法": ["决定书编号", "驾驶人身份证号", "违法日期", "违法行为", "号牌号码"],
    "民事案件": ["案号", "案由", "原告证件号码", "立案日期"],
}

COLLISIONS = {
    "pension-during-custody": (M1_DATASETS, m1_pension_during_custody),
    "drunk-driving-licence": (M5_DATASETS, m5_drunk_driving_licence),
    "frequent-lending-plaintiff": (M7_DATASETS, m7_frequent_lending_plaintiff),
}

# the facts compared besides (subject, rule): the counts each rule's clue reports
FACTS = {"pension-during-custody": ["次数"], "drunk-driving-licence": ["次数"],
         "frequent-lending-plaintiff": ["peak", "suits"]}

# the parameters the functions above default to, as the models name them (checked against the models)
PARAMS = {
    "pension-during-custody": {"grace_months": 1, "exempt_kinds": ["监视居住", "取保候审"], "min_adjustment": 0.0},
    "drunk-driving-licence": {"revoke_days": 30, "drunk_bac": 80.0, "law_from": date(2011, 5, 1), "ban_years": 5,
                              "trade_ban_years": 10, "established_results": M5_KINDS["established"],
                              "rejected_results": M5_KINDS["rejected"], "first_kinds": M5_KINDS["first"],
                              "relicense_kinds": M5_KINDS["relicense"], "revoke_kinds": M5_KINDS["revoke"],
                              "lost_kinds": M5_KINDS["lost"], "partial_kinds": M5_KINDS["partial"]},
    "frequent-lending-plaintiff": {"min_cases": 15, "window_months": 24, "causes": ["民间借贷纠纷"]},
}
