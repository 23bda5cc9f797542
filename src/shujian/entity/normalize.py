"""Normalisation of person and company fields (主体要素规范化), shared by import, compiler and linker.

Every function takes a raw delivered value (str, or None) and returns its normalised form, or None
for blanks and null markers (空, 无, NULL…).  The rules, in the order they are applied:

* 全角→半角 (``to_halfwidth``, from ``catalog.semantic`` so import and linker agree);
* 繁体→简体 (``to_simplified``): zhconv's conversion table (MediaWiki's zh-hans table, shipped in the
  wheel, offline), used character by character through ``str.translate``: names, addresses and
  company names need character conversion, not phrase rewriting, and a translate table converts
  millions of values a second (zhconv.convert ≈ 40k/s, opencc-python-reimplemented ≈ 7k/s).  乾 and
  the surname 於 are kept (``KEEP_IN_NAMES``); 張→张, 陳→陈, 鍾→钟, 後→后;
* spaces, dots (·•・.) and separators;
* resident IDs: 15 → 18 digits (``id15_to_18``), birth date / sex / division derived from the number;
* company names: brackets unified, the legal form (有限公司, 有限责任公司, 股份有限公司…) and a branch
  suffix (…分公司, …分店) split off, so ``normalize_company_name`` is a comparison key;
* phone numbers: +86/0086 and separators removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from shujian.catalog.semantic import id15_to_18, to_halfwidth
from shujian.catalog.typeinfer import NULL_MARKERS, parse_date_text

__all__ = [
    "CompanyName", "address_tokens", "clean_company_name", "id15_to_18", "id_birth_date", "id_division",
    "id_sex", "normalize_address", "normalize_birth_date", "normalize_company_name", "normalize_id_number",
    "normalize_person_name", "normalize_phone", "normalize_sex", "split_company_name", "to_halfwidth",
    "to_simplified",
]


def _clean(value: object) -> str | None:
    """Half-width, trimmed; None for blanks and null markers."""
    if value is None:
        return None
    v = to_halfwidth(str(value)).strip()
    return None if v in NULL_MARKERS else v


# Characters zhconv would change that are names of their own: 乾 (乾隆, 乾坤 ≠ 干) and the surname 於.
KEEP_IN_NAMES = "乾於"


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    """zhconv's one-character traditional → simplified pairs (張→张, 後→后, 鍾→钟…), less KEEP_IN_NAMES."""
    from zhconv import zhconv as zc

    zc.loaddict()
    pairs = zc.zhcdicts["zh2Hans"]
    return str.maketrans({k: v for k, v in pairs.items()
                          if len(k) == 1 and len(v) == 1 and k != v and k not in KEEP_IN_NAMES})


def to_simplified(text: str) -> str:
    """Traditional → simplified, character by character (str.translate: millions of names a second).

    >>> to_simplified("張三 陳偉 鍾離 乾隆")
    '张三 陈伟 钟离 乾隆'
    """
    return text.translate(_t2s_table())


# --- persons ---------------------------------------------------------------------------------------

_DOTS_RE = re.compile(r"[.•・‧∙･·]")
_SPACE_RE = re.compile(r"\s+")
# An annotation after a name: 张三（曾用名张山）, 李四(男), 王五【已故】.
_NAME_NOTE_RE = re.compile(r"[(\[【〔（].*$")


@lru_cache(maxsize=262144)
def _person_name(v: str) -> str:
    v = _NAME_NOTE_RE.sub("", v)
    v = _DOTS_RE.sub("·", _SPACE_RE.sub("", v)).strip("·")
    return to_simplified(v).upper()


def normalize_person_name(value: object) -> str | None:
    """Person name for comparison: half-width, simplified, no spaces, dots unified to ·, notes dropped.

    >>> normalize_person_name(" 張 三（曾用名張山） ")
    '张三'
    >>> normalize_person_name("买买提.艾力")
    '买买提·艾力'
    """
    v = _clean(value)
    if v is None:
        return None
    return _person_name(v) or None


_ID_SEP_RE = re.compile(r"[\s\-]")
_ID18_RE = re.compile(r"\d{17}[\dX]")


def normalize_id_number(value: object) -> str | None:
    """Resident ID: separators removed, upper-case X, 15-digit numbers converted to 18.

    An invalid number is returned cleaned, not dropped (its birth-date part may still help linking).

    >>> normalize_id_number("110105 491231 002")
    '11010519491231002X'
    """
    v = _clean(value)
    if v is None:
        return None
    v = _ID_SEP_RE.sub("", v).upper()
    return id15_to_18(v) or v


