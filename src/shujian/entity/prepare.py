"""Prepare person records for linking: one normalised row per source record, inside DuckDB.

The normalisers of ``entity.normalize`` run as vectorised (Arrow) DuckDB functions with a per-value
cache, so a million records are prepared in seconds.  The prepared table has:

``unique_id`` (BIGINT), ``source_ref`` (where the row came from), ``name_n`` (normalised name),
``surname``, ``name_py`` (toneless pinyin, for blocking only: pypinyin romanises the surnames 单/曾
as dan/ceng, so pinyin never decides a match), ``id18``, ``id_dob`` and ``id_last4`` (parts of the
ID), ``dob`` (YYYYMMDD from the birth-date column, else from the ID), ``dob_swap`` (day and month
swapped), ``sex``, ``phone``, ``division`` (6 digits), ``address_n`` and ``addr_tokens``, and ``fingerprint`` (md5 of the normalised fields and the
dataset name, plus the row for records without an ID number: the key under which review decisions
and subject IDs survive re-imports; records with one fingerprint are compared once).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import duckdb
import pyarrow as pa
from pypinyin import Style, pinyin

from shujian.entity import normalize as nz

# The logical person fields a source table may provide (any may be missing).
_ADDR = nz.ADDRESS_UNIT_PAT.replace("'", "''")

PERSON_FIELDS = ("name", "id_number", "birth_date", "sex", "phone", "address", "division")


@lru_cache(maxsize=65536)
def _char_pinyin(ch: str) -> str:
    return pinyin(ch, style=Style.NORMAL, errors="default")[0][0]


def name_pinyin(name: str) -> str:
    """Toneless pinyin of a normalised name, character by character (cached per character).

    >>> name_pinyin("王玮")
    'wangwei'
    """
    return "".join(_char_pinyin(c) for c in name)


def _birth(v: str) -> str | None:
    d = nz.normalize_birth_date(v)
    return None if d is None else d.strftime("%Y%m%d")


def _id18(v: str) -> str | None:
    n = nz.normalize_id_number(v)
    return n if n is not None and len(n) == 18 else None


def _tokens(v: str) -> list[str]:
    return nz.address_tokens(v)


_SCALAR_UDFS: dict[str, tuple[Callable[[str], object], str]] = {
    "sj_er_name": (nz.normalize_person_name, "VARCHAR"),
    "sj_er_pinyin": (lambda v: name_pinyin(v) or None, "VARCHAR"),
    "sj_er_id18": (_id18, "VARCHAR"),
    "sj_er_birth": (_birth, "VARCHAR"),
    "sj_er_sex": (nz.normalize_sex, "VARCHAR"),
    "sj_er_phone": (nz.normalize_phone, "VARCHAR"),
    "sj_er_address": (nz.normalize_address, "VARCHAR"),
    "sj_er_company": (nz.normalize_company_name, "VARCHAR"),
}


def _arrow(fn: Callable[[str], object], rtype: pa.DataType):
    cached = lru_cache(maxsize=262144)(fn)

    def udf(arr):
        return pa.array([None if v is None else cached(v) for v in arr.to_pylist()], type=rtype)
    return udf


def char_levenshtein_is_native(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether this DuckDB's ``levenshtein`` counts characters (DuckDB ≥ 2) or bytes (DuckDB 1.x:
    levenshtein('张三','章三') = 2)."""
    return con.execute("SELECT levenshtein('张三', '章三')").fetchone()[0] == 1


def register_udfs(con: duckdb.DuckDBPyConnection) -> None:
    """Register the normalisers (``sj_er_*``) and ``sj_char_lev`` (character edit distance) on ``con``."""
    have = {r[0] for r in con.execute(
        "SELECT function_name FROM duckdb_functions() WHERE function_name LIKE 'sj\\_er%' ESCAPE '\\' "
        "OR function_name = 'sj_char_lev'").fetchall()}
    types = {"VARCHAR": pa.string()}
    for name, (fn, rtype) in _SCALAR_UDFS.items():
        if name not in have:
            con.create_function(name, _arrow(fn, types[rtype]), ["VARCHAR"], rtype, type="arrow",
                                side_effects=False)
    if "sj_er_tokens" not in have:
        con.create_function("sj_er_tokens", _arrow(_tokens, pa.list_(pa.string())), ["VARCHAR"],
                            "VARCHAR[]", type="arrow", side_effects=False)
    if "sj_char_lev" not in have:
        if char_levenshtein_is_native(con):
            con.execute("CREATE OR REPLACE TEMP MACRO sj_char_lev(a, b) AS levenshtein(a, b)")
        else:   # DuckDB 1.x counts bytes: use rapidfuzz, which counts characters
            from rapidfuzz.distance import Levenshtein

            def lev(a, b):
                return pa.array([None if x is None or y is None else Levenshtein.distance(x, y)
                                 for x, y in zip(a.to_pylist(), b.to_pylist(), strict=True)], pa.int64())
            con.create_function("sj_char_lev", lev, ["VARCHAR", "VARCHAR"], "BIGINT", type="arrow",
                                side_effects=False)


