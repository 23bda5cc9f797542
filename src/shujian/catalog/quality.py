"""Data quality report (数据质量报告) for one imported dataset version.

Everything is computed with SQL inside DuckDB over a table that carries ``_row_id`` (the 1-based row
number, which reports use to point at rows).  One aggregate scan gives the per-column figures, their
examples, the date ranges, future dates and start-after-end checks; the duplicate keys are one
grouping more.

The report is a plain JSON-serialisable dict (dates as ISO strings)::

    {"relation": ..., "rows": 120, "today": "2026-11-27",
     "columns": {"身份证号": {"dtype", "semantic", "nulls", "null_rate", "distinct", ["distinct_approx": true,]
                             "invalid", "invalid_examples": [{"row": 7, "value": "..."}],
                             # 身份证号 columns: values Excel kept as numbers (digits lost), and the fix
                             "digits_lost", "digits_lost_examples", ["advice": "列“身份证号”有 …"],
                             # DATE/TIMESTAMP columns only:
                             "min", "max", "future", "future_examples"}},
     "duplicates": {"columns": [...], "values": 2, "rows": 5,
                    "examples": [{"key": {...}, "count": 3, "rows": [1, 4, 9]}]} | None,
     "start_after_end": [{"start": "入所日期", "end": "出所日期", "count": 1,
                          "examples": [{"row": 3, "start": "...", "end": "..."}]}]}

The example rows are the rows the user sees in the source file when the import gave their layout
(``lines``: Excel rows for XLSX, lines for CSV, header and title rows counted; ``readers.source_row``),
each example then also carrying its data row as ``record`` (``records`` for a duplicate key's rows);
without a layout (Parquet, databases) they are data rows (the first data row is row 1).

Nulls include empty strings and null markers (空, 无, NULL, \\N, -, / …) in text columns.  Validity is
only checked for text columns with a semantic type that has a check; a DATE column is valid by type.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from shujian.catalog.schema import ROW_ID, ColumnSchema
from shujian.catalog.semantic import (
    IDEMPOTENT_NORMALISERS,
    SEMANTIC_TYPES,
    SqlMatch,
    register_udfs,
    valid_parts,
    valid_sql,
)
from shujian.catalog.typeinfer import NULL_MARKERS

TEMPORAL = ("DATE", "TIMESTAMP")

# Start/end word pairs: a start column and an end column differ only by these words
# (入所日期/出所日期, 刑期起日/刑期止日, 合同生效日期/合同失效日期).
START_END_WORDS: tuple[tuple[str, str], ...] = (
    ("开始", "结束"), ("起始", "终止"), ("起始", "截止"), ("开始", "截止"), ("起", "止"), ("始", "终"),
    ("入所", "出所"), ("入矫", "解矫"), ("入院", "出院"), ("生效", "失效"), ("入狱", "出狱"),
    ("收监", "释放"), ("羁押", "释放"), ("入职", "离职"), ("参保", "停保"), ("立案", "结案"),
    ("受理", "办结"), ("登记", "注销"), ("start", "end"), ("begin", "end"), ("from", "to"),
)


# A 身份证号 typed into Excel as a number keeps 15 significant digits: Excel shows and exports it as
# 3.30102199001011E+17 or, formatted as a number, 330102199001011000.  Both are counted (two cheap
# string tests a value); the digit form ending in 000 is also 1 real ID in ~1,100, so it is reported
# only when it is more than LOST_SHARE of the column's values or comes with the E+ form.
# A 银行卡号 the same way: 16–19 digits, so 1–4 lost; the digit form is counted from 17 digits (two or more
# zeros after the 15th: 1 real card in 100 or fewer), a 16-digit card only in the E+ form.
DIGITS_LOST = {"id_number": "(contains({c}, 'E+') OR (strlen({c}) = 18 AND suffix({c}, '000')))",
               "bank_card": "(contains({c}, 'E+') OR (strlen({c}) BETWEEN 17 AND 19 "
                            "AND regexp_full_match({c}, '[0-9]{{15}}0+')))"}
LOST_SHARE = 0.01
MAX_RUNS = 10_000     # runs of the source layout kept in a report (readers.SheetLayout.lines)


# A date column whose cells lost their date format holds Excel's day numbers (45296 = 2024-01-05):
# a number column named like a date with every value a day of 1927–2099 gets an advice.
SERIAL_NAME = ("日期", "时间")
SERIAL_RANGE = (10_000, 73_050)
EXCEL_EPOCH = date(1899, 12, 30)     # day 0 of Excel's serials (past its 1900 leap-year day)


def _serial_candidate(col: ColumnSchema) -> bool:
    return (col.dtype.upper() in ("BIGINT", "INTEGER", "DOUBLE") or col.dtype.upper().startswith("DECIMAL")) \
        and any(w in col.name for w in SERIAL_NAME)


def quote_ident(name: str) -> str:
    """Quote a column name for DuckDB (Chinese names, spaces and quotes are fine)."""
    return '"' + name.replace('"', '""') + '"'


def _relation_sql(relation: str) -> str:
    # A plain name is quoted; a qualified or already quoted name is the caller's SQL.
    return relation if ("." in relation or '"' in relation) else quote_ident(relation)


def _jsonable(v: object) -> object:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    return v


def _is_text(col: ColumnSchema) -> bool:
    return col.dtype.upper().startswith("VARCHAR")


# The characters DuckDB's trim() removes (Unicode's space separators, Zs; a test checks this list
# against trim() over every code point).  A value longer than every null marker whose first and
# last characters are none of them is trim()-ed to itself: it is no marker, without the test.
TRIMMED = (" ", "\u00a0", "\u1680", *(chr(c) for c in range(0x2000, 0x200B)), "\u202f", "\u205f", "\u3000")
_MARKER_BYTES = max(len(m.encode("utf-8")) for m in NULL_MARKERS)


def _null_cond(col: ColumnSchema, hint: str | None = None) -> str:
    """NULL, or a null marker once trimmed (``trim(x) IN (…)``), tested only where it can be one:
    the IN test of a long text per row costs more than looking at its length and ends.  ``hint``:
    SQL false for the rows whose non-NULL value is known to be no marker (``quality_report``'s
    ``marker_hints``); the test is made only where it holds."""
    q = quote_ident(col.name)
    if not _is_text(col):
        return f"{q} IS NULL"
    markers = ", ".join("'" + m.replace("'", "''") + "'" for m in NULL_MARKERS)
    spaces = ", ".join(f"chr({ord(c)})" for c in TRIMMED)
    # the first character by its code point (ascii(): no substring is made), the last as a substring
    codes = ", ".join(str(ord(c)) for c in TRIMMED)
    test = (f"(CASE WHEN strlen({q}) <= {_MARKER_BYTES} OR ascii({q}) IN ({codes}) "
            f"OR {q}[-1] IN ({spaces}) THEN trim({q}) IN ({markers}) ELSE false END)")
    return f"({q} IS NULL OR {test if hint is None else f'({hint} AND {test})'})"


def _aggregate_sql(rel: str, columns: list[ColumnSchema], normalised: bool = False,
                   approx: frozenset[str] = frozenset(), grouped: str | None = None,
                   today: date | None = None, max_examples: int = 0,
                   pairs: list[tuple[str, str]] = (), hints: dict[str, str] | None = None) -> str:
    """One scan for every column's null, distinct and invalid counts — and, with ``max_examples``,
    the first invalid values, each DATE/TIMESTAMP column's range and future dates (after ``today``)
    and each start/end pair in ``pairs`` with its start after its end (``_read_aggregate``).

    The null test of a text column (``trim(x) IN (markers)``) is computed once per row in an inner
    projection and then used by all three counts (instead of once per count).  ``normalised``: the
    text columns with a semantic type hold normalised values (as the importer writes them), so a
    pattern check whose normalisation is idempotent reads them directly.  The columns in ``approx``
    get ``approx_count_distinct`` (HyperLogLog, a few per cent off) instead of an exact count.
    The ``grouped`` column is the single key column, whose values the duplicate check groups
    anyway: here it counts only the distinct null markers among them (``_key_distinct``).
    ``hints``: {column: SQL} narrowing a text column's null-marker test (``_null_cond``).
    The examples are the rows with the lowest ``_row_id`` (``min_by`` over the rows the count's own
    filter admits: DuckDB evaluates an identical filter once) — what a query ``WHERE … ORDER BY
    _row_id LIMIT n`` per check gave, without a scan of the table for each.
    """
    n = int(max_examples)
    inner, outer = [], ["count(*) AS _sj_rows"]

    def first(what: str, cond: str, alias: str) -> None:   # the first n rows where cond holds
        outer.append(f"min_by({{'row': _sj_r, {what}}}, _sj_r, {n}) FILTER (WHERE {cond}) AS {alias}")

    for i, col in enumerate(columns):
        inner.append(f"{quote_ident(col.name)} AS c{i}")
        if _is_text(col):
            inner.append(f"{_null_cond(col, (hints or {}).get(col.name))} AS z{i}")
            null = f"z{i}"
        else:
            null = f"c{i} IS NULL"
        outer.append(f"count(*) FILTER (WHERE {null}) AS n{i}")
        # a distinct count over the values a CASE keeps (NULL for the others, which no distinct count
        # counts): DuckDB's FILTER on a distinct aggregate hashes every row, the CASE only what it keeps
        if col.name == grouped:
            outer.append(f"count(DISTINCT CASE WHEN {null} THEN c{i} END) AS d{i}")
        else:
            count = "approx_count_distinct" if col.name in approx else "count"
            distinct = "" if col.name in approx else "DISTINCT "
            outer.append(f"{count}({distinct}CASE WHEN NOT ({null}) THEN c{i} END) AS d{i}")
        st = SEMANTIC_TYPES.get(col.semantic or "")
        if st is not None and st.checks_validity and _is_text(col):
            parts = valid_parts(st.key, f"c{i}")
            if normalised and st.key in IDEMPOTENT_NORMALISERS and isinstance(st.sql_validator, SqlMatch):
                valid = st.sql_validator.check(f"c{i}")
            elif parts:   # a part computed once per row in the inner projection (see valid_parts)
                inner.append(f"{valid_parts(st.key, quote_ident(col.name))[0]} AS p{i}")
                valid = parts[1].replace("{pre}", f"p{i}")
            else:
                valid = valid_sql(st.key, f"c{i}")
            outer.append(f"count(*) FILTER (WHERE NOT ({null}) AND NOT {valid}) AS v{i}")
            if n > 0:
                first(f"'value': c{i}", f"NOT ({null}) AND NOT {valid}", f"e{i}")
            if st.key in DIGITS_LOST:
                lost = f"NOT ({null}) AND {DIGITS_LOST[st.key].format(c=f'c{i}')}"
                outer.append(f"count(*) FILTER (WHERE {lost}) AS xl{i}")
                outer.append(f"count(*) FILTER (WHERE {lost} AND contains(c{i}, 'E')) AS xs{i}")
                if n > 0:
                    first(f"'value': c{i}", lost, f"xe{i}")
        if _serial_candidate(col):
            outer += [f"min(c{i}) AS sl{i}", f"max(c{i}) AS sh{i}"]
        if col.dtype.upper() in TEMPORAL and today is not None:
            future = f"CAST(c{i} AS DATE) > DATE '{today.isoformat()}'"
            outer += [f"min(c{i}) AS lo{i}", f"max(c{i}) AS hi{i}", f"count(*) FILTER (WHERE {future}) AS f{i}"]
            if n > 0:
                first(f"'value': c{i}", future, f"fe{i}")
    at = {col.name: i for i, col in enumerate(columns)}
    for k, (start, end) in enumerate(pairs):
        s, e = f"c{at[start]}", f"c{at[end]}"
        cond = f"{s} IS NOT NULL AND {e} IS NOT NULL AND {s} > {e}"
        outer.append(f"count(*) FILTER (WHERE {cond}) AS sa{k}")
        if n > 0:
            first(f"'start': {s}, 'end': {e}", cond, f"se{k}")
    if not inner:
        return f"SELECT count(*) AS _sj_rows FROM {rel}"
    if n > 0:
        inner.append(f"{ROW_ID} AS _sj_r")
    return f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} FROM {rel})"


def _read_aggregate(con, sql: str) -> dict:
    """The one row of an ``_aggregate_sql`` query, by its column names."""
    cur = con.execute(sql)
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row, strict=True))


def _rows(found: list[dict] | None, *keys: str) -> list[dict]:
    """The examples of an ``_aggregate_sql`` (a list of {row, …} or NULL), values made JSON-able."""
    return [{"row": f["row"], **{k: _jsonable(f[k]) for k in keys}} for f in found or []]


def _column_report(col: ColumnSchema, agg: dict, i: int, rows: int) -> dict:
    out = {"dtype": col.dtype, "semantic": col.semantic, "nulls": agg[f"n{i}"],
           "null_rate": round(agg[f"n{i}"] / rows, 6) if rows else 0.0, "distinct": agg[f"d{i}"],
           "invalid": agg.get(f"v{i}"), "invalid_examples": _rows(agg.get(f"e{i}"), "value")}
    if f"xl{i}" in agg:
        lost, sci = agg[f"xl{i}"], agg[f"xs{i}"]
        present = rows - agg[f"n{i}"]
        if not sci and lost <= LOST_SHARE * present:   # as many as real IDs ending in 000 would give
            lost = 0
        out.update({"digits_lost": lost, "digits_lost_examples": _rows(agg.get(f"xe{i}"), "value") if lost else []})
    lo, hi = agg.get(f"sl{i}"), agg.get(f"sh{i}")
    if lo is not None and SERIAL_RANGE[0] <= lo and hi <= SERIAL_RANGE[1]:
        out["excel_serial"] = {"min": _jsonable(lo), "max": _jsonable(hi)}
    if col.dtype.upper() in TEMPORAL:
        out.update({"min": _jsonable(agg[f"lo{i}"]), "max": _jsonable(agg[f"hi{i}"]), "future": agg[f"f{i}"],
                    "future_examples": _rows(agg.get(f"fe{i}"), "value")})
    return out


def default_key_columns(columns: list[ColumnSchema]) -> list[str]:
    """The first 身份证号 column, else the first 统一社会信用代码 column, else none."""
    for key in ("id_number", "uscc"):
        for col in columns:
            if col.semantic == key:
                return [col.name]
    return []


def _duplicates(con, rel: str, keys: list[str], max_examples: int) -> tuple[dict, int]:
    """The duplicate-key entry of the report, and the number of distinct non-NULL keys.

    One grouping without row lists (most keys are unique: a list per group is the costly part),
    aggregated at once: the number of groups, of duplicated keys and their rows, and the first row
    of the first duplicated keys; the examples' row lists come from those few keys."""
    cols = ", ".join(quote_ident(k) for k in keys)
    not_null = " AND ".join(f"{quote_ident(k)} IS NOT NULL" for k in keys)
    groups, n_values, n_rows, firsts = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE _sj_n > 1), coalesce(sum(_sj_n) FILTER (WHERE _sj_n > 1), 0), "
        f"min(_sj_first, {int(max_examples)}) FILTER (WHERE _sj_n > 1) FROM (SELECT count(*) AS _sj_n, "
        f"min({ROW_ID}) AS _sj_first FROM {rel} WHERE {not_null} GROUP BY {cols})").fetchone()
    ex = []
    if n_values:
        top = f"(SELECT {cols} FROM {rel} WHERE {ROW_ID} IN ({', '.join(str(int(r)) for r in firsts)}))"
        ex = con.execute(f"SELECT {cols}, count(*), list({ROW_ID} ORDER BY {ROW_ID}) FROM {rel} "
                         f"SEMI JOIN {top} t USING ({cols}) GROUP BY ALL ORDER BY min({ROW_ID})").fetchall()
    examples = [{"key": {k: _jsonable(v) for k, v in zip(keys, r[:len(keys)], strict=True)},
                 "count": r[len(keys)], "rows": r[len(keys) + 1][:max_examples]} for r in ex]
    return {"columns": keys, "values": n_values, "rows": int(n_rows), "examples": examples}, int(groups)


