"""Who is complained about (被反映对象): the merchant named in a message, its match key, and its
registered company in an enterprise registry (统一社会信用代码) by a fuzzy score.

Extraction: a merchant is written as a proper name followed by a business word (力美健身、金顺驾校、
星辰教育培训学校、丽人坊美容院、某某健身房); the name runs left from the business word to the
nearest boundary (在/于/到/一家/叫/反映/投诉…, punctuation).  A name that is only a place or
"某" (某健身房、小区门口的健身房) names nobody and is not returned.  With a registry the
extraction is checked against it (a dictionary of registered core names), see :class:`Registry`.

Normalisation is the entity package's (``normalize_company_name``: width, 繁→简, legal form,
branch); the *match key* adds what only merchants need: leading 行政区划 names and trailing
generic shop words (店/馆/房/会所/服务…) dropped, so 椒江区力美健身房 and 台州市椒江区力美健身服务
有限公司 share the key 力美健身.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Any

import ahocorasick
from rapidfuzz import fuzz, process

from shujian.entity.normalize import company_base, to_halfwidth, to_simplified
from shujian.text.matcher import literal_automaton

# Business words that end a merchant's name, longest first (the regex takes the first that fits).
_BUSINESS = sorted({
    "健身房", "健身会所", "健身中心", "健身工作室", "健身俱乐部", "健身馆", "健身", "驾校", "驾驶员培训学校",
    "驾驶培训学校", "培训学校", "培训中心", "培训机构", "培训班", "教育培训", "教育机构", "教育中心", "学校",
    "学堂", "书院", "美容院", "美容会所", "美容店", "美容中心", "美容", "美发店", "美发", "理发店", "造型",
    "美甲店", "美甲", "美睫店", "游泳馆", "游泳健身", "游泳俱乐部", "瑜伽馆", "瑜伽会馆", "瑜伽", "早教中心",
    "早教", "托管班", "托管中心", "托育中心", "洗车店", "洗车行", "汽车美容", "养生馆", "养生堂", "养生会所",
    "足浴", "足疗", "推拿", "按摩店", "会所", "琴行", "舞蹈学校", "工作室", "俱乐部", "乐园", "影楼",
    "摄影", "口腔", "诊所", "月子会所", "月子中心", "宠物店", "宠物医院", "干洗店", "洗衣店", "蛋糕店",
    "烘焙", "台球厅", "台球馆", "道馆", "武术馆", "拳馆", "画室", "车行", "中心", "公司", "店", "馆",
}, key=len, reverse=True)
_BUSINESS_RE = re.compile("(?:" + "|".join(map(re.escape, _BUSINESS)) + ")+")     # 教育培训学校 is one
_BUSINESS_SUFFIXES = tuple(_BUSINESS)


@lru_cache(maxsize=1)
def _business_automaton():
    """The business words in an Aho–Corasick automaton: ``_BUSINESS_RE.search(x)`` finds a match
    exactly when one of the words occurs in ``x`` — a C pass instead of the alternation's scan.
    A word's value is its length (for :func:`_business_runs`)."""
    return literal_automaton(_BUSINESS)


def _has_business_word(text: str) -> bool:
    """``_BUSINESS_RE.search(text) is not None``."""
    return next(_business_automaton().iter(text), None) is not None


def _business_runs(text: str) -> list[tuple[int, int]]:
    """``[m.span() for m in _BUSINESS_RE.finditer(text)]`` from one automaton pass (a C scan; the
    alternation's scan in ``re`` tries each of its ~90 words at each position: most of a message's
    merchant extraction).

    How ``re`` reads ``(?:w1|w2|…)+`` with the words longest first: a match starts at the leftmost
    position where a word starts; each repetition takes the first alternative that fits, i.e. the
    longest word starting there, and repeats while one starts where the last ended (nothing follows
    the ``+``, so it never backtracks to a shorter word); the next match is searched from the end.
    The automaton reports every occurrence (overlapping ones too), so the longest word at each
    start is known.  Property test: tests/text/test_clean_and_merchants.py."""
    longest: dict[int, int] = {}
    for last, n in _business_automaton().iter(text):
        start = last + 1 - n
        if n > longest.get(start, 0):
            longest[start] = n
    runs: list[tuple[int, int]] = []
    end = 0
    for start in sorted(longest):
        if start < end:
            continue
        end = start + longest[start]
        while n := longest.get(end):
            end += n
        runs.append((start, end))
    return runs
