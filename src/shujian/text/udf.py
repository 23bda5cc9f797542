"""The ``shujian_text`` SQL function: text rules and merchant extraction inside DuckDB and Spark.

Why a Python function and not SQL regular expressions: a rule needs idiom masking, context
windows, whole-word checks on a jieba segmentation and a per-match explanation (which rule, which
words, where) — none of which RE2 (DuckDB) or Java regex (Spark) can express (no look-behind, no
positions, no segmentation).  The compiled SQL keeps what SQL does well: a regular-expression
prefilter over the rule's positive terms (``regexp_matches``/``RLIKE``, parallel in the engine)
drops most rows before the function runs, and the same Python code runs on both engines, so DuckDB
and Spark give the same matches by construction.  Engines that cannot host Python functions
(PostgreSQL) lack the capability ``text.rules`` and the compiler refuses such a model there.

``shujian_text(text VARCHAR, config VARCHAR) → STRUCT(matched BOOLEAN, explain, words, merchant,
merchant_key, name_key VARCHAR)``; ``config`` is the JSON the compiler writes (the rule and the
outputs wanted).

``shujian_text_keys(config VARCHAR, keys VARCHAR[]) → VARCHAR``: a step with ``name_key_among``
(only the names whose key is among another step's keys need one) hands those keys over once, not
per row: the compiler aggregates the other step's column into one list and calls this function on
that one row; it keeps the key set in this process under a digest of its content and returns the
config with ``"among": <digest>``, which the ``shujian_text`` call of the step then receives (a scalar
subquery: evaluated before the rows that need it).  ``screen_values`` looks the set up by its
digest (the text workers receive it with their first batch); where the set is not at hand (a Spark
executor other than the one that ran ``shujian_text_keys``) every name gets its key, which joins
the same rows.

``shujian_text_config(config VARCHAR) → VARCHAR``: on DuckDB a long config (a rule) is handed over
once per statement, from a one-row CTE (``compiler.text.kept_configs``): this function keeps it in the
process and returns a short handle (``@config:<digest>``) that ``shujian_text`` receives in every row
instead of the rule's JSON, which DuckDB would copy into every row of every batch.

``shujian_text_key(text VARCHAR, config VARCHAR) → VARCHAR``: ``shujian_text(text, config)['name_key']`` for a
step that gives only a name key (a registry's names, no rule: ``compiler.text``), on DuckDB.  With a kept key
set (``name_key_among``) the key column is built in C from the Arrow batch (``KeyFilter.key_column_arrow``):
no struct of six fields and no Python object per name.

``shujian_text_pre(text VARCHAR, config VARCHAR) → BOOLEAN``: the step's prefilter on DuckDB
(``compiler.text``; config ``{"positive": [the rule's positive terms]}``, kept as a handle like the
function's): the cleaned text holds one of them
(``Matcher.candidate(cleaned(text))``, what ``clean.sql_prefilter`` computes with regular expressions,
which Spark keeps), in C over the Arrow batch without the interpreter lock (``native.prefilter_arrow``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from shujian.spec.text import TextRule
from shujian.text import native
from shujian.text.clean import MAX_CHARS, cleaned_all, is_clean
from shujian.text.matcher import Matcher
from shujian.text.segment import segmenter

FUNCTION = "shujian_text"
KEYS_FUNCTION = "shujian_text_keys"
CONFIG_FUNCTION = "shujian_text_config"
PRE_FUNCTION = "shujian_text_pre"
KEY_FUNCTION = "shujian_text_key"
HANDLE = "@config:"                                  # a kept config's handle: HANDLE + digest
FIELDS = ("matched", "explain", "words", "merchant", "merchant_key", "name_key")
_KEYSETS: OrderedDict[str, Any] = OrderedDict()     # digest → KeyFilter (the latest few)
_KEYSETS_KEPT = 8
_KEYSETS_LOCK = threading.Lock()
_CONFIGS: OrderedDict[str, str] = OrderedDict()     # handle → config (the latest few)


def keyset_digest(keys: Iterable[str | None]) -> tuple[str, list[str]]:
    """The digest naming a key set, and the set as a sorted list (what workers are sent)."""
    items = sorted({k for k in keys if k})
    return hashlib.sha256("\n".join(items).encode("utf-8")).hexdigest()[:32], items


def add_keyset(keys: Iterable[str | None]) -> str:
    """Keep the key set in this process; its digest (the same set gives the same digest)."""
    from shujian.text.merchants import KeyFilter

    digest, items = keyset_digest(keys)
    _keep(_KEYSETS, digest, lambda: KeyFilter(items))
    return digest


def _keep(store: OrderedDict, key: str, make: Callable[[], Any]) -> None:
    """``store[key] = make()`` unless it is there; the latest ``_KEYSETS_KEPT`` are kept."""
    with _KEYSETS_LOCK:
        if key in store:
            store.move_to_end(key)
            return
        store[key] = make()
        while len(store) > _KEYSETS_KEPT:
            store.popitem(last=False)


def keyset(digest: str) -> Any | None:
    """The key set kept under ``digest`` (a ``KeyFilter``), or None when this process has none."""
    with _KEYSETS_LOCK:
        return _KEYSETS.get(digest)


def keyset_items(digest: str) -> list[str] | None:
    """The keys of the set kept under ``digest``, sorted (to send to a worker)."""
    found = keyset(digest)
    return sorted(found.keys) if found is not None else None


def with_keys(config: str | None, keys: Iterable[str | None] | None) -> str:
    """The body of ``shujian_text_keys``: ``config`` with ``"among"`` naming the kept key set."""
    data = json.loads(config or "{}")
    data["among"] = add_keyset(keys or ())
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def keep_config(config: str) -> str:
    """The body of ``shujian_text_config``: keep ``config`` in this process; its handle (short: what
    DuckDB copies into every row of a batch instead of the whole rule)."""
    handle = HANDLE + hashlib.sha256(config.encode("utf-8")).hexdigest()[:32]
    _keep(_CONFIGS, handle, lambda: config)
    return handle


def kept_config(value: str) -> str:
    """The config a ``shujian_text`` call received: itself, or the config kept under its handle."""
    if not value.startswith(HANDLE):
        return value
    with _KEYSETS_LOCK:
        found = _CONFIGS.get(value)
    if found is None:
        raise ValueError(f"文本规则配置 {value} 不在本进程中：shujian_text_config 应在同一语句中先执行；"
                         "请整条执行编译后的 SQL，不要单独执行引用它的部分")
    return found


@lru_cache(maxsize=64)
def _compiled(config: str, words: tuple[str, ...]) -> tuple[Matcher | None, frozenset[str], bool, str | None]:
    data = json.loads(config)
    rule = TextRule.model_validate(data["rule"]) if data.get("rule") else None
    matcher = Matcher(rule, segmenter(words)) if rule is not None else None
    return matcher, frozenset(data.get("outputs") or ()), bool(data.get("matched_only")), data.get("among")


@lru_cache(maxsize=64)
def among(config: str) -> str | None:
    """The digest of the key set a config restricts its name keys to (None: no restriction)."""
    return json.loads(config).get("among")


def in_c(config: str, words: tuple[str, ...] = ()) -> bool:
    """A batch with this config is screened by the C loop (``shujian.text.native``): the rule's words,
    merchants and keys without an explanation, or a registry's name keys."""
    if not native.enabled():
        return False
    matcher, outputs, _, _ = _compiled(config, words)
    if "explain" in outputs:
        return False
    if "name_key" in outputs:
        return matcher is None and outputs == {"name_key"}
    return matcher is None or native.rule(matcher) is not None


