"""The matcher of a text rule (:class:`shujian.spec.text.TextRule`), with a per-match explanation.

One Aho–Corasick automaton over the rule's literal terms (pyahocorasick, C) finds every occurrence of
every literal term in a single pass over the message — overlapping ones included, as the rule reads
them — and the few regular-expression terms are searched one by one; a message without a positive
term is rejected there.  Only the occurrences found are then filtered (idioms, context, whole words)
and evaluated.  The explanation says which rule, which words, where (0-based offsets into the cleaned
text) and why an occurrence did not count; it is stored with the match and shown in the clue.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from re import _constants as _sre  # the parser's view of a regex term (its first characters)
from re import _parser as _sre_parse
from typing import Any, NamedTuple

import ahocorasick

from shujian.spec.text import Near, TextRule, Unless, is_regex, prefilter_pattern
from shujian.text.segment import Segmenter, segmenter

MAX_REPORTED = 12      # occurrences listed per kind in an explanation
SNIPPET = 18           # characters of context on each side of the first hit


class Occurrence(NamedTuple):
    """One occurrence of a term (a tuple: made several times per message, cheaply)."""

    term: str          # the rule's term (a regex term keeps its ``~`` pattern)
    start: int
    end: int
    text: str          # the characters found



def literal_automaton(words) -> ahocorasick.Automaton | None:
    """An Aho–Corasick automaton (C) that tells whether any of ``words`` occurs in a text
    (``next(a.iter(text), None) is not None``); None for no words.  Each word's value is its length,
    so ``a.iter`` also gives where an occurrence starts (end + 1 − length)."""
    words = [w for w in words if w]
    if not words:
        return None
    automaton = ahocorasick.Automaton()
    for w in words:
        automaton.add_word(w, len(w))
    automaton.make_automaton()
    return automaton


NOT_WHOLE = "不是整词（分词）"    # why an occurrence of a whole-word term inside a longer word does not count
_occ = Occurrence._make       # tuple.__new__ in C: several per message, cheaper than the class call


@dataclass
class Match:
    """The outcome of one message: matched or not, and why."""

    rule: str
    matched: bool
    hits: list[dict] = field(default_factory=list)
    dropped: list[dict] = field(default_factory=list)
    excluded: list[dict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    snippet: str = ""
    counted: list[str] = field(default_factory=list)     # every occurrence that counted, in text order

    @property
    def words(self) -> list[str]:
        """The words of the hits first, then every other word of the rule that counted."""
        out: list[str] = []
        for w in [w for h in self.hits for w in h["words"]] + self.counted:
            if w not in out:
                out.append(w)
        return out

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rule": self.rule, "matched": self.matched, "hits": self.hits}
        for key in ("dropped", "excluded", "missing"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.snippet:
            out["snippet"] = self.snippet
        return out

    def to_json(self) -> str:
        return _JSON.encode(self.to_dict())


# what json.dumps(…, ensure_ascii=False, separators=(",", ":")) builds on every call, built once
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


class Matcher:
    """A compiled :class:`TextRule`; ``match`` is safe to call from several threads."""

    def __init__(self, rule: TextRule, seg: Segmenter | None = None):
        self.rule = rule
        self.name = rule.name or "文本规则"
        self.seg = seg or segmenter()
        self.terms = rule.terms()
        self.ignore = list(rule.ignore)
        positive = rule.positive_terms()
        self._pre = re.compile(prefilter_pattern(positive, for_sql=False))
        self._regex = {t: re.compile(t[1:]) for t in self.terms if is_regex(t)}
        # every literal term in one automaton (value: the term's rank in self.terms); the regex terms
        # are searched one by one, and a text holds a positive term when the automaton found a
        # positive literal or ``_pre_regex`` (the positive regex terms) matches: ``_pre`` exactly
        literal = [(i, t) for i, t in enumerate(self.terms) if not is_regex(t)]
        self._ac = ahocorasick.Automaton() if literal else None     # None: a rule of regex terms only
        for i, t in literal:
            self._ac.add_word(t, i)
        if self._ac is not None:
            self._ac.make_automaton()
        self._regex_ranks = [(i, t, self._regex[t]) for i, t in enumerate(self.terms) if is_regex(t)]
        # every regex term in one alternation: where it finds nothing, no term does (an alternation
        # matches at a position when one of its branches does), so a text is searched once instead of
        # once per term — about half of the prepaid messages hold none of its four regex terms
        self._any_regex = (re.compile("|".join(f"(?:{t[1:]})" for _, t, _ in self._regex_ranks))
                           if len(self._regex_ranks) > 1 else None)
        self._positive_ranks = frozenset(i for i, t in enumerate(self.terms) if t in positive and not is_regex(t))
        positive_regex = [t for t in positive if is_regex(t)]
        self._pre_regex = re.compile(prefilter_pattern(positive_regex, for_sql=False)) if positive_regex else None
        if rule.whole_word is True:
            self.whole = {t for t in self.terms if len(t) >= 2 and not is_regex(t)}
        else:
            self.whole = set(rule.whole_word or [])
        self._ignore_re = (re.compile("|".join(re.escape(t) for t in sorted(self.ignore, key=len, reverse=True)))
                           if self.ignore else None)
        # every phrase that can drop an occurrence (惯用语 and the unless clauses' context words), in one
        # automaton: a text holding none of them drops no occurrence for a phrase or a context (the
        # ignore and context patterns are alternations of these literals), so its occurrences skip
        # those checks — most screened messages (the fast path; ``fast = False`` turns it off)
        self._quiet = literal_automaton({*self.ignore, *(w for clause in rule.unless for w in clause.context)})
        self.fast = True
        # per-message work is Python (one call per screened 12345 message): sets and orders computed once
        self._unless = [(clause, frozenset(clause.terms) if clause.terms is not None else None,
                         re.compile("|".join(re.escape(w) for w in clause.context)) if clause.context else None)
                        for clause in rule.unless]
        # term → the unless-clauses that apply to it (clause order kept), with their context regex
        self._unless_for = {t: [(c, ctx) for c, terms, ctx in self._unless
                                if (terms is None or t in terms) and ctx is not None]
                            for t in self.terms}
        self._near = [(clause, {t: i for i, t in enumerate(clause.a)}, {t: i for i, t in enumerate(clause.b)})
                      for clause in rule.near]
        # the rule's lists as plain tuples (read per message); the ``any`` terms are the first ranks
        # of self.terms, in their own order, so occurrences in rank order are in ``any`` order
        self._any, self._all, self._exclude = frozenset(rule.any), tuple(rule.all), tuple(rule.exclude)
        self._words_scan_init()

    # -- public ----------------------------------------------------------------------------------
    def candidate(self, text: str) -> bool:
        """True when ``text`` holds a positive term at all (necessary for a match)."""
        return bool(text) and self._pre.search(text) is not None

    def match(self, text: str) -> Match | None:
        """The match of a cleaned text, or None when it does not match."""
        if not text:
            return None
        found = self._scan(text)
        if self._positive_ranks.isdisjoint(found) and (self._pre_regex is None
                                                         or self._pre_regex.search(text) is None):
            return None                 # not a candidate: no positive term (what ``candidate`` says)
        result = self._explain(text, found)
        return result if result.matched else None

    def explain(self, text: str) -> Match:
        """Evaluate fully, also for a text that does not match (the builder's preview says why)."""
        return self._explain(text, self._scan(text))

    def words(self, text: str) -> list[str] | None:
        """``match(text).words`` when ``text`` matches, else None — without building the explanation
        (hits, dropped occurrences, snippet): what the SQL function computes when the explanation
        column is not read.  Each step is :meth:`_explain`'s, on plain tuples (term, start, end,
        text) — an :class:`Occurrence`'s fields — instead of dicts, from one automaton pass
        (:meth:`_words_scan`)."""
        if not text:
            return None
        groups = self._words_scan(text)
        if groups is None:
            return None
        by_term = dict(groups)          # (what _explain builds from the kept list: one group per term)
        if self._all and any(t not in by_term for t in self._all):
            return None                 # a missing all-term
        if self._exclude and any(t in by_term for t in self._exclude):
            return None                 # an exclusion counted
        # (first position, words) per hit, in _explain's order before its stable sort
        hits = [(o[1], (o[3],)) for t, occs in groups if t in self._any for o in occs] if self._any else []
        for clause, a_order, b_order, a_ranked, b_ranked in self._near_words:
            # a side whose terms come in rank order: its occurrences in the clause's order are those
            # of the groups (which are in rank order) — no sort
            a_occ = ([o for t, occs in groups if t in a_order for o in occs] if a_ranked
                     else _in_order(by_term, a_order))
            if not a_occ:
                continue
            b_occ = ([o for t, occs in groups if t in b_order for o in occs] if b_ranked
                     else _in_order(by_term, b_order))
            if not b_occ:
                continue
            pair = _closest_plain(clause, a_occ, b_occ)
            if pair is not None:
                hits.append((pair[0][1], (pair[0][3], pair[1][3])))
        if not hits and (self._any or self._near):
            return None                 # not included
        if self._all:
            hits += [(by_term[t][0][1], (by_term[t][0][3],)) for t in self._all]
        if not hits:
            return None
        if len(hits) > 1:
            hits.sort(key=_FIRST)
        out: list[str] = []
        for _, words in hits[:MAX_REPORTED]:
            for w in words:
                if w not in out:
                    out.append(w)
        kept = groups[0][1] if len(groups) == 1 else [o for _, occs in groups for o in occs]
        for o in sorted(kept, key=_START)[:50]:
            if o[3] not in out:
                out.append(o[3])
        return out

    def _words_scan_init(self) -> None:
        """The automaton of :meth:`_words_scan`: the literal terms (value: the term's rank), the
        phrases of ``_quiet`` and the first characters of the regex terms (value: ``~i``, the role
        ``self._roles[i]`` = (rank or -1, a quiet phrase?, regex ranks starting with it)).

        A regex term whose first character is one of a known set (a literal, a class of literals, an
        alternation of such: :func:`_first_chars`) can only match where one of them is: the automaton
        gives those positions and the term is tried there (``pattern.match(text, at)``) instead of
        searched through the text — what ``finditer`` finds, as its leftmost match from any position
        starts at such a character.  Any other regex term is searched (``_find_regex``)."""
        lengths = [len(t) for t in self.terms]
        roles: dict[str, list] = {}
        for rank, t in enumerate(self.terms):
            if not is_regex(t):
                roles.setdefault(t, [-1, False, []])[0] = rank
        for w in {*self.ignore, *(w for clause in self.rule.unless for w in clause.context)}:
            if w:
                roles.setdefault(w, [-1, False, []])[1] = True
        self._rx_searched: list[tuple[int, str, re.Pattern]] = []
        for rank, t, pattern in self._regex_ranks:
            chars = _first_chars(t[1:])
            if chars is None:
                self._rx_searched.append((rank, t, pattern))
                continue
            for c in sorted(chars):
                roles.setdefault(c, [-1, False, []])[2].append(rank)
        self._rx_tried = {rank: (t, pattern) for rank, t, pattern in self._regex_ranks
                          if rank not in {r for r, _, _ in self._rx_searched}}
        self._roles: list[tuple[int, bool, tuple[int, ...]]] = []
        self._one = ahocorasick.Automaton() if roles else None
        for word, (rank, quiet, rx) in roles.items():
            if rank >= 0 and not quiet and not rx:
                self._one.add_word(word, rank)
            else:
                self._one.add_word(word, ~len(self._roles))
                self._roles.append((rank, quiet, tuple(rx)))
        if self._one is not None:
            self._one.make_automaton()
        self._plain = [(t, n) for t, n in zip(self.terms, lengths, strict=True)]
        rank = {t: i for i, t in enumerate(self.terms)}

        def ranked(order: dict[str, int]) -> bool:
            """The terms of ``order`` (term → place in the clause: the last, for a repeated one) in
            rank order — what _in_order sorts them to."""
            ranks = [rank[t] for t in sorted(order, key=order.__getitem__)]
            return ranks == sorted(ranks)

        self._near_words = [(clause, a_order, b_order, ranked(a_order), ranked(b_order))
                            for clause, a_order, b_order in self._near]

    def _words_scan(self, text: str) -> list[tuple[str, list[tuple]]] | None:
        """:meth:`_kept_groups` of ``text`` as plain tuples, from one automaton pass, or None when
        ``text`` holds no positive term (not a candidate, as :meth:`match` says)."""
        found: dict[int, list[tuple]] = {}
        quiet = self.fast
        tried: dict[int, list[int]] | None = None
        if self._one is not None:
            plain, roles = self._plain, self._roles
            for last, v in self._one.iter(text):
                if v >= 0:
                    rank = v                    # a literal term and nothing else
                else:
                    rank, phrase, rx = roles[~v]
                    if phrase:
                        quiet = False
                    if rx:
                        if tried is None:
                            tried = {}
                        for r in rx:
                            at = tried.get(r)
                            if at is None:
                                tried[r] = [last]
                            else:
                                at.append(last)
                if rank >= 0:
                    t, n = plain[rank]
                    occs = found.get(rank)
                    if occs is None:
                        found[rank] = [(t, last + 1 - n, last + 1, t)]
                    else:
                        occs.append((t, last + 1 - n, last + 1, t))
        if self._positive_ranks.isdisjoint(found) and (self._pre_regex is None
                                                         or self._pre_regex.search(text) is None):
            return None
        if tried:
            for rank, starts in tried.items():
                term, pattern = self._rx_tried[rank]
                occs, end = [], 0
                for at in starts:
                    if at < end:
                        continue                # inside the last match: finditer goes on from its end
                    m = pattern.match(text, at)
                    if m is not None and m.end() > at:
                        end = m.end()
                        occs.append((term, at, end, m.group()))
                if occs:
                    found[rank] = occs
        for rank, term, pattern in self._rx_searched:
            occs = [(term, m.start(), m.end(), m.group()) for m in pattern.finditer(text) if m.end() > m.start()]
            if occs:
                found[rank] = occs
        groups = sorted(found.items(), key=_FIRST) if len(found) > 1 else list(found.items())
        if quiet and not self.whole:
            return [(occs[0][0], occs) for _, occs in groups]
        out: list[tuple[str, list[tuple]]] = []
        if quiet:                       # only the whole-word test can drop an occurrence
            whole, seg = self.whole, self.seg
            for _, occs in groups:
                term = occs[0][0]
                if term in whole:
                    occs = [o for o in occs if seg.is_whole_word(text, o[1], o[2])]
                    if not occs:
                        continue
                out.append((term, occs))
            return out
        spans = [(m.start(), m.end(), m.group()) for m in self._ignore_re.finditer(text)] if self._ignore_re else []
        for _, occs in groups:
            term = occs[0][0]
            occs = [o for o in occs if self._why_not(text, _occ(o), spans) is None]
            if occs:
                out.append((term, occs))
        return out

    def _scan(self, text: str) -> dict[int, list[int]]:
        """Literal terms found in ``text``: term rank → end offsets (exclusive), ascending; every
        occurrence, overlapping ones too (the automaton reports each at its last character)."""
        found: dict[int, list[int]] = {}
        if self._ac is None:
            return found
        for last, rank in self._ac.iter(text):
            ends = found.get(rank)
            if ends is None:
                found[rank] = [last + 1]
            else:
                ends.append(last + 1)
        return found

    def _explain(self, text: str, found: dict[int, list[int]]) -> Match:
        kept, dropped = self._occurrences(text, found)
        by_term: dict[str, list[Occurrence]] = {}
        for occ in kept:
            by_term.setdefault(occ.term, []).append(occ)
        hits = [_hit("any", [o]) for o in kept if o.term in self._any] if self._any else []
        for clause, a_order, b_order in self._near:
            pair = _closest(clause, _in_order(by_term, a_order), _in_order(by_term, b_order))
            if pair is not None:
                hits.append(_hit("near", list(pair), clause.label))
        missing = [t for t in self._all if t not in by_term]
        excluded = [_hit("exclude", [o]) for t in self._exclude for o in by_term.get(t, ())]
        included = bool(hits) or (not self._any and not self._near)
        if self._all and not missing:
            hits += [_hit("all", [by_term[t][0]]) for t in self._all]
        matched = included and not missing and not excluded and bool(hits)
        hits.sort(key=_first_at)
        counted = [o.text for o in sorted(kept, key=_start)]
        return Match(self.name, matched, hits[:MAX_REPORTED], dropped[:MAX_REPORTED], excluded[:MAX_REPORTED],
                     missing, _snippet(text, hits) if matched else "", counted[:50])

    # -- occurrences -----------------------------------------------------------------------------
    def _found_groups(self, text: str, found: dict[int, list[int]]) -> list[tuple[int, list[Occurrence]]]:
        """Every occurrence, grouped per term (rank, occurrences by position), in the rule's order."""
        occurrences: list[tuple[int, list[Occurrence]]] = []
        for rank, ends in found.items():
            term = self.terms[rank]
            n = len(term)
            occurrences.append((rank, [_occ((term, end - n, end, term)) for end in ends]))
        if self._any_regex is None or self._any_regex.search(text) is not None:
            for rank, term, pattern in self._regex_ranks:
                occs = _find_regex(text, term, pattern)
                if occs:
                    occurrences.append((rank, occs))
        occurrences.sort(key=_first)
        return occurrences

    def _quiet_text(self, text: str) -> bool:
        """No idiom and no context word anywhere in ``text`` (then only the whole-word test can drop
        an occurrence: the ignore and context patterns are alternations of these literals)."""
        return self.fast and (self._quiet is None or next(self._quiet.iter(text), None) is None)

    def _dropper(self, text: str) -> Callable[[Occurrence], str | None] | None:
        """The test of an occurrence in ``text``: the reason it is dropped, or None to keep it.  None
        when no occurrence can be dropped.  In a quiet text (``_quiet_text``) only the whole-word test
        remains; otherwise idioms, unless clauses and the whole-word test (``_why_not``)."""
        if self._quiet_text(text):
            if not self.whole:
                return None
            whole, seg = self.whole, self.seg
            return lambda o: NOT_WHOLE if o.term in whole and not seg.is_whole_word(text, o.start, o.end) else None
        spans = [(m.start(), m.end(), m.group()) for m in self._ignore_re.finditer(text)] if self._ignore_re else []
        return lambda o: self._why_not(text, o, spans)

    def _kept_groups(self, text: str, found: dict[int, list[int]]) -> list[tuple[str, list[Occurrence]]]:
        """The occurrences that count, per term (term, occurrences by position), terms in the rule's
        order, terms without one left out: :meth:`_occurrences`' kept list, grouped."""
        why = self._dropper(text)
        out: list[tuple[str, list[Occurrence]]] = []
        for _, occs in self._found_groups(text, found):
            term = occs[0].term
            if why is not None:
                occs = [o for o in occs if why(o) is None]
                if not occs:
                    continue
            out.append((term, occs))
        return out

    def _occurrences(self, text: str, found: dict[int, list[int]]) -> tuple[list[Occurrence], list[dict]]:
        """Every occurrence, in the order of the rule's terms, then of position: kept, or dropped
        with the reason (sorted by position)."""
        why = self._dropper(text)
        kept: list[Occurrence] = []
        dropped: list[dict] = []
        for _, occs in self._found_groups(text, found):
            for occ in occs:
                reason = why(occ) if why is not None else None
                if reason is None:
                    kept.append(occ)
                else:
                    dropped.append({"word": occ.text, "at": occ.start, "why": reason})
        dropped.sort(key=_at)
        return kept, dropped

    def _why_not(self, text: str, occ: Occurrence, spans: list[tuple[int, int, str]]) -> str | None:
        for start, end, phrase in spans:
            if start < occ.end and occ.start < end:
                return f"惯用语“{phrase}”"
        for clause, any_context in self._unless_for[occ.term]:
            if not any_context.search(text, max(0, occ.start - clause.before), occ.end + clause.after):
                continue            # no context word in the window (the common case: one regex pass)
            ctx = _context(text, occ, clause)
            if ctx is not None:
                return f"{clause.label or '语境'}“{ctx}”"
        if occ.term in self.whole and not self.seg.is_whole_word(text, occ.start, occ.end):
            return NOT_WHOLE
        return None


def _first_chars(pattern: str) -> frozenset[str] | None:
    """The characters every match of ``pattern`` starts with, when they are a known set (at most
    ``_FIRST_CHARS`` of them): the pattern begins with a literal, a class of literals and small ranges,
    a group or an alternation of such, or a repeat (at least once) of one; else None."""
    try:
        parsed = _sre_parse.parse(pattern)
    except re.error:
        return None
    if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    chars = _first_of_items(list(parsed))
    return frozenset(chars) if chars is not None and len(chars) <= _FIRST_CHARS else None


_FIRST_CHARS = 256


def _first_of_items(items: list) -> set[str] | None:
    if not items:
        return None
    op, av = items[0]
    if op is _sre.LITERAL:
        return {chr(av)}
    if op is _sre.IN:
        chars: set[str] = set()
        for kind, value in av:
            if kind is _sre.LITERAL:
                chars.add(chr(value))
            elif kind is _sre.RANGE and value[1] - value[0] < _FIRST_CHARS:
                chars.update(chr(c) for c in range(value[0], value[1] + 1))
            else:
                return None             # a negated class, a category (\d, \w …), a large range
        return chars
    if op is _sre.SUBPATTERN:
        _, add_flags, del_flags, sub = av
        return None if add_flags or del_flags else _first_of_items(list(sub))
    if op is _sre.BRANCH:
        chars = set()
        for branch in av[1]:
            found = _first_of_items(list(branch))
            if found is None:
                return None
            chars |= found
        return chars
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):
        low, _, sub = av
        return _first_of_items(list(sub)) if low >= 1 else None
    return None


