"""Semantic types (数据要素): what a column *means*, beyond its storage type.

A semantic type knows how to normalise a delivered value (全角→半角, brackets, spaces), whether a
value is valid (GB 11643 / GB 32100 checksums via python-stdnum, Luhn, the division history), which
column names hint at it, and whether it identifies a person (then it is masked on display).

The registry ``SEMANTIC_TYPES`` is the one place types are declared.  For bulk work inside DuckDB,
``normalize_sql`` gives a pure-SQL normalisation and ``register_udfs`` adds vectorised (pyarrow)
validity functions ``sj_valid_<key>`` plus ``sj_norm_id_number`` (which also turns 15-digit IDs into 18).

``normalize`` returns None only for blank values and null markers (空, 无, NULL…); an invalid value
is returned cleaned but otherwise kept, so the raw delivery is never silently lost.

Resident ID validity: 18 characters, a province prefix valid at some time since 1980 (or 83, 居住证;
``shujian.divisions.id_prefix_ok``), a real birth date between 1900 and today, and the GB 11643 check
digit (``stdnum.cn.ric.calc_check_digit``).  stdnum's own ``is_valid`` also looks the birth place up
in its county history table; that costs ~60 µs a value (a minute per million rows) and rejects codes
created after the birth year, so it is not used here.  行政区划代码 values are checked against the same
history (``shujian.divisions.is_valid_code``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from stdnum import luhn
from stdnum.cn import ric, uscc

from shujian import divisions
from shujian.catalog.typeinfer import clean_text, parse_amount_text, parse_date_text, parse_month_text
from shujian.errors import NotFound

# Full-width ASCII (U+FF01–U+FF5E) and the ideographic space, with their half-width forms.
_FW = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000\u00a0"   # + no-break space (Excel, web)
_HW = "".join(chr(c) for c in range(0x21, 0x7F)) + "  "
_HW_TABLE = str.maketrans(_FW, _HW)

_DOTS = ".•・‧∙･"          # after half-width mapping '．' is '.'; all become U+00B7 in names
_OPEN, _CLOSE = "([〔【", ")]〕】"
_PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"


def to_halfwidth(value: str) -> str:
    """Full-width letters, digits, punctuation and spaces → ASCII.

    >>> to_halfwidth("１１０１０５　ＡＢ（")
    '110105 AB('
    """
    return value.translate(_HW_TABLE)


def _halfwidth_sql(expr: str) -> str:
    # translate() with 95 pairs costs ~15 µs a row; the regex guard skips it for clean values (most).
    v = f"CAST({expr} AS VARCHAR)"
    return (f"(CASE WHEN regexp_matches({v}, '[！-～　\u00a0]') "
            f"THEN translate({v}, '{_sql_escape(_FW)}', '{_sql_escape(_HW)}') ELSE {v} END)")


def _sql_escape(s: str) -> str:
    return s.replace("'", "''")


def _prepare(value: str | None) -> str | None:
    """Half-width and null markers: the common first step of every normaliser."""
    if value is None:
        return None
    return clean_text(to_halfwidth(str(value)))


# --- division table (shujian.divisions: GB/T 2260 history 1980–now + the 2023 table) --------------

def division_codes() -> dict[str, str]:
    """The 2023 统计用区划代码: 6-digit code → name (counties; cities and provinces padded with 00)."""
    return divisions.load_table().current


def _valid_division_code(n: str) -> bool:
    """6, 9 or 12 digits whose county part was a division code at some time since 1980 (see
    ``shujian.divisions``): 110228 密云县 (1982–2015), 440101, 810000 香港 and 100000 全国 are valid."""
    return divisions.is_valid_code(n)


# --- resident ID (GB 11643) ----------------------------------------------------------------------

_ID18_RE = re.compile(r"[0-9]{17}[0-9X]")
_ID15_RE = re.compile(r"\d{15}")
_SEP_RE = re.compile(r"[\s\-]")


@lru_cache(maxsize=65536)
def _birth_date_ok(yyyymmdd: str) -> bool:
    try:
        d = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= d <= date.today()


def id15_to_18(number: str) -> str | None:
    """Convert an old 15-digit ID to 18 digits (insert 19, add the GB 11643 check digit).

    >>> id15_to_18("110105491231002")
    '11010519491231002X'
    """
    if not _ID15_RE.fullmatch(number) or not _birth_date_ok("19" + number[6:12]):
        return None
    body = number[:6] + "19" + number[6:]
    return body + ric.calc_check_digit(body + "0")


def _normalize_id_number(value: str | None) -> str | None:
    v = _prepare(value)
    if v is None:
        return None
    v = _SEP_RE.sub("", v).upper()
    return id15_to_18(v) or v


_ID_SHAPE_RE = re.compile(r"[0-9]{17}[0-9X]|[0-9]{15}")


def _id_shaped(n: str) -> bool:
    """18 characters of an ID (17 digits and a digit or X) or an old 15-digit ID, checked or not."""
    return _ID_SHAPE_RE.fullmatch(n) is not None


def _valid_id_number(n: str) -> bool:
    # region: the province rule of shujian.divisions.id_prefix_ok (same table as the 区划 check)
    return (_ID18_RE.fullmatch(n) is not None and divisions.id_prefix_ok(n)
            and _birth_date_ok(n[6:14]) and ric.calc_check_digit(n) == n[-1])


# --- other normalisers and validators ------------------------------------------------------------

def _normalize_compact_upper(value: str | None) -> str | None:
    v = _prepare(value)
    return None if v is None else _SEP_RE.sub("", v).upper()


def _normalize_digits(value: str | None) -> str | None:
    v = _prepare(value)
    return None if v is None else _SEP_RE.sub("", v)


_NAME_DOTS_RE = re.compile(f"[{re.escape(_DOTS)}]")
_SPACE_RE = re.compile(r"\s")


def _normalize_person_name(value: str | None) -> str | None:
    v = _prepare(value)
    return None if v is None else _NAME_DOTS_RE.sub("·", _SPACE_RE.sub("", v))


_CJK = "\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ebef"
# Patterns are written once and used by Python ``re`` and DuckDB's RE2 alike (same syntax subset).
_NAME_PAT = f"[{_CJK}]+(?:·[{_CJK}]+)*|[A-Za-z][A-Za-z'·]*"
_NAME_RE = re.compile(_NAME_PAT)


def _valid_person_name(n: str) -> bool:
    return 2 <= len(n) <= 30 and _NAME_RE.fullmatch(n) is not None


_PHONE_CLEAN_RE = re.compile(r"[\s\-()]")
_PHONE_PREFIX_RE = re.compile(r"^(?:\+|00)?86(1\d{10})$")
_PHONE_PAT = "1[3-9][0-9]{9}"
_PHONE_RE = re.compile(_PHONE_PAT)


def _normalize_phone(value: str | None) -> str | None:
    v = _prepare(value)
    return None if v is None else _PHONE_PREFIX_RE.sub(r"\1", _PHONE_CLEAN_RE.sub("", v))


def _normalize_case_number(value: str | None) -> str | None:
    v = _prepare(value)
    if v is None:
        return None
    return _SPACE_RE.sub("", v).translate(str.maketrans(_OPEN + _CLOSE, "（" * 4 + "）" * 4))


_CASE_PATS = (
    # new style: （2023）京0105刑初123号, （2023）最高法刑申1号
    f"（(?:19|20)[0-9]{{2}}）[{_CJK}]{{1,3}}[0-9]{{0,4}}[{_CJK}]{{1,6}}[0-9]+号(?:之[一二三四五六七八九十0-9]+)?",
    # old style: （2015）松刑初字第914号
    f"（(?:19|20)[0-9]{{2}}）[{_CJK}0-9]{{1,12}}字第[0-9]+号",
    # procuratorate documents: 京朝检刑诉〔2023〕123号 (brackets already unified)
    f"[{_CJK}]{{2,12}}（(?:19|20)[0-9]{{2}}）[{_CJK}]{{0,2}}[0-9]+号",
)
_CASE_RES = tuple(re.compile(p) for p in _CASE_PATS)


def _valid_case_number(n: str) -> bool:
    return any(r.fullmatch(n) for r in _CASE_RES)


_PLATE_CLEAN_RE = re.compile(r"[\s\-·.•・]")
_PLATE_PAT = f"[{_PLATE_PROVINCES}][A-HJ-NP-Z][A-HJ-NP-Z0-9]{{4,5}}[A-HJ-NP-Z0-9挂学警港澳]"
_PLATE_RE = re.compile(_PLATE_PAT)


def _normalize_plate(value: str | None) -> str | None:
    v = _prepare(value)
    return None if v is None else _PLATE_CLEAN_RE.sub("", v).upper()


def _valid_bank_card(n: str) -> bool:
    return n.isdigit() and 13 <= len(n) <= 19 and luhn.is_valid(n)


def _normalize_date(value: str | None) -> str | None:
    v = _prepare(value)
    d = parse_date_text(v)
    return d.isoformat() if d else v


def _normalize_month(value: str | None) -> str | None:
    v = _prepare(value)
    d = parse_month_text(v)
    return d.isoformat()[:7] if d else v


def _normalize_amount(value: str | None) -> str | None:
    v = _prepare(value)
    a = parse_amount_text(v)
    return f"{a:.2f}" if a is not None else v


def _normalize_text(value: str | None) -> str | None:
    return clean_text(value)


def _valid_year_month(n: str) -> bool:
    return re.fullmatch(r"\d{4}-\d{2}", n) is not None and parse_month_text(n) is not None


# --- the registry --------------------------------------------------------------------------------

@dataclass(frozen=True)
class SemanticType:
    """One semantic type.  ``personal``: identifies a person, masked on display and export."""

    key: str
    label: str
    personal: bool
    name_patterns: tuple[str, ...]
    normalizer: Callable[[str | None], str | None] = field(repr=False)
    validator: Callable[[str], bool] | None = field(default=None, repr=False)
    sql_normalizer: Callable[[str], str] | None = field(default=None, repr=False)
    detect_by_values: bool = False     # may be recognised from values alone (no name hint)
    sql_validator: Callable[[str], str] | None = field(default=None, repr=False)   # native DuckDB check
    # Patterns (re.search) of a column name that says the type outright (身份证号, 公民身份号码; not
    # 身份证地址 or 身份证有效期): it decides whatever the values are, so a delivery whose check digits are wrong is tagged and its invalid values are counted.
    decisive_names: tuple[str, ...] = ()
    # What a value of the type looks like even when its check fails (a weaker name hint, 证件号码, plus
    # mostly such values decides: a column of passport numbers stays untagged).
    shape: Callable[[str], bool] | None = field(default=None, repr=False)

    def normalize(self, value: str | None) -> str | None:
        """Normalised form of ``value``; None for blanks and null markers."""
        return self.normalizer(value)

    def is_valid(self, value: str | None) -> bool:
        """Whether ``value`` (raw or normalised) is a valid value of this type; blanks are not."""
        n = self.normalizer(value)
        if n is None:
            return False
        return True if self.validator is None else bool(self.validator(n))

    @property
    def checks_validity(self) -> bool:
        return self.validator is not None


def _sql_compact_upper(expr: str) -> str:
    return f"upper(regexp_replace(trim({_halfwidth_sql(expr)}), '[\\s\\-]', '', 'g'))"


def _sql_digits(expr: str) -> str:
    return f"regexp_replace(trim({_halfwidth_sql(expr)}), '[\\s\\-]', '', 'g')"


def _sql_name(expr: str) -> str:
    return f"regexp_replace(regexp_replace({_halfwidth_sql(expr)}, '\\s', '', 'g'), '[{_DOTS}]', '·', 'g')"


def _sql_phone(expr: str) -> str:
    inner = f"regexp_replace({_halfwidth_sql(expr)}, '[\\s\\-()]', '', 'g')"
    return f"regexp_replace({inner}, '^(\\+|00)?86(1\\d{{10}})$', '\\2')"


def _sql_case_number(expr: str) -> str:
    inner = f"regexp_replace({_halfwidth_sql(expr)}, '\\s', '', 'g')"
    return f"translate({inner}, '{_OPEN}{_CLOSE}', '（（（（））））')"


def _sql_plate(expr: str) -> str:
    return f"upper(regexp_replace({_halfwidth_sql(expr)}, '[\\s\\-·.•・]', '', 'g'))"


class SqlMatch:
    """A native validity check: the SQL-normalised value fully matches one of ``patterns`` (and has
    2..``max_len`` characters when ``max_len`` is given)."""

    def __init__(self, normalizer: Callable[[str], str], *patterns: str, max_len: int | None = None):
        self.normalizer, self.max_len = normalizer, max_len
        self.alts = _sql_escape("|".join(f"(?:{p})" for p in patterns))

    def __call__(self, expr: str) -> str:
        return self.check(self.normalizer(expr))

    def check(self, n: str) -> str:
        """The check over the normalised value ``n``."""
        cond = f"regexp_full_match({n}, '{self.alts}')"
        return f"({cond} AND length({n}) BETWEEN 2 AND {self.max_len})" if self.max_len else f"({cond})"


def _sql_matches(normalizer: Callable[[str], str], *patterns: str, max_len: int | None = None) -> SqlMatch:
    return SqlMatch(normalizer, *patterns, max_len=max_len)


# Types whose SQL normalisation is idempotent (normalising a normalised value changes nothing): a
# check of an already normalised value may skip it.  Not phone: +86 is stripped once per pass.
IDEMPOTENT_NORMALISERS = frozenset({"person_name", "case_number", "plate_number"})


def _types() -> dict[str, SemanticType]:
    t = [
        SemanticType("id_number", "身份证号", True,
                     ("身份证", "公民身份号码", "证件号码", "证件号", "身份号码", "证照号码", "社会保障号",
                      "身份證", "公民身份號碼", "證件號", "身份號碼", "證照號碼"),
                     _normalize_id_number, _valid_id_number, _sql_compact_upper, True,
                     decisive_names=("身份证号", "公民身份号", "身份号码", "^身份证$", "身份證號", "身份號碼", "^身份證$"),
                     shape=_id_shaped),
        SemanticType("uscc", "统一社会信用代码", False, ("信用代码", "社会信用", "统一代码", "USCC"),
                     _normalize_compact_upper, uscc.is_valid, _sql_compact_upper, True),
        SemanticType("case_number", "案号", False, ("案号", "案件编号", "文书号", "文号"),
                     _normalize_case_number, _valid_case_number, _sql_case_number, True,
                     _sql_matches(_sql_case_number, *_CASE_PATS)),
        SemanticType("plate_number", "车牌号", True, ("车牌", "号牌", "车辆号码"),
                     _normalize_plate, _PLATE_RE.fullmatch, _sql_plate, True, _sql_matches(_sql_plate, _PLATE_PAT)),
        SemanticType("bank_card", "银行卡号", True, ("银行卡", "卡号", "银行账号", "账号", "账户"),
                     _normalize_digits, _valid_bank_card, _sql_digits, True),
        SemanticType("phone", "手机号", True, ("手机", "联系电话", "电话", "联系方式", "移动电话"),
                     _normalize_phone, _PHONE_RE.fullmatch, _sql_phone, True, _sql_matches(_sql_phone, _PHONE_PAT)),
        SemanticType("division_code", "行政区划代码", False, ("区划", "行政区划", "地区代码", "区县代码"),
                     _normalize_digits, _valid_division_code, _sql_digits),
        SemanticType("person_name", "姓名", True, ("姓名", "名字", "人员名称"),
                     _normalize_person_name, _valid_person_name, _sql_name, False,
                     _sql_matches(_sql_name, _NAME_PAT, max_len=30)),
        SemanticType("date", "日期", False, ("日期", "时间", "年月日", "生日", "出生"),
                     _normalize_date, lambda n: parse_date_text(n) is not None),
        SemanticType("month", "年月", False, ("年月", "月份", "所属期", "期间"),
                     _normalize_month, _valid_year_month),
        SemanticType("amount", "金额", False, ("金额", "数额", "工资", "费用", "款", "元", "价"),
                     _normalize_amount, lambda n: parse_amount_text(n) is not None),
        SemanticType("text", "文本", False, ("备注", "说明", "内容", "描述", "摘要", "情况"), _normalize_text),
    ]
    return {s.key: s for s in t}


SEMANTIC_TYPES: dict[str, SemanticType] = _types()


def get_type(key: str) -> SemanticType:
    """The registered semantic type ``key``; raises NotFound with the known keys."""
    try:
        return SEMANTIC_TYPES[key]
    except KeyError:
        known = "、".join(SEMANTIC_TYPES)
        raise NotFound(f"未知的数据要素类型 '{key}'", hint=f"可用类型：{known}") from None


# --- detection -----------------------------------------------------------------------------------

NAME_HINT_MIN_VALID = 0.5     # with a matching column name, at least half the sample must be valid
VALUES_ONLY_MIN_VALID = 0.9   # without a name hint, at least 90 % valid (and ≥ 3 values)


def _name_matches(st: SemanticType, column_name: str) -> bool:
    name = column_name.strip().lower()
    return any(p.lower() in name for p in st.name_patterns)


def _valid_share(st: SemanticType, values: list[str]) -> float:
    return sum(1 for v in values if st.is_valid(v)) / len(values) if values else 0.0


def _decisive_name(st: SemanticType, column_name: str) -> bool:
    name = column_name.strip().lower()
    return any(re.search(p, name) for p in st.decisive_names)


def _shaped_share(st: SemanticType, values: list[str]) -> float:
    if st.shape is None or not values:
        return 0.0
    return sum(1 for v in values if (n := st.normalize(v)) is not None and st.shape(n)) / len(values)


def detect_semantic(column_name: str, sample: list[str | None]) -> str | None:
    """Guess the semantic type key of a column from its name and a sample of raw values.

    A name that says the type outright (身份证号, 公民身份号码) decides alone, as 姓名-like names decide
    person_name: the values that fail the check are then counted as invalid, not a reason to drop the
    type.  A weaker column-name hint (证件号码, 联系电话, 案号…) decides with ≥ 50 % valid values, or
    ≥ 50 % values of the type's shape (18-character IDs whose check digit is wrong).  Without a hint,
    ≥ 90 % valid values of an unambiguous type (身份证号, 信用代码, 手机号, 车牌, 案号, 银行卡) decide.
    Returns None when nothing fits.
    """
    values = [v for v in (_prepare(s) for s in sample) if v is not None]
    for st in SEMANTIC_TYPES.values():
        if not _name_matches(st, column_name):
            continue
        if st.key in ("person_name", "text") or not values or _decisive_name(st, column_name):
            return st.key
        if max(_valid_share(st, values), _shaped_share(st, values)) >= NAME_HINT_MIN_VALID:
            return st.key
    if len(values) < 3:
        return None
    for st in SEMANTIC_TYPES.values():
        if st.detect_by_values and _valid_share(st, values) >= VALUES_ONLY_MIN_VALID:
            return st.key
    return None


# --- DuckDB ---------------------------------------------------------------------------------------

def normalize_sql(key: str, expr: str) -> str | None:
    """DuckDB SQL expression normalising ``expr`` for semantic type ``key``; None if it has none.

    The SQL form matches ``SemanticType.normalize`` for non-blank values, except that 15-digit IDs
    stay 15 digits (use ``sj_norm_id_number`` from ``register_udfs`` for that) and null markers are
    not turned into NULL (combine with ``typeinfer.null_sql`` if needed).
    """
    fn = get_type(key).sql_normalizer
    return fn(expr) if fn else None


def valid_sql(key: str, expr: str) -> str | None:
    """DuckDB boolean SQL: is ``expr`` a valid value of type ``key``?  None for types without a check.

    Pattern-only types (手机号, 车牌号, 案号, 姓名) get a native regex check; checksum and table types
    (身份证号, 信用代码, 银行卡, 区划, 日期…) call ``sj_valid_<key>`` (needs ``register_udfs``).
    Agrees with ``SemanticType.is_valid`` for every non-blank value; NULL gives NULL.
    """
    st = get_type(key)
    if not st.checks_validity:
        return None
    if st.sql_validator is not None:
        return st.sql_validator(expr)
    parts = valid_parts(key, expr)
    return parts[1].replace("{pre}", parts[0]) if parts else f"sj_valid_{key}(CAST({expr} AS VARCHAR))"


def valid_parts(key: str, expr: str) -> tuple[str, str] | None:
    """The validity check of ``key`` in two steps, for a query that computes ``pre`` once per row in an
    inner projection and the check over it outside: (``pre``, ``check``), where ``check`` refers to the
    value as ``expr`` and to the inner column as ``{pre}`` (substitute its alias).  None when ``key``
    has no such form (use ``valid_sql``).

    DuckDB does not share a repeated subexpression inside a filter, so the 身份证号 checksum over the
    17 body digits reads one BIGINT computed in the inner projection instead of 17 substrings.  Clean
    values (most of them) are checked natively; the others go to the Python ``sj_valid_<key>``.
    Agrees with ``SemanticType.is_valid`` for every non-blank value.
    """
    st = get_type(key)
    if isinstance(st.sql_validator, SqlMatch):   # the normalisation once, the pattern over it
        return st.sql_validator.normalizer(expr), st.sql_validator.check("{pre}")
    if not st.checks_validity or st.sql_validator is not None or key not in _NATIVE_CHECKS or key in _VECTORISED:
        return None
    pattern, pre, check = _NATIVE_CHECKS[key]
    v = f"CAST({expr} AS VARCHAR)"
    return (f"(CASE WHEN regexp_full_match({v}, '{pattern}') THEN {pre(v)} END)",
            f"(CASE WHEN {{pre}} IS NOT NULL THEN {check('{pre}', v)} ELSE sj_valid_{key}({v}) END)")


# GB 11643 weights of the 17 body digits (2^(17-i) mod 11); the check character of remainder r is
# "10X98765432"[r], i.e. the value (12 - r) % 11 with X = 10.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# GB 32100: weights of the first 17 characters and the code alphabet (no I, O, Z, S, V).
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _id_body_sql(v: str) -> str:
    return f"CAST(substr({v}, 1, 17) AS BIGINT)"


def _id18_sql(b: str, v: str) -> str:
    """``_valid_id_number`` for a value ``v`` of the form 17 digits + digit/X whose 17-digit body is
    the BIGINT ``b``: province prefix, birth date from 1900-01-01 to today, check digit."""
    prefixes = ", ".join(sorted(divisions.province_prefixes() | divisions.RESIDENCE_PERMIT_PREFIXES))
    bd = f"(({b} // 1000) % 100000000)"             # yyyymmdd
    y, m, d = f"({bd} // 10000)", f"(({bd} // 100) % 100)", f"({bd} % 100)"
    leap = f"(CASE WHEN ({y} % 4 = 0 AND {y} % 100 <> 0) OR {y} % 400 = 0 THEN 1 ELSE 0 END)"
    days = f"(CASE WHEN {m} = 2 THEN 28 + {leap} ELSE 30 + (({m} + {m} // 8) % 2) END)"
    today = int(date.today().strftime("%Y%m%d"))
    total = " + ".join(f"(({b} // {10 ** (16 - i)}) % 10) * {w}" for i, w in enumerate(_ID_WEIGHTS))
    last = f"(CASE WHEN ends_with({v}, 'X') THEN 10 ELSE ascii(right({v}, 1)) - 48 END)"
    return (f"(({b} // 1000000000000000) IN ({prefixes}) AND {bd} BETWEEN 19000101 AND {today} "
            f"AND {m} BETWEEN 1 AND 12 AND {d} BETWEEN 1 AND {days} AND (12 - ({total}) % 11) % 11 = {last})")


def _uscc_pre_sql(v: str) -> str:
    return "TRUE"


def _uscc_sql(_pre: str, v: str) -> str:
    """``uscc.is_valid`` for a value of the form 8 digits + 10 code characters: the GB 32100 check."""
    terms = " + ".join(f"(instr('{_USCC_ALPHABET}', substr({v}, {i + 1}, 1)) - 1) * {w}"
                       for i, w in enumerate(_USCC_WEIGHTS))
    return f"(substr('{_USCC_ALPHABET}', CAST((31 - ({terms}) % 31) % 31 AS INTEGER) + 1, 1) = substr({v}, 18, 1))"


# Checks whose ``sj_valid_<key>`` UDF is vectorised (numpy over the Arrow batch): faster than their SQL
# form, so ``valid_sql``/``valid_parts`` call the UDF (the SQL form stays for other engines' use).
_VECTORISED = frozenset({"id_number"})

_NATIVE_CHECKS: dict[str, tuple[str, Callable[[str], str], Callable[[str, str], str]]] = {
    "id_number": ("[0-9]{17}[0-9X]", _id_body_sql, _id18_sql),
    "uscc": ("[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}", _uscc_pre_sql, _uscc_sql),
}


def _arrow_udf(fn: Callable[[str], object], rtype: str):
    build = _bool_array_from_list if rtype == "BOOLEAN" else _string_array_from_list

    def udf(arr):
        return build([None if v is None else fn(v) for v in arr.to_pylist()])
    return udf


# The Arrow results of the UDFs are built from buffers: ``pa.array`` (and numpy views of Arrow
# arrays) import pandas on first use, ≈ 0.3 s of every import command that calls a UDF.

def _present(arr):
    """The validity of an Arrow array as a numpy bool array (True: not NULL)."""
    import numpy as np

    n = len(arr)
    buf = arr.buffers()[0]
    if arr.null_count == 0 or buf is None:
        return np.ones(n, dtype=bool)
    bits = np.unpackbits(np.frombuffer(buf, dtype=np.uint8), bitorder="little")
    return bits[arr.offset:arr.offset + n].astype(bool)


def _bool_array(values, present=None):
    """An Arrow BOOLEAN array of the numpy bool array ``values`` (NULL where ``present`` is False)."""
    import numpy as np
    import pyarrow as pa

    data = pa.py_buffer(np.packbits(values, bitorder="little"))
    if present is None or present.all():
        return pa.Array.from_buffers(pa.bool_(), len(values), [None, data], null_count=0)
    validity = pa.py_buffer(np.packbits(present, bitorder="little"))
    return pa.Array.from_buffers(pa.bool_(), len(values), [validity, data], null_count=int((~present).sum()))


def _bool_array_from_list(values: list):
    import numpy as np

    present = np.array([v is not None for v in values], dtype=bool)
    return _bool_array(np.array([bool(v) for v in values], dtype=bool), present)


def _string_array_from_list(values: list):
    """An Arrow VARCHAR (utf8) array of Python strings and None."""
    import numpy as np
    import pyarrow as pa

    encoded = [b"" if v is None else str(v).encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    present = np.array([v is not None for v in values], dtype=bool)
    validity = None if present.all() else pa.py_buffer(np.packbits(present, bitorder="little"))
    return pa.Array.from_buffers(pa.string(), len(values),
                                 [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))],
                                 null_count=int((~present).sum()))


def _idcheck_module():
    """``shujian.catalog._idcheck`` (C, ``setup.py``) when it is built from the ``_idcheck.c`` beside it
    and not turned off (``SHUJIAN_IDCHECK_NATIVE=0``); else None (the numpy check runs)."""
    global _IDCHECK
    if _IDCHECK is False:
        import os

        _IDCHECK = None
        if os.environ.get("SHUJIAN_IDCHECK_NATIVE", "1") != "0":
            try:
                from shujian.catalog import _idcheck
            except ImportError:          # not built (no compiler at install)
                _idcheck = None
            if _idcheck is not None:
                import hashlib
                from pathlib import Path

                source = Path(__file__).with_name("_idcheck.c")
                # a build of older source (an editable install after a `git pull`): not used
                if not source.is_file() or getattr(_idcheck, "SOURCE", None) == \
                        hashlib.sha256(source.read_bytes()).hexdigest()[:16]:
                    _IDCHECK = _idcheck
    return _IDCHECK


_IDCHECK = False   # not looked for yet (_idcheck_module)


def _id_checks_array(arr):
    """``_fast_valid_id`` over an Arrow string array at once: the clean 18-byte values (most) are
    checked in C (``_idcheck``, the GIL released) or else with numpy, one digit position at a time —
    region, birth date from 1900-01-01 to today, GB 11643 check digit — and the rest one by one in
    Python.  NULL stays NULL.  (Per value: a Python call ~0.5 µs, the SQL form of the check ~0.7 µs,
    numpy well under 0.1 µs, C a few ns.)"""
    import pyarrow as pa

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    native = _idcheck_module()
    if native is not None:
        return _id_checks_native(native, arr)
    import numpy as np

    n = len(arr)
    present = _present(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32, count=n + 1 + arr.offset)[arr.offset:]
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8) if arr.buffers()[2] is not None else np.zeros(0, np.uint8)
    rows = np.flatnonzero(present & (np.diff(offsets) == 18))
    out = np.zeros(n, dtype=bool)
    clean = np.zeros(len(rows), dtype=bool)
    if len(rows):
        if len(rows) == n and offsets[-1] - offsets[0] == 18 * n:   # all 18 bytes long: a view, no gather
            chars = data[offsets[0]:offsets[-1]].reshape(n, 18)
        else:
            chars = data[offsets[:-1][rows][:, None] + np.arange(18, dtype=np.int32)]   # (rows, 18) bytes
        x = chars[:, 17] == 88
        digits = (chars >= 48) & (chars <= 57)
        clean = digits[:, :17].all(axis=1) & (digits[:, 17] | x)
        out[rows] = clean & _id_verdicts(np, chars.astype(np.int32) - 48, x)
    others = present.copy()
    others[rows[clean]] = False
    for i in np.flatnonzero(others):   # not 17 digits + digit/X as delivered: normalised first
        out[i] = _fast_valid_id(arr[int(i)].as_py())
    return _bool_array(out, None if arr.null_count == 0 else present)


def _id_checks_native(native, arr):
    """``_id_checks_array`` by the C loop: the verdicts come back as the data bitmap of the BOOLEAN
    result (the input's validity bitmap is the result's), the values that are not 17 digits + digit/X
    as indices for ``_fast_valid_id``."""
    import pyarrow as pa

    validity, offsets, data = arr.buffers()[:3]
    n, offset = len(arr), arr.offset
    if arr.null_count == 0:
        validity = None
    bits, others = native.check(validity, offsets, data, offset, n, _region_bytes(),
                                int(date.today().strftime("%Y%m%d")))
    for i in others:   # not 17 digits + digit/X as delivered: normalised first
        if _fast_valid_id(arr[i].as_py()):
            bits[(offset + i) >> 3] |= 1 << ((offset + i) & 7)
    return pa.Array.from_buffers(pa.bool_(), n, [validity, pa.py_buffer(bits)],
                                 null_count=arr.null_count, offset=offset)


@lru_cache(maxsize=1)
def _region_bytes() -> bytes:
    """The province prefixes 00–99 an ID may start with, as 100 bytes (1: valid) for ``_idcheck``."""
    valid = {int(p) for p in divisions.province_prefixes() | divisions.RESIDENCE_PERMIT_PREFIXES}
    return bytes(1 if k in valid else 0 for k in range(100))


@lru_cache(maxsize=1)
def _region_table():
    import numpy as np

    table = np.zeros(100, dtype=bool)
    table[[int(p) for p in divisions.province_prefixes() | divisions.RESIDENCE_PERMIT_PREFIXES]] = True
    return table


def _id_verdicts(np, d, x):
    """Region, birth date and check digit of clean IDs given as a (rows, 18) digit matrix ``d``
    (``x``: the last character is X) — ``_valid_id_number`` for each row."""
    # the digits are 0-9 only in the rows that count: other rows are clipped into the tables' range
    region = _region_table()[np.clip(d[:, 0] * 10 + d[:, 1], 0, 99)]
    y, m, day = (d[:, 6:14] @ np.array([[1000, 100, 10, 1, 0, 0, 0, 0], [0, 0, 0, 0, 10, 1, 0, 0],
                                        [0, 0, 0, 0, 0, 0, 10, 1]], dtype=np.int32).T).T
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    month_days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(m, 0, 12)] + ((m == 2) & leap)
    ymd = y * 10000 + m * 100 + day
    born = (m >= 1) & (m <= 12) & (day >= 1) & (day <= month_days) & (ymd >= 19000101) & \
        (ymd <= int(date.today().strftime("%Y%m%d")))
    total = d[:, :17] @ np.array(_ID_WEIGHTS, dtype=np.int32)
    last = np.where(x, 10, d[:, 17])
    return region & born & ((12 - total % 11) % 11 == last)


def _fast_valid_id(v: str) -> bool:
    # Most delivered IDs are already clean: skip normalisation for them.
    if _ID18_RE.fullmatch(v):
        return _valid_id_number(v)
    n = _normalize_id_number(v)
    return n is not None and _valid_id_number(n)


def _fast_norm_id(v: str) -> str | None:
    return v if _ID18_RE.fullmatch(v) else _normalize_id_number(v)


def register_udfs(con) -> None:
    """Register ``sj_valid_<key>(VARCHAR) -> BOOLEAN`` for every type with a validity check and
    ``sj_norm_id_number(VARCHAR) -> VARCHAR`` on a DuckDB connection.  Safe to call again.

    NULL in gives NULL out.
    """
    existing = {r[0] for r in con.execute(
        "SELECT function_name FROM duckdb_functions() WHERE function_name LIKE 'sj\\_%' ESCAPE '\\'"
    ).fetchall()}
    funcs: dict[str, tuple[Callable[[str], object], str]] = {}
    for st in SEMANTIC_TYPES.values():
        if st.checks_validity:
            check = _fast_valid_id if st.key == "id_number" else st.is_valid
            funcs[f"sj_valid_{st.key}"] = (lambda v, c=check: bool(c(v)), "BOOLEAN")
    funcs["sj_norm_id_number"] = (_fast_norm_id, "VARCHAR")
    vectorised = {"sj_valid_id_number": _id_checks_array}
    for name, (fn, rtype) in funcs.items():
        if name not in existing:
            # "special": a value that normalises to nothing (a null marker) may come back as NULL
            con.create_function(name, vectorised.get(name) or _arrow_udf(fn, rtype), ["VARCHAR"], rtype, type="arrow",
                                null_handling="special", side_effects=False)