def screen_values(texts: Iterable[Any], config: str, words: tuple[str, ...] = ()) -> dict[str, list]:
    """Column-wise results for a batch of texts (the body of the SQL function).

    The config's ``outputs`` say which fields are read: the explanation is built only when
    ``explain`` is among them (else matched/words come from :meth:`Matcher.words`, the same words
    without the explanation), and with ``matched_only`` (the step keeps matching rows only) the
    merchant is extracted from matching texts only.  With ``among`` (the digest of a key set kept by
    ``shujian_text_keys``) a name key is given only when it is one of those keys, when the set is at
    hand.  A field not asked for is NULL."""
    values = texts if isinstance(texts, list) else list(texts)
    cols = screen_columns(values, config, words)
    n = len(values)
    return {f: ([None] * n if cols[f] is None else cols[f]) for f in FIELDS}


def screen_columns(values: list, config: str, words: tuple[str, ...] = ()) -> dict[str, list | None]:
    """:func:`screen_values`, with None for a column that is NULL on every row (a field not asked
    for): such a column is neither built row by row nor converted (:func:`screen_arrow`)."""
    from shujian.text.merchants import first_merchant, merchant_key

    matcher, outputs, matched_only, among_digest = _compiled(config, words)
    keys = keyset(among_digest) if among_digest else None
    want_explain = "explain" in outputs
    want_words = "words" in outputs or want_explain       # (explain without words: the struct has both)
    want_merchant = "merchant" in outputs or "merchant_key" in outputs
    want_key = "name_key" in outputs
    n = len(values)
    if _for_c(config, words):
        done = native.screen(matcher, values, merchant=want_merchant, words=want_words, matched_only=matched_only)
        if done is not None:            # the C loop (same columns, the cleaning included)
            return dict(zip(FIELDS, (done[0], None, *done[1:], None), strict=True))
    texts = cleaned_all(values)
    if matcher is None:
        matched, explain, found = [True] * n, None, None
    elif want_explain:
        explain, found, matched = [], [], []
        for text in texts:
            match = matcher.match(text)
            if match is None:
                matched.append(False)
                explain.append(None)
                found.append(None)
            else:
                matched.append(True)
                explain.append(match.to_json())
                found.append("、".join(match.words))
    else:
        explain, terms = None, [matcher.words(text) for text in texts]
        matched = [t is not None for t in terms]
        found = [None if t is None else "、".join(t) for t in terms] if want_words else None
    merchant = mkey = name_key = None
    if want_merchant:
        merchant, mkey = [], []
        for text, hit in zip(texts, matched, strict=True):
            mention = first_merchant(text) if text and (hit or not matched_only) else None
            if mention:
                merchant.append(mention.name)
                mkey.append(mention.key)
            else:
                merchant.append(None)
                mkey.append(None)
    if want_key and keys is not None:
        name_key = keys.keys_of(texts)        # the cheap test for the batch at once
    elif want_key:
        key_of = native.merchant_key_function() or merchant_key
        name_key = [key_of(text) if text else None for text in texts]
    return dict(zip(FIELDS, (matched, explain, found, merchant, mkey, name_key), strict=True))