def start_end_pairs(names: list[str]) -> list[tuple[str, str]]:
    """Pairs (start column, end column) among ``names`` whose names differ only by a start/end word.

    >>> start_end_pairs(["入所日期", "出所日期", "姓名"])
    [('入所日期', '出所日期')]
    """
    pairs: list[tuple[str, str]] = []
    present = set(names)
    for a in names:
        for s, e in START_END_WORDS:
            pos = a.lower().find(s)
            if pos < 0:
                continue
            b = a[:pos] + e + a[pos + len(s):]
            if b in present and b != a and (a, b) not in pairs:
                pairs.append((a, b))
                break
    return pairs


def quality_report(con, relation: str, columns: list[ColumnSchema], *, key_columns: list[str] | None = None,
                   today: date | None = None, max_examples: int = 5, normalised: bool = False,
                   approx_distinct_above: int | None = None, lines: list | None = None,
                   marker_hints: dict[str, str] | None = None) -> dict:
    """Compute the data quality report of ``relation`` (a DuckDB table/view with ``_row_id``).

    ``key_columns`` default to the first id_number/uscc column; ``today`` (default: the current
    date) decides which dates lie in the future.  ``normalised``: the semantic text columns hold
    normalised values (the importer's versions), see ``_aggregate_sql``.  ``approx_distinct_above``:
    in a table with more rows, the distinct count of a column that is not a key is approximate
    (``"distinct_approx": true``, shown as 约): an exact count costs a hash of every value, about a
    tenth of a large import.  ``lines``: the source layout (``readers.SheetLayout.lines``), kept in the
    report, by which the examples name the rows the user sees in the file.  ``marker_hints``: {text
    column: SQL over ``relation``} false for the rows whose non-NULL value is known to be no null
    marker (the importer knows it of its clean-form columns from the CREATE's check bits): the marker
    test is made only where the SQL holds.  See the module docstring for the shape.
    """
    register_udfs(con)
    rel = _relation_sql(relation)
    today = today or date.today()
    keys = key_columns if key_columns is not None else default_key_columns(columns)
    approx: frozenset[str] = frozenset()
    if approx_distinct_above is not None and con.execute(f"SELECT count(*) FROM {rel}").fetchone()[0] > approx_distinct_above:
        approx = frozenset(c.name for c in columns if c.name not in keys)
    # a single key column's distinct count comes from the duplicate check's grouping (exact)
    grouped = keys[0] if len(keys) == 1 and any(c.name == keys[0] for c in columns) else None
    temporal = [c.name for c in columns if c.dtype.upper() in TEMPORAL]
    pairs = start_end_pairs(temporal)
    agg = _read_aggregate(con, _aggregate_sql(rel, columns, normalised, approx, grouped, today, max_examples, pairs,
                                              marker_hints))
    rows = agg["_sj_rows"]
    duplicates, groups = _duplicates(con, rel, keys, max_examples) if keys else (None, 0)
    report: dict = {"relation": relation, "rows": rows, "today": today.isoformat(), "columns": {}}
    for i, col in enumerate(columns):
        if col.name == grouped:   # the groups of non-NULL keys but those of null markers
            agg[f"d{i}"] = groups - agg[f"d{i}"]
        report["columns"][col.name] = _column_report(col, agg, i, rows)
        if col.name in approx:
            report["columns"][col.name]["distinct_approx"] = True
    report["duplicates"] = duplicates
    report["start_after_end"] = [{"start": s, "end": e, "count": agg[f"sa{k}"],
                                  "examples": _rows(agg.get(f"se{k}"), "start", "end")}
                                 for k, (s, e) in enumerate(pairs)]
    if lines:
        # kept for recomputed entries (column_quality); a sheet with a blank row every other row has a
        # run per row: past MAX_RUNS those examples' rows are estimated from the last run kept
        report["lines"] = [list(r) for r in lines[:MAX_RUNS]]
        _locate(report, lines)
    for name, c in report["columns"].items():
        _advise(name, c)
    return report