_NAME_CHARS = re.compile(r"[0-9A-Za-z一-龥]+$")
_NAME_RUN = re.compile(r"[0-9A-Za-z一-龥]+")
# The name starts after the last of these in its clause.
_CUT_WORDS = ("一家", "这家", "那家", "这个", "那个", "该", "在", "于", "到", "去", "向", "的", "叫", "名为", "称", "说",
              "反映", "投诉", "举报", "咨询", "从", "给", "对", "和", "与", "及", "跟", "我", "其", "他", "她", "位于",
              "某某", "某", "后", "现", "最近", "发现", "联系", "了", "被", "把", "让", "将", "做", "今天", "昨天",
              "前两天", "两天", "几天", "去年", "今年", "当天", "那天", "原来")
_AFTER = "后"                 # a cut word unless 课 comes before it (课后 is part of a name: 课后托管班)
_SHOP_WORDS = ("店", "馆", "公司", "中心", "会所", "机构")
_SHOP_WORD = re.compile("|".join(_SHOP_WORDS))   # inside a name's prefix: a sentence, not a name
_MAX_NAME = 14
# Words that name nobody when they are all that is left of a name (小区门口的健身房 → 门口).
_GENERIC = frozenset({
    "小区", "门口", "楼下", "附近", "路边", "街边", "城东", "城西", "城南", "城北", "一个", "本地", "当地", "网红",
    "私人", "个体", "连锁", "民办", "民营", "儿童", "少儿", "幼儿", "老年", "亲子", "母婴", "家庭", "社区", "教育",
    "培训", "健身", "美容", "美发", "艺术", "体育", "文化", "商业", "服务", "建筑", "装修", "物流", "科技", "网络",
    "汽车", "宠物", "口才", "英语", "舞蹈", "游泳", "瑜伽", "早教", "托管", "养生", "理疗", "新开", "原来",
    "汽修", "绘本", "洗车", "干洗", "烘焙", "台球", "拳击", "武术", "书法", "美术", "钢琴", "编程", "足球", "篮球",
    "推拿", "足疗", "按摩", "摄影", "家政", "中医", "口腔", "驾驶", "机构", "公司", "门店", "店铺", "会员",
})
# Trailing words dropped from a match key (kept in the displayed name).
_TRAIL_WORDS = ("服务", "经营", "管理", "咨询", "店", "馆", "房", "会所", "中心", "工作室", "俱乐部", "门店", "总店", "旗舰店",
                "有限", "个体工商户")
_TRAIL = re.compile("(?:" + "|".join(_TRAIL_WORDS) + ")+$")
_SUFFIX = re.compile(r"(?:省|市|自治区|自治州|自治县|地区|区|县|旗|盟|镇|乡|街道)$")


@lru_cache(maxsize=1)
def _divisions() -> tuple[str, ...]:
    """Names of 行政区划 (full and without 省/市/区/县, ≥2 characters), longest first, from the
    division table python-stdnum ships (historical names included)."""
    from stdnum import numdb

    names: set[str] = set()

    def walk(items) -> None:
        for item in items:
            for value in item[3].values():
                for part in re.split(r"\[[^\]]*\]", value):
                    part = part.strip(" ,;")
                    if len(part) >= 2 and part != "市辖区":
                        names.add(part)
                        short = _SUFFIX.sub("", part)
                        if len(short) >= 2 and short != part:
                            names.add(short)
            walk(item[4])

    walk(numdb.get("cn/loc").prefixes)
    return tuple(sorted(names, key=len, reverse=True))


@lru_cache(maxsize=1)
def _division_set() -> frozenset[str]:
    return frozenset(_divisions())


@lru_cache(maxsize=1)
def _division_lengths() -> dict[str, tuple[int, ...]]:
    """First two characters → the lengths of the 行政区划 names that start with them, longest first
    (every name has two characters or more): a name starting like none of them is rejected by one
    dictionary lookup (most merchants' own names: 顺煜森美容 after 台州市温岭市)."""
    lengths: dict[str, set[int]] = {}
    for name in _divisions():
        lengths.setdefault(name[:2], set()).add(len(name))
    return {c: tuple(sorted(ns, reverse=True)) for c, ns in lengths.items()}


def _leading_division(name: str) -> int:
    """The length of the longest 行政区划 name ``name`` starts with (0: none) — what an alternation of
    the names, longest first, anchored at the start, matches — by one set lookup per length."""
    lengths = _division_lengths().get(name[:2])
    if lengths is None:
        return 0
    names = _division_set()
    for n in lengths:
        if n <= len(name) and name[:n] in names:
            return n
    return 0


