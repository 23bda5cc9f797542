"""Connected components (串并案) as plain SQL: min-label propagation with pointer jumping.

Why not a recursive CTE: Spark SQL gained recursive CTEs only in 4.x and DuckDB's recursive CTE
keeps every intermediate row (a dense co-offending graph explodes).  Instead the step is unrolled
into ``max_iterations`` rounds.  Labels are node values, so the component id is the smallest node
of the component once converged; a component whose diameter needs more rounds than
``max_iterations`` may be split (raise the parameter for long chains).

The graph is kept bipartite (node–event pairs, one row per distinct pair) instead of being
projected onto node–node edges: an event with k nodes costs k rows, not k².  And only *bridge*
nodes — nodes in two or more events — take part in the rounds: a node in one event cannot link
two events, so its label is simply its event's label, read off once at the end.  Every event
starts with its smallest node as label (so leaves still name their component).  A round is
(1) every event takes the smallest label of its bridge nodes, (2) every bridge node the smallest
label of its events — together one node–node hop, as before — and (3) every bridge node jumps to
its label's label (pointer jumping).  Labels are always nodes of the node's own component and only
decrease, so once converged every node carries its component's smallest node.

Each round reads the previous round's labels through exactly two references (the jump's two
sides).  Spark inlines CTEs, so the plan of round k holds 2^k copies of round 0: a third reference
(e.g. a "hooking" step that lets roots take their children's labels, which converges faster on long
chains) makes the Spark plan explode, 6^12 instead of 2^12 nodes for 12 rounds.
"""

from __future__ import annotations

from sqlglot import exp

from shujian.compiler.conditions import column
from shujian.compiler.steps import Builder, Rel, _aggregated_evidence
from shujian.spec.model import Components


def _t(name: str, alias: str) -> exp.Expression:
    return exp.alias_(exp.to_table(name), alias, table=True)


def _min_by(src: str, key: str, other: str, via: str, on: str) -> exp.Select:
    """``key, MIN(v.label) AS label`` of ``src`` joined to the labels ``via`` (``on``: src column)."""
    return (exp.select(f"c.{key} AS {key}", "MIN(v.label) AS label").from_(_t(src, "c"))
            .join(_t(via, "v"), on=f"c.{on} = v.{other}").group_by(f"c.{key}"))


def _graph_ctes(b: Builder, sid: str, src: Rel, n: str, e: str) -> None:
    """``__pairs`` (distinct node–event pairs), ``__bridges`` (nodes of two or more events),
    ``__core`` (the pairs of bridge nodes) and ``__cseed`` (each core event's smallest node)."""
    pairs = (exp.select(exp.alias_(exp.column(n), "node"), exp.alias_(exp.column(e), "event"))
             .distinct().from_(src.cte)
             .where(exp.and_(exp.column(n).is_(exp.null()).not_(), exp.column(e).is_(exp.null()).not_())))
    b.add(f"{sid}__pairs", pairs)
    bridges = (exp.select("node").from_(f"{sid}__pairs").group_by("node")
               .having("COUNT(*) >= 2"))
    b.add(f"{sid}__bridges", bridges)
    b.add(f"{sid}__core", exp.select("p.node AS node", "p.event AS event").from_(_t(f"{sid}__pairs", "p"))
          .join(_t(f"{sid}__bridges", "k"), on="p.node = k.node"))
    # seed labels (each event's smallest node) only for the core events: no aggregate over every event.
    # The keys stay the node values: the rounds run on the link events alone (a few rows), so mapping
    # every bridge node and core event to an integer first (two sorts and four joins over the core)
    # cost more than the string keys it saved.
    cseed = (exp.select("p.event AS event", "MIN(p.node) AS label").from_(_t(f"{sid}__pairs", "p"))
             .where(exp.Exists(this=exp.select("1").from_(_t(f"{sid}__core", "c")).where("c.event = p.event")))
             .group_by("p.event"))
    b.add(f"{sid}__cseed", cseed)


def _rounds(b: Builder, sid: str, rounds: int) -> str:
    """Unrolled propagation over the bridge nodes; returns the CTE of the last labels.

    Only *link* events — core events with two or more bridge nodes — can carry a label from one
    bridge node to another; an event with one bridge node hands that node its own label back.  So
    every bridge node starts with the smallest seed of all its events (``__it0``) and the rounds run
    on the link events' pairs alone (``__ilink``; on the demo cities a few dozen of 10⁵ core pairs).
    The labels are exactly the unpruned rounds': a bridge node outside every link event keeps its
    start label (no round could change it), and no label of a link node is such a node, so the
    pointer jump finds the same labels (see tests/compiler/test_components.py)."""
    core = f"{sid}__core"
    start = b.add(f"{sid}__it0", _min_by(core, "node", "event", f"{sid}__cseed", "event"))
    links = (exp.select("c.node AS node", "c.event AS event").from_(_t(core, "c"))
             .where(exp.column("event", "c").isin(query=exp.select("event").from_(core).group_by("event")
                                                   .having("COUNT(*) >= 2"))))
    link = b.add(f"{sid}__ilink", links)
    prev = start
    for k in range(1, rounds + 1):
        b.add(f"{sid}__ev{k}", _min_by(link, "event", "node", prev, "node"))
        spread = b.add(f"{sid}__spread{k}", _min_by(link, "node", "event", f"{sid}__ev{k}", "event"))
        # a label may be a leaf (a node of one event only, absent from the rounds): keep it then
        jump = (exp.select("x.node AS node", "LEAST(x.label, COALESCE(y.label, x.label)) AS label")
                .from_(_t(spread, "x")).join(_t(spread, "y"), on="x.label = y.node", join_type="left"))
        prev = b.add(f"{sid}__it{k}", jump)
    # every bridge node: its last round's label, or its start label when it is in no link event
    return b.add(f"{sid}__itlast", exp.select("s.node AS node", "COALESCE(r.label, s.label) AS label")
                 .from_(_t(start, "s")).join(_t(prev, "r"), on="s.node = r.node", join_type="left"))


