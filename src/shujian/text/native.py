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

Otherwise (and for the explanation, which the C code does not build) the Python code runs.  The rule's
regular expressions and the merchant key (``merchant_key``: the entity package's normalisation, cached)
stay Python, called from C a few times a message.  tests/text/test_native.py compares the two paths.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from shujian.spec.text import is_regex
from shujian.text.matcher import Matcher, _first_chars

try:
    from shujian.text import _native
except ImportError:             # not built (no compiler at install): the Python code runs
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
    terms = [(-1 if is_regex(t) else len(t), matchers.get(i), i in positive, t in m._any)
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
                             mx.merchant_key, _plain_map(), frozenset(nz.NULL_MARKERS), mx._division_lengths(),
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


def screen(matcher: Matcher | None, texts: list[str], *, merchant: bool, words: bool,
           matched_only: bool) -> tuple[list, list | None, list | None, list | None] | None:
    """``(matched, words, merchant, merchant_key)`` of cleaned ``texts`` as ``udf.screen_columns``
    computes them without an explanation (``words``: the words column wanted; ``merchant``: the
    merchant and its key wanted), or None when the C loop cannot take this matcher."""
    from shujian.text.merchants import first_merchant

    native_rule = rule(matcher) if matcher is not None else None
    if matcher is not None and native_rule is None:
        return None
    tables = merchants() if merchant else None
    if merchant and tables is None:
        return None
    return _native.screen(native_rule, tables, texts, matched_only, words, first_merchant)
