"""The compiled loop of the ``shujian_text`` function (``shujian.text._native``, C), when it is built.

A large city's prepaid-card model screens about 1.1 million hotline messages; in Python the rule's
words (:meth:`Matcher.words`) and the merchant (:func:`merchants.first_merchant`) cost ≈ 20 µs a message,
most of the model's time.  ``_native.c`` is the same loop over the same tables, built by setuptools when
the package is installed (``setup.py``; optional: without a compiler the package installs without it).
This module hands it the tables — the matcher's terms, idioms, context words and clauses, the merchant
extraction's word lists — and says when it can take a batch:

- the extension was built and ``SHUJIAN_TEXT_NATIVE`` is not ``0``;
- the rule needs no jieba segmentation (no ``whole_word`` terms), every regular-expression term starts
  with a known set of characters (``matcher._first_chars``) and no idiom or context word is empty.

Otherwise (and for the explanation, which the C code does not build) the Python code runs.  In C: the
cleaning test (a text ``clean.cleaned`` leaves alone; any other is cleaned by it), the automaton scans,
idioms and context words, near pairs, the words column, the merchant and its key — for a name of letters,
digits and CJK characters that is no null marker and has no branch ending (any other name: the Python
``merchant_key``) — and the regex terms of the shapes ``_program`` writes (any other: ``pattern.match``
called from C).  tests/text/test_native.py compares the two paths.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from functools import lru_cache, partial
from pathlib import Path
from re import _constants as _sre
from re import _parser as _sre_parse
from typing import Any

from shujian.spec.text import is_regex
from shujian.text.matcher import Matcher, _first_chars

try:
    from shujian.text import _native
except ImportError:             # not built (no compiler at install): the Python code runs
    _native = None


def fresh(module: Any, source: Path) -> bool:
    """``module`` was built from ``source`` as it is now (setup.py puts the digest in ``SOURCE``), or the
    source is not there to compare (an installed wheel).  A build of older source — an editable install
    after a ``git pull`` changed ``_native.c`` — may take other arguments: the Python code runs instead."""
    if not source.is_file():
        return True
    return getattr(module, "SOURCE", None) == hashlib.sha256(source.read_bytes()).hexdigest()[:16]


if _native is not None and not fresh(_native, Path(__file__).with_name("_native.c")):
    warnings.warn("shujian.text._native 是旧源码的构建，已改用 Python 实现；请重新执行 pip install -e . 以重新编译",
                  stacklevel=1)
    _native = None


def enabled() -> bool:
    """The extension is built and not turned off (``SHUJIAN_TEXT_NATIVE=0``)."""
    return _native is not None and os.environ.get("SHUJIAN_TEXT_NATIVE", "1") != "0"


def rule(matcher: Matcher) -> Any | None:
    """The matcher's tables for :func:`screen` (cached on the matcher), or None when the C loop cannot
    compute what :meth:`Matcher.words` does for this rule."""
    cached = getattr(matcher, "_native_rule", False)
    if cached is False:
        cached = _rule(matcher) if _native is not None else None
        matcher._native_rule = cached
    return cached


def _rule(m: Matcher) -> Any | None:
    r = m.rule
    context = [w for clause in r.unless for w in clause.context]
    if m.whole or not m.fast or any(not w for w in [*m.ignore, *context]):
        return None
    rank = {t: i for i, t in enumerate(m.terms)}
    roles: dict[str, list] = {}                  # word → [rank, idiom, context word, regex ranks]

    def role(word: str) -> list:
        return roles.setdefault(word, [-1, False, False, []])

    for i, t in enumerate(m.terms):
        if not is_regex(t):
            role(t)[0] = i
    for w in m.ignore:
        role(w)[1] = True
    for w in context:
        role(w)[2] = True
    matchers: dict[int, Any] = {}
    for i, t, pattern in m._regex_ranks:
        chars = _first_chars(t[1:])
        if chars is None:
            return None                          # searched through the text: the Python path
        matchers[i] = pattern.match
        for c in chars:
            role(c)[3].append(i)
    words = list(roles)
    index = {w: k for k, w in enumerate(words)}
    positive = m._positive_ranks
    terms = [(-1 if is_regex(t) else len(t), matchers.get(i), i in positive, t in m._any,
              _program(t[1:]) if i in matchers else None)
             for i, t in enumerate(m.terms)]
    clauses, clause_of = [], {}
    for clause, _, ctx in m._unless:
        if ctx is not None:
            clause_of[id(clause)] = len(clauses)
            clauses.append((clause.before, clause.after, tuple(index[w] for w in clause.context)))
    clauses_for = [tuple(clause_of[id(c)] for c, _ in m._unless_for[t]) for t in m.terms]
    near = []
    for clause, a_order, b_order in m._near:
        near.append((clause.within, clause.ordered, tuple(a_order.get(t, -1) for t in m.terms),
                     tuple(b_order.get(t, -1) for t in m.terms)))
    pre = m._pre_regex.search if m._pre_regex is not None else None
    return _native.Rule(words, [(a, b, c, tuple(d)) for a, b, c, d in roles.values()], terms, pre, clauses,
                        clauses_for, tuple(rank[t] for t in m._all), tuple(rank[t] for t in m._exclude), near)


@lru_cache(maxsize=1)
def merchants() -> Any | None:
    """The merchant extraction's tables for :func:`screen` (None without the extension)."""
    if _native is None:
        return None
    from shujian.entity import normalize as nz
    from shujian.text import merchants as mx

    first: dict[str, int] = {}
    for i, w in enumerate(mx._CUT_WORDS):
        first.setdefault(w, i)
    return _native.Merchants(list(mx._BUSINESS), list(first), list(first.values()), list(mx._CUT_LENGTHS),
                             mx._AFTER_AT, list(mx._SHOP_WORDS), mx._GENERIC, mx._division_set(), mx._MAX_NAME,
                             mx.merchant_key, _plain_map(), frozenset(nz.NULL_MARKERS),
                             list(nz._BRANCH_ENDINGS), list(nz._PLAIN_FORMS), list(mx._TRAIL_WORDS))