@dataclass(frozen=True)
class PersonSource:
    """One source of person records: a relation and its columns for the logical fields."""

    relation: str                       # table or view in the connection
    fields: dict[str, str]              # logical field (PERSON_FIELDS) → column name
    name: str | None = None             # the dataset's catalog name (default: relation)
    row_id: str = "_row_id"             # the column that identifies a row within the relation
    ref: str | None = None              # the physical relation recorded as source_ref (default: relation)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def source_select(src: PersonSource, columns: dict[str, str]) -> str:
    """SELECT of one source as the common raw shape: source_ref, source_name, source_row, then one
    VARCHAR column per entry of ``columns`` (logical field → output name; NULL when the source lacks
    the field).  Shared by person and company preparation."""
    f = src.fields

    def col(key: str) -> str:
        return f"CAST({_q(f[key])} AS VARCHAR)" if key in f else "CAST(NULL AS VARCHAR)"
    rel, name = (x.replace("'", "''") for x in (src.ref or src.relation, src.name or src.relation))
    cols = ", ".join(f"{col(key)} AS {out}" for key, out in columns.items())
    return (f"SELECT '{rel}' AS source_ref, '{name}' AS source_name, {_q(src.row_id)} AS source_row, "
            f"{cols} FROM {_q(src.relation)}")


_PERSON_RAW = {"name": "name_raw", "id_number": "id_raw", "birth_date": "dob_raw", "sex": "sex_raw",
               "phone": "phone_raw", "address": "address_raw", "division": "division_col"}


# Python normalisers run once per *distinct* value (names, dates and addresses repeat a lot); IDs
# and phones that are already clean take a pure-SQL path.
_DISTINCT = (
    ("name_raw", "sj_er_name(v) AS name_n, sj_er_pinyin(sj_er_name(v)) AS name_py"),
    ("dob_raw", "sj_er_birth(v) AS dob_col"),
    ("sex_raw", "sj_er_sex(v) AS sex_col"),
    ("address_raw", "sj_er_address(v) AS address_n"),
)


def prepare_persons(con: duckdb.DuckDBPyConnection, sources: list[PersonSource],
                    out: str = "er_person_input") -> int:
    """Create ``er_records`` (every source record, prepared) and ``out`` (one row per distinct
    fingerprint: the records Splink compares); returns the number of source records."""
    register_udfs(con)
    union = " UNION ALL ".join(source_select(s, _PERSON_RAW) for s in sources)
    con.execute(f"CREATE OR REPLACE TEMP TABLE er_raw AS SELECT *, row_number() OVER () AS unique_id FROM ({union})")
    for raw, exprs in _DISTINCT:
        con.execute(f"CREATE OR REPLACE TEMP TABLE er_map_{raw} AS SELECT v, {exprs} FROM "
                    f"(SELECT DISTINCT {raw} AS v FROM er_raw WHERE {raw} IS NOT NULL)")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE er_records AS
        WITH named AS (
            SELECT r.unique_id, r.source_ref, r.source_name, r.source_row, n.name_n, n.name_py,
                   CASE WHEN regexp_full_match(r.id_raw, '[0-9]{{17}}[0-9X]') THEN r.id_raw
                        ELSE sj_er_id18(r.id_raw) END AS id18,
                   d.dob_col, s.sex_col,
                   CASE WHEN regexp_full_match(r.phone_raw, '1[0-9]{{10}}') THEN r.phone_raw
                        ELSE sj_er_phone(r.phone_raw) END AS phone,
                   a.address_n, r.division_col
            FROM er_raw r
            LEFT JOIN er_map_name_raw n ON n.v = r.name_raw
            LEFT JOIN er_map_dob_raw d ON d.v = r.dob_raw
            LEFT JOIN er_map_sex_raw s ON s.v = r.sex_raw
            LEFT JOIN er_map_address_raw a ON a.v = r.address_raw),
        dated AS (SELECT *, coalesce(dob_col, substr(id18, 7, 8)) AS dob FROM named)
        SELECT unique_id, source_ref, source_name, source_row, name_n,
               substr(name_n, 1, 1) AS surname, name_py,
               id18, substr(id18, 7, 8) AS id_dob, substr(id18, 15, 4) AS id_last4,
               dob, substr(dob, 1, 4) || substr(dob, 7, 2) || substr(dob, 5, 2) AS dob_swap,
               coalesce(sex_col, CASE WHEN id18 IS NULL THEN NULL
                                      WHEN TRY_CAST(substr(id18, 17, 1) AS INTEGER) % 2 = 1 THEN '男'
                                      ELSE '女' END) AS sex,
               phone, coalesce(division_col, substr(id18, 1, 6)) AS division,
               address_n,
               list_concat(regexp_extract_all(address_n, '{_ADDR}'),
                           CASE WHEN regexp_replace(address_n, '{_ADDR}', '', 'g') <> ''
                                THEN [regexp_replace(address_n, '{_ADDR}', '', 'g')] ELSE [] END) AS addr_tokens,
               md5(concat_ws('|', coalesce(name_n, ''), coalesce(id18, ''), coalesce(dob, ''),
                             coalesce(phone, ''), coalesce(address_n, ''), source_name,
                             -- without an ID number identical fields do not prove one person
                             -- (two 王芳 born the same day): such a record keeps its own row
                             CASE WHEN id18 IS NULL THEN CAST(source_row AS VARCHAR) ELSE '' END)) AS fingerprint
        FROM dated ORDER BY unique_id""")
    # Identical records (monthly payment rows of one person…) are linked once: one row per fingerprint.
    con.execute(f"""CREATE OR REPLACE TABLE {_q(out)} AS SELECT * FROM er_records
                    QUALIFY row_number() OVER (PARTITION BY fingerprint ORDER BY unique_id) = 1
                    ORDER BY unique_id""")
    return con.execute("SELECT count(*) FROM er_records").fetchall()[0][0]


def fetch_arrow(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pa.Table:
    """The result of ``sql`` as an Arrow table (DuckDB 2 ``to_arrow_table``, DuckDB 1 ``arrow``)."""
    rel = con.sql(sql, params=params) if params else con.sql(sql)
    fetch = getattr(rel, "to_arrow_table", None) or rel.arrow
    return fetch()
