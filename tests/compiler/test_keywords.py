"""Keyword screening: DuckDB's single escaped alternation finds exactly what substring search finds."""

from __future__ import annotations

import random

import duckdb
import pytest

from shujian.catalog.schema import CatalogSchema, ColumnSchema, DatasetSchema
from shujian.compiler import compile_model
from shujian.spec import load_model

WORDS = ["预付卡", "a.b", "(x)", "C++", "|", "\\d", "$", "^退", "[会员]", "{2}", "跑 路", "*", "?"]
TEXTS = ["办了预付卡", "axb", "a.b", "x", "(x)", "C", "C++ 课", "|", "d", "\\d", "5$", "退款", "^退",
         "会员", "[会员]", "{2}", "22", "跑路", "跑 路", "*", "?", "", None]


def _screen(texts: list[str | None], words: list[str], match: str, inline: bool = False) -> set[int]:
    con = duckdb.connect()
    con.execute("CREATE TABLE ds_t (_row_id BIGINT, body VARCHAR)")
    con.executemany("INSERT INTO ds_t VALUES (?, ?)", list(enumerate(texts, 1)))
    cat = CatalogSchema()
    cat.add(DatasetSchema("文本", "ds_t", (ColumnSchema("body"),)))
    kw = {"field": "body", "match": match, **({"words": words} if inline else {"param": "words"})}
    spec = load_model({"id": "k", "name": "关键词", "line": "x", "point": "x",
                       "params": {"words": {"type": "list", "default": words, "label": "词"}},
                       "inputs": {"t": {"dataset": "文本", "fields": {"body": "body"}}},
                       "steps": [{"id": "f", "from": "t", "filter": {"keywords": kw}}],
                       "output": {"subject": {"type": "case", "key": "body"}, "title": "{body}"}})
    compiled = compile_model(spec, cat, "duckdb")
    rows = con.execute(compiled.sql, compiled.parameters).fetchall()
    con.close()
    return {r[-1] for r in rows}


def _expected(texts: list[str | None], words: list[str], match: str) -> set[int]:
    found = [any(w in (t or "") for w in words) for t in texts]
    return {i for i, f in enumerate(found, 1) if f == (match == "any")}


@pytest.mark.parametrize("match", ["any", "none"])
@pytest.mark.parametrize("inline", [False, True])
def test_special_characters_are_plain_text(match: str, inline: bool) -> None:
    assert _screen(TEXTS, WORDS, match, inline) == _expected(TEXTS, WORDS, match)


def test_random_words_and_texts() -> None:
    rng = random.Random(7)
    alphabet = "ab.()|*+?[]{}^$\\预付卡 "
    words = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 3))) for _ in range(12)]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(300)]
    for match in ("any", "none"):
        assert _screen(texts, words, match) == _expected(texts, words, match)


def test_empty_word_matches_everything_as_substring_search_does() -> None:
    assert _screen(["甲", "", None], ["乙", ""], "any") == {1, 2, 3}


def test_one_pattern_parameter_instead_of_one_per_word() -> None:
    """Many words: one bound pattern (a few words become substring tests, see test_patterns.py)."""
    words = ["a.b", "c", "d", "e", "f", "g", "h"]
    cat = CatalogSchema()
    cat.add(DatasetSchema("文本", "ds_t", (ColumnSchema("body"),)))
    spec = load_model({"id": "k", "name": "关键词", "line": "x", "point": "x",
                       "params": {"words": {"type": "list", "default": words, "label": "词"}},
                       "inputs": {"t": {"dataset": "文本", "fields": {"body": "body"}}},
                       "steps": [{"id": "f", "from": "t", "filter": {"all": [
                           {"keywords": {"field": "body", "match": "any", "param": "words"}},
                           {"keywords": {"field": "body", "match": "all", "param": "words"}}]}}],
                       "output": {"subject": {"type": "case", "key": "body"}, "title": "{body}"}})
    compiled = compile_model(spec, cat, "duckdb")
    assert compiled.parameters == {**{f"words_{i}": w for i, w in enumerate(words)}, "words__pattern": "a\\.b|c|d|e|f|g|h"}
    assert "a.b" not in compiled.sql                      # values are bound, never pasted into the SQL