# a large city's prepaid messages name about 470,000 different merchants (each two or three times, in
# no order): the cache holds them all (before: 262,144 entries, and a name came back evicted)
@lru_cache(maxsize=1 << 19)
def merchant_key(name: str | None) -> str | None:
    """The comparison key of a merchant name (None when nothing specific is left).

    >>> merchant_key("台州市椒江区力美健身服务有限公司")
    '力美健身'
    >>> merchant_key("椒江区力美健身房")
    '力美健身'
    """
    base = company_base(name) if name else None
    return _key_of_base(base) if base else None


def _key_of_base(base: str) -> str | None:
    """:func:`merchant_key` of a name whose ``company_base`` is ``base`` (not empty): a prefix of a
    suffix of ``base``, so a substring of it."""
    at = 0                            # rest = base[at:]
    runs: list[tuple[int, int]] | None = None
    while n := _leading_division(base[at:] if at else base):
        if runs is None:              # the business-word runs of base, found once for every suffix
            runs = _business_runs(base)
        if _core_length(base, at + n, runs) < 2:
            break                     # 台州市 椒江区 …; but 中山美容院 keeps 中山: it is the name
        at += n
    rest = base[at:]
    key = _TRAIL.sub("", rest) or rest
    return key if len(_core(key)) >= 2 else None


def _core_length(base: str, start: int, runs: list[tuple[int, int]]) -> int:
    """``len(_core(base[start:]))`` from the runs ``_BUSINESS_RE.finditer(base)`` found.

    finditer scans left to right and restarts at a run's end or one character on, so from any
    position it does not skip (one not strictly inside a run) it finds what a scan started there
    would: the runs of ``base[start:]`` are those of ``base`` from ``start`` on.  A run across
    ``start`` breaks that; the suffix is then scanned on its own."""
    size = len(base) - start
    last = None
    for run in runs:
        if run[0] < start < run[1]:
            return len(_core(base[start:]))
        if run[0] >= start:
            last = run
    return last[0] - start if last is not None and last[1] == len(base) else size


def _core(name: str) -> str:
    """The name without its business word (力美健身 → 力美)."""
    if not name.endswith(_BUSINESS_SUFFIXES):
        return name                   # no run of business words can end the name
    runs = _business_runs(name)
    return name[:runs[-1][0]] if runs and runs[-1][1] == len(name) else name


_DROPPED = frozenset("()[]（）")    # brackets: normalize_company_name maps ( ) [ ] to （ ）, opens notes


def _dropped(ch: str) -> bool:
    """White space (``\\s`` of ``re``, which is ``str.isspace``) or a bracket."""
    return ch.isspace() or ch in _DROPPED


@lru_cache(maxsize=1)
def _plain_table() -> dict[int, str | None] | None:
    """A ``str.translate`` table: ``name.translate(table).upper()`` is the name half-width and
    simplified (as ``company_base`` makes it) without white space and brackets — for a name of
    Basic Multilingual Plane characters.  None when the character maps break an assumption of
    :meth:`KeyFilter.key` (checked here for every such character): simplifying and upper-casing map a
    white-space or bracket character to white space and brackets only, and any other character to
    none of them."""
    table: dict[int, str | None] = {}
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue                      # surrogates: not characters
        ch = chr(cp)
        half = to_halfwidth(ch)
        for c in half:
            mapped = to_simplified(c).upper()
            if _dropped(c) != all(_dropped(m) for m in mapped) or (not _dropped(c) and any(map(_dropped, mapped))):
                return None
        kept = "".join(c for c in to_simplified(half) if not _dropped(c))
        if kept != ch:
            table[cp] = kept or None
    return table


@lru_cache(maxsize=1)
def _plain_changes() -> re.Pattern | None:
    """One character class of the characters ``_plain_table`` maps: ``_plain(text)`` rewrites only
    those (the table as ``str.translate`` looks up every character of the text — 0.6 µs for a
    registry name that has none of them, as nearly all have)."""
    table = _plain_table()
    return None if table is None else re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(table)) + "]")


def _plain_char(m: re.Match) -> str:
    return _plain_table()[ord(m.group())] or ""