def _for_c(config: str, words: tuple[str, ...]) -> bool:
    """The C loop's ``screen`` computes this config's columns (when it can take the rule): no
    explanation, no name key, and something to compute."""
    matcher, outputs, _, _ = _compiled(config, words)
    return "explain" not in outputs and "name_key" not in outputs and native.enabled() \
        and bool({"words", "merchant", "merchant_key"} & outputs or matcher is not None)


def _arrow_in_c(texts, config: str, words: tuple[str, ...]):
    """:func:`screen_arrow` by the C loop from and to Arrow buffers (``native.screen_arrow``), or None
    when it cannot take the config, the rule or the array."""
    import pyarrow as pa

    if not _for_c(config, words):
        return None
    matcher, outputs, matched_only, _ = _compiled(config, words)
    done = native.screen_arrow(matcher, texts, merchant=bool({"merchant", "merchant_key"} & outputs),
                               words="words" in outputs, matched_only=matched_only)
    if done is None:
        return None
    n = len(texts)
    matched, found, merchant, mkey = done
    cols = dict(zip(FIELDS, (matched, None, found, merchant, mkey, None), strict=True))
    struct = arrow_type()
    return pa.StructArray.from_arrays([pa.nulls(n, struct.field(f).type) if cols[f] is None else cols[f]
                                       for f in FIELDS], fields=list(struct))


def _registry_keys(texts, config: str, words: tuple[str, ...]) -> dict[str, list | None] | None:
    """:func:`screen_columns` of a step that only gives name keys among a kept key set (a registry's
    names, ``name_key_among``), from the Arrow array without a Python string per name: the names
    joined by NUL in Arrow, one Python string for the batch, the cleaning's and the key set's test
    on it (``cleaned_all``, ``KeyFilter.keys_of_joined``); only the names that can carry a key
    become Python strings.  None for any other step or batch (the caller takes the general path)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    matcher, outputs, _, among_digest = _compiled(config, words)
    if matcher is not None or outputs != {"name_key"} or not among_digest or not pa.types.is_string(texts.type):
        return None
    keys = keyset(among_digest)
    n = len(texts)
    if keys is None or not n:
        return None
    name_key = keys.keys_of_arrow(texts) if native.enabled() else None
    if name_key is not None:            # the cheap test in C over the Arrow buffers, without the lock
        return dict(zip(FIELDS, ([True] * n, None, None, None, None, name_key), strict=True))
    filled = pc.fill_null(texts, "")
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, n], pa.int32()), filled), "\x00")[0].as_py()
    if not is_clean(joined, n) or pc.max(pc.utf8_length(filled)).as_py() > MAX_CHARS:
        return None
    name_key = keys.keys_of_joined(joined, n, lambda i: filled[i].as_py())
    if name_key is None:
        return None
    return dict(zip(FIELDS, ([True] * n, None, None, None, None, name_key), strict=True))


def key_column(texts, config: str, words: tuple[str, ...] = ()):
    """The ``name_key`` column of :func:`screen_arrow` as an Arrow string array, built in C from the
    batch's buffers for a step that only gives name keys among a kept key set (``name_key_among``;
    ``KeyFilter.key_column_arrow``); None for any other step or batch (the caller takes
    ``screen_arrow(…).field("name_key")``)."""
    import pyarrow as pa

    matcher, outputs, _, among_digest = _compiled(config, words)
    if matcher is not None or outputs != {"name_key"} or not among_digest or not pa.types.is_string(texts.type) \
            or not len(texts) or not native.enabled():
        return None
    keys = keyset(among_digest)
    return None if keys is None else keys.key_column_arrow(texts)


@lru_cache(maxsize=1)
def arrow_type():
    """The SQL function's result as an Arrow struct type (``FIELDS``: matched BOOLEAN, the rest VARCHAR)."""
    import pyarrow as pa

    return pa.struct([(f, pa.bool_() if f == "matched" else pa.string()) for f in FIELDS])