def _plain_map() -> bytes:
    """Code point → what ``company_base`` makes of the character (half-width, simplified, upper-case) as
    65,536 UCS-4 values, for letters, digits and CJK characters that stay one such character; 0 for any
    other (a name holding one takes ``merchant_key`` in Python)."""
    from array import array
    from itertools import chain

    from shujian.entity.normalize import to_halfwidth, to_simplified

    def plain(c: str) -> bool:
        return (c.isascii() and c.isalnum()) or "\u4e00" <= c <= "\u9fff"

    out = array("I", bytes(4 * 65536))
    for cp in chain(range(0x30, 0x3A), range(0x41, 0x5B), range(0x61, 0x7B), range(0x4E00, 0xA000)):
        ch = chr(cp)
        if to_halfwidth(ch) != ch:
            continue
        mapped = to_simplified(ch).upper()
        if len(mapped) == 1 and plain(mapped):
            out[cp] = ord(mapped)
    return out.tobytes()


def merchant_key_function() -> Any | None:
    """``merchants.merchant_key`` in C (``_native.merchant_key``: the Python function for a name it
    cannot take), or None without the extension or when it is off."""
    tables = merchants() if enabled() else None
    return None if tables is None else partial(_native.merchant_key, tables)


def keys(found: frozenset[str]) -> Any | None:
    """The key set of a ``merchants.KeyFilter`` for ``_native.key_names`` (the cheap form of every
    character with it), or None without the extension or when it is off."""
    if not enabled():
        return None
    offsets, pool = _cheap_forms()
    return _native.Keys(sorted(found), offsets, pool)


def _names_args(names: Any) -> tuple | None:
    """The C key functions' arguments after the key set: the merchants' tables and the buffers of the Arrow
    string array ``names``; None when the extension's tables are missing or ``names`` is empty or not a
    string array."""
    import pyarrow as pa

    from shujian.text.clean import MAX_CHARS

    tables = merchants()
    if tables is None or not pa.types.is_string(names.type) or not len(names):
        return None
    validity, offsets, data = names.buffers()
    return tables, validity, offsets, b"" if data is None else data, names.offset, len(names), MAX_CHARS


def key_names_arrow(found: Any, names: Any) -> tuple[list[int], list[str], list[int]] | None:
    """The names of an Arrow string array whose ``merchants.merchant_key`` may be one of the keys of
    ``found`` (the ``Keys`` of :func:`keys`), read from its buffers without the interpreter lock:
    ``(places, keys, ask)`` — the names whose key, computed in C (``_native.merchant_key``'s names), is
    one of the keys, those keys, and the names whose key only the Python function computes; a name that
    is in neither has no key among them (its cheap form holds none, or its key is another).  None when
    the names cannot be taken so (a NUL or a character outside the Basic Multilingual Plane, a name the
    cleaning changes or longer than ``clean.MAX_CHARS``), the array is not a string array, or the
    extension is not built."""
    args = _names_args(names)
    return None if args is None else _native.key_names_arrow(found, *args)