def _first(item: tuple[int, list]) -> int:
    return item[0]


def _at(item: dict) -> int:
    return item["at"]


def _first_of(hit: tuple[int, tuple[str, ...]]) -> int:
    return hit[0]


def _first_at(hit: dict) -> int:
    return hit["at"][0]


def _start(occ: Occurrence) -> int:
    return occ.start


def _find_regex(text: str, term: str, pattern: re.Pattern) -> list[Occurrence]:
    return [_occ((term, m.start(), m.end(), m.group())) for m in pattern.finditer(text) if m.end() > m.start()]


def _context(text: str, occ: Occurrence, clause: Unless) -> str | None:
    """The context word of ``clause`` found around ``occ`` (None if none applies); the caller has
    checked that the clause applies to ``occ``'s term."""
    # the window includes the occurrence: a context word may overlap it (自动续费 around 续费)
    window = text[max(0, occ.start - clause.before):occ.end + clause.after]
    for word in clause.context:
        if word in window:
            return word
    return None


_FIRST = itemgetter(0)     # sort keys in C: (rank, occurrences) and (position, words) by the first
_START = itemgetter(1)     # a plain occurrence (term, start, end, text) by its start


def _closest_plain(clause: Near, a_occ: list[tuple], b_occ: list[tuple]) -> tuple[tuple, tuple] | None:
    """:func:`_closest` over plain tuples (term, start, end, text)."""
    best, best_gap = None, clause.within + 1
    ordered = clause.ordered
    for a in a_occ:
        a_start, a_end = a[1], a[2]
        for b in b_occ:
            if a_end <= b[1]:
                gap = b[1] - a_end
            elif b[2] <= a_start and not ordered:
                gap = a_start - b[2]
            else:
                continue                      # overlapping, or in the wrong order
            if gap < best_gap:
                best, best_gap = (a, b), gap
    return best


