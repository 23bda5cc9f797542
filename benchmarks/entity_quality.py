"""Quality of a person linkage against the synthetic truth, over every record (shared by bench_entity*.py).

Linking compares one representative per fingerprint (records with the same ID and fields are compared
once, ``entity.prepare``); scores count every record: a record inherits its representative's cluster
and edges, and records sharing a representative are linked to each other.

Tables on the connection: ``truth``(unique_id, person_id) over every record and ``rep``(unique_id,
rep_id) mapping every record to its representative.
"""

from __future__ import annotations

import duckdb

from shujian.entity.cluster import connected_components, quality


def truth_from_prepared(con: duckdb.DuckDBPyConnection, pop: str = "pop") -> None:
    """``truth`` and ``rep`` from the tables ``entity.prepare`` leaves (er_records, er_person_input)
    and the synthetic population ``pop`` (person_id per _row_id)."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE truth AS
        SELECT r.unique_id, q.person_id FROM er_records r JOIN {pop} q ON q._row_id = r.source_row""")
    con.execute("""CREATE OR REPLACE TEMP TABLE rep AS
        SELECT r.unique_id, p.unique_id AS rep_id FROM er_records r JOIN er_person_input p USING (fingerprint)""")


def expand(con: duckdb.DuckDBPyConnection, clusters: str, edges: str | None) -> tuple[str, str | None]:
    """Clusters and edges of representatives expanded to every record (identical records are linked)."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {clusters}_r AS
        SELECT rep.unique_id, c.cluster_id FROM rep JOIN {clusters} c ON c.unique_id = rep.rep_id""")
    if edges is None:
        return f"{clusters}_r", None
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {edges}_r AS
        SELECT a.unique_id AS unique_id_l, b.unique_id AS unique_id_r FROM {edges} e
        JOIN rep a ON a.rep_id = e.unique_id_l JOIN rep b ON b.rep_id = e.unique_id_r
        UNION ALL
        SELECT a.unique_id, b.unique_id FROM rep a JOIN rep b ON a.rep_id = b.rep_id AND a.unique_id < b.unique_id""")
    return f"{clusters}_r", f"{edges}_r"


def at_threshold(con: duckdb.DuckDBPyConnection, pairs: str, threshold: float, *,
                 nodes: str = "rep_nodes", clusters: str | None = None) -> dict:
    """Pairwise and cluster quality of the scored ``pairs``(unique_id_l, unique_id_r, match_probability) at
    ``threshold``.  Clusters are the connected components of those edges over ``nodes``(unique_id), or
    the given ``clusters``(unique_id, cluster_id) of representatives (e.g. computed on Spark)."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE th_edges AS SELECT unique_id_l, unique_id_r
                    FROM {pairs} WHERE match_probability >= {float(threshold)}""")
    if clusters is None:
        if nodes == "rep_nodes":
            con.execute("CREATE OR REPLACE TEMP TABLE rep_nodes AS SELECT DISTINCT rep_id AS unique_id FROM rep")
        connected_components(con, nodes, "th_edges", out="th_clusters")
        clusters = "th_clusters"
    clusters_r, edges_r = expand(con, clusters, "th_edges")
    return quality(con, "truth", clusters_r, edges_r).as_dict()