def key_column_arrow(found: Any, names: Any) -> tuple[Any, list[int]] | None:
    """:func:`key_names_arrow` as an Arrow string array of the names' keys (null where a name's key is not one
    of the keys, or only Python computes it) built in C, and the places of the names whose key only the
    Python ``merchants.merchant_key`` computes; None when :func:`key_names_arrow` would be."""
    import pyarrow as pa

    args = _names_args(names)
    done = None if args is None else _native.key_column_arrow(found, *args)
    if done is None:
        return None
    buffers, ask = done
    return pa.Array.from_buffers(pa.string(), len(names), [pa.py_buffer(b) for b in buffers]), ask


@lru_cache(maxsize=1)
def _cheap_forms() -> tuple[bytes, bytes]:
    """Each code point's form in ``merchants._plain`` (the table's replacement or the character,
    upper-cased: ``str.upper`` maps character by character) as offsets into a pool of UCS-4 values."""
    from array import array

    from shujian.text.merchants import _plain_table

    table = _plain_table() or {}
    offsets, pool = array("I", [0]), array("I")
    for cp in range(0x10000):
        form = (table[cp] or "") if cp in table else chr(cp)
        pool.extend(ord(c) for c in form.upper())
        offsets.append(len(pool))
    return offsets.tobytes(), pool.tobytes()


def screen(matcher: Matcher | None, texts: list[str], *, merchant: bool, words: bool,
           matched_only: bool) -> tuple[list, list | None, list | None, list | None] | None:
    """``(matched, words, merchant, merchant_key)`` of ``texts`` (each cleaned as ``clean.cleaned`` cleans
    it: in C a text it leaves alone is recognised, any other is cleaned by it) as ``udf.screen_columns``
    computes them without an explanation (``words``: the words column wanted; ``merchant``: the
    merchant and its key wanted), or None when the C loop cannot take this matcher."""
    from shujian.text.clean import MAX_CHARS, cleaned
    from shujian.text.merchants import first_merchant

    native_rule = rule(matcher) if matcher is not None else None
    if matcher is not None and native_rule is None:
        return None
    tables = merchants() if merchant else None
    if merchant and tables is None:
        return None
    return _native.screen(native_rule, tables, texts, matched_only, words, first_merchant, cleaned, MAX_CHARS)


def screen_arrow(matcher: Matcher | None, texts: Any, *, merchant: bool, words: bool,
                 matched_only: bool) -> tuple[Any, Any, Any, Any] | None:
    """:func:`screen` of an Arrow string array, as Arrow arrays (``words``, ``merchant`` and ``merchant_key``
    None when not computed), or None when the C loop cannot take this matcher or array.  No Python
    object per message: the C code reads the array's buffers and writes the results' buffers, and screens
    the messages without the interpreter lock, so DuckDB's threads, which call the SQL function each with
    its own batch, screen at once (a message that needs Python is screened again with the lock)."""
    import pyarrow as pa

    from shujian.text.clean import MAX_CHARS, cleaned
    from shujian.text.merchants import first_merchant

    native_rule = rule(matcher) if matcher is not None else None
    tables = merchants() if merchant else None
    if (matcher is not None and native_rule is None) or (merchant and tables is None) \
            or not pa.types.is_string(texts.type) or not len(texts):
        return None
    validity, offsets, data = texts.buffers()
    n = len(texts)
    out = _native.screen_arrow(native_rule, tables, validity, offsets, b"" if data is None else data, texts.offset,
                               n, matched_only, words, first_merchant, cleaned, MAX_CHARS)
    columns = [pa.Array.from_buffers(pa.bool_(), n, [None, pa.py_buffer(out[0])])]
    for col in out[1:]:
        columns.append(None if col is None else pa.Array.from_buffers(pa.string(), n, [pa.py_buffer(b) for b in col]))
    return tuple(columns)


def prefilter(positive: tuple[str, ...]) -> Any | None:
    """The rule's positive terms (``TextRule.positive_terms``) for :func:`prefilter_arrow`, or None without
    the extension (or when it is off) or when a regex term's first characters are not a known set or its
    shape has no program (``matcher._first_chars``, :func:`_program`): then the caller tests otherwise."""
    return _prefilter(positive) if enabled() else None