def screen_arrow(texts, config: str, words: tuple[str, ...] = ()):
    """:func:`screen_values` of an Arrow string array, as the SQL function's struct array (a column
    NULL on every row is built as such, not from a list of Nones)."""
    import pyarrow as pa

    done = _arrow_in_c(texts, config, words)
    if done is not None:
        return done
    n = len(texts)
    cols = _registry_keys(texts, config, words)
    if cols is None:
        cols = screen_columns(texts.to_pylist(), config, words)
    struct = arrow_type()
    return pa.StructArray.from_arrays(
        [pa.nulls(n, struct.field(f).type) if cols[f] is None else pa.array(cols[f], struct.field(f).type)
         for f in FIELDS], fields=list(struct))


@lru_cache(maxsize=64)
def _positive(config: str) -> tuple[str, ...]:
    """The positive terms of a prefilter's config: ``{"positive": [...]}`` as the compiler writes it, or a
    text function's config (its rule's)."""
    data = json.loads(config)
    if "positive" in data:
        return tuple(data["positive"])
    rule = TextRule.model_validate(data["rule"]) if data.get("rule") else None
    return tuple(rule.positive_terms()) if rule is not None else ()


@lru_cache(maxsize=16)
def _pre_patterns(positive: tuple[str, ...]):
    """The SQL prefilter's two RE2 patterns (the terms, with their full-width forms, or a character the
    cleaning rewrites; such a character) and the matcher's own (``Matcher.candidate``) for a cleaned text."""
    import re

    from shujian.spec.text import prefilter_pattern
    from shujian.text.clean import _rewritten_chars

    rewritten = _rewritten_chars()
    return f"{prefilter_pattern(list(positive))}|{rewritten}", rewritten, re.compile(
        prefilter_pattern(list(positive), for_sql=False))