def _plain(text: str) -> str:
    """``text.translate(_plain_table()).upper()`` (the table is there: see ``KeyFilter``)."""
    changes = _plain_changes()
    return (changes.sub(_plain_char, text) if changes.search(text) else text).upper()


_SEP = "\x00"       # joins a batch of names in KeyFilter.keys_of
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")      # outside the Basic Multilingual Plane


@lru_cache(maxsize=1)
def _sep_kept() -> bool:
    """``_SEP`` is its own cheap form, and no other character's cheap form holds it."""
    table = _plain_table()
    return (table is not None and ord(_SEP) not in table and _SEP.upper() == _SEP
            and not any(_SEP in (v or "").upper() for v in table.values()))


class KeyFilter:
    """:func:`merchant_key` restricted to a set of keys: ``key(name)`` is ``merchant_key(name)`` when
    that is one of ``keys``, else None — the registry side of a match, where only the keys the
    tickets produced can join.

    A key is a substring of its name's ``company_base`` (see :func:`_key_of_base`), so a name whose
    base contains none of the keys (one pass of an Aho–Corasick automaton over the keys, in C) cannot
    have one of them as its key; only the other names (the few that can) get the full key.

    The base itself costs more than the test, so the test runs first on a cheaper string that holds
    the base's characters in order: the name half-width, simplified and upper-case without white
    space and brackets (``_plain_table``).  ``company_base`` either takes that form of the stripped
    name and cuts a legal form off its end (no white space or brackets in it), or is
    ``normalize_company_name``: the cleaned name (half-width, stripped, white space removed,
    simplified, upper-case, brackets as （）) cut to a prefix (branch, legal form) with bracket pairs
    of region notes removed — or that cleaned name whole.  Either way, removing the remaining white
    space and brackets from the base leaves a substring of the cheap string, and a key without white
    space or brackets that is a substring of the base stays one of what is left.  A key set holding
    white space or a bracket, or a name outside the Basic Multilingual Plane, takes the base."""

    def __init__(self, keys: Iterable[str | None]):
        self.keys = frozenset(k for k in keys if k)
        self._ac = literal_automaton(self.keys)
        plain = not any(_dropped(c) for k in self.keys for c in k)
        self._table = _plain_table() if plain and self.keys else None
        self._batch = self._table is not None and _sep_kept() and not any(_SEP in k for k in self.keys)
        self._native = None
        if self._batch and self._ac is not None:
            from shujian.text import native

            self._native = native.keys(self.keys)      # the same test in C (None: not built or off)

    def __len__(self) -> int:
        return len(self.keys)

    def keys_of(self, names: list[str]) -> list[str | None]:
        """``[self.key(n) for n in names]``, the cheap test done for the whole batch at once: the
        names joined by ``_SEP`` (which the table and upper-casing leave as it is and make from no
        other character: ``_sep_kept``) are mapped by one ``translate`` and one ``upper`` and
        searched in one automaton pass.  Both maps go character by character, so that string is
        the names' cheap strings joined by ``_SEP``, and an occurrence of a key (none holds
        ``_SEP``) lies inside one name's cheap string — only those names take :meth:`key`.  A
        batch holding ``_SEP`` or a character outside the Basic Multilingual Plane takes
        :meth:`key` name by name."""
        if self._ac is None or not names:
            return [None] * len(names)
        found = self.keys_of_joined(_SEP.join(names), len(names), names.__getitem__)
        return [self.key(n) for n in names] if found is None else found

    def keys_of_joined(self, joined: str, n: int, name: Callable[[int], str]) -> list[str | None] | None:
        """:meth:`keys_of` of the ``n`` names joined by ``_SEP`` (``name(i)``: the i-th name, asked
        for the few that take the full key); None when the batch cannot be taken at once (see
        :meth:`keys_of`): the caller takes the names one by one."""
        if self._ac is None:
            return [None] * n
        if not self._batch or joined.count(_SEP) != n - 1 or _ASTRAL.search(joined):
            return None
        out: list[str | None] = [None] * n
        if self._native is not None:
            from shujian.text import _native

            found = _native.key_names(self._native, joined)
            if found is not None:                   # (None: an astral character, checked above)
                for i in found:
                    out[i] = self._key_of_name(name(i))
                return out
        plain = _plain(joined)
        hits = self._ac.iter(plain)
        first = next(hits, None)
        if first is None:
            return out                    # no key in any cheap string (most batches of a registry)
        i, at, done = 0, 0, -1
        for last, _ in chain((first,), hits):         # (in the order of ``last``)
            i += plain.count(_SEP, at, last)          # the name whose cheap string holds ``last``
            at = last
            if i != done:
                done = i
                out[i] = self._key_of_name(name(i))
        return out

    def keys_of_arrow(self, names) -> list[str | None] | None:
        """:meth:`keys_of` of an Arrow string array (a null: no key), the cheap test of the batch in C
        over the array's buffers without the interpreter lock (``native.key_names_arrow``: DuckDB's
        threads test their batches at once), and the key of a name that passes it there too where the C
        ``merchant_key`` can compute it; only the other names that can carry a key become Python
        strings.  None when the C test is not at hand or cannot take the batch (see :meth:`keys_of`; and a
        name the cleaning changes): the caller takes another path."""
        from shujian.text import native

        if self._ac is None:
            return [None] * len(names)
        found = native.key_names_arrow(self._native, names) if self._native is not None else None
        if found is None:
            return None
        places, keys, ask = found
        out: list[str | None] = [None] * len(names)
        for i, key in zip(places, keys, strict=True):
            out[i] = key
        for i in ask:
            out[i] = self._key_of_name(names[i].as_py())
        return out

    def key_column_arrow(self, names) -> Any | None:
        """:meth:`keys_of_arrow` as an Arrow string array, built in C (``native.key_column_arrow``: no Python
        object per name but for the few names whose key only Python computes); None when
        :meth:`keys_of_arrow` would be."""
        import pyarrow as pa

        from shujian.text import native

        if self._ac is None:
            return pa.nulls(len(names), pa.string())
        done = native.key_column_arrow(self._native, names) if self._native is not None else None
        if done is None:
            return None
        column, ask = done
        if not ask:
            return column
        out = column.to_pylist()
        for i in ask:
            out[i] = self._key_of_name(names[i].as_py())
        return pa.array(out, pa.string())

    def key(self, name: str | None) -> str | None:
        """``merchant_key(name)`` if it is one of the keys, else None."""
        if self._ac is None or not name:
            return None
        if self._table is not None and not _ASTRAL.search(name) and \
                next(self._ac.iter(_plain(name)), None) is None:
            return None                   # no key in the cheap string: none in the base
        return self._key_of_name(name)

    def _key_of_name(self, name: str) -> str | None:
        """:meth:`key` after its cheap test."""
        base = company_base(name)
        if not base:
            return None
        if next(self._ac.iter(base), None) is None:
            return None                   # no key occurs in the base
        key = _key_of_base(base)
        return key if key in self.keys else None


