"""The SQL prefilter of a text step never drops a message the matcher would match.

The matcher reads the *cleaned* text (``text.clean.cleaned``: Excel escapes, runs of white space and
line breaks as one space, full-width letters and digits as half-width, the first ``MAX_CHARS``
characters); the prefilter runs in SQL on the raw text.  Random messages are made of the
prepaid-card rule's terms, instances of its regex terms written with full-width letters and white
space runs, idioms and context words, at distances around the ``near`` window, separated by every
kind of white space, Excel escapes and full-width characters; the compiled model (prefilter + the
matcher in ``shujian_text``) must keep exactly the messages the matcher matches on its own.
"""

from __future__ import annotations

import random
import re

from shujian.demo.evaluate import load_tables, run_model_on
from shujian.spec import load_model
from shujian.spec.text import TextRule, is_regex
from shujian.text.clean import cleaned
from shujian.text.library import rule_source
from shujian.text.matcher import Matcher

RULE = TextRule.model_validate(rule_source("prepaid-card"))
SPACES = [chr(cp) for cp in range(0x110000) if chr(cp).isspace()]
WIDE = "ＡＢＣＶＩＰｘｙｚ０１２３４５６７８９"
FILLER = "的一是在不人有这中大为上个我以要他时来用们生到作地于出就分对成可主发年动同工也能下子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流"
# instances of the regex terms as the matcher sees them after cleaning, written the way cleaning
# undoes: full-width letters and digits, runs of white space and line breaks, Excel escapes
REGEX_INSTANCES = ["办ＶＩＰ卡", "办了一张ＡＢ卡", "充１０次卡", "收取\n\n\n\n\n\n\n\n家长", "收取_x000D__x000D_ _x000A_学员",
                   "收取\u3000\u3000\u3000\u3000\u3000\u3000\u3000万元", "报了\t\t\t\t\t\t\t\t\t\t课", "交的ＶＩＰ\r\n\r\n\r\n\r\n费",
                   "全年的ＡＢ费", "一学期\u2003\u2003课", "续了 Ｘ Ｙ Ｚ 卡", "买的\x1c\x1d\x85\u2028券"]
IDIOMS = [*RULE.ignore, "银行", "电梯", "没有", "防止", "责令", "工资", "网上"]


def _gap(rng: random.Random) -> str:
    """Filler of a length around the near window (40), with white space, escapes and full-width runs."""
    n = rng.choice([0, 1, 2, 10, 36, 38, 39, 40, 41, 42, 45, 60])
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.08:
            out.append("".join(rng.choice(SPACES) for _ in range(rng.randint(1, 4))))
        elif r < 0.11:
            out.append(rng.choice(["_x000D_", "_x000a_", "_x0009_", "\r\n", "_x000D_\n"]))
        elif r < 0.15:
            out.append(rng.choice(WIDE))
        else:
            out.append(rng.choice(FILLER))
    return "".join(out)


def _term(rng: random.Random, terms: list[str]) -> str:
    term = rng.choice(terms)
    if is_regex(term):
        return rng.choice(REGEX_INSTANCES)
    return term


def messages(seed: int, n: int) -> list[tuple[str, str]]:
    """(subject, body) pairs: a- and b-terms around the window, idioms and context words."""
    rng = random.Random(seed)
    near = RULE.near[0]
    regex_a = [t for t in near.a if is_regex(t)]
    out = []
    for _ in range(n):
        parts = [_gap(rng)]
        for _ in range(rng.randint(1, 3)):
            kind = rng.random()
            if kind < 0.35:
                parts.append(rng.choice(REGEX_INSTANCES) if rng.random() < 0.7 else _term(rng, regex_a))
            elif kind < 0.6:
                parts.append(_term(rng, near.a))
            elif kind < 0.85:
                parts.append(_term(rng, near.b))
            else:
                parts.append(rng.choice(IDIOMS))
            parts.append(_gap(rng))
        body = "".join(parts)
        if rng.random() < 0.02:
            body = body + "。" * 20_001          # longer than MAX_CHARS: screened on its first part
        cut = rng.randint(0, min(len(body), 30))
        out.append((body[:cut] if rng.random() < 0.3 else "", body[cut:] if rng.random() < 0.3 else body))
    return out


