"""Clusters from scored pairs (connected components in DuckDB) and their quality against a truth.

Human decisions win over the model: a pair decided 不同人 is never an edge, a pair decided 同一人
always is (probability 1).  Components are found by min-label propagation, which converges in as
many rounds as the longest chain in a cluster (a handful for person clusters).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import duckdb


def _fetch1(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchall()[0]


def decided_sql(decisions: str, nodes: str) -> str:
    """The review decisions ``decisions``(fp_l, fp_r, same BOOLEAN), keyed by record fingerprints in
    either order, as pairs of ``nodes``' unique IDs (l < r, same).  Plain SQL that DuckDB and Spark SQL
    both run: the one definition of which records a decision is about."""
    return f"""SELECT least(a.unique_id, b.unique_id) AS l, greatest(a.unique_id, b.unique_id) AS r, d.same
        FROM {decisions} d JOIN {nodes} a ON a.fingerprint = d.fp_l JOIN {nodes} b ON b.fingerprint = d.fp_r
        WHERE a.unique_id <> b.unique_id"""


def decide_pairs_sql(pairs: str, decided: str) -> str:
    """Scored ``pairs``(unique_id_l, unique_id_r, match_probability, match_weight, compared, band) with
    the ``decided`` pairs (``decided_sql``) applied — human decisions win over the model: 不同人 → band
    'rejected'; 同一人 → band 'confirmed', probability 1, and added when the model did not score the
    pair.  Plain SQL for DuckDB and Spark SQL (the one definition of how decisions apply)."""
    return f"""SELECT p.unique_id_l, p.unique_id_r,
               CASE WHEN d.same THEN 1.0 ELSE p.match_probability END AS match_probability, p.match_weight,
               CASE WHEN d.same IS NULL THEN p.compared WHEN d.same THEN '人工核对：同一人；' || p.compared
                    ELSE '人工核对：不同人；' || p.compared END AS compared,
               CASE WHEN d.same IS NULL THEN p.band WHEN d.same THEN 'confirmed' ELSE 'rejected' END AS band
        FROM {pairs} p LEFT JOIN {decided} d
          ON d.l = least(p.unique_id_l, p.unique_id_r) AND d.r = greatest(p.unique_id_l, p.unique_id_r)
        UNION ALL
        SELECT d.l, d.r, 1.0, NULL, '人工核对：同一人', 'confirmed' FROM {decided} d
        WHERE d.same AND NOT EXISTS (SELECT 1 FROM {pairs} p WHERE least(p.unique_id_l, p.unique_id_r) = d.l
                                     AND greatest(p.unique_id_l, p.unique_id_r) = d.r)"""


def edges_sql(pairs: str, threshold: float) -> str:
    """The clustering edges(unique_id_l, unique_id_r, probability, decided) of ``pairs`` (decisions
    applied by ``decide_pairs_sql``): pairs at or above ``threshold`` that no reviewer rejected — a
    confirmed pair has probability 1, so it is always an edge.  Plain SQL for DuckDB and Spark SQL."""
    return f"""SELECT unique_id_l, unique_id_r, match_probability AS probability, band = 'confirmed' AS decided
        FROM {pairs} WHERE match_probability >= {float(threshold)} AND band <> 'rejected'"""


def apply_decisions(con: duckdb.DuckDBPyConnection, pairs: str, nodes: str, decisions: str) -> None:
    """Rewrite the DuckDB table ``pairs`` with the review ``decisions`` applied (``decide_pairs_sql``)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE er_decided AS {decided_sql(decisions, nodes)}")
    if not _fetch1(con, "SELECT count(*) FROM er_decided")[0]:
        return                      # no decision about these records: the pairs stay as scored
    con.execute(f"CREATE OR REPLACE TEMP TABLE er_pairs_decided AS {decide_pairs_sql(pairs, 'er_decided')}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {pairs} AS SELECT * FROM er_pairs_decided")
    con.execute("DROP TABLE er_pairs_decided")


