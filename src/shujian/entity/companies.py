"""Company resolution (单位主体): one company across agencies' data, by rules.

Companies carry a registry key in most deliveries (统一社会信用代码, GB 32100), and otherwise a name
that varies in legal form, branch suffix, brackets, width and script.  Rules, strongest first:

* same valid 统一社会信用代码 → the same company (probability 1.0, 确定);
* same comparison key (``normalize_company_name``: 杭州某某科技有限公司（西湖分公司） → 杭州某某科技) and
  no conflicting credit codes → linked at 0.95, i.e. 待核实 and listed for review: a name alone may be a
  namesake company in another city or a branch that is a taxpayer of its own.

The result uses the same tables as persons (kind ``company``, IDs ``C00000001``…), the same review
decisions, the same stable-ID rule and the same ``entity_join`` step (``kind: company``).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
from stdnum.cn import uscc

from shujian.entity import normalize as nz
from shujian.entity.pipeline import LinkRun, cluster_pairs
from shujian.entity.prepare import PersonSource, _arrow, source_select

COMPANY_FIELDS = ("name", "uscc", "address")
NAME_ONLY = 0.95
_COMPANY_RAW = {"name": "name_raw", "uscc": "uscc_raw", "address": "address_raw"}


def _uscc(v: str) -> str | None:
    c = nz.to_halfwidth(v).strip().upper().replace(" ", "").replace("-", "")
    return c if uscc.is_valid(c) else None


def _register(con: duckdb.DuckDBPyConnection) -> None:
    have = {r[0] for r in con.execute("SELECT function_name FROM duckdb_functions() "
                                      "WHERE function_name LIKE 'sj\\_co\\_%' ESCAPE '\\'").fetchall()}
    for name, fn in (("sj_co_clean", nz.clean_company_name), ("sj_co_key", nz.normalize_company_name),
                     ("sj_co_uscc", _uscc), ("sj_co_address", nz.normalize_address)):
        if name not in have:
            con.create_function(name, _arrow(fn, pa.string()), ["VARCHAR"], "VARCHAR", type="arrow",
                                side_effects=False)


def prepare_companies(con: duckdb.DuckDBPyConnection, sources: list[PersonSource]) -> int:
    """er_records (every company record) and er_person_input (one per fingerprint), person-shaped."""
    _register(con)
    union = " UNION ALL ".join(source_select(s, _COMPANY_RAW) for s in sources)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE er_records AS
        WITH raw AS (SELECT *, row_number() OVER () AS unique_id FROM ({union})),
        n AS (SELECT *, sj_co_clean(name_raw) AS name_n, sj_co_key(name_raw) AS co_key,
                     sj_co_uscc(uscc_raw) AS id18, sj_co_address(address_raw) AS address_n FROM raw)
        SELECT unique_id, source_ref, source_name, source_row, name_n, co_key, id18,
               NULL::VARCHAR AS dob, NULL::VARCHAR AS sex, NULL::VARCHAR AS phone,
               substr(id18, 3, 6) AS division, address_n,
               md5(concat_ws('|', coalesce(name_n, ''), coalesce(id18, ''), coalesce(address_n, ''), source_name,
                             CASE WHEN id18 IS NULL THEN CAST(source_row AS VARCHAR) ELSE '' END)) AS fingerprint
        FROM n WHERE name_n IS NOT NULL OR id18 IS NOT NULL ORDER BY unique_id""")
    con.execute("""CREATE OR REPLACE TABLE er_person_input AS SELECT * FROM er_records
                   QUALIFY row_number() OVER (PARTITION BY fingerprint ORDER BY unique_id) = 1""")
    return con.execute("SELECT count(*) FROM er_records").fetchall()[0][0]


def link_companies(con: duckdb.DuckDBPyConnection, sources: list[PersonSource], *,
                   decisions: str | None = None) -> LinkRun:
    """Link company records by credit code, then by name key; leaves the same tables as ``pipeline.link``."""
    run = LinkRun()
    run.records = prepare_companies(con, sources)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE er_pairs AS
        SELECT l.unique_id AS unique_id_l, r.unique_id AS unique_id_r,
               CASE WHEN l.id18 = r.id18 THEN 1.0 ELSE {NAME_ONLY} END AS match_probability,
               NULL::DOUBLE AS match_weight,
               CASE WHEN l.id18 = r.id18 THEN '统一社会信用代码:相同;名称:' ||
                         CASE WHEN l.co_key = r.co_key THEN '相同' ELSE '不同' END
                    ELSE '统一社会信用代码:缺失;名称（去组织形式与分支）:相同' END AS compared,
               CASE WHEN l.id18 = r.id18 THEN 'linked' ELSE 'review' END AS band
        FROM (SELECT l.unique_id AS a, r.unique_id AS b FROM er_person_input l JOIN er_person_input r
                ON l.id18 = r.id18 AND l.unique_id < r.unique_id
              UNION                                   -- two equi-joins, not one OR join
              SELECT l.unique_id, r.unique_id FROM er_person_input l JOIN er_person_input r
                ON l.co_key = r.co_key AND l.unique_id < r.unique_id
               AND (l.id18 IS NULL OR r.id18 IS NULL)) k
        JOIN er_person_input l ON l.unique_id = k.a JOIN er_person_input r ON r.unique_id = k.b""")
    cluster_pairs(con, NAME_ONLY, decisions)
    run.pairs, run.linked, run.review = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE band IN ('linked', 'confirmed')), "
        "count(*) FILTER (WHERE band = 'review') FROM er_pairs").fetchall()[0]
    return run