def test_the_compiled_prefilter_keeps_every_message_the_matcher_matches():
    pairs = messages(20, 1500)
    matcher = Matcher(RULE)
    expected = {f"M{i}" for i, (title, body) in enumerate(pairs)
                if matcher.match(cleaned(title + "。" + body)) is not None}
    assert len(expected) > 100            # the messages exercise the rule (not a vacuous pass)
    # messages that match only because of what cleaning does to a regex term's instance
    raw_only = re.compile("|".join(t[1:] for t in RULE.positive_terms() if is_regex(t)) + "|" +
                          "|".join(re.escape(t) for t in RULE.positive_terms() if not is_regex(t)))
    assert any(not raw_only.search(title + "。" + body) for i, (title, body) in enumerate(pairs)
               if f"M{i}" in expected)
    con, catalog = load_tables({"12345工单": _rows(pairs)})
    try:
        found = {r["no"] for r in run_model_on(con, catalog, _model())}
    finally:
        con.close()
    assert found == expected, sorted(expected - found)[:5]


def _rows(pairs: list[tuple[str, str]]) -> list[dict]:
    return [{"编号": f"M{i}", "主题": title or None, "详情": body} for i, (title, body) in enumerate(pairs)]


def _model():
    return load_model({
        "id": "t-prefilter", "name": "预筛", "line": "公益诉讼检察", "point": "预付卡",
        "inputs": {"msg": {"dataset": "12345工单", "fields": {"no": "编号", "title": "主题", "body": "详情"}}},
        "steps": [{"id": "hits", "from": "msg", "text": {"fields": ["title", "body"], "rule": {"use": "prepaid-card"}}}],
        "output": {"subject": {"type": "case", "key": "no"}, "title": "{no}", "facts": ["text_words"]}})


def test_spark_prefilter_keeps_the_same_messages(spark):
    """The prefilter compiled for Spark (Java regex, ``translate``, ``substring``) keeps what the
    matcher matches, as on DuckDB."""
    from shujian.compiler import compile_model
    from shujian.engines.spark_engine import SparkEngine
    from shujian.text.udf import register_spark

    pairs = messages(21, 400)
    matcher = Matcher(RULE)
    expected = {f"M{i}" for i, (title, body) in enumerate(pairs)
                if matcher.match(cleaned(title + "。" + body)) is not None}
    con, catalog = load_tables({"12345工单": _rows(pairs)})
    try:
        table = con.execute("SELECT * FROM t_1").to_arrow_table()
    finally:
        con.close()
    spark.createDataFrame(table.to_pandas()).createOrReplaceTempView("t_1")
    register_spark(spark)
    compiled = compile_model(_model(), catalog, "spark")
    out = SparkEngine(spark).execute(compiled.sql, compiled.parameters).table.to_pylist()
    assert {r["no"] for r in out} == expected


def test_sql_cleaning_is_the_cleaning():
    import duckdb
    from sqlglot import exp

    from shujian.spec.text import prefilter_pattern
    from shujian.text.clean import WHITE_SPACE, sql_cleaned, sql_prefilter, sql_rewritten

    assert set(WHITE_SPACE) == {cp for cp in range(0x110000) if chr(cp).isspace()} \
        == {cp for cp in range(0x110000) if re.match(r"\s", chr(cp))}
    rng = random.Random(7)
    alphabet = [*SPACES, *WIDE, "_", "x", "0", "D", "_x000D_", "_x000a_", "_X000D_", "a", "Z", "预", "付", "！", "。"]
    texts = ["", " ", "\u3000", "_x000D_", "办ＶＩＰ卡", "ａ" * 20_010, " " + "预" * 19_999 + " 付"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    pattern = prefilter_pattern(RULE.positive_terms())
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, x VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(texts)))
    x = exp.column("x")
    got = con.execute(f"SELECT i, {sql_cleaned(x).sql('duckdb')}, {sql_rewritten(x).sql('duckdb')}, "
                      f"{sql_prefilter(x, pattern).sql('duckdb')} FROM t ORDER BY i").fetchall()
    matcher = Matcher(RULE)
    for i, clean, rewritten, kept in got:
        assert clean == cleaned(texts[i]), repr(texts[i])
        assert rewritten or cleaned(texts[i]) == texts[i], repr(texts[i])
        assert kept == matcher.candidate(cleaned(texts[i])), repr(texts[i])    # exactly the matcher's test


def _prefilter_texts(seed: int, n: int) -> list[str | None]:
    """Messages of the rule's terms (``messages``), strings of every character the cleaning rewrites,
    texts longer than ``MAX_CHARS`` and nulls."""
    rng = random.Random(seed)
    alphabet = [*SPACES, *WIDE, "_", "x", "0", "D", "_x000D_", "_x000a_", "_X000D_", "a", "Z", "预", "付", "！", "。",
                "办", "卡", "收取", "学费", "会员", "一学期", "课", "é", "\U00020000"]
    texts: list[str | None] = [title + "。" + body for title, body in messages(seed, n)]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(n)]
    texts += ["", " ", "\u3000", "_x000D_", "办ＶＩＰ卡", "ａ" * 20_010, " " + "预" * 19_999 + " 付", "。" * 19_999 + "预付",
              "_x000D_" * 3 + "预付", None, None]
    rng.shuffle(texts)
    return texts


