"""DuckDB: a ``regexp_matches`` whose pattern is a few plain words joined by ``|`` as substring tests.

``regexp_matches(role, '被害|受害|证人')`` finds the same rows as ``contains(role, '被害') OR
contains(role, '受害') OR contains(role, '证人')``: an unanchored RE2 search for a literal is a
substring search, an alternation is an OR, and both give NULL on a NULL text (an empty word matches
every text in both).  DuckDB evaluates the substring test on the dictionary of a compressed column
(a few distinct values: 人员角色, 罪名, 业务类型) but the regular expression on every row: on the
large city's 3.3 M 公安涉案人员 rows 0.01 against 0.25 CPU s.  On long free text (4.5 M 12345 工单
details, avg. 33 characters) the substring tests win with 2 words (0.7 against 1.6 CPU s), tie with
6 and lose with 10 (1.9 against 1.15): so only patterns of at most :data:`MAX_WORDS` words change.

A pattern bound as a parameter is split into one parameter per word (values never enter the SQL);
one written in the expression stays a literal.  Any other pattern (a class, an anchor, a repeat…)
keeps its regular expression, and so does a test of a computed text (repeated once per word, the
computation would be too).
"""

from __future__ import annotations

import string
from typing import Any

from sqlglot import exp

from shujian.compiler.shape import nodes

#: the most words a pattern may have to become substring tests (see the module's measurements)
MAX_WORDS = 6

_META = frozenset(".^$*+?()[]{}|\\")
_PUNCT = frozenset(string.punctuation)


def plain_words(pattern: str) -> list[str] | None:
    r"""The words of ``pattern`` if it is literal text joined by ``|`` (``\`` + ASCII punctuation is
    that character, as :func:`shujian.compiler.conditions.keyword_pattern` escapes it); else None.

    >>> plain_words(r"被害|a\.b|")
    ['被害', 'a.b', '']
    >>> plain_words(r"a.b") is None, plain_words(r"\d|x") is None, plain_words("^退") is None
    (True, True, True)
    """
    words, word, i = [], [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= len(pattern) or pattern[i + 1] not in _PUNCT:
                return None                        # \d, \w, \b …: a class or an assertion
            word.append(pattern[i + 1])
            i += 2
            continue
        if ch == "|":
            words.append("".join(word))
            word = []
        elif ch in _META:
            return None
        else:
            word.append(ch)
        i += 1
    words.append("".join(word))
    return words


def _cheap(text: exp.Expression) -> bool:
    """A column, or a COALESCE of columns and literals: cheap to repeat once per word (an operand
    that computes something, such as the text step's cleaning, is not repeated)."""
    if isinstance(text, exp.Paren):
        return _cheap(text.this)
    if isinstance(text, exp.Coalesce):
        return all(isinstance(a, exp.Column | exp.Literal) for a in [text.this, *text.expressions])
    return isinstance(text, exp.Column)


def regexps_as_contains(tree: exp.Expression, bound: dict[str, Any], max_words: int = MAX_WORDS) -> None:
    """Rewrite, in place, each two-argument ``regexp_matches`` over a plain pattern of at most
    ``max_words`` words (a string literal, or a parameter bound to one in ``bound``) as an OR of
    ``contains``; a parameter no longer read is dropped from ``bound``, its words bound instead."""
    replaced: set[str] = set()
    found = nodes(tree)
    for node in [n for n in found if isinstance(n, exp.RegexpLike)]:
        if node.args.get("flag") is not None or not _cheap(node.this):
            continue
        pattern = node.expression
        if isinstance(pattern, exp.Literal) and pattern.is_string:
            name, value = None, pattern.this
        elif isinstance(pattern, exp.Placeholder) and isinstance(bound.get(pattern.name), str):
            name, value = pattern.name, bound[pattern.name]
        else:
            continue
        words = plain_words(value)
        if words is None or len(words) > max_words:
            continue
        tests = []
        for i, word in enumerate(words):
            if name is None:
                arg: exp.Expression = exp.Literal.string(word)
            else:
                bound[f"{name}__{i}"] = word
                arg = exp.Placeholder(this=f"{name}__{i}")
            tests.append(exp.Contains(this=node.this.copy(), expression=arg))
        node.replace(exp.paren(exp.or_(*tests)) if len(tests) > 1 else tests[0])
        if name is not None:
            replaced.add(name)
    still = {p.name for p in (nodes(tree) if replaced else found) if isinstance(p, exp.Placeholder)}
    for name in replaced - still:
        bound.pop(name, None)