def _in_order(by_term: dict[str, list[Occurrence]], order: dict[str, int]) -> list[Occurrence]:
    """The occurrences of the terms in ``order`` (term → rank), terms in the clause's order: the same
    list as walking the clause's terms, but only over the few terms the message holds."""
    present = sorted((t for t in by_term if t in order), key=order.__getitem__)
    return [o for t in present for o in by_term[t]]


def _closest(clause: Near, a_occ: list[Occurrence], b_occ: list[Occurrence]) -> tuple[Occurrence, Occurrence] | None:
    """The closest (a, b) pair within the clause's distance; the first such pair on ties."""
    best, best_gap = None, clause.within + 1
    for a in a_occ:
        for b in b_occ:
            if a.end <= b.start:
                gap = b.start - a.end
            elif b.end <= a.start and not clause.ordered:
                gap = a.start - b.end
            else:
                continue                      # overlapping, or in the wrong order
            if gap < best_gap:
                best, best_gap = (a, b), gap
    return best


def _hit(kind: str, occs: list[Occurrence], label: str = "") -> dict:
    out = {"kind": kind, "words": [o.text for o in occs], "at": [o.start for o in occs]}
    if kind == "near":
        a, b = occs
        out["gap"] = b.start - a.end if a.end <= b.start else a.start - b.end
    if label:
        out["label"] = label
    return out


