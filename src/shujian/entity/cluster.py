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


def edges_with_decisions(con: duckdb.DuckDBPyConnection, pairs: str, nodes: str, threshold: float,
                         decisions: str | None, out: str = "er_edges") -> None:
    """``out``(unique_id_l, unique_id_r, probability, decided): model pairs ≥ ``threshold`` minus
    不同人 decisions, plus 同一人 decisions.  ``decisions`` is a relation (fp_l, fp_r, same BOOLEAN)
    keyed by record fingerprints, matched in either order."""
    if decisions is None:
        con.execute(f"""CREATE OR REPLACE TEMP TABLE {out} AS
            SELECT unique_id_l, unique_id_r, match_probability AS probability, NULL::BOOLEAN AS decided
            FROM {pairs} WHERE match_probability >= {float(threshold)}""")
        return
    con.execute(f"""CREATE OR REPLACE TEMP TABLE er_decided AS
        SELECT a.unique_id AS ua, b.unique_id AS ub, d.same
        FROM {decisions} d JOIN {nodes} a ON a.fingerprint = d.fp_l JOIN {nodes} b ON b.fingerprint = d.fp_r
        WHERE a.unique_id <> b.unique_id""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {out} AS
        SELECT p.unique_id_l, p.unique_id_r, p.match_probability AS probability, NULL::BOOLEAN AS decided
        FROM {pairs} p
        WHERE p.match_probability >= {float(threshold)}
          AND NOT EXISTS (SELECT 1 FROM er_decided d WHERE NOT d.same
                          AND ((d.ua = p.unique_id_l AND d.ub = p.unique_id_r)
                               OR (d.ua = p.unique_id_r AND d.ub = p.unique_id_l)))
        UNION ALL
        SELECT least(ua, ub), greatest(ua, ub), 1.0, TRUE FROM er_decided WHERE same""")


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
