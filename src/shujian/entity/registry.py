"""The subject registry (主体库) in the warehouse: subjects, their member records, scored pairs, runs.

Tables (DuckDB, next to the dataset versions):

* ``er_subjects``(subject_id, kind, name, id_number, birth_date, records, status, merged_into,
  first_run, last_run) — status 有效 / 已合并 (merged_into names the heir) / 已失效 (no records left);
* ``er_members``(subject_id, kind, source_ref, source_name, source_row, fingerprint, confidence, …) —
  every source row (dataset version relation + ``_row_id``) and the subject it belongs to, with the
  confidence and comparison (``basis``) of its strongest link; models join through this table
  (``entity_join`` step);
* ``er_pairs``(run_id, kind, source_ref_l, source_row_l, fp_l, …, probability, band, compared, subject_l,
  subject_r) — scored pairs at or above the review threshold, with the comparison levels (the "why");
* ``er_runs``(run_id, kind, linked_at, records, pairs, linked, review, subjects, kept, new, merged, seconds).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb

from shujian.entity.pipeline import LinkRun, assign_subject_ids, member_rows_sql, pair_rows_sql
from shujian.entity.prepare import fetch_arrow

SUBJECTS, MEMBERS, PAIRS, RUNS = "er_subjects", "er_members", "er_pairs", "er_runs"
PREFIX = {"person": "P", "company": "C"}

DDL = (
    f"""CREATE TABLE IF NOT EXISTS {SUBJECTS} (subject_id VARCHAR PRIMARY KEY, kind VARCHAR, name VARCHAR,
        id_number VARCHAR, birth_date VARCHAR, records BIGINT, status VARCHAR, merged_into VARCHAR,
        first_run BIGINT, last_run BIGINT)""",
    f"""CREATE TABLE IF NOT EXISTS {MEMBERS} (subject_id VARCHAR, kind VARCHAR, source_ref VARCHAR,
        source_name VARCHAR, source_row BIGINT, fingerprint VARCHAR, confidence DOUBLE, name_n VARCHAR,
        id18 VARCHAR, dob VARCHAR, sex VARCHAR, phone VARCHAR, division VARCHAR, address_n VARCHAR,
        run_id BIGINT, basis VARCHAR)""",
    f"""CREATE TABLE IF NOT EXISTS {PAIRS} (run_id BIGINT, kind VARCHAR, source_ref_l VARCHAR,
        source_row_l BIGINT, fp_l VARCHAR, source_ref_r VARCHAR, source_row_r BIGINT, fp_r VARCHAR,
        probability DOUBLE, band VARCHAR, compared VARCHAR, subject_l VARCHAR, subject_r VARCHAR)""",
    f"""CREATE TABLE IF NOT EXISTS {RUNS} (run_id BIGINT, kind VARCHAR, linked_at TIMESTAMP, records BIGINT,
        pairs BIGINT, linked BIGINT, review BIGINT, subjects BIGINT, kept BIGINT, new BIGINT,
        merged BIGINT, seconds VARCHAR)""",
)


def ensure_tables(wh: duckdb.DuckDBPyConnection) -> None:
    for sql in DDL:
        wh.execute(sql)
    wh.execute(f"ALTER TABLE {MEMBERS} ADD COLUMN IF NOT EXISTS basis VARCHAR")   # registries before basis


def exists(wh: duckdb.DuckDBPyConnection) -> bool:
    return bool(wh.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [MEMBERS]).fetchall()[0][0])


def _next_number(wh: duckdb.DuckDBPyConnection, kind: str) -> int:
    row = wh.execute(f"SELECT max(CAST(substr(subject_id, 2) AS BIGINT)) FROM {SUBJECTS} WHERE kind = ?",
                     [kind]).fetchall()[0]
    return int(row[0] or 0) + 1


def persist(wh: duckdb.DuckDBPyConnection, mem: duckdb.DuckDBPyConnection, run: LinkRun,
            kind: str = "person") -> dict:
    """Assign stable IDs on ``mem`` (after ``pipeline.link``) and replace this kind's registry in ``wh``
    in one transaction.  Returns the run summary."""
    ensure_tables(wh)
    run_id = int(wh.execute(f"SELECT coalesce(max(run_id), 0) + 1 FROM {RUNS}").fetchall()[0][0])
    old = fetch_arrow(wh, f"SELECT subject_id, fingerprint FROM {MEMBERS} WHERE kind = ?", [kind])
    mem.register("er_old_arrow", old)
    ids = assign_subject_ids(mem, old_members="er_old_arrow", next_number=_next_number(wh, kind),
                             prefix=PREFIX[kind])
    members = fetch_arrow(mem, member_rows_sql(run_id, kind))
    pairs = fetch_arrow(mem, pair_rows_sql(run_id, kind))
    merged = fetch_arrow(mem, "SELECT subject_id, merged_into FROM er_merged")
    mem.unregister("er_old_arrow")
    wh.execute("BEGIN TRANSACTION")
    try:
        _write(wh, kind, run_id, members, pairs, merged)
        wh.execute(f"INSERT INTO {RUNS} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [run_id, kind, datetime.now(UTC).replace(tzinfo=None), run.records, run.pairs, run.linked,
                    run.review, ids["subjects"], ids["kept"], ids["new"], ids["merged"],
                    json.dumps(run.seconds)])
        wh.execute("COMMIT")
    except BaseException:
        wh.execute("ROLLBACK")
        raise
    run.subjects, run.kept_subjects, run.new_subjects, run.merged_subjects = (
        ids["subjects"], ids["kept"], ids["new"], ids["merged"])
    return {"run_id": run_id, "records": run.records, "pairs": run.pairs, "linked": run.linked,
            "review": run.review, **ids, "seconds": run.seconds}


def _write(wh, kind: str, run_id: int, members, pairs, merged) -> None:
    wh.register("er_new_members", members)
    wh.register("er_new_pairs", pairs)
    wh.register("er_new_merged", merged)
    try:
        wh.execute(f"DELETE FROM {MEMBERS} WHERE kind = ?", [kind])
        wh.execute(f"INSERT INTO {MEMBERS} SELECT * FROM er_new_members")
        wh.execute(f"DELETE FROM {PAIRS} WHERE kind = ?", [kind])
        wh.execute(f"INSERT INTO {PAIRS} SELECT * FROM er_new_pairs")
        wh.execute("""CREATE OR REPLACE TEMP TABLE er_cur AS
            SELECT subject_id, mode(name_n) AS name, mode(id18) AS id_number, mode(dob) AS birth_date,
                   count(*) AS records FROM er_new_members GROUP BY subject_id""")
        wh.execute(f"""UPDATE {SUBJECTS} s SET status = CASE WHEN m.merged_into IS NULL THEN '已失效' ELSE '已合并' END,
                           merged_into = m.merged_into, last_run = {run_id}
                       FROM (SELECT o.subject_id, g.merged_into FROM {SUBJECTS} o
                             LEFT JOIN er_new_merged g USING (subject_id)
                             WHERE o.kind = '{kind}' AND o.status = '有效'
                               AND o.subject_id NOT IN (SELECT subject_id FROM er_cur)) m
                       WHERE s.subject_id = m.subject_id""")
        wh.execute(f"""INSERT INTO {SUBJECTS}
            SELECT c.subject_id, '{kind}', c.name, c.id_number, c.birth_date, c.records, '有效', NULL,
                   {run_id}, {run_id} FROM er_cur c
            ON CONFLICT (subject_id) DO UPDATE SET name = excluded.name, id_number = excluded.id_number,
                birth_date = excluded.birth_date, records = excluded.records, status = '有效',
                merged_into = NULL, last_run = excluded.last_run""")
    finally:
        for name in ("er_new_members", "er_new_pairs", "er_new_merged"):
            wh.unregister(name)