def prefilter_arrow(texts, config: str):
    """The body of ``shujian_text_pre``: for each text of an Arrow string array, whether its cleaned form
    holds one of the config's rule's positive terms, as a boolean array (a null text: False; a config
    without a rule: every text).  In C when the extension is built (``native.prefilter_arrow``); else the
    SQL prefilter's two regular expressions over the batch (pyarrow's RE2, as DuckDB's) and, for a text the
    cleaning changes, ``cleaned`` and the matcher's pattern in Python."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from shujian.text.clean import cleaned

    n = len(texts)
    positive = _positive(config)
    if not positive:
        return pa.array([True] * n, pa.bool_())
    pre = native.prefilter(positive)
    if pre is not None:
        done = native.prefilter_arrow(pre, texts)
        if done is not None:
            return done
    first, rewritten, pattern = _pre_patterns(positive)
    filled = pc.fill_null(texts.cast(pa.string()), "")
    long = pc.greater(pc.utf8_length(filled), MAX_CHARS)
    maybe = pc.or_(pc.match_substring_regex(filled, first), long).to_pylist()
    changed = pc.or_(pc.match_substring_regex(filled, rewritten), long).to_pylist()
    out = [m and not c for m, c in zip(maybe, changed, strict=True)]
    for i in range(n):
        if maybe[i] and changed[i]:
            out[i] = pattern.search(cleaned(filled[i].as_py())) is not None
    return pa.array(out, pa.bool_())


# ---------------------------------------------------------------- DuckDB
def register_duckdb(con, words: Iterable[str] = ()) -> None:
    """Register ``shujian_text`` on a DuckDB connection (again: replaced), with the workspace's
    user dictionary ``words``."""
    import duckdb
    import pyarrow as pa

    from ..engines.duckdb_arrow import settle
    from .workers import POOL

    settle(con)                   # DuckDB 2: an unread result blocks create_function
    key = tuple(sorted(set(words)))
    struct = duckdb.struct_type({f: ("BOOLEAN" if f == "matched" else "VARCHAR") for f in FIELDS})

    seen = [0]                    # rows this registration has screened

    def batch(texts, configs):
        """The call's config (a kept handle resolved) and its texts as one compact array (its own buffers:
        what a worker is sent is this batch, not a larger buffer)."""
        config = kept_config(configs[0].as_py()) if len(configs) else "{}"
        if isinstance(texts, pa.ChunkedArray):
            texts = pa.concat_arrays(texts.chunks) if texts.num_chunks else pa.array([], pa.string())
        return config, texts

    def call(texts, configs):
        config, values = batch(texts, configs)
        seen[0] += len(values)
        return POOL.screen_arrow(values, config, key, seen[0])      # large inputs: on every core

    def keys_call(configs, keys):
        return pa.array([with_keys(c, k) for c, k in zip(configs.to_pylist(), keys.to_pylist(), strict=True)],
                        pa.string())

    def pre_call(texts, configs):
        config, values = batch(texts, configs)
        return prefilter_arrow(values, config)

    def key_call(texts, configs):
        config, values = batch(texts, configs)
        seen[0] += len(values)
        done = key_column(values, config, key)
        return done if done is not None else POOL.screen_arrow(values, config, key, seen[0]).field("name_key")

    def config_call(configs):
        return pa.array([None if c is None else keep_config(c) for c in configs.to_pylist()], pa.string())

    for name in (FUNCTION, KEYS_FUNCTION, CONFIG_FUNCTION, PRE_FUNCTION, KEY_FUNCTION):
        try:
            con.remove_function(name)
        except Exception:  # noqa: BLE001 — not registered yet on this connection
            pass
    # side_effects: DuckDB must not duplicate the call when it pushes a filter on its result down
    # (measured: without it the function ran twice per row)
    con.create_function(FUNCTION, call, ["VARCHAR", "VARCHAR"], struct, type="arrow",
                        null_handling="special", side_effects=True)
    # side_effects: as the text function's (a filter on the key pushed down would call it twice)
    con.create_function(KEY_FUNCTION, key_call, ["VARCHAR", "VARCHAR"], "VARCHAR", type="arrow",
                        null_handling="special", side_effects=True)
    # side_effects: called for what it keeps (the key set), never folded or skipped
    con.create_function(KEYS_FUNCTION, keys_call, ["VARCHAR", "VARCHAR[]"], "VARCHAR", type="arrow",
                        null_handling="special", side_effects=True)
    # side_effects: called for what it keeps (the config), never folded away
    con.create_function(CONFIG_FUNCTION, config_call, ["VARCHAR"], "VARCHAR", type="arrow",
                        null_handling="special", side_effects=True)
    con.create_function(PRE_FUNCTION, pre_call, ["VARCHAR", "VARCHAR"], "BOOLEAN", type="arrow",
                        null_handling="special")


# ---------------------------------------------------------------- Spark
def register_spark(spark, words: Iterable[str] = ()) -> None:
    """Register ``shujian_text`` as a vectorised (pandas) UDF on a SparkSession."""
    import pandas as pd
    from pyspark.sql.functions import pandas_udf
    from pyspark.sql.types import BooleanType, StringType, StructField, StructType

    sc = spark.sparkContext
    if sc.master.startswith("local") and not os.environ.get("PYSPARK_PYTHON"):
        sc.pythonExec = sys.executable      # a session made elsewhere: workers use this interpreter
    key = tuple(sorted(set(words)))
    schema = StructType([StructField(f, BooleanType() if f == "matched" else StringType()) for f in FIELDS])

    def shujian_text(texts, configs):
        config = configs.iloc[0] if len(configs) else "{}"
        values = [None if v is None or (isinstance(v, float) and v != v) else v for v in texts.tolist()]
        return pd.DataFrame(screen_values(values, config, key), columns=list(FIELDS))

    # real classes, not the strings ``from __future__ import annotations`` would leave: Spark reads
    # the hints to pick the UDF kind (Series, Series → DataFrame: a scalar UDF returning a struct)
    shujian_text.__annotations__ = {"texts": pd.Series, "configs": pd.Series, "return": pd.DataFrame}
    spark.udf.register(FUNCTION, pandas_udf(shujian_text, schema))

    def shujian_text_keys(configs, keys):
        return pd.Series([with_keys(c, None if k is None else list(k))
                          for c, k in zip(configs.tolist(), keys.tolist(), strict=True)])

    shujian_text_keys.__annotations__ = {"configs": pd.Series, "keys": pd.Series, "return": pd.Series}
    spark.udf.register(KEYS_FUNCTION, pandas_udf(shujian_text_keys, StringType()))