def _locate(report: dict, lines: list) -> None:
    """The examples' data rows → the rows the user sees in the source (``readers.source_row``)."""
    from .readers import LineRuns, source_row

    runs = lines if isinstance(lines, LineRuns) else [tuple(r) for r in lines]
    for c in report["columns"].values():
        _locate_column(c, runs)
    for d in [report["duplicates"]] if report.get("duplicates") else []:
        for e in d["examples"]:
            e["records"], e["rows"] = e["rows"], [source_row(runs, r) for r in e["rows"]]
    for p in report.get("start_after_end") or []:
        for e in p["examples"]:
            e["record"], e["row"] = e["row"], source_row(runs, e["row"])


def _locate_column(c: dict, runs: list) -> None:
    from .readers import source_row

    for key in ("invalid_examples", "future_examples", "digits_lost_examples"):
        for e in c.get(key) or []:
            e["record"], e["row"] = e["row"], source_row(runs, e["row"])


def _advise(name: str, c: dict) -> None:
    """A column's ``advice``: what its figures call for, in Chinese (digits lost in Excel, Excel day
    numbers in a date column)."""
    if c.get("excel_serial"):
        from datetime import timedelta

        lo, hi = (int(float(c["excel_serial"][k])) for k in ("min", "max"))
        first, last = (EXCEL_EPOCH + timedelta(days=d) for d in (lo, hi))
        c["advice"] = (f"列“{name}”是数字（{lo}–{hi}），像是 Excel 的日期序列号（{lo} 即 {first.isoformat()}，"
                       f"{hi} 即 {last.isoformat()}）：该列在 Excel 中丢失了日期格式；请提供单位把“{name}”列"
                       f"设置为日期格式（或文本格式的 2024-01-05）重新导出，模型才能按日期使用它")
    if c.get("digits_lost"):
        shown = "、".join(f"第 {e['row']} 行“{e['value']}”" for e in c["digits_lost_examples"][:3])
        what = SEMANTIC_TYPES[c["semantic"]].label if c.get("semantic") in SEMANTIC_TYPES else "证件号码"
        c["advice"] = (f"列“{name}”有 {c['digits_lost']} 个值像是被 Excel 当作数字保存的{what}（如 {shown}）："
                       f"Excel 只保留 15 位有效数字，末尾几位已丢失、无法还原，这些值不能用于关联比对；"
                       f"请提供单位把“{name}”列设置为文本格式重新导出（或导出为 CSV 时该列按文本导出）")