@dataclass(frozen=True)
class Mention:
    """A merchant named in a message: the name as written, where, and its match key."""

    name: str
    start: int
    key: str


def extract_merchants(text: str) -> list[Mention]:
    """Every merchant named in ``text`` (cleaned), in order, without repeats of a key.

    >>> [m.name for m in extract_merchants("来电人反映其在椒江区力美健身办理年卡，力美健身已关门")]
    ['椒江区力美健身']
    >>> extract_merchants("小区门口的一家健身房突然关门")
    []
    """
    out: list[Mention] = []
    seen: set[str] = set()
    for start, end in _business_runs(text):
        mention = _mention(text, start, end)
        if mention is not None and mention.key not in seen:
            seen.add(mention.key)
            out.append(mention)
    return out


def _mention(text: str, start: int, end: int) -> Mention | None:
    left = text[max(0, start - _MAX_NAME):start]
    if not left:
        return None
    if left[-1] == "\n":
        run = _NAME_CHARS.search(left)    # (``$`` also matches before a final line break)
        if run is None:
            return None
        prefix = run.group()
    else:
        # the name characters that end ``left`` (what ``_NAME_CHARS.search`` finds: the longest such
        # suffix), as the run at the start of ``left`` reversed — one match, not a search trying
        # every start
        run = _NAME_RUN.match(left[::-1])
        if run is None:
            return None
        prefix = left[len(left) - run.end():]
    name_start = start - len(prefix)
    cut = _last_cut_end(prefix)
    if cut:
        name_start += cut
        prefix = prefix[cut:]
    if len(prefix) < 2 or prefix in _GENERIC or prefix in _division_set() or prefix.isdigit():
        return None
    if prefix[0].isdigit() or prefix[1].isdigit() or _SHOP_WORD.search(prefix) or _has_business_word(prefix):
        # 3个月后… / 健身房突然闭店: a count or a sentence, not a name
        return None
    name = text[name_start:end]
    key = merchant_key(name)
    return Mention(name, name_start, key) if key else None


