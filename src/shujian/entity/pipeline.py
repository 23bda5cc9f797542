"""One linking run on an in-memory DuckDB connection: prepare → (train) → score → cluster → subject IDs.

The service (``entity.service``) feeds it Arrow tables read from the warehouse and writes its result
tables back in one transaction; the benchmarks call it directly on synthetic data.

Stable subject IDs (主体编号): a new cluster inherits the ID of the previous subject with which it
shares the most records (by record fingerprint); each old ID goes to at most one cluster (the one
holding most of its records); a cluster without an heir gets a new ID.  So an unchanged cluster keeps
its ID, a split keeps it on the larger part, a merge keeps the ID of the larger predecessor (the
other is marked merged into it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import duckdb

from shujian.entity import linker as lk
from shujian.entity.cluster import apply_decisions, connected_components, edges_sql, enforce_rejections
from shujian.entity.prepare import PersonSource, prepare_persons

SCORE_FLOOR = 0.3        # pairs below this are not kept at all
# EM, u sampling and the prior are estimated on a uniform random sample of this many prepared
# records; the trained model then scores every record.  A uniform record sample keeps the prior
# (the chance that two random records are one person: matching pairs and all pairs both shrink with
# the square of the sampling rate) and the u probabilities; EM runs on every sampled record (at 10⁶
# records that is 2–3 % of the blocked pairs, more than 30 % of a 100k set gives).  Term
# frequencies (王伟 weaker than 欧阳震华) are computed over all records when scoring.
TRAIN_SAMPLE = 150_000


@dataclass
class LinkRun:
    """What one run did, with timings in seconds per stage."""

    records: int = 0
    pairs: int = 0
    linked: int = 0
    review: int = 0
    subjects: int = 0
    new_subjects: int = 0
    kept_subjects: int = 0
    merged_subjects: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    model: dict | None = None


def _labels_case(comp: dict) -> str:
    levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
    col = comp["output_column_name"]
    whens = " ".join(f"WHEN {len(levels) - 1 - i} THEN '{lv['label_for_charts']}'" for i, lv in enumerate(levels))
    return f"CASE gamma_{col} WHEN -1 THEN '缺失' {whens} END"


def compared_sql() -> str:
    """SQL text of a scored pair's comparison levels: '身份证号:缺失;姓名:相同;出生日期:日月颠倒;…'."""
    parts = [f"'{lk.COMPARED[c['output_column_name']]}:' || {_labels_case(c)}" for c in lk.comparisons()]
    return "concat_ws(';', " + ", ".join(parts) + ")"


def _timed(run: LinkRun, stage: str, t0: float) -> float:
    now = time.perf_counter()
    run.seconds[stage] = round(now - t0, 2)
    return now


