"""``name_key_among``: a registry's names get a key only when it can join (is among another step's
keys); the joined rows are those of the step without the option, on DuckDB, in worker processes and
on Spark."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shujian.compiler import compile_model
from shujian.demo.evaluate import load_tables, run_model_on
from shujian.errors import ValidationFailed
from shujian.spec import load_model
from shujian.spec.text import TextStep
from shujian.text import native
from shujian.text.merchants import KeyFilter, _plain, _plain_table, merchant_key
from shujian.text.udf import add_keyset, screen_values, with_keys
from shujian.text.workers import Pool

NAMES = ["台州市椒江区力美健身服务有限公司", "椒江区力美健身房", "力美健身游泳馆", "台州丽人坊美容有限公司",
         "丽人坊美容院（椒江分店）", "麗人坊美容院", "ＡＢＣ健身有限公司", "abc健身工作室", "中山美容院",
         "张家口口腔诊所", "星辰教育培训学校有限公司临海分公司", "星 辰 教育", "某某科技（杭州）有限公司",
         "杭州某某科技有限公司", "有限公司", "", "金悦达商贸有限公司", "台州市", "力美", "(台州)力美健身"]
CHARS = "力美健身丽人坊麗容院星辰教育培训学校台州市椒江区杭州中山口腔诊所有限公司分店（）() ＡaB1店馆服务"


def random_names(n: int, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    return [*NAMES, *("".join(rnd.choice(CHARS) for _ in range(rnd.randint(1, 16))) for _ in range(n))]


def test_key_filter_is_merchant_key_among_the_keys():
    names = random_names(3000)
    keys = {merchant_key(n) for n in names[::3]} | {"力美健身", "不存在的键"}
    f = KeyFilter(keys)
    got = [f.key(n) for n in names]
    assert got == [k if (k := merchant_key(n)) in f.keys else None for n in names]
    assert sum(k is not None for k in got) > 100 and any(k is None and merchant_key(n) for n, k in zip(names, got, strict=True))
    assert KeyFilter([]).key("力美健身房") is None and KeyFilter([None]).key("力美健身房") is None


# traditional and full-width forms, branch endings, white space (ideographic too), brackets, the
# batch separator NUL, a character upper-casing to two (ß), one outside the Basic Multilingual Plane
ODD = [*"麗業習車館樂ＡＢ１ａ０ ", "\u3000", "\t", "\x00", "ß", "𠀀", "分公司", "分店", "（椒江分店）", "(临海)", "_x000D_"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from([*CHARS, *ODD]), max_size=14).map("".join), max_size=40),
       st.integers(0, 5))
def test_keys_of_a_batch_are_those_of_each_name(names, every):
    names = [*names, *NAMES]
    keys = {merchant_key(n) for n in names[::every + 2]} | {"力美健身", "丽人坊美容"}
    if every % 2:                       # keys without white space or brackets: the batch's cheap test
        keys = {k for k in keys if k and not any(c.isspace() or c in "（）()" for c in k)}
    f = KeyFilter(keys)
    assert f._batch or every % 2 == 0 or any("\x00" in k for k in f.keys)
    want = [k if (k := merchant_key(n)) in f.keys else None for n in names]
    assert [f.key(n) for n in names] == want
    assert f.keys_of(names) == want


def test_keys_of_a_registry_batch():
    names = random_names(3000, seed=11)
    f = KeyFilter({k for n in names[::7] if (k := merchant_key(n)) and not set(k) & set("（）() ")} | {"力美健身"})
    want = [f.key(n) for n in names]
    assert f._batch and f.keys_of(names) == want and sum(k is not None for k in want) > 100
    odd = [*names[:50], "力美\x00健身房", "𠀀力美健身房"]             # take the name-by-name path
    assert f.keys_of(odd) == [f.key(n) for n in odd]
    assert KeyFilter([]).keys_of(names[:3]) == [None] * 3 and f.keys_of([]) == []


def test_the_cheap_string_rewrites_what_the_table_maps_and_nothing_else():
    table = _plain_table()
    mapped = "".join(chr(cp) for cp in sorted(table))
    text = "台州力美健身ß𠀀\x00" + mapped + "".join(chr(cp) for cp in range(0x20, 0x3000, 7))
    assert _plain(text) == text.translate(table).upper()
    assert _plain("台州市椒江区力美健身房") == "台州市椒江区力美健身房" and _plain("麗人坊 ab（1）") == "丽人坊AB1"


def test_the_function_gives_keys_among_the_kept_set_only():
    plain = json.dumps({"rule": None, "outputs": ["name_key"]})
    config = with_keys(plain, ["力美健身", None, "丽人坊美容"])
    assert json.loads(config)["among"] == add_keyset(["丽人坊美容", "力美健身"])     # content-addressed
    got = screen_values(NAMES, config)["name_key"]
    assert got == [k if k in {"力美健身", "丽人坊美容"} else None for k in screen_values(NAMES, plain)["name_key"]]
    assert got.count("力美健身") >= 3 and got.count("丽人坊美容") >= 1
    unknown = json.dumps({"rule": None, "outputs": ["name_key"], "among": "0" * 32})   # not kept here
    assert screen_values(NAMES, unknown) == screen_values(NAMES, plain)


def test_workers_receive_the_key_set(monkeypatch):
    monkeypatch.setenv("SHUJIAN_TEXT_WORKERS", "2")
    names = random_names(400)
    config = with_keys(json.dumps({"rule": None, "outputs": ["name_key"]}), [merchant_key(n) for n in names[::5]])
    pool = Pool(after=10, idle=30)
    try:
        pool.screen(names[:8], config, (), 8)            # half-way: the workers start
        got = [pool.screen(names[i:i + 100], config, (), 100 + i) for i in range(0, len(names), 100)]
        assert pool._workers and not pool._broken
    finally:
        pool.close()
    want = screen_values(names, config)["name_key"]
    assert [k for g in got for k in g["name_key"]] == want
    assert want != screen_values(names, json.dumps({"rule": None, "outputs": ["name_key"]}))["name_key"]


TICKETS = [{"编号": f"T{i}", "详情": text} for i, text in enumerate([
    "我在力美健身办卡3000元，现在老板跑路了", "在丽人坊美容院充值5000元，店铺已转让，新老板不认会员卡",
    "在星辰教育培训学校报了一年的课，学校停课了", "在金悦达健身办了年卡，健身房关门了"])]
REGISTRY = [{"信用代码": f"U{i}", "企业名称": n} for i, n in enumerate(random_names(300, seed=3))]


def registry_model(among: bool) -> object:
    reg = {"field": "reg_name", "name_key": "reg_key"} | ({"name_key_among": "merchants.mkey"} if among else {})
    return load_model({
        "id": "t-among", "name": "名称键", "line": "公益诉讼检察", "point": "预付卡",
        "inputs": {"msg": {"dataset": "12345工单", "fields": {"no": "编号", "body": "详情"}},
                   "reg": {"dataset": "市场主体登记", "fields": {"uscc": "信用代码", "reg_name": "企业名称"}}},
        "steps": [{"id": "hits", "from": "msg", "text": {"field": "body", "rule": {"use": "prepaid-card"},
                                                          "merchant_key": "mkey"}},
                  {"id": "merchants", "aggregate": {"by": ["mkey"], "measures": {"n": "count(*)"}}},
                  {"id": "reg_keys", "from": "reg", "text": reg},
                  {"id": "joined", "join": {"left": "merchants", "right": "reg_keys",
                                            "on": [{"left": "mkey", "right": "reg_key"}], "type": "left"}}],
        "output": {"subject": {"type": "organisation", "key": "mkey"}, "title": "{mkey}", "facts": ["uscc", "reg_name"]}})


def _rows(rows: list[dict]) -> list[tuple]:
    return sorted((r["mkey"], r["uscc"], r["reg_name"]) for r in rows)


def test_a_model_joins_the_same_rows_with_and_without_the_option():
    con, catalog = load_tables({"12345工单": TICKETS, "市场主体登记": REGISTRY})
    try:
        sql = compile_model(registry_model(True), catalog, "duckdb").sql
        assert "SHUJIAN_TEXT_KEYS(" in sql
        with_option = run_model_on(con, catalog, registry_model(True))
        without = run_model_on(con, catalog, registry_model(False))
        assert _rows(with_option) == _rows(without)
        assert sum(r["uscc"] is not None for r in without) >= 4
    finally:
        con.close()


def test_the_option_is_checked():
    with pytest.raises(ValueError, match="name_key_among 只用于 name_key"):
        TextStep.model_validate({"field": "x", "merchant_key": "k", "name_key_among": "a.b"})
    with pytest.raises(ValueError):
        TextStep.model_validate({"field": "x", "name_key": "k", "name_key_among": "ab"})
    con, catalog = load_tables({"12345工单": TICKETS, "市场主体登记": REGISTRY})
    bad = registry_model(True).model_dump(mode="json", by_alias=True, exclude_none=True)
    bad["steps"][2]["text"]["name_key_among"] = "merchants.nope"
    with pytest.raises(ValidationFailed, match=r"steps\[2\].text.name_key_among.*没有列 nope"):
        compile_model(load_model(bad), catalog, "duckdb")
    bad["steps"][2]["text"]["name_key_among"] = "joined.mkey"
    with pytest.raises(ValidationFailed, match="不存在或不在本步骤之前"):
        compile_model(load_model(bad), catalog, "duckdb")


@pytest.mark.spark
def test_spark_joins_the_same_rows(spark):
    from shujian.engines.spark_engine import SparkEngine
    from shujian.text.udf import register_spark

    con, catalog = load_tables({"12345工单": TICKETS, "市场主体登记": REGISTRY})
    duck = _rows(run_model_on(con, catalog, registry_model(False)))
    for table in ("t_1", "t_2"):
        spark.createDataFrame(con.execute(f"SELECT * FROM {table}").to_arrow_table().to_pandas()) \
            .createOrReplaceTempView(table)
    register_spark(spark)
    compiled = compile_model(registry_model(True), catalog, "spark")
    assert _rows(SparkEngine(spark).execute(compiled.sql, compiled.parameters).table.to_pylist()) == duck


def test_the_cheap_pre_test_drops_no_name_that_has_a_key():
    """The key filter's test on the name half-width, simplified and upper-case without white space and
    brackets answers what the test on ``company_base`` answers (names with brackets, white space,
    full-width and traditional characters, lower case, branch endings, characters outside the BMP)."""
    rnd = random.Random(5)
    chars = CHARS + "麗東華（）()[] 　\t分公司支行营业部ａｂcd𠀋龍門x"
    names = [*NAMES, *("".join(rnd.choice(chars) for _ in range(rnd.randint(1, 18))) for _ in range(6000))]
    names += [n.replace("美", " 美").replace("健", "（健").replace("身", "身）") for n in names[:400]]
    keys = {merchant_key(n) for n in names[::4]} | {merchant_key(n[1:]) for n in names[::7]}
    keys = {k for k in keys if k and not any(c.isspace() or c in "()[]（）" for c in k)}   # as tickets give
    cheap, exact = KeyFilter(keys), KeyFilter(keys)
    exact._table = None
    assert cheap._table is not None
    got = [cheap.key(n) for n in names]
    assert got == [exact.key(n) for n in names]
    assert sum(k is not None for k in got) > 500
    # a key set holding a bracket or white space takes company_base for every name
    assert KeyFilter(["力美（健身"])._table is None and KeyFilter(["力美 健身"])._table is None


@pytest.mark.parametrize("odd", [[], [None, ""], [" 力美健身房"], ["力美健身\n房"], ["𠀀力美健身"], ["ＡＢＣ健身"],
                                 ["力美\x00健身房"]])
def test_an_arrow_batch_of_registry_names_gets_the_keys_of_screen_values(odd):
    import pyarrow as pa

    from shujian.text.udf import _registry_keys, screen_arrow

    names = [*random_names(500, seed=5), *odd]
    config = with_keys(json.dumps({"rule": None, "outputs": ["name_key"]}),
                       [k for n in names[::4] if n and (k := merchant_key(n)) and not set(k) & set("（）() ")])
    want = screen_values(names, config)
    got = screen_arrow(pa.array(names, pa.string()), config).to_pylist()
    assert [r["name_key"] for r in got] == want["name_key"] and all(r["matched"] for r in got)
    assert sum(k is not None for k in want["name_key"]) > 50
    clean = [n for n in names if n is None or not any(c.isspace() or c in "ＡＢＣ" for c in n)]
    fast = _registry_keys(pa.array(clean, pa.string()), config, ())      # the batch taken at once
    assert (fast is None) == any(n and ("𠀀" in n or "\x00" in n) for n in odd)
    assert fast is None or fast["name_key"] == screen_values(clean, config)["name_key"]


@pytest.mark.skipif(native._native is None, reason="shujian.text._native not built (no C compiler)")
@pytest.mark.parametrize("odd", [[], [None, ""], [" 力美健身房"], ["𠀀力美健身"], ["ＡＢＣ健身"], ["力美\x00健身房"],
                                 ["力美健身" * 5001]])
def test_the_cheap_test_of_an_arrow_batch_in_c(odd):
    """``KeyFilter.keys_of_arrow``: the cheap test and the plain names' keys in C over an Arrow array's
    buffers (an array that starts at an offset, with nulls) give ``keys_of``'s keys; a batch the joined test would not take (a name
    the cleaning changes, an astral character, a NUL, a name longer than MAX_CHARS) is refused."""
    import pyarrow as pa

    from shujian.text.clean import cleaned

    names = [*(n for n in random_names(4000, seed=6) if cleaned(n) == n), *odd]
    keys = KeyFilter([k for n in names[::4] if n and (k := merchant_key(n)) and not set(k) & set("（）() ")])
    array = pa.array(["力美健身房", *names], pa.string()).slice(1)
    got = keys.keys_of_arrow(array)
    assert (got is None) == bool(odd and odd[0])
    assert got is None or got == keys.keys_of(["" if n is None else n for n in names])
    assert got is None or sum(k is not None for k in got) > 200
    if got is not None:             # keys computed in C, and names (brackets, 麗…) whose key Python computes
        places, _, ask = native.key_names_arrow(keys._native, array)
        assert len(places) > 200 and len(ask) > 20


@pytest.mark.skipif(native._native is None, reason="shujian.text._native not built (no C compiler)")
@pytest.mark.parametrize("short", [False, True])
@pytest.mark.parametrize("odd", [[], [None, ""], ["力美健身" * 5001], ["𠀀力美健身"]])
def test_the_key_column_of_an_arrow_batch_in_c(odd, short):
    """``KeyFilter.key_column_arrow``: the keys of ``keys_of`` as an Arrow column built in C (an array that
    starts at an offset, with nulls; names whose key Python computes), keys of one or two characters too
    (the q-gram test then reads fewer characters); a batch ``keys_of_arrow`` refuses is refused."""
    import pyarrow as pa

    from shujian.text.clean import cleaned

    names = [*(n for n in random_names(4000, seed=8) if cleaned(n) == n), "台州力美有限公司", "中山", *odd]
    keys = {k for n in names[::4] if n and (k := merchant_key(n)) and not set(k) & set("（）() ")}
    if short:
        keys |= {"力美", "中山", "X"}
    f = KeyFilter(keys)
    array = pa.array(["力美健身房", *names], pa.string()).slice(1)
    got = f.key_column_arrow(array)
    assert (got is None) == bool(odd and odd[0])
    if got is None:
        return
    want = f.keys_of(["" if n is None else n for n in names])
    assert got.to_pylist() == want and got.type == pa.string()
    assert sum(k is not None for k in want) > 200 and (not short or {"力美", "中山"} <= set(want))
    column, ask = native.key_column_arrow(f._native, array)
    assert len(ask) > 20 and all(column[i].as_py() is None for i in ask)


def test_the_registry_step_calls_the_key_function_on_duckdb(monkeypatch):
    """On DuckDB a step that only gives a name key calls ``shujian_text_key`` (a VARCHAR, no struct), with the
    key set and without it, with the C extension and without it; the joined rows are the same."""
    from shujian.text import udf
    from shujian.text.clean import cleaned

    # names the cleaning leaves alone: a batch holding another takes the general path (keys_of_arrow's)
    registry = [r for r in REGISTRY if cleaned(r["企业名称"]) == r["企业名称"]]
    con, catalog = load_tables({"12345工单": TICKETS, "市场主体登记": registry})
    try:
        for among in (True, False):
            sql = compile_model(registry_model(among), catalog, "duckdb").sql
            assert "SHUJIAN_TEXT_KEY(COALESCE(reg_name, '')" in sql and "__tx AS reg_key" in sql
            assert "SHUJIAN_TEXT_KEY" not in compile_model(registry_model(among), catalog, "spark").sql
        want = _rows(run_model_on(con, catalog, registry_model(False)))
        calls = []
        key_column = udf.key_column
        monkeypatch.setattr(udf, "key_column", lambda *a: calls.append(r := key_column(*a)) or r)
        assert _rows(run_model_on(con, catalog, registry_model(True))) == want
        assert native.enabled() is (native._native is not None)
        assert any(c is not None for c in calls) == native.enabled()     # the column built in C
        monkeypatch.setenv("SHUJIAN_TEXT_NATIVE", "0")
        calls.clear()
        assert _rows(run_model_on(con, catalog, registry_model(True))) == want
        assert calls and all(c is None for c in calls)
        assert sum(r[1] is not None for r in want) >= 4
    finally:
        con.close()