def advice(report: dict) -> list[str]:
    """The report's advice on its columns (what the import's notes repeat)."""
    return [c["advice"] for c in (report.get("columns") or {}).values() if c.get("advice")]


def column_quality(con, relation: str, col: ColumnSchema, *, today: date | None = None,
                   max_examples: int = 5, lines: list | None = None) -> dict:
    """One column's entry of the quality report (e.g. again after its semantic type was changed);
    ``lines``: the report's ``lines`` (example rows as the user sees them in the source)."""
    register_udfs(con)
    agg = _read_aggregate(con, _aggregate_sql(_relation_sql(relation), [col], today=today or date.today(),
                                              max_examples=max_examples))
    entry = _column_report(col, agg, 0, agg["_sj_rows"])
    if lines:
        _locate_column(entry, [tuple(r) for r in lines])
    _advise(col.name, entry)
    return entry


def render_quality(report: dict) -> list[tuple[str, str, str]]:
    """Flatten a report into (对象, 指标, 值) rows for a table or a spreadsheet, in Chinese."""
    out: list[tuple[str, str, str]] = [("数据集", "行数", str(report["rows"]))]
    for name, c in report["columns"].items():
        out.append((name, "空值", f"{c['nulls']}（{c['null_rate']:.2%}）"))
        out.append((name, "不同值", f"约 {c['distinct']}" if c.get("distinct_approx") else str(c["distinct"])))
        if c["invalid"] is not None:
            rows = "、".join(str(e["row"]) for e in c["invalid_examples"])
            out.append((name, "格式/校验不通过", f"{c['invalid']}" + (f"（如第 {rows} 行）" if rows else "")))
        if c.get("advice"):
            out.append((name, "提示", c["advice"]))
        if "future" in c:
            out.append((name, "范围", f"{c['min']} 至 {c['max']}；晚于今天 {c['future']} 条"))
    if report["duplicates"]:
        d = report["duplicates"]
        out.append(("、".join(d["columns"]), "重复键", f"{d['values']} 个值重复，涉及 {d['rows']} 行"))
    for p in report["start_after_end"]:
        out.append((f"{p['start']} / {p['end']}", "开始晚于结束", str(p["count"])))
    return out
