"""``cluster.split_rejected``: a 不同人 decision holds through third records (pure function)."""

from __future__ import annotations

from collections import defaultdict

from shujian.entity.cluster import split_rejected


def _groups(mapping: dict) -> set[frozenset]:
    g = defaultdict(set)
    for uid, cid in mapping.items():
        g[cid].add(uid)
    return {frozenset(v) for v in g.values()}


def test_the_weakest_link_of_the_chain_is_cut():
    # 1–3 strong, 3–2 weaker, 1–2 rejected: 3 stays with 1
    m = split_rejected([(1, 3, 0.99, False), (2, 3, 0.85, False)], [(1, 2)])
    assert _groups(m) == {frozenset({1, 3}), frozenset({2})}
    assert m[3] == m[1] == 1 and m[2] == 2


def test_a_confirmed_edge_wins_over_a_stronger_model_edge():
    m = split_rejected([(1, 3, 0.99, False), (2, 3, 1.0, True)], [(1, 2)])
    assert _groups(m) == {frozenset({2, 3}), frozenset({1})}


def test_contradicting_confirmations_keep_the_rejected_pair_apart():
    # 同一人 1–3 and 3–2, 不同人 1–2: the later confirmed edge in the order is cut
    m = split_rejected([(1, 3, 1.0, True), (2, 3, 1.0, True)], [(1, 2)])
    assert m[1] != m[2]
    assert len(_groups(m)) == 2


def test_records_not_in_conflict_keep_their_cluster_and_ids_are_the_smallest_member():
    edges = [(10, 11, 0.95, False), (11, 12, 0.9, False), (12, 13, 0.97, False), (13, 14, 0.8, False)]
    m = split_rejected(edges, [(10, 14)])
    groups = _groups(m)
    assert not any({10, 14} <= g for g in groups)
    assert sum(len(g) for g in groups) == 5
    for g in groups:
        assert all(m[x] == min(g) for x in g)
    # only the weakest edge (13–14, 0.8) had to go
    assert groups == {frozenset({10, 11, 12, 13}), frozenset({14})}


def test_order_of_the_input_does_not_change_the_result():
    edges = [(1, 2, 0.9, False), (2, 3, 0.9, False), (3, 4, 0.9, False), (4, 5, 0.95, False)]
    a = split_rejected(edges, [(1, 5)])
    b = split_rejected(list(reversed(edges)), [(5, 1)])
    assert a == b


def test_a_rejection_across_two_clusters_leaves_the_other_cluster_whole():
    """Cluster {1,2,3} holds the rejected pair 1–2; 1–5 is also rejected but 5 is in cluster {4,5}:
    only {1,2,3} is re-clustered, 5 stays with 4 (the old SQL handed 5 to the split and cut it off)."""
    import duckdb

    from shujian.entity.cluster import enforce_rejections

    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE er_clusters AS SELECT * FROM (VALUES (1, 1), (2, 1), (3, 1), (4, 4), (5, 4)) "
                "t(unique_id, cluster_id)")
    con.execute("CREATE TEMP TABLE er_edges AS SELECT * FROM (VALUES (1, 3, 0.99, false), (2, 3, 0.85, false), "
                "(4, 5, 0.95, false)) t(unique_id_l, unique_id_r, probability, decided)")
    con.execute("CREATE TEMP TABLE er_decided AS SELECT * FROM (VALUES (1, 2, false), (1, 5, false)) t(l, r, same)")
    assert enforce_rejections(con) == 1
    got = dict(con.execute("SELECT unique_id, cluster_id FROM er_clusters").fetchall())
    assert got == {1: 1, 2: 2, 3: 1, 4: 4, 5: 4}
    assert sorted(con.execute("SELECT unique_id_l, unique_id_r FROM er_edges").fetchall()) == [(1, 3), (4, 5)]