def id_birth_date(value: object) -> date | None:
    """Birth date encoded in a resident ID (15 or 18 digits); None if absent or impossible.

    >>> id_birth_date("11010519491231002X")
    datetime.date(1949, 12, 31)
    """
    n = normalize_id_number(value)
    if n is None or not _ID18_RE.fullmatch(n):
        return None
    try:
        return date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        return None


def id_sex(value: object) -> str | None:
    """Sex encoded in a resident ID (17th digit odd → 男, even → 女).

    >>> id_sex("11010519491231002X")
    '女'
    """
    n = normalize_id_number(value)
    if n is None or not _ID18_RE.fullmatch(n):
        return None
    return "男" if int(n[16]) % 2 else "女"


def id_division(value: object) -> str | None:
    """The 6-digit division code (户籍地 at issue) at the head of a resident ID."""
    n = normalize_id_number(value)
    return n[:6] if n is not None and _ID18_RE.fullmatch(n) else None


def normalize_birth_date(value: object) -> date | None:
    """A delivered birth date in any supported format (1990-01-05, 1990年1月5日, 19900105…)."""
    if isinstance(value, date):
        return value
    v = _clean(value)
    return None if v is None else parse_date_text(v)


_SEX = {"男": "男", "女": "女", "M": "男", "F": "女", "MALE": "男", "FEMALE": "女", "1": "男", "2": "女",
        "男性": "男", "女性": "女"}


def normalize_sex(value: object) -> str | None:
    """男/女 from 男, 女, M, F, 1, 2 (GB/T 2261.1), male, female; None otherwise."""
    v = _clean(value)
    return None if v is None else _SEX.get(v.upper())


_PHONE_CLEAN_RE = re.compile(r"[\s\-()]")
_PHONE_PREFIX_RE = re.compile(r"^(?:\+|00)?86(?=1\d{10}$)")


def normalize_phone(value: object) -> str | None:
    """Phone number: digits only, +86/0086 dropped (mobile), landline area code kept (0571xxxxxxxx).

    >>> normalize_phone("+86 138-0013-8000")
    '13800138000'
    """
    v = _clean(value)
    if v is None:
        return None
    v = _PHONE_PREFIX_RE.sub("", _PHONE_CLEAN_RE.sub("", v))
    return v or None


# --- addresses -------------------------------------------------------------------------------------

# Written once, used by Python ``re`` and DuckDB's RE2 alike (entity.prepare tokenises in SQL).
ADDRESS_UNIT_PAT = (r"[^省市区县镇乡村路街道巷弄号栋幢楼单元室组]+"
                    r"(?:自治州|自治县|街道|社区|单元|[省市区县镇乡村路街道巷弄号栋幢楼室组])")
_ADDRESS_UNIT_RE = re.compile(ADDRESS_UNIT_PAT)


@lru_cache(maxsize=262144)
def _address(v: str) -> str:
    return to_simplified(_SPACE_RE.sub("", v)).replace("(", "（").replace(")", "）")


def normalize_address(value: object) -> str | None:
    """Address: half-width, simplified, no spaces."""
    v = _clean(value)
    return None if v is None else (_address(v) or None)


def address_tokens(value: object) -> list[str]:
    """Address split at administrative and street units (省/市/区/街道/路/号/栋/单元/室…).

    >>> address_tokens("浙江省杭州市西湖区文三路 90号")
    ['浙江省', '杭州市', '西湖区', '文三路', '90号']
    """
    v = normalize_address(value)
    if v is None:
        return []
    tokens = _ADDRESS_UNIT_RE.findall(v)
    rest = _ADDRESS_UNIT_RE.sub("", v)
    return tokens + ([rest] if rest else [])


# --- companies -------------------------------------------------------------------------------------

# Longest first: the alternation takes the first alternative that matches at a position.
_LEGAL_FORMS = ("股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "集团公司", "合伙企业（有限合伙）",
                "合伙企业（普通合伙）", "（有限合伙）", "（普通合伙）", "合伙企业", "个人独资企业", "公司", "集团")
_BRANCH_SUFFIX = "(?:分公司|分店|分部|分厂|分行|支行|分所|分支机构|营业部|门店)"
_BRANCH_BRACKET_RE = re.compile(f"（([^（）]*{_BRANCH_SUFFIX})）$")
# An unbracketed branch follows the head office's legal form: …有限公司西湖分公司.
_BRANCH_AFTER_FORM_RE = re.compile(f"(?:公司|集团|企业)([^（）]+?{_BRANCH_SUFFIX})$")
_LEGAL_RE = re.compile("(?:" + "|".join(re.escape(f) for f in _LEGAL_FORMS) + ")$")
_REGION_NOTE_RE = re.compile(r"（([^（）]{2,8}?)）")