def link(con: duckdb.DuckDBPyConnection, sources: list[PersonSource], *, model: dict | None = None,
         decisions: str | None = None, review: float = lk.REVIEW, certain: float = lk.CERTAIN,
         u_pairs: float = 1e6, train_sample: int = TRAIN_SAMPLE) -> LinkRun:
    """Link the person records of ``sources`` on ``con``.  Leaves er_person_input, er_pairs (scored,
    ≥ SCORE_FLOOR, with ``compared``), er_edges and er_clusters (+ ``confidence``) on ``con``."""
    run, t = LinkRun(), time.perf_counter()
    run.records = prepare_persons(con, sources)
    t = _timed(run, "prepare", t)
    if model is None:
        model = train_model(con, u_pairs=u_pairs, sample=train_sample)
        t = _timed(run, "train", t)
    linker = lk.make_linker(con, "er_person_input", model)
    scored = lk.predict(linker, SCORE_FLOOR)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE er_pairs AS
        SELECT p.unique_id_l, p.unique_id_r, p.match_probability, p.match_weight,
               {compared_sql()} AS compared,
               {band_sql('p.match_probability', review, certain)} AS band
        FROM {scored} p""")
    run.model = linker.misc.save_model_to_json()
    t = _timed(run, "predict", t)
    cluster_pairs(con, review, decisions)
    _timed(run, "cluster", t)
    counts = con.execute("""SELECT count(*), count(*) FILTER (WHERE band = 'linked'),
                                   count(*) FILTER (WHERE band = 'review') FROM er_pairs""").fetchall()[0]
    run.pairs, run.linked, run.review = counts
    _drop_splink_tables(con)
    return run


def train_model(con: duckdb.DuckDBPyConnection, *, u_pairs: float = 1e6, sample: int = TRAIN_SAMPLE,
                table: str = "er_person_input") -> dict:
    """Train the person model (prior, u, m by EM) on ``table``, or on a uniform random sample of
    ``sample`` of its rows when it is larger (seeded: the same data gives the same model)."""
    n = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    source, em_sample = table, min(0.3, 200_000 / max(n, 1))
    if n > sample:    # EM on every record of the sample: its blocked pairs shrink with the square of the rate
        source, em_sample = "er_train_sample", 1.0
        con.execute(f"""CREATE OR REPLACE TABLE {source} AS SELECT * FROM {table}
                        USING SAMPLE reservoir({int(sample)} ROWS) REPEATABLE (7)""")
    linker = lk.make_linker(con, source, None)
    lk.train(linker, u_pairs=u_pairs, em_sample=em_sample)
    model = linker.misc.save_model_to_json()
    if source != table:
        con.execute(f"DROP TABLE {source}")
    return model


def band_sql(probability: str, review: float, certain: float) -> str:
    """SQL (DuckDB and Spark) of a scored pair's band: 'linked' (≥ ``certain``), 'review' or 'below'."""
    return (f"CASE WHEN {probability} >= {float(certain)} THEN 'linked' "
            f"WHEN {probability} >= {float(review)} THEN 'review' ELSE 'below' END")


def cluster_pairs(con, review: float, decisions) -> None:
    """``er_pairs`` → clusters (``er_edges`` over ``er_person_input``, review decisions honoured) and each
    record's strongest link into its cluster: its confidence and the comparison behind it (``er_confidence``)."""
    if decisions is not None:
        apply_decisions(con, "er_pairs", "er_person_input", decisions)
    con.execute(f"CREATE OR REPLACE TEMP TABLE er_edges AS {edges_sql('er_pairs', review)}")
    connected_components(con, "er_person_input", "er_edges")
    if decisions is not None:
        enforce_rejections(con, "er_clusters", "er_edges", "er_decided")   # 不同人 holds through third records
    con.execute("""CREATE OR REPLACE TEMP TABLE er_confidence AS
        WITH e AS (SELECT e.unique_id_l, e.unique_id_r, e.probability, p.compared FROM er_edges e
                   LEFT JOIN er_pairs p ON p.unique_id_l = e.unique_id_l AND p.unique_id_r = e.unique_id_r)
        SELECT u AS unique_id, max(probability) AS confidence, arg_max(compared, probability) AS basis FROM (
            SELECT unique_id_l AS u, probability, compared FROM e
            UNION ALL SELECT unique_id_r, probability, compared FROM e) GROUP BY u""")


def _drop_splink_tables(con: duckdb.DuckDBPyConnection) -> None:
    names = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '\\_\\_splink%' ESCAPE '\\'").fetchall()]
    for name in names:
        con.execute(f'DROP TABLE IF EXISTS "{name}"')