def _labels(b: Builder, sid: str, last: str) -> str:
    """Every node's label: the smallest final label among its events, where an event's final label
    is the smallest last label of its bridge nodes (and its smallest node if it has none).

    The labels only decrease round by round, and a bridge node starts with the smallest seed of its
    events, so its last label is never above the seed of any of its events: an event's seed adds
    nothing to the labels of its bridge nodes.  An event with one bridge node therefore hands that
    node its own last label back, and only *link* events (``__ilink``, a few rows) can give a bridge
    node a smaller one — so the bridge nodes' labels come from the link events alone, not from an
    aggregate over every core pair.  A leaf (a node of one event) takes its event's final label;
    that is computed only for the core events that have leaves (``__leaves``): none when the step's
    input holds bridge nodes only, as gang-repeat-offenders' repeaters do.
    """
    link = f"{sid}__ilink"
    b.add(f"{sid}__lev", _min_by(link, "event", "node", last, "node"))
    via_links = _min_by(link, "node", "event", f"{sid}__lev", "event")
    b.add(f"{sid}__lnode", via_links)
    bridges = (exp.select("s.node AS node", "COALESCE(l.label, s.label) AS label").from_(_t(last, "s"))
               .join(_t(f"{sid}__lnode", "l"), on="s.node = l.node", join_type="left"))
    b.add(f"{sid}__leaves", exp.select("p.node AS node", "p.event AS event").from_(_t(f"{sid}__pairs", "p"))
          .where(exp.not_(exp.Exists(this=exp.select("1").from_(_t(f"{sid}__bridges", "k"))
                                     .where("k.node = p.node")))))
    core_final = (exp.select("c.event AS event", "MIN(v.label) AS label").from_(_t(f"{sid}__core", "c"))
                  .join(_t(last, "v"), on="c.node = v.node")
                  .where(exp.column("event", "c").isin(query=exp.select("event").from_(f"{sid}__leaves")))
                  .group_by("c.event"))
    b.add(f"{sid}__evfinal", core_final)
    # a leaf of a core event takes the event's final label; the leaves of any other event are all
    # its nodes, so its label is their smallest node — a window, not a join with a per-event table
    leaves = (exp.select("p.node AS node", "COALESCE(f.label, MIN(p.node) OVER (PARTITION BY p.event)) AS label")
              .from_(_t(f"{sid}__leaves", "p"))
              .join(_t(f"{sid}__evfinal", "f"), on="p.event = f.event", join_type="left"))
    return b.add(f"{sid}__labels", exp.union(bridges, leaves, distinct=False))


def build_components(b: Builder, sid: str, c: Components, src: Rel, loc: str) -> Rel | None:
    """The ``components`` step: every node with its component label (the smallest node of it)."""
    scope = src.scope(f"步骤输入 {src.cte}")
    node = column(b.ctx, c.node, scope, f"{loc}.components.node")
    event = column(b.ctx, c.event, scope, f"{loc}.components.event")
    if node is None or event is None:
        return None
    if c.component in src.cols and c.component != c.node:
        b.ctx.problem(f"{loc}.components.component", f'输出列名 "{c.component}" 与输入列重名')
        return None
    b.ctx.use("components", loc)
    n = c.node
    _graph_ctes(b, sid, src, n, c.event)
    labels = _labels(b, sid, _rounds(b, sid, c.max_iterations))
    ev_sel, ev = _aggregated_evidence(b, src, loc)
    nodes = exp.select(exp.column(n), *ev_sel).from_(src.cte).where(
        exp.column(n).is_(exp.null()).not_()).group_by(exp.column(n))
    b.add(f"{sid}__nodes", nodes)
    # labels hold every node exactly once; the join to __nodes only brings the evidence, so the
    # prune pass drops it (and __nodes, an aggregate over every row) when no later step reads it
    join = exp.Join(this=_t(f"{sid}__nodes", "n"), kind="LEFT",
                    on=exp.EQ(this=exp.column("node", "c"), expression=exp.column(n, "n")))
    join.meta["lookup"] = True
    final = (exp.select(exp.alias_(exp.column("node", "c"), n), exp.alias_(exp.column("label", "c"), c.component),
                        *[exp.column(col, "n") for col in ev])
             .from_(_t(labels, "c")))
    final.append("joins", join)
    return Rel(b.add(sid, final), {n: node.dtype, c.component: node.dtype}, ev)
