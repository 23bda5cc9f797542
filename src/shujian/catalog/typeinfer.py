"""Type inference for delivered text columns (类型推断).

Agencies deliver CSV/Excel where every value is text.  ``infer_column`` looks at a sample of the raw
strings and proposes a DuckDB type; ``parse_sql`` turns the raw VARCHAR column into that type with an
expression that yields NULL wherever a value cannot be parsed, so the import pipeline can count
failures as ``raw IS NOT NULL AND parsed IS NULL`` (after ``null_sql``) and keep the raw value.

Rules, in order (the first that fits *every* non-null sample value wins):

- BOOLEAN (是/否 columns, see "Yes/no columns" below): 是/否, 有/无, true/false, Y/N, yes/no, √/×, and 1/0
  when the column name says it is a yes/no column (是否…, …标志, …标识) — only when the whole column is such
  a vocabulary;
- DATE from a year-month (202301, 2023-01, 2023/1, 2023.1, 2023年1月): first day of the month, note "年月";
- DATE (2023-01-05, 2023/1/5, 2023.1.5, 2023年1月5日, 20230105);
- TIMESTAMP (2023-01-05 12:30[:00[.fff]], also with / . 年月日 separators or a ``T``);
- BIGINT for plain integers, except leading zeros, more than 15 digits, or fixed-length codes of 6+
  digits, which stay VARCHAR (IDs, card numbers, division and organisation codes);
- DECIMAL(18,2) for money-like values (thousands commas, ￥/¥, trailing 元, 万元 × 10000, ≤ 2 decimals),
  DOUBLE for other decimals and exponents;
- VARCHAR otherwise.

Empty strings and the null markers in ``NULL_MARKERS`` count as null throughout, and a leading
apostrophe (Excel's "store as text" marker: ``'110105…``) is dropped before anything else.

Yes/no columns (是/否): one convention everywhere.  A column whose values are all yes/no words is stored
as BOOLEAN (TRUE = 是); the model compiler accepts the words 是/否 (and the other words of
``YES_WORDS``/``NO_WORDS``) as literals compared with a BOOLEAN column, and TRUE/FALSE compared with a
text column holding 是/否, so ``trade = '是'`` compiles on both.  In a yes/no column ``无`` means 否, not
null.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

# Chinese markers come in both scripts: 繁体 exports (台港澳 systems, some 公安/出入境 tables) write 無, 暫無, 不詳.
_ZH_NULL_MARKERS = ("空", "无", "暂无", "不详", "无资料")
_ZH_TRADITIONAL = str.maketrans("无暂详资", "無暫詳資")
NULL_MARKERS: tuple[str, ...] = ("", "NULL", "null", "Null", "\\N", "-", "/", "--", "—", "——", "－",
                                 "N/A", "n/a", "NA", "None", "none", "nan", "NaN",
                                 *_ZH_NULL_MARKERS,
                                 *(m.translate(_ZH_TRADITIONAL) for m in _ZH_NULL_MARKERS
                                   if m.translate(_ZH_TRADITIONAL) != m))

FULLWIDTH_DIGITS = "０１２３４５６７８９"
ASCII_DIGITS = "0123456789"
_FW_TABLE = str.maketrans(FULLWIDTH_DIGITS + "　\u00a0", ASCII_DIGITS + "  ")   # + no-break space

# Yes/no words (lower case).  1/0 count only in columns named like a yes/no column (是否从业, 营运标志).
YES_WORDS = ("是", "有", "true", "t", "y", "yes", "√")
NO_WORDS = ("否", "无", "無", "false", "f", "n", "no", "×")   # 无/無 are 否 only in 有/无 columns, else null markers
_WU = ("无", "無")
_TRUE, _FALSE = YES_WORDS, NO_WORDS
_FLAG_NAME = re.compile(r"^是否|标志$|标识$|^有无|^(is|has)_|_flag$", re.IGNORECASE)

# One value of each shape; the groups are year, month, day (and the rest of the time).
_DATE_RE = re.compile(r"(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|年(\d{1,2})月(\d{1,2})日?)")
_DATE8_RE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_MONTH_RE = re.compile(r"(\d{4})(?:[-/.](\d{1,2})|年(\d{1,2})月?)")
_MONTH6_RE = re.compile(r"(\d{4})(\d{2})")
_TS_RE = re.compile(r"(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|年(\d{1,2})月(\d{1,2})日)[ T]"
                    r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?")
_INT_RE = re.compile(r"[+-]?\d+")
_AMOUNT_RE = re.compile(r"[￥¥]?\s*[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*(万元|元)?")
_NEGATIVE_RE = re.compile(r"[(（](.*)[)）]")     # (1,234.50): a negative amount, as accountants write it
_FLOAT_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


@dataclass(frozen=True)
class Inferred:
    """The proposed type of one column.

    ``parse_sql_template`` is a DuckDB expression over ``{v}`` (``null_sql`` of the raw VARCHAR) and
    ``{t}`` (its ``text_sql``): ``parse_sql`` fills both in from the raw value, ``parse_sql_over`` from
    columns an inner query computed once;
    ``note`` explains a choice to the user (e.g. "年月", "前导零，保留为文本").
    """

    dtype: str
    parse_sql_template: str
    note: str = ""


def yes_no(value: object) -> bool | None:
    """True for a yes word (是, 有, Y, true …), False for a no word (否, 无, N, false …), else None.

    >>> yes_no(" 是 "), yes_no("N"), yes_no("也许")
    (True, False, None)
    """
    if isinstance(value, bool):
        return value
    v = strip_text_marker(str(value).strip()).lower() if value is not None else ""
    return True if v in YES_WORDS else False if v in NO_WORDS else None


def strip_text_marker(value: str) -> str:
    """Drop Excel's leading apostrophe (``'110105…`` = "store as text") and the spaces after it."""
    return value[1:].strip() if value.startswith("'") else value


def clean_text(value: str | None) -> str | None:
    """Trim, drop a leading apostrophe, turn full-width digits and spaces into ASCII, map null markers to None."""
    if value is None:
        return None
    v = strip_text_marker(str(value).translate(_FW_TABLE).strip())
    return None if v in NULL_MARKERS else v


def text_sql(expr: str) -> str:
    """DuckDB expression: the trimmed text of ``expr``, full-width digits made ASCII and a leading
    apostrophe (Excel's text marker) dropped; null markers are not mapped here (see ``null_sql``)."""
    v = f"CAST({expr} AS VARCHAR)"
    # This runs on every value of every typed column: the regex guard sends only values with full-width
    # characters or an apostrophe through translate() and ltrim(), the others straight to trim().
    return (f"trim(CASE WHEN regexp_matches({v}, '[０-９　\u00a0'']') "
            f"THEN ltrim(translate({v}, '{FULLWIDTH_DIGITS}　\u00a0', '{ASCII_DIGITS}  '), ' ''') ELSE {v} END)")


def null_sql(expr: str) -> str:
    """DuckDB expression: ``text_sql(expr)``, or NULL for empty strings and null markers
    (空, 无, 暂无, 不详, NULL, \\N, -, —, / …)."""
    return null_of_text_sql(text_sql(expr))


def null_of_text_sql(t: str) -> str:
    """DuckDB expression: ``t`` (a ``text_sql`` value), or NULL when it is empty or a null marker."""
    markers = ", ".join(_sql_str(m) for m in NULL_MARKERS)
    return f"(CASE WHEN {t} IN ({markers}) THEN NULL ELSE {t} END)"


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ok_date(y: str, m: str | None, d: str | None) -> bool:
    try:
        return 1000 <= int(y) and bool(date(int(y), int(m or 0), int(d or 0)))
    except ValueError:
        return False


def parse_date_text(value: str | None) -> date | None:
    """Parse one date in any supported format (2023-01-05, 2023/1/5, 2023.1.5, 2023年1月5日, 20230105).

    >>> parse_date_text("2023年1月5日")
    datetime.date(2023, 1, 5)
    """
    v = clean_text(value)
    if v is None:
        return None
    m = _DATE_RE.fullmatch(v)
    if m:
        y, mo, d = m.group(1), m.group(2) or m.group(4), m.group(3) or m.group(5)
    elif (m := _DATE8_RE.fullmatch(v)) is not None:
        y, mo, d = m.groups()
    else:
        return None
    return date(int(y), int(mo), int(d)) if _ok_date(y, mo, d) else None


def parse_month_text(value: str | None) -> date | None:
    """Parse a year-month (202301, 2023-01, 2023/1, 2023.1, 2023年1月) to the first day of the month."""
    v = clean_text(value)
    if v is None:
        return None
    m = _MONTH_RE.fullmatch(v) or _MONTH6_RE.fullmatch(v)
    if m is None:
        return None
    y, mo = m.group(1), next(g for g in m.groups()[1:] if g)
    return date(int(y), int(mo), 1) if _ok_date(y, mo, "1") and 1900 <= int(y) <= 2100 else None


def parse_timestamp_text(value: str | None) -> datetime | None:
    """Parse a date with a time of day (2023-01-05 12:30:00, 2023/1/5 8:05, 2023-01-05T12:30)."""
    v = clean_text(value)
    m = _TS_RE.fullmatch(v) if v else None
    if m is None:
        return None
    g = m.groups()
    y, mo, d = g[0], g[1] or g[3], g[2] or g[4]
    try:
        return datetime(int(y), int(mo), int(d), int(g[5]), int(g[6]), int(g[7] or 0))
    except ValueError:
        return None


def parse_amount_text(value: str | None) -> float | None:
    """Parse a money amount: '1,234.50', '￥12', '300元', '1.5万元' (= 15000), '(100.00)' (= -100,
    accountants' negative)."""
    v = clean_text(value)
    sign = 1
    if v and (neg := _NEGATIVE_RE.fullmatch(v)):
        v, sign = neg.group(1).strip(), -1
    m = _AMOUNT_RE.fullmatch(v) if v else None
    if m is None:
        return None
    num = re.sub(r"[￥¥,\s元万]", "", v)
    return sign * float(num) * (10000 if m.group(2) == "万元" else 1)


def _amount_match(v: str) -> re.Match | None:
    """``_AMOUNT_RE`` of an amount, of the inside of one in parentheses (a negative: '(1,234.50)')."""
    neg = _NEGATIVE_RE.fullmatch(v)
    return _AMOUNT_RE.fullmatch(neg.group(1).strip() if neg else v)


# --- SQL templates (``{expr}`` is the raw column) -------------------------------------------------

def _v() -> str:
    return "{v}"


def _date_sql() -> str:
    v = _v()
    dashed = f"regexp_replace(regexp_replace({v}, '[年月/.]', '-', 'g'), '日$', '')"
    return (f"(CASE WHEN regexp_full_match({v}, '\\d{{8}}') THEN CAST(try_strptime({v}, '%Y%m%d') AS DATE) "
            f"WHEN regexp_full_match({v}, '\\d{{4}}(-\\d{{1,2}}-\\d{{1,2}}|/\\d{{1,2}}/\\d{{1,2}}|"
            f"\\.\\d{{1,2}}\\.\\d{{1,2}}|年\\d{{1,2}}月\\d{{1,2}}日?)') "
            f"THEN CAST(try_strptime({dashed}, '%Y-%m-%d') AS DATE) END)")


def _month_sql() -> str:
    v = _v()
    dashed = f"regexp_replace(regexp_replace({v}, '[年/.]', '-', 'g'), '月$', '')"
    return (f"(CASE WHEN regexp_full_match({v}, '\\d{{6}}') THEN CAST(try_strptime({v}, '%Y%m') AS DATE) "
            f"WHEN regexp_full_match({v}, '\\d{{4}}([-/.]\\d{{1,2}}|年\\d{{1,2}}月?)') "
            f"THEN CAST(try_strptime({dashed} || '-1', '%Y-%m-%d') AS DATE) END)")


def _timestamp_sql() -> str:
    v = _v()
    dashed = (f"regexp_replace({v}, '^(\\d{{4}})[年/.-](\\d{{1,2}})[月/.-](\\d{{1,2}})日?[ T]', "
              f"'\\1-\\2-\\3 ')")
    fmts = "['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%d %H:%M:%S.%f']"
    return (f"(CASE WHEN regexp_full_match({v}, '\\d{{4}}.{{1,12}}[ T]\\d{{1,2}}:\\d{{2}}(:\\d{{2}}(\\.\\d+)?)?') "
            f"THEN try_strptime({dashed}, {fmts}) END)")


def _amount_sql(dtype: str) -> str:
    # an amount in parentheses is negative: the sign, and the text inside (cheap string tests first)
    neg = (f"((starts_with({_v()}, '(') OR starts_with({_v()}, '（')) "
           f"AND (ends_with({_v()}, ')') OR ends_with({_v()}, '）')))")
    v = f"(CASE WHEN {neg} THEN trim(substr({_v()}, 2, length({_v()}) - 2)) ELSE {_v()} END)"
    sign = f"(CASE WHEN {neg} THEN -1 ELSE 1 END)"
    num = f"regexp_replace({v}, '[￥¥,\\s元万]', '', 'g')"
    # TRY_CAST: an amount beyond DECIMAL(18,2) (a card number in the wrong column) is a value that does
    # not parse, not an error that stops the import
    return (f"TRY_CAST((CASE WHEN regexp_full_match({v}, '[￥¥]?\\s*[+-]?(\\d{{1,3}}(,\\d{{3}})+|\\d+)(\\.\\d+)?\\s*(万元|元)?') "
            f"THEN {sign} * TRY_CAST({num} AS DOUBLE) * (CASE WHEN ends_with({v}, '万元') THEN 10000 ELSE 1 END) "
            f"ELSE TRY_CAST({_v()} AS DOUBLE) END) AS {dtype})")


def _bool_sql(you_wu: bool = False) -> str:
    """``you_wu``: a 有/无 column, where 无 means 否 (elsewhere 无 is a null marker)."""
    v = "lower({t})"
    t = ", ".join(_sql_str(x) for x in (*_TRUE, "1"))
    f = ", ".join(_sql_str(x) for x in (*_FALSE, "0") if you_wu or x not in _WU)
    return f"(CASE WHEN {v} IN ({t}) THEN TRUE WHEN {v} IN ({f}) THEN FALSE END)"


def _int_sql() -> str:
    v = _v()
    return f"(CASE WHEN regexp_full_match({v}, '[+-]?\\d+') THEN TRY_CAST({v} AS BIGINT) END)"


def _varchar_sql() -> str:
    return _v()


def parse_sql(inferred: Inferred, expr: str) -> str:
    """DuckDB expression converting the raw VARCHAR ``expr`` to ``inferred.dtype``; NULL where it cannot.

    Null markers and empty strings become NULL too, so parse failures are
    ``null_sql(expr) IS NOT NULL AND parse_sql(...) IS NULL``.
    """
    return _fill(inferred.parse_sql_template, null_sql(expr), text_sql(expr))


def parse_sql_over(inferred: Inferred, v: str, t: str) -> str:
    """``parse_sql`` over values computed once beforehand: ``v`` is ``null_sql(expr)`` and ``t`` is
    ``text_sql(expr)`` (e.g. columns of an inner query).  DuckDB does not share the repeated
    cleaning inside the CASE branches of a template, so a bulk conversion computes it once this way."""
    return _fill(inferred.parse_sql_template, v, t)


def fast_parse_sql(inferred: Inferred, expr: str) -> str | None:
    """A cheap parse of the raw VARCHAR ``expr`` for values already in a plain shape (2023-01-05,
    2023/1/5, 20230105, 1234.50, -12), NULL for every other value; None when the type has none.

    A plain value needs no cleaning (no spaces, full-width digits or apostrophe) and is no null
    marker, so where this is not NULL it equals ``parse_sql`` of the same value (the same cast or
    ``try_strptime`` the template reaches; the tests compare both over awkward values).  The import
    takes the full template only for the values this leaves NULL: most delivered values are plain,
    and the template's cleaning and its five regular expressions cost ten times more a value.
    """
    t = inferred.parse_sql_template
    if t == _date_sql():
        # the shape tells the format: a CAST after swapping the separators for '-' (try_strptime with
        # a list of formats tries them in turn, ≈ 0.7 µs a value; the CAST ≈ 0.1 µs)
        def cast(*swaps: tuple[str, str]) -> str:
            text = expr
            for old, new in swaps:
                text = f"replace({text}, '{old}', '{new}')"
            return f"TRY_CAST({text} AS DATE)"

        return (f"(CASE WHEN regexp_full_match({expr}, '{_PLAIN_DATE}') THEN (CASE substr({expr}, 5, 1) "
                f"WHEN '-' THEN {cast()} WHEN '/' THEN {cast(('/', '-'))} WHEN '.' THEN {cast(('.', '-'))} "
                f"WHEN '年' THEN {cast(('年', '-'), ('月', '-'), ('日', ''))} "
                f"ELSE CAST(try_strptime({expr}, '%Y%m%d') AS DATE) END) END)")
    for dtype in ("DECIMAL(18,2)", "DOUBLE"):
        if t == _amount_sql(dtype):   # the template's value: TRY_CAST(… AS DOUBLE) * 1, then the type
            return f"(CASE WHEN regexp_full_match({expr}, '[+-]?[0-9]+(\\.[0-9]+)?') THEN TRY_CAST(TRY_CAST({expr} AS DOUBLE) AS {dtype}) END)"
    if t == _int_sql():
        return f"(CASE WHEN regexp_full_match({expr}, '[+-]?[0-9]+') THEN TRY_CAST({expr} AS BIGINT) END)"
    return None


# The shapes of _date_sql but for 年月日 without 日 (left to the template)
_PLAIN_DATE = ("[0-9]{4}(-[0-9]{1,2}-[0-9]{1,2}|/[0-9]{1,2}/[0-9]{1,2}|\\.[0-9]{1,2}\\.[0-9]{1,2}"
               "|年[0-9]{1,2}月[0-9]{1,2}日|[0-9]{4})")


def _fill(template: str, v: str, t: str) -> str:
    return re.sub(r"\{([vt])\}", lambda m: v if m.group(1) == "v" else t, template)


# --- inference -----------------------------------------------------------------------------------

MIN_SHARE = 0.95   # share of non-null sample values that must fit a type (dirty data is normal)


def _fits(values: list[str], test, min_share: float) -> list[str] | None:
    """The values passing ``test`` if they are at least ``min_share`` of all values, else None.

    Stops at the first failure that leaves too few values to reach the share: a free-text column
    is done after a few hundred of its 10,000 sample values instead of all of them, per type tried."""
    need = min_share * len(values)
    most = len(values)          # passing values still possible
    ok = []
    for v in values:
        if test(v):
            ok.append(v)
        else:
            most -= 1
            if most < need:
                return None
    return ok if ok and len(ok) >= need else None


def _with_misfits(inf: Inferred, n_fit: int, n_all: int) -> Inferred:
    if n_fit == n_all:
        return inf
    extra = f"{n_all - n_fit} 个样本值无法解析"
    return Inferred(inf.dtype, inf.parse_sql_template, f"{inf.note}；{extra}" if inf.note else extra)


def _is_bool(v: str) -> bool:
    return v.lower() in _TRUE + _FALSE


def _is_flag(v: str) -> bool:
    return v in ("0", "1")


def _is_month(v: str) -> bool:
    return parse_month_text(v) is not None and _FLOAT_RE.fullmatch(v) is None or _is_month6(v)


def _is_month6(v: str) -> bool:
    return len(v) == 6 and v.isdigit() and parse_month_text(v) is not None


def _is_date(v: str) -> bool:
    d = parse_date_text(v)
    return d is not None and 1900 <= d.year <= 2100


def _is_datetime(v: str) -> bool:
    return parse_timestamp_text(v) is not None or _is_date(v)


def _infer_integer(values: list[str], min_share: float) -> Inferred | None:
    ok = _fits(values, _INT_RE.fullmatch, min_share)
    if ok is None:
        return None
    digits = [v.lstrip("+-") for v in ok]
    if any(len(d) > 1 and d.startswith("0") for d in digits):
        return Inferred("VARCHAR", _varchar_sql(), "前导零，按编码保留为文本")
    if any(len(d) > 15 for d in digits):
        return Inferred("VARCHAR", _varchar_sql(), "超过 15 位的数字（证件号/卡号），保留为文本")
    lengths = {len(d) for d in digits}
    if len(ok) >= 3 and len(lengths) == 1 and lengths.pop() >= 6:
        return Inferred("VARCHAR", _varchar_sql(), "定长数字编码，保留为文本")
    return _with_misfits(Inferred("BIGINT", _int_sql(), ""), len(ok), len(values))


def _infer_number(values: list[str], min_share: float) -> Inferred | None:
    ok = _fits(values, _amount_match, min_share)
    if ok is not None:
        decimals = [len(m.group(1) or "") for m in map(_amount_match, ok)]
        wan = any(v.endswith("万元") for v in ok)
        if max(decimals) <= 2 or wan:
            note = "金额（万元已换算为元）" if wan else "金额"
            return _with_misfits(Inferred("DECIMAL(18,2)", _amount_sql("DECIMAL(18,2)"), note), len(ok), len(values))
        return _with_misfits(Inferred("DOUBLE", _amount_sql("DOUBLE"), ""), len(ok), len(values))
    ok = _fits(values, _FLOAT_RE.fullmatch, min_share)
    if ok is not None and any(_code_digits(v) for v in ok):
        return Inferred("VARCHAR", _varchar_sql(), "超过 15 位的数字（证件号/卡号，可能已被 Excel 截断），保留为文本")
    return None if ok is None else _with_misfits(Inferred("DOUBLE", _amount_sql("DOUBLE"), ""), len(ok), len(values))


def _code_digits(v: str) -> bool:
    """A number of 16 digits or more, or written as ≥ 10^15 (3.30102E+17: a 身份证号 or card number that
    Excel kept as a number): a code, not a quantity."""
    if "e" in v or "E" in v:
        try:
            return abs(float(v)) >= 1e15
        except ValueError:
            return False
    return len(v.lstrip("+-").split(".")[0]) > 15


def _infer_temporal(values: list[str], min_share: float) -> Inferred | None:
    if (ok := _fits(values, _is_month, min_share)) is not None:
        return _with_misfits(Inferred("DATE", _month_sql(), "年月"), len(ok), len(values))
    if (ok := _fits(values, _is_date, min_share)) is not None:
        return _with_misfits(Inferred("DATE", _date_sql(), ""), len(ok), len(values))
    if (ok := _fits(values, _is_datetime, min_share)) is not None:
        return _with_misfits(Inferred("TIMESTAMP", _timestamp_or_date_sql(), ""), len(ok), len(values))
    return None


def infer_column(values: list[str | None], *, min_share: float = MIN_SHARE, name: str | None = None) -> Inferred:
    """Propose a DuckDB type for a column from sample raw strings (see the module docstring).

    A type is chosen when at least ``min_share`` of the non-null sample fits it (BOOLEAN needs all);
    the note then says how many sample values will not parse.  ``name`` (the column name) lets 1/0
    columns named like yes/no columns (是否…, …标志) be BOOLEAN.

    >>> infer_column(["2023-01-05", "2023/1/6", None]).dtype
    'DATE'
    >>> infer_column(["007", "012"]).dtype
    'VARCHAR'
    """
    vals = [c for c in (clean_text(v) for v in values) if c is not None]
    if not vals:
        return Inferred("VARCHAR", _varchar_sql(), "样本全部为空")
    flag = name is not None and _FLAG_NAME.search(name) is not None
    if all(_is_bool(v) or (flag and _is_flag(v)) for v in vals):
        if "有" in vals:
            return Inferred("BOOLEAN", _bool_sql(you_wu=True), "有/无（“无”为否）")
        return Inferred("BOOLEAN", _bool_sql(), "是/否")
    return (_infer_temporal(vals, min_share) or _infer_integer(vals, min_share)
            or _infer_number(vals, min_share) or Inferred("VARCHAR", _varchar_sql(), ""))


def _timestamp_or_date_sql() -> str:
    return f"coalesce({_timestamp_sql()}, CAST({_date_sql()} AS TIMESTAMP))"


# --- forced types (--type 列=text …) -------------------------------------------------------------

TYPE_WORDS: dict[str, str] = {
    "text": "VARCHAR", "varchar": "VARCHAR", "string": "VARCHAR", "文本": "VARCHAR",
    "int": "BIGINT", "integer": "BIGINT", "bigint": "BIGINT", "整数": "BIGINT",
    "decimal": "DECIMAL(18,2)", "amount": "DECIMAL(18,2)", "money": "DECIMAL(18,2)", "金额": "DECIMAL(18,2)",
    "double": "DOUBLE", "float": "DOUBLE", "number": "DOUBLE", "小数": "DOUBLE",
    "date": "DATE", "日期": "DATE", "month": "MONTH", "年月": "MONTH",
    "timestamp": "TIMESTAMP", "datetime": "TIMESTAMP", "时间": "TIMESTAMP",
    "bool": "BOOLEAN", "boolean": "BOOLEAN", "yesno": "BOOLEAN", "是否": "BOOLEAN", "布尔": "BOOLEAN",
}
TYPE_LABELS = {"VARCHAR": "文本", "BIGINT": "整数", "DECIMAL(18,2)": "金额", "DOUBLE": "小数", "DATE": "日期",
               "MONTH": "年月", "TIMESTAMP": "时间", "BOOLEAN": "是/否"}


def forced_type(word: str, column: str = "") -> Inferred:
    """The parse of a type the user names (``--type 列=date``): text/int/decimal/double/date/month/
    timestamp/bool or their Chinese names (文本/整数/金额/小数/日期/年月/时间/是否).

    >>> forced_type("日期").dtype
    'DATE'
    """
    from shujian.errors import InputError

    key = TYPE_WORDS.get((word or "").strip().lower())
    if key is None:
        where = f"（列“{column}”）" if column else ""
        raise InputError(f"类型“{word}”无法识别{where}",
                         hint="可选：text 文本、int 整数、decimal 金额、double 小数、date 日期、month 年月、"
                              "timestamp 时间、bool 是否")
    templates = {"VARCHAR": _varchar_sql, "BIGINT": _int_sql, "DOUBLE": lambda: _amount_sql("DOUBLE"),
                 "DECIMAL(18,2)": lambda: _amount_sql("DECIMAL(18,2)"), "DATE": _date_sql, "MONTH": _month_sql,
                 "TIMESTAMP": _timestamp_or_date_sql, "BOOLEAN": lambda: _bool_sql(you_wu=True)}
    return Inferred("DATE" if key == "MONTH" else key, templates[key](), TYPE_LABELS[key])