@lru_cache(maxsize=1)
def _cut_automaton():
    """The cut words in an automaton, each word's value its place in ``_CUT_WORDS`` (the first, for
    a repeated word)."""
    first: dict[str, int] = {}
    for i, w in enumerate(_CUT_WORDS):
        first.setdefault(w, i)
    automaton = ahocorasick.Automaton()
    for w, i in first.items():
        automaton.add_word(w, i)
    automaton.make_automaton()
    return automaton


_CUT_LENGTHS = tuple(len(w) for w in _CUT_WORDS)


def _last_cut_end(prefix: str) -> int:
    """Where the last match of the cut words' alternation in ``prefix`` ends (``(?:一家|这家|…|(?<!课)后|…)``,
    ``finditer``), 0 when there is no match, from one automaton
    pass: ``finditer`` takes, at the leftmost position where a cut word starts (后 only when 课 is not
    before it in ``prefix``), the first word of the alternation that starts there, and goes on from its
    end.  (The alternation's scan tried its 55 words at every position: most of a mention's cost.)"""
    first: dict[int, int] = {}
    for last, i in _cut_automaton().iter(prefix):
        start = last + 1 - _CUT_LENGTHS[i]
        if i == _AFTER_AT and start and prefix[start - 1] == "课":
            continue
        if i < first.get(start, len(_CUT_WORDS)):
            first[start] = i
    end = 0
    for start in sorted(first):
        if start >= end:
            end = start + _CUT_LENGTHS[first[start]]
    return end


_AFTER_AT = _CUT_WORDS.index(_AFTER)


def first_merchant(text: str) -> Mention | None:
    """The first merchant named in ``text`` (the one complained about, in hotline summaries): the
    first of :func:`extract_merchants`, without looking at the rest of the text."""
    for start, end in _business_runs(text):
        mention = _mention(text, start, end)
        if mention is not None:
            return mention
    return None


# ---------------------------------------------------------------- registry matching
@dataclass(frozen=True)
class RegistryMatch:
    uscc: str
    name: str
    score: float


class Registry:
    """An enterprise registry (市场主体登记) indexed by match key, for fuzzy matching with rapidfuzz.

    ``score`` is rapidfuzz's ``WRatio`` of the two match keys (0–100): equal keys score 100, a key
    contained in the other (力美健身 / 力美健身游泳) scores high, unrelated names low.  A match needs
    ``min_score`` (default 85, the research note's ≥0.85) and, when both sides give one, the same
    district.
    """

    def __init__(self, rows: Iterable[tuple[str, str]], *, min_score: float = 85.0):
        self.min_score = min_score
        self.by_key: dict[str, list[tuple[str, str]]] = {}
        for uscc, name in rows:
            key = merchant_key(name)
            if key and uscc:
                self.by_key.setdefault(key, []).append((str(uscc), str(name)))
        self.keys = list(self.by_key)
        self._key_lengths: list[int] | None = None

    def __len__(self) -> int:
        return len(self.keys)

    def match(self, name_or_key: str, *, is_key: bool = False) -> RegistryMatch | None:
        key = name_or_key if is_key else merchant_key(name_or_key)
        if not key:
            return None
        if key in self.by_key:
            uscc, name = self.by_key[key][0]
            return RegistryMatch(uscc, name, 100.0)
        best = process.extractOne(key, self.keys, scorer=fuzz.WRatio, score_cutoff=self.min_score)
        if best is None:
            return None
        uscc, name = self.by_key[best[0]][0]
        return RegistryMatch(uscc, name, round(float(best[1]), 1))

    def find_in(self, text: str) -> RegistryMatch | None:
        """A registered merchant whose key (≥ 3 characters) occurs verbatim in ``text``, the longest
        one first: the dictionary lookup that catches names written without a business word (在金悦达
        商贸办的卡).  One set lookup per position and key length, so a large registry costs no more
        than a small one."""
        for n in self._lengths():
            for i in range(len(text) - n + 1):
                found = self.by_key.get(text[i:i + n])
                if found:
                    uscc, name = found[0]
                    return RegistryMatch(uscc, name, 100.0)
        return None

    def _lengths(self) -> list[int]:
        if self._key_lengths is None:
            self._key_lengths = sorted({len(k) for k in self.keys if len(k) >= 3}, reverse=True)
        return self._key_lengths