@dataclass(frozen=True)
class CompanyName:
    """A company name split into its parts: 杭州某某科技有限公司西湖分公司 →
    core 杭州某某科技, legal form 有限公司, branch 西湖分公司."""

    full: str
    core: str
    legal_form: str | None
    branch: str | None


@lru_cache(maxsize=262144)
def _clean_company(v: str) -> str:
    v = to_simplified(_SPACE_RE.sub("", v)).upper()
    return v.replace("(", "（").replace(")", "）").replace("[", "（").replace("]", "）")


def clean_company_name(value: object) -> str | None:
    """Company name for display and exact comparison: half-width, simplified, （） brackets, no spaces.

    >>> clean_company_name("杭州 某某科技(集團)有限公司")
    '杭州某某科技（集团）有限公司'
    """
    v = _clean(value)
    return None if v is None else (_clean_company(v) or None)


@lru_cache(maxsize=262144)
def _split_company(full: str) -> CompanyName:
    rest, branch = full, None
    m = _BRANCH_BRACKET_RE.search(rest) or _BRANCH_AFTER_FORM_RE.search(rest)
    if m and m.start() > 0:
        branch = m.group(1)
        rest = rest[: m.start(1)] if m.re is _BRANCH_AFTER_FORM_RE else rest[: m.start()]
    legal = None
    m = _LEGAL_RE.search(rest)
    if m and m.start() > 0:
        legal, rest = m.group(0), rest[: m.start()]
    core = _REGION_NOTE_RE.sub(r"\1", rest)   # 某某（杭州）科技 → 某某杭州科技: brackets are noise
    return CompanyName(full=full, core=core, legal_form=legal, branch=branch)


def split_company_name(value: object) -> CompanyName | None:
    """Split a company name into core name, legal form and branch.

    >>> split_company_name("杭州某某科技有限公司西湖分公司")
    CompanyName(full='杭州某某科技有限公司西湖分公司', core='杭州某某科技', legal_form='有限公司', branch='西湖分公司')
    """
    full = clean_company_name(value)
    return None if full is None else _split_company(full)


def normalize_company_name(value: object, *, keep_branch: bool = False) -> str | None:
    """Comparison key of a company name: cleaned, legal form removed, branch removed (unless
    ``keep_branch``), region brackets opened.  Two deliveries of one registered company give one key.

    >>> normalize_company_name("杭州某某科技有限責任公司")
    '杭州某某科技'
    >>> normalize_company_name("杭州某某科技有限公司（西湖分公司）")
    '杭州某某科技'
    >>> normalize_company_name("杭州某某科技有限公司西湖分公司", keep_branch=True)
    '杭州某某科技西湖分公司'
    """
    parts = split_company_name(value)
    if parts is None:
        return None
    key = parts.core + ((parts.branch or "") if keep_branch else "")
    return key or parts.full


_WHITE = re.compile(r"\s")
# What normalize_company_name does to the common name — no brackets, no spaces, no branch — in a few
# string operations; every other name takes normalize_company_name itself (see company_base).
_BRACKETS = frozenset("()[]（）")
_BRANCH_ENDINGS = tuple(_BRANCH_SUFFIX.removeprefix("(?:").removesuffix(")").split("|"))
_PLAIN_FORMS = tuple(sorted((f for f in _LEGAL_FORMS if not _BRACKETS.intersection(f)), key=len, reverse=True))


def company_base(name: str) -> str | None:
    """``normalize_company_name(name)``, cheaply for a name without brackets, white space or a
    branch ending (2M registry names and every merchant named in a message take this path).

    Without brackets and spaces the cleaned name is the name half-width, simplified and upper-case,
    no branch pattern can match (both end in a branch word), no region note can be opened, and the
    legal form is the longest form the name ends with (the leftmost match of the regex anchored at
    the end), removed unless it is the whole name."""
    v = to_halfwidth(name).strip()
    if _BRACKETS.intersection(v) or _WHITE.search(v) or v.endswith(_BRANCH_ENDINGS) or v in NULL_MARKERS:
        return normalize_company_name(name)
    full = to_simplified(v).upper()
    if not full or _BRACKETS.intersection(full) or full.endswith(_BRANCH_ENDINGS):
        return normalize_company_name(name)
    if full.endswith(_PLAIN_FORMS):
        for form in _PLAIN_FORMS:                       # longest first
            if full.endswith(form):
                return full[:-len(form)] if len(full) > len(form) else full
    return full