def _snippet(text: str, hits: list[dict]) -> str:
    if not hits:
        return ""
    spans = [(a, a + len(w)) for h in hits for w, a in zip(h["words"], h["at"], strict=False)]
    first, last = min(s for s, _ in spans), max(e for _, e in spans)
    if last - first > 4 * SNIPPET:         # far-apart hits: the context of the first one only
        last = spans[0][1]
    lo, hi = max(0, first - SNIPPET), min(len(text), last + SNIPPET)
    return ("…" if lo else "") + text[lo:hi] + ("…" if hi < len(text) else "")


KIND_LABEL = {"any": "包含", "near": "邻近", "all": "必含", "exclude": "排除"}


def describe(explain: dict | str | None) -> str:
    """One line of Chinese for an explanation (positions 1-based, as a reader counts).

    >>> describe({"rule": "预付卡投诉", "matched": True,
    ...           "hits": [{"kind": "near", "words": ["办卡", "跑路"], "at": [3, 12], "gap": 7}]})
    '规则“预付卡投诉”命中：邻近 办卡(第4字)…跑路(第13字)，相隔7字'
    """
    if explain is None:
        return ""
    data = json.loads(explain) if isinstance(explain, str) else explain
    parts = []
    for h in data.get("hits", []):
        words = "…".join(f"{w}(第{a + 1}字)" for w, a in zip(h["words"], h["at"], strict=False))
        gap = f"，相隔{h['gap']}字" if "gap" in h else ""
        parts.append(f"{KIND_LABEL.get(h['kind'], h['kind'])} {words}{gap}")
    head = f"规则“{data.get('rule', '')}”{'命中' if data.get('matched') else '未命中'}："
    tail = ""
    if data.get("dropped"):
        tail += "；不计：" + "、".join(f"{d['word']}(第{d['at'] + 1}字，{d['why']})" for d in data["dropped"][:4])
    if data.get("excluded"):
        tail += "；排除词：" + "、".join(h["words"][0] for h in data["excluded"][:4])
    if data.get("missing"):
        tail += "；缺少必含词：" + "、".join(data["missing"])
    return head + ("；".join(parts) or "无") + tail
