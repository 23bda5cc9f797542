"""Stable subject IDs: unchanged clusters keep theirs, a merge keeps the larger predecessor's, a split
keeps it on the larger part, new clusters get new numbers."""

from __future__ import annotations

import duckdb

from shujian.entity.pipeline import assign_subject_ids


def _setup(con, clusters: dict[int, list[str]], old: dict[str, list[str]]) -> None:
    rows = [(uid, fp, cid) for cid, fps in clusters.items() for uid, fp in
            ((ord(fp) * 10 + i, fp) for i, fp in enumerate(fps))]
    con.execute("CREATE TEMP TABLE er_person_input (unique_id BIGINT, fingerprint VARCHAR)")
    con.execute("CREATE TEMP TABLE er_clusters (unique_id BIGINT, cluster_id BIGINT)")
    con.executemany("INSERT INTO er_person_input VALUES (?, ?)", [(u, f) for u, f, _ in rows])
    con.executemany("INSERT INTO er_clusters VALUES (?, ?)", [(u, c) for u, _, c in rows])
    con.execute("CREATE TEMP TABLE old (subject_id VARCHAR, fingerprint VARCHAR)")
    con.executemany("INSERT INTO old VALUES (?, ?)", [(s, f) for s, fps in old.items() for f in fps])


def test_merge_split_keep_and_new():
    con = duckdb.connect()
    _setup(con, {1: ["a", "b", "c"], 2: ["d", "e"], 3: ["f"], 4: ["g"], 5: ["h"]},
           {"P00000001": ["a", "b"], "P00000002": ["c"], "P00000003": ["d", "e", "f"], "P00000004": ["h"]})
    counts = assign_subject_ids(con, old_members="old", next_number=5)
    ids = dict(con.execute("SELECT cluster_id, subject_id FROM er_assigned").fetchall())
    assert ids[1] == "P00000001"                     # merge: the larger predecessor's ID
    assert ids[2] == "P00000003" and ids[3] == "P00000005"   # split: the larger part keeps it
    assert ids[5] == "P00000004"                     # unchanged
    assert ids[4] == "P00000006"                     # new cluster, new number
    assert dict(con.execute("SELECT subject_id, merged_into FROM er_merged").fetchall()) == {"P00000002": "P00000001"}
    assert counts == {"subjects": 5, "kept": 3, "new": 2, "merged": 1}
