"""Clusters from scored pairs (connected components in DuckDB) and their quality against a truth.

Human decisions win over the model: a pair decided 不同人 is never an edge, a pair decided 同一人
always is (probability 1).  Components are found by min-label propagation, which converges in as
many rounds as the longest chain in a cluster (a handful for person clusters).  A 不同人 pair can still
end up in one component through third records (A–C and C–B linked): such a component is split again
(``split_rejected``), so a reviewer's 不同人 holds for the subject IDs too, not only for the one pair.
"""

from __future__ import annotations

from collections.abc import Iterable
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


def split_rejected(edges: Iterable[tuple], rejected: Iterable[tuple]) -> dict:
    """Clusters again the components that hold a pair decided 不同人 → {unique_id: cluster_id}.

    ``edges`` (l, r, probability, decided) are the edges of those components only, ``rejected`` (l, r)
    their 不同人 pairs.  Edges are taken strongest first — confirmed (同一人) ones, then by probability —
    and an edge is left out when it would put two records a reviewer called 不同人 into one cluster
    (Kruskal's order with cannot-link constraints: the weakest link of a chain is the one cut).  Two
    同一人 decisions that chain into a 不同人 one contradict each other; the later edge in that order is
    cut, and the records stay apart.  cluster_id is the smallest unique_id of the new cluster, as in
    ``connected_components``.  Pure Python over a few records per component: one definition for the
    DuckDB and the Spark path."""
    parent: dict = {}
    members: dict = {}
    cannot: dict = {}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def add(x) -> None:
        if x not in parent:
            parent[x], members[x], cannot[x] = x, {x}, set()

    for a, b in rejected:
        add(a)
        add(b)
        cannot[a].add(b)
        cannot[b].add(a)
    order = sorted(edges, key=lambda e: (not e[3], -round(float(e[2]), 9), e[0], e[1]))
    for a, b, _prob, _decided in order:
        add(a)
        add(b)
        ra, rb = find(a), find(b)
        if ra == rb or cannot[ra] & members[rb]:
            continue
        if len(members[ra]) < len(members[rb]):
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra] |= members.pop(rb)
        cannot[ra] |= cannot.pop(rb)
    return {x: min(members[find(x)]) for x in parent}


def conflicts_sql(clusters: str, decided: str) -> str:
    """The clusters of ``clusters``(unique_id, cluster_id) that hold a pair of ``decided`` (l, r, same)
    decided 不同人.  Plain SQL for DuckDB and Spark SQL."""
    return f"""SELECT DISTINCT a.cluster_id FROM {decided} d
        JOIN {clusters} a ON a.unique_id = d.l JOIN {clusters} b ON b.unique_id = d.r
        WHERE NOT d.same AND a.cluster_id = b.cluster_id"""


def conflict_edges_sql(edges: str, clusters: str, conflicts: str) -> str:
    """The ``edges`` inside the ``conflicts`` clusters as (l, r, probability, decided)."""
    return f"""SELECT e.unique_id_l, e.unique_id_r, e.probability, e.decided FROM {edges} e
        JOIN {clusters} c ON c.unique_id = e.unique_id_l WHERE c.cluster_id IN (SELECT cluster_id FROM {conflicts})"""


def conflict_rejections_sql(decided: str, clusters: str) -> str:
    """The 不同人 pairs (l, r) of ``decided`` whose records are in one cluster of ``clusters`` (a pair
    across two clusters is kept apart already, and its records must not be re-clustered)."""
    return f"""SELECT d.l, d.r FROM {decided} d
        JOIN {clusters} a ON a.unique_id = d.l JOIN {clusters} b ON b.unique_id = d.r
        WHERE NOT d.same AND a.cluster_id = b.cluster_id"""


def enforce_rejections(con: duckdb.DuckDBPyConnection, clusters: str = "er_clusters", edges: str = "er_edges",
                       decided: str = "er_decided") -> int:
    """Split the DuckDB ``clusters`` that hold a 不同人 pair of ``decided`` (``split_rejected``) and drop
    the ``edges`` that now run between clusters; returns how many clusters were split."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE er_conflicts AS {conflicts_sql(clusters, decided)}")
    n = _fetch1(con, "SELECT count(*) FROM er_conflicts")[0]
    if n:
        mapping = split_rejected(con.execute(conflict_edges_sql(edges, clusters, "er_conflicts")).fetchall(),
                                 con.execute(conflict_rejections_sql(decided, clusters)).fetchall())
        con.execute(f"CREATE OR REPLACE TEMP TABLE er_split AS SELECT unique_id, cluster_id FROM {clusters} LIMIT 0")
        con.executemany("INSERT INTO er_split VALUES (?, ?)", list(mapping.items()))
        con.execute(f"""UPDATE {clusters} SET cluster_id = s.cluster_id FROM er_split s
                        WHERE {clusters}.unique_id = s.unique_id""")
        con.execute(f"""DELETE FROM {edges} USING er_split a, er_split b WHERE {edges}.unique_id_l = a.unique_id
                        AND {edges}.unique_id_r = b.unique_id AND a.cluster_id <> b.cluster_id""")
        con.execute("DROP TABLE er_split")
    con.execute("DROP TABLE er_conflicts")
    return int(n)


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