def connected_components(con: duckdb.DuckDBPyConnection, nodes: str, edges: str,
                         out: str = "er_clusters", max_rounds: int = 100) -> int:
    """``out``(unique_id, cluster_id): cluster_id = the smallest unique_id in the component."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE er_e AS
        SELECT unique_id_l AS a, unique_id_r AS b FROM {edges}
        UNION ALL SELECT unique_id_r, unique_id_l FROM {edges}""")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT unique_id, unique_id AS cluster_id FROM {nodes}")
    for rounds in range(1, max_rounds + 1):
        con.execute(f"""CREATE OR REPLACE TEMP TABLE er_next AS
            SELECT c.unique_id, least(c.cluster_id, coalesce(m.best, c.cluster_id)) AS cluster_id
            FROM {out} c LEFT JOIN (
                SELECT e.a, min(n.cluster_id) AS best FROM er_e e JOIN {out} n ON n.unique_id = e.b
                GROUP BY e.a) m ON m.a = c.unique_id""")
        changed = _fetch1(con, f"""SELECT count(*) FROM er_next x JOIN {out} c USING (unique_id)
                                   WHERE x.cluster_id <> c.cluster_id""")[0]
        con.execute(f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT * FROM er_next")
        if not changed:
            return rounds
    return max_rounds


@dataclass(frozen=True)
class Quality:
    """Pairwise (edges at the threshold) and cluster (all pairs inside predicted clusters) scores."""

    pair_precision: float
    pair_recall: float
    cluster_precision: float
    cluster_recall: float
    exact_clusters: float      # share of true persons whose records form exactly one predicted cluster
    true_pairs: int
    predicted_pairs: int

    def as_dict(self) -> dict:
        return asdict(self)


def _div(a: float, b: float) -> float:
    return round(a / b, 4) if b else 1.0


def quality(con: duckdb.DuckDBPyConnection, truth: str, clusters: str, edges: str | None) -> Quality:
    """Score ``clusters``(unique_id, cluster_id) and ``edges``(unique_id_l, unique_id_r) against
    ``truth``(unique_id, person_id)."""
    total = _fetch1(con, f"SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM "
                         f"(SELECT count(*) AS n FROM {truth} GROUP BY person_id)")[0]
    cp = _fetch1(con, f"""SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM
                          (SELECT count(*) AS n FROM {clusters} GROUP BY cluster_id)""")[0]
    ctp = _fetch1(con, f"""SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM
                           (SELECT count(*) AS n FROM {clusters} c JOIN {truth} t USING (unique_id)
                            GROUP BY c.cluster_id, t.person_id)""")[0]
    exact = _fetch1(con, f"""WITH j AS (SELECT t.person_id, c.cluster_id FROM {truth} t JOIN {clusters} c
                                        USING (unique_id)),
        per AS (SELECT person_id, count(DISTINCT cluster_id) AS k, any_value(cluster_id) AS cid
                FROM j GROUP BY person_id),
        csize AS (SELECT cluster_id, count(DISTINCT person_id) AS p FROM j GROUP BY cluster_id)
        SELECT avg(CASE WHEN per.k = 1 AND csize.p = 1 THEN 1.0 ELSE 0.0 END)
        FROM per JOIN csize ON csize.cluster_id = per.cid""")[0]
    if edges is not None:
        ep, etp = _fetch1(con, f"""SELECT count(*), count(*) FILTER (WHERE a.person_id = b.person_id)
            FROM (SELECT DISTINCT least(unique_id_l, unique_id_r) AS l, greatest(unique_id_l, unique_id_r) AS r
                  FROM {edges}) e
            JOIN {truth} a ON a.unique_id = e.l JOIN {truth} b ON b.unique_id = e.r""")
    else:
        ep, etp = cp, ctp
    return Quality(_div(etp, ep), _div(etp, total), _div(ctp, cp), _div(ctp, total),
                   round(float(exact or 0), 4), int(total), int(ep))