def test_the_c_cleaning_is_the_cleaning(monkeypatch):
    """``_native.cleaned`` (the C prefilter's cleaning) gives ``clean.cleaned``'s string for every text,
    the cut to the first ``MAX_CHARS`` characters included (a short limit, to cut inside escapes and runs)."""
    from shujian.text import _native, clean

    texts = [t for t in _prefilter_texts(30, 800) if t is not None]
    for t in texts:
        assert _native.cleaned(t, clean.MAX_CHARS) == cleaned(t), repr(t[:80])
    monkeypatch.setattr(clean, "MAX_CHARS", 9)
    for t in texts:
        assert _native.cleaned(t, 9) == cleaned(t), repr(t[:80])


def test_the_duckdb_prefilter_is_the_matchers_test(monkeypatch):
    """``udf.prefilter_arrow`` (the body of ``shujian_text_pre``) is ``Matcher.candidate`` of the cleaned
    text for every text of a batch — in C and without the extension (RE2 over the batch, Python for the
    texts the cleaning changes) — on an array sliced to an offset, with nulls (False)."""
    import json

    import pyarrow as pa

    from shujian.text import native
    from shujian.text.udf import prefilter_arrow

    texts = _prefilter_texts(31, 1500)
    matcher = Matcher(RULE)
    expected = [t is not None and matcher.candidate(cleaned(t)) for t in texts]
    assert 300 < sum(expected) < len(texts) - 300        # both answers are common
    config = json.dumps({"rule": RULE.model_dump(mode="json", exclude_defaults=True), "outputs": ["words"]},
                        ensure_ascii=False)
    array = pa.array(["x", *texts], pa.string()).slice(1)
    assert native.prefilter(tuple(RULE.positive_terms())) is not None      # the C loop takes this rule
    positive = json.dumps({"positive": RULE.positive_terms()}, ensure_ascii=False)     # what the compiler writes
    for batch in (array, array.slice(7, 300)):
        want = expected if len(batch) == len(texts) else expected[7:307]
        assert prefilter_arrow(batch, config).to_pylist() == want
        assert prefilter_arrow(batch, positive).to_pylist() == want
    monkeypatch.setenv("SHUJIAN_TEXT_NATIVE", "0")
    assert native.prefilter(tuple(RULE.positive_terms())) is None
    assert prefilter_arrow(array, config).to_pylist() == expected


def test_the_c_prefilter_of_regex_terms():
    """A rule of regex terms only, and a regex term whose first character is also a literal term: the C
    prefilter tries each regex term where one of its first characters is (``rx_run``), as ``re`` searches."""
    from shujian.text import native

    rng = random.Random(32)
    for terms in (("~办[了的]{0,2}卡", "~(收取|收了)[^，。]{0,3}费"), ("办", "~办[了的]{0,2}卡", "学费"),
                  ("~[0-9A-Z]{2,3}卡", "会员")):
        pre = native.prefilter(terms)
        assert pre is not None
        pattern = re.compile("|".join(f"(?:{t[1:]})" if is_regex(t) else re.escape(t) for t in terms))
        for _ in range(3000):
            text = "".join(rng.choice("办了的卡收取费，。AB12会员学x") for _ in range(rng.randint(0, 12)))
            assert native._native.prefilter_found(pre, text) == (pattern.search(text) is not None), text


def test_the_compiled_prefilter_is_the_c_function_on_duckdb_only():
    """DuckDB calls ``shujian_text_pre`` with the rule's positive terms, kept by their own one-row CTE (the
    text function's config CTE stays read once: not a stage of its own); Spark keeps the regular
    expressions."""
    from shujian.catalog.schema import CatalogSchema, ColumnSchema, DatasetSchema
    from shujian.compiler import compile_model

    catalog = CatalogSchema(datasets={"12345工单": DatasetSchema(name="12345工单", relation="t_1", columns=tuple(
        ColumnSchema(name=n) for n in ("编号", "主题", "详情")))})
    duck = re.sub(r"\s+", "", compile_model(_model(), catalog, "duckdb").sql)
    assert "SHUJIAN_TEXT_PRE(__text,(SELECTconfigFROM" in duck and "REGEXP_MATCHES" not in duck
    assert duck.count("SHUJIAN_TEXT_CONFIG(") == 2 and "FROMs_hits__text__pre_config" in duck
    spark = compile_model(_model(), catalog, "spark").sql
    assert "SHUJIAN_TEXT_PRE" not in spark.upper() and "RLIKE" in spark.upper()
