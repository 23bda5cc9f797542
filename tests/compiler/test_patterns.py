"""DuckDB: regexp_matches over a few plain words becomes substring tests with the same rows."""

from __future__ import annotations

import random
import re

import duckdb
import pytest

from shujian.catalog.schema import CatalogSchema, ColumnSchema, DatasetSchema
from shujian.compiler import compile_model
from shujian.compiler.patterns import MAX_WORDS, plain_words
from shujian.spec import load_model

ALPHABET = "ab.()|*+?[]{}^$\\预付卡 "


def _compile(condition: str, pattern: str, keywords: list[str] | None = None):
    cat = CatalogSchema()
    cat.add(DatasetSchema("文本", "ds_t", (ColumnSchema("body"),)))
    filt = {"keywords": {"field": "body", "match": "none", "param": "words"}} if keywords is not None else condition
    spec = load_model({"id": "p", "name": "模式", "line": "x", "point": "x",
                       "params": {"pat": {"type": "str", "default": pattern, "label": "模式"},
                                  "words": {"type": "list", "default": keywords or ["x"], "label": "词"}},
                       "inputs": {"t": {"dataset": "文本", "fields": {"body": "body"}}},
                       "steps": [{"id": "f", "from": "t", "filter": filt}],
                       "output": {"subject": {"type": "case", "key": "body"}, "title": "{body}"}})
    return compile_model(spec, cat, "duckdb")


def _rows(texts: list[str | None], condition: str, pattern: str, keywords: list[str] | None = None) -> set[int]:
    """The row ids the compiled model keeps, and (checked here) the rows DuckDB's own regexp keeps."""
    con = duckdb.connect()
    con.execute("CREATE TABLE ds_t (_row_id BIGINT, body VARCHAR)")
    con.executemany("INSERT INTO ds_t VALUES (?, ?)", list(enumerate(texts, 1)))
    compiled = _compile(condition, pattern, keywords)
    kept = {r[-1] for r in con.execute(compiled.sql, compiled.parameters).fetchall()}
    if keywords is None:     # the same condition with the regular expression, as DuckDB evaluates it
        sql = condition.replace(":pat", "$pat")
        bound = {"pat": pattern} if "$pat" in sql else None
        reference = {r[0] for r in con.execute(f"SELECT _row_id FROM ds_t WHERE {sql}", bound).fetchall()}
        assert kept == reference, (pattern, compiled.sql)
    con.close()
    return kept


def test_plain_words() -> None:
    assert plain_words("被害|受害|证人") == ["被害", "受害", "证人"]
    assert plain_words(r"a\.b|\(x\)|\\") == ["a.b", "(x)", "\\"]
    assert plain_words("|a") == ["", "a"]
    for pattern in ("a.b", "^退", "x$", "a*", "[会员]", "a{2}", r"\d", "(a|b)", "a\\"):
        assert plain_words(pattern) is None, pattern


def test_a_few_words_become_substring_tests_bound_word_by_word() -> None:
    compiled = _compile("not coalesce(regexp_matches(body, :pat), false)", "被害|证人|a.b")
    assert "REGEXP_MATCHES" in compiled.sql          # a.b is not plain: the regular expression stays
    compiled = _compile("not coalesce(regexp_matches(body, :pat), false)", r"被害|证人|a\.b")
    assert "REGEXP_MATCHES" not in compiled.sql and compiled.sql.count("CONTAINS(") == 3
    assert compiled.parameters == {"pat__0": "被害", "pat__1": "证人", "pat__2": "a.b"}
    assert "被害" not in compiled.sql                 # values are bound, never pasted into the SQL
    computed = _compile("regexp_matches(upper(body), :pat)", "A|B")    # not computed once per word
    assert "REGEXP_MATCHES" in computed.sql and computed.parameters == {"pat": "A|B"}
    many = "|".join(f"w{i}" for i in range(MAX_WORDS + 1))
    assert "REGEXP_MATCHES" in _compile("regexp_matches(body, :pat)", many).sql


@pytest.mark.parametrize("seed", range(3))
def test_random_patterns_keep_the_same_rows(seed: int) -> None:
    rng = random.Random(seed)
    texts: list[str | None] = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 10))) for _ in range(200)]
    texts += [None, ""]
    for _ in range(8):
        words = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 2))) for _ in range(rng.randint(1, 8))]
        pattern = "|".join(re.sub(r"([^\w\s])", r"\\\1", w) for w in words)       # escaped: plain words
        for condition in ("regexp_matches(body, :pat)", "not coalesce(regexp_matches(body, :pat), false)",
                          "regexp_matches(body, :pat) or body is null"):
            _rows(texts, condition, pattern)
        literal = pattern.replace("'", "''")
        _rows(texts, f"regexp_matches(body, '{literal}')", pattern)


@pytest.mark.parametrize("seed", range(3))
def test_keywords_of_a_few_words_find_what_substring_search_finds(seed: int) -> None:
    rng = random.Random(seed)
    texts: list[str | None] = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 10))) for _ in range(200)]
    texts.append(None)
    words = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 2))) for _ in range(3)]
    compiled = _compile("", "", words)
    assert "REGEXP_MATCHES" not in compiled.sql
    expected = {i for i, t in enumerate(texts, 1) if not any(w in (t or "") for w in words)}
    assert _rows(texts, "", "", words) == expected