@lru_cache(maxsize=16)
def _prefilter(positive: tuple[str, ...]) -> Any | None:
    roles: dict[str, list[int] | None] = {}
    programs: list[list[int]] = []
    for t in positive:
        if not is_regex(t):
            roles[t] = None                     # a literal: found is enough
            continue
        chars, program = _first_chars(t[1:]), _program(t[1:])
        if not chars or program is None:
            return None
        for c in sorted(chars):
            if c in roles and roles[c] is None:
                continue                        # the character is a literal term itself
            roles.setdefault(c, []).append(len(programs))
        programs.append(program)
    if not roles:
        return None
    words = list(roles)
    return _native.Pre(words, [roles[w] for w in words], programs)


def prefilter_arrow(pre: Any, texts: Any) -> Any | None:
    """For each message of an Arrow string array, whether its cleaned form (``clean.cleaned``) holds one of
    the positive terms of ``pre`` (:func:`prefilter`): ``Matcher.candidate(cleaned(text))``, as a boolean
    Arrow array (a null: False; a message not valid UTF-8: True, the text function decides), computed
    from the array's buffers without the interpreter lock.  None when the array is not a string array."""
    import pyarrow as pa

    from shujian.text.clean import MAX_CHARS

    if not pa.types.is_string(texts.type):
        return None
    n = len(texts)
    if not n:
        return pa.array([], pa.bool_())
    validity, offsets, data = texts.buffers()
    kept = _native.prefilter_arrow(pre, validity, offsets, b"" if data is None else data, texts.offset, n, MAX_CHARS)
    return pa.Array.from_buffers(pa.bool_(), n, [None, pa.py_buffer(kept)])


# ---------------------------------------------------------------- regex terms as programs for _native.c
_END, _SET, _REP, _BRANCH = 0, 1, 2, 3
_MAX = 2**31 - 1


def _program(pattern: str) -> list[int] | None:
    """``pattern`` as the program ``_native.c``'s ``rx_run`` matches (see there), from the parse Python's
    ``re`` makes of it; None for a shape it does not take (a flag, an anchor, a category such as ``\\d``,
    a lazy repeat or a repeat of more than one character, a back-reference…): that term calls
    ``pattern.match``.  tests/text/test_native.py compares the two on random texts."""
    try:
        parsed = _sre_parse.parse(pattern)
    except re.error:
        return None
    if parsed.state.flags & ~re.UNICODE:
        return None
    out = _sequence(list(parsed))
    return None if out is None else out + [_END]


def _sequence(items: list) -> list[int] | None:
    out: list[int] = []
    for op, av in items:
        if op is _sre.SUBPATTERN:
            _, add_flags, del_flags, sub = av
            inner = None if add_flags or del_flags else _sequence(list(sub))
        elif op is _sre.BRANCH:
            inner = _branch(av[1])
        elif op is _sre.MAX_REPEAT:
            low, high, sub = av
            body = list(sub)
            while len(body) == 1 and body[0][0] is _sre.SUBPATTERN and not (body[0][1][1] or body[0][1][2]):
                body = list(body[0][1][3])          # (?:x)* is x*
            one = _char(*body[0]) if len(body) == 1 else None
            inner = None if one is None else [_REP, low, min(high, _MAX), *one]
        else:
            inner = _char(op, av)
        if inner is None:
            return None
        out += inner
    return out


def _branch(alternatives: list) -> list[int] | None:
    body: list[int] = []
    for alt in alternatives:
        seq = _sequence(list(alt))
        if seq is None:
            return None
        body += [len(seq) + 1, *seq, _END]
    return [_BRANCH, len(alternatives), 3 + len(body), *body]


def _char(op, av) -> list[int] | None:
    """One character's test: ``[_SET, n, negate, lo1, hi1, …]``."""
    if op is _sre.LITERAL:
        return [_SET, 1, 0, av, av]
    if op is _sre.NOT_LITERAL:
        return [_SET, 1, 1, av, av]
    if op is _sre.ANY:
        return [_SET, 1, 1, 10, 10]                # '.': any character but a line break
    if op is not _sre.IN:
        return None
    negate, ranges = 0, []
    for i, (kind, value) in enumerate(av):
        if kind is _sre.NEGATE and i == 0:
            negate = 1
        elif kind is _sre.LITERAL:
            ranges += [value, value]
        elif kind is _sre.RANGE:
            ranges += [value[0], value[1]]
        else:
            return None
    return [_SET, len(ranges) // 2, negate, *ranges]