def assign_subject_ids(con: duckdb.DuckDBPyConnection, *, old_members: str | None, next_number: int,
                       prefix: str = "P") -> dict[str, int]:
    """Give every cluster of er_clusters a subject ID → er_assigned(cluster_id, subject_id, inherited).

    ``old_members``(subject_id, fingerprint) are the previous run's members; ``next_number`` is the
    first number free for new IDs (``P00000001``…).  Also leaves er_merged(subject_id, merged_into).
    """
    if old_members is None:
        con.execute("CREATE OR REPLACE TEMP TABLE er_old AS SELECT NULL::VARCHAR AS subject_id, "
                    "NULL::VARCHAR AS fingerprint WHERE FALSE")
    else:
        con.execute(f"CREATE OR REPLACE TEMP TABLE er_old AS SELECT subject_id, fingerprint FROM {old_members}")
    con.execute("""CREATE OR REPLACE TEMP TABLE er_overlap AS
        SELECT c.cluster_id, o.subject_id, count(*) AS n
        FROM er_clusters c JOIN er_person_input p USING (unique_id)
        JOIN er_old o ON o.fingerprint = p.fingerprint GROUP BY ALL""")
    con.execute("""CREATE OR REPLACE TEMP TABLE er_heir AS
        SELECT cluster_id, subject_id FROM (
            SELECT *, row_number() OVER (PARTITION BY cluster_id ORDER BY n DESC, subject_id) AS rk
            FROM (SELECT *, row_number() OVER (PARTITION BY subject_id ORDER BY n DESC, cluster_id) AS sk
                  FROM er_overlap) WHERE sk = 1) WHERE rk = 1""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE er_assigned AS
        WITH cl AS (SELECT DISTINCT cluster_id FROM er_clusters),
        fresh AS (SELECT cluster_id, row_number() OVER (ORDER BY cluster_id) - 1 AS k
                  FROM cl ANTI JOIN er_heir USING (cluster_id))
        SELECT cluster_id, subject_id, TRUE AS inherited FROM er_heir
        UNION ALL
        SELECT cluster_id, '{prefix}' || lpad(CAST({int(next_number)} + k AS VARCHAR), 8, '0'), FALSE FROM fresh""")
    con.execute("""CREATE OR REPLACE TEMP TABLE er_merged AS
        SELECT o.subject_id, a.subject_id AS merged_into FROM (
            SELECT subject_id, cluster_id, row_number() OVER (PARTITION BY subject_id ORDER BY n DESC,
                   cluster_id) AS sk FROM er_overlap) o
        JOIN er_assigned a USING (cluster_id)
        WHERE o.sk = 1 AND o.subject_id NOT IN (SELECT subject_id FROM er_heir)""")
    row = con.execute("""SELECT count(*), count(*) FILTER (WHERE inherited),
                                (SELECT count(*) FROM er_merged) FROM er_assigned""").fetchall()[0]
    return {"subjects": row[0], "kept": row[1], "new": row[0] - row[1], "merged": row[2]}


def member_rows_sql(run_id: int, kind: str = "person") -> str:
    """The members of this run as rows for er_members (reads er_* temp tables of ``link``)."""
    return f"""SELECT a.subject_id, '{kind}' AS kind, p.source_ref, p.source_name, p.source_row,
                      p.fingerprint, coalesce(c.confidence, 1.0) AS confidence, p.name_n, p.id18, p.dob,
                      p.sex, p.phone, p.division, p.address_n, {int(run_id)} AS run_id,
                      CASE WHEN c.basis IS NULL THEN '单独成主体' ELSE c.basis END AS basis
               FROM er_records p JOIN er_person_input rep USING (fingerprint)
               JOIN er_clusters k ON k.unique_id = rep.unique_id
               JOIN er_assigned a USING (cluster_id) LEFT JOIN er_confidence c ON c.unique_id = rep.unique_id"""


def pair_rows_sql(run_id: int, kind: str = "person") -> str:
    """Scored pairs at or above the review threshold as rows for er_pairs, with both sides' subjects."""
    return f"""SELECT {int(run_id)} AS run_id, '{kind}' AS kind,
                      l.source_ref AS source_ref_l, l.source_row AS source_row_l, l.fingerprint AS fp_l,
                      r.source_ref AS source_ref_r, r.source_row AS source_row_r, r.fingerprint AS fp_r,
                      s.match_probability AS probability, s.band, s.compared,
                      al.subject_id AS subject_l, ar.subject_id AS subject_r
               FROM er_pairs s
               JOIN er_person_input l ON l.unique_id = s.unique_id_l
               JOIN er_person_input r ON r.unique_id = s.unique_id_r
               JOIN er_clusters kl ON kl.unique_id = l.unique_id JOIN er_assigned al ON al.cluster_id = kl.cluster_id
               JOIN er_clusters kr ON kr.unique_id = r.unique_id JOIN er_assigned ar ON ar.cluster_id = kr.cluster_id
               WHERE s.band <> 'below'"""
