"""The components step against a plain union-find on random co-offending graphs (run in DuckDB)."""

from __future__ import annotations

import random

import duckdb
import pytest

from shujian.catalog.schema import CatalogSchema, ColumnSchema, DatasetSchema
from shujian.compiler import compile_model
from shujian.spec import load_model


def _union_find(pairs: list[tuple[str | None, str | None]]) -> dict[str, str]:
    """node → smallest node of its component; nodes without a non-null event are absent."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first: dict[str, str] = {}
    for node, event in pairs:
        if node is None or event is None:
            continue
        parent.setdefault(node, node)
        other = first.setdefault(event, node)
        a, b = find(node), find(other)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return {n: find(n) for n in parent}


def _run(pairs: list[tuple[str | None, str | None]], rounds: int) -> dict[str, str]:
    con = duckdb.connect()
    con.execute("CREATE TABLE ds_g (_row_id BIGINT, ev VARCHAR, node VARCHAR)")
    con.executemany("INSERT INTO ds_g VALUES (?, ?, ?)", [(i, e, n) for i, (n, e) in enumerate(pairs, 1)])
    cat = CatalogSchema()
    cat.add(DatasetSchema("图", "ds_g", (ColumnSchema("ev"), ColumnSchema("node"))))
    spec = load_model({"id": "c", "name": "图", "line": "x", "point": "x",
                       "inputs": {"e": {"dataset": "图", "fields": {"ev": "ev", "node": "node"}}},
                       "steps": [{"id": "g", "components": {"node": "node", "event": "ev",
                                                            "max_iterations": rounds}}],
                       "output": {"subject": {"type": "case", "key": "component"}, "title": "{component}"}})
    rows = con.execute(compile_model(spec, cat, "duckdb").sql).fetchall()
    con.close()
    assert len({r[0] for r in rows}) == len(rows)           # one row per node
    return {r[0]: r[1] for r in rows}


def _random_graph(rng: random.Random, nodes: int, events: int) -> list[tuple[str | None, str | None]]:
    pairs = []
    for e in range(events):
        size = rng.choice([1, 1, 2, 2, 3, 4, 6])
        pairs += [(f"N{rng.randrange(nodes):04d}", f"E{e}") for _ in range(size)]
    pairs += [(None, "E0"), ("N9999", None), (f"N{rng.randrange(nodes):04d}", None)]
    return pairs + pairs[:5]                                 # duplicate rows change nothing


@pytest.mark.parametrize("seed", range(6))
def test_components_equal_union_find_on_random_graphs(seed: int) -> None:
    rng = random.Random(seed)
    pairs = _random_graph(rng, nodes=rng.choice([30, 120, 400]), events=rng.choice([20, 150, 300]))
    assert _run(pairs, rounds=12) == _union_find(pairs)


def test_components_chain_of_bridges_and_leaves() -> None:
    # a 300-event chain; every event also has a leaf, and the smallest node of all is a leaf
    pairs = []
    for k in range(300):
        pairs += [(f"B{k:03d}", f"E{k}"), (f"B{k + 1:03d}", f"E{k}"), (f"L{k:03d}", f"E{k}")]
    pairs.append(("A000", "E0"))
    found = _run(pairs, rounds=12)
    assert set(found.values()) == {"A000"} and found == _union_find(pairs)


def _unpruned_rounds(pairs: list[tuple[str | None, str | None]], rounds: int) -> dict[str, str]:
    """The rounds over every core event (the step before the link-event pruning), in Python: the
    pruned rounds must give the same labels round for round, converged or not."""
    nodes_of: dict[str, set[str]] = {}
    events_of: dict[str, set[str]] = {}
    for node, event in pairs:
        if node is not None and event is not None:
            nodes_of.setdefault(event, set()).add(node)
            events_of.setdefault(node, set()).add(event)
    bridges = {n for n, evs in events_of.items() if len(evs) >= 2}
    core = {e for e, ns in nodes_of.items() if ns & bridges}
    seed = {e: min(nodes_of[e]) for e in core}
    label = {b: min(seed[e] for e in events_of[b]) for b in bridges}
    for _ in range(rounds):
        ev = {e: min(label[b] for b in nodes_of[e] & bridges) for e in core}
        spread = {b: min(ev[e] for e in events_of[b]) for b in bridges}
        label = {b: min(spread[b], spread.get(spread[b], spread[b])) for b in bridges}
    final = {e: min(seed[e], min(label[b] for b in nodes_of[e] & bridges)) for e in core}
    out = {b: min(final[e] for e in events_of[b]) for b in bridges}
    for n, evs in events_of.items():
        if n not in bridges:
            (e,) = evs
            out[n] = final[e] if e in core else min(nodes_of[e])
    return out


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("rounds", [1, 2, 3, 5])
def test_too_few_rounds_give_the_unpruned_rounds_labels(seed: int, rounds: int) -> None:
    # few rounds on long chains: not converged, so the labels depend on exactly which pairs the rounds see
    rng = random.Random(100 + seed)
    pairs = _random_graph(rng, nodes=rng.choice([60, 200]), events=rng.choice([150, 300]))
    for k in range(40):
        pairs += [(f"C{k:03d}", f"K{k}"), (f"C{k + 1:03d}", f"K{k}"), (f"D{k:03d}", f"K{k // 3}")]
    found = _run(pairs, rounds=rounds)
    assert found == _unpruned_rounds(pairs, rounds)
    if rounds < 3:
        assert found != _union_find(pairs)          # the case is one the rounds have not converged on


def test_bridge_labels_come_from_the_link_events_and_event_labels_only_for_leaves() -> None:
    """No aggregate over every core pair after the rounds: the bridge nodes' labels are their last
    labels lowered through the link events (``__lnode``), and the final event labels are computed for
    the core events that have leaves only.  On the graph of repeaters alone (every node a bridge)
    there are no leaves, so nothing is aggregated per event after the rounds."""
    cat = CatalogSchema()
    cat.add(DatasetSchema("图", "ds_g", (ColumnSchema("ev"), ColumnSchema("node"))))
    spec = load_model({"id": "c", "name": "图", "line": "x", "point": "x",
                       "inputs": {"e": {"dataset": "图", "fields": {"ev": "ev", "node": "node"}}},
                       "steps": [{"id": "g", "components": {"node": "node", "event": "ev", "max_iterations": 3}}],
                       "output": {"subject": {"type": "case", "key": "component"}, "title": "{component}"}})
    sql = compile_model(spec, cat, "duckdb").sql
    assert "__ievlast" not in sql and "s_g__lnode AS (" in sql
    evfinal = sql[sql.index("s_g__evfinal AS ("):]
    evfinal = evfinal[:evfinal.index("), s_g__")]
    assert "FROM s_g__leaves" in evfinal and "s_g__cseed" not in evfinal
    # every node in two events: a chain A-B-C-D over events, no leaves; labels still the union-find's
    pairs = [("A", "E1"), ("B", "E1"), ("B", "E2"), ("C", "E2"), ("C", "E3"), ("D", "E3"), ("A", "E0"),
             ("D", "E4"), ("X", "F1"), ("Y", "F1"), ("X", "F2"), ("Y", "F2")]
    assert _run(pairs, rounds=3) == _union_find(pairs)
