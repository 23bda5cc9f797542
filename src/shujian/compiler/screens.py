"""Evidence after screens: find the subjects first, collect the rows behind them second.

A model's evidence (``_ev_<role>``: the row ids behind a clue) is carried through every step, and
each ``aggregate`` or ``distinct`` turns it into a list per group — over every group, although the
screens after it (a join with custody periods, a having, a threshold on a window count) keep a
handful of them.  On a large city those lists are most of the work: M1 built 6 million one-element
lists of pension rows to keep 88 persons' worth.

When every step keeps the rows of one subject apart from the others' — every aggregate groups by
the subject key, every window is partitioned by it, every join matches it on both sides, a union
carries it in every branch — a subject's clue depends on that subject's input rows only.  Such a
model is compiled as two passes in one statement:

1. the pipeline without evidence (``k_<cte>``; column pruning drops every list and every fact no
   screen reads) gives the subject keys of the clues (``k_keys``);
2. the pipeline with evidence, its inputs restricted where the subject key is born (an input field
   or a derived column) to those keys (and to rows without a key, which pass 1 kept too).

The clues and their evidence are the same rows as the single pass gives: pass 2 sees every input row
of each subject that has a clue.  A model that mixes subjects (a global count, components, an entity
join, a join on another column) is compiled as one pass, as before.

Pure: the model spec and the compiler's relations in, a plan (where to filter) out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from shujian.catalog.schema import ROW_ID
from shujian.compiler.shape import PLAIN_CLAUSES, conjuncts, from_table
from shujian.compiler.shape import readers as cte_readers
from shujian.compiler.stages import costly
from shujian.compiler.steps import EV_PREFIX, Rel
from shujian.spec.model import JoinKey, Model

PASS1 = "k_"
KEYS = "k_keys"
REDUCED = "r_"


@dataclass
class Plan:
    """Where the two passes filter.

    ``births``: CTE → key column, the relations where the subject key is born (an input field or a
    derived column); pass 2 keeps their rows of the subjects pass 1 found.  ``reductions``: input CTE
    → (key column, CTE, its key column) — every path from the input to the output goes through an
    inner or semi join on the key with that other relation, so pass 1 reads only the input's rows of
    keys the other side has (what a hand-written ``WHERE person IN (SELECT person FROM periods)`` does
    before an aggregate the join would mostly discard).  ``screens``: input CTE → the join step's CTE
    of its reduction, whose other conditions (``month > add_months(death_month, 0)``) narrow the
    reduction further where they read columns the input's rows carry unchanged to the join
    (:func:`_pushed_conditions`).
    """

    births: dict[str, str]
    reductions: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    screens: dict[str, str] = field(default_factory=dict)
    #: inputs reduced by the keys of another input's rows as read (not its reduction): the screen's
    #: own side, restricted to the keys the screened stream can have (see :func:`_reductions`)
    raw: set[str] = field(default_factory=set)


def key_births(model: Model, rels: dict[str, Rel], reads) -> Plan | None:
    """The two-pass plan of ``model``; None when some step mixes subjects (one pass, as before) or
    when no evidence list is built over groups a later screen drops (nothing to gain).

    ``reads(step, index, model)`` is the compiler's list of (relation, location) a step reads.
    """
    steps = model.steps or []
    if not steps:
        return None
    need: dict[str, str] = {steps[-1].id: model.output.subject.key}
    births: dict[str, str] = {}
    grouped = False                    # an evidence list is built over groups a later screen drops
    screened: dict[str, bool] = {}     # a step that drops rows reads this relation (or its readers do)

    def want(name: str | None, column: str) -> bool:
        if name is None or need.setdefault(name, column) != column:
            return False
        screened[name] = screened.get(name, False) or below
        return True

    for index in range(len(steps) - 1, -1, -1):
        step = steps[index]
        key = need.get(step.id)
        if key is None:
            continue            # read only by steps that compute the key: computed in full, filtered after
        if step.id not in rels:
            return None
        srcs = [name for name, _ in reads(step, index, model)]
        body = step.body
        kind = step.kind
        out = rels[step.id].cols
        below = screened.get(step.id, False) or _screens(step)
        if kind in ("filter", "derive", "text", "window", "aggregate", "distinct"):
            src = srcs[0]
            if src not in rels:
                return None
            if kind == "window" and key not in body.partition_by:
                return None
            if kind == "aggregate" and key not in body.by:
                return None
            if kind == "distinct" and body.columns is not None and key not in body.columns:
                return None
            if kind in ("aggregate", "distinct") and below:
                grouped = grouped or bool(rels[src].evidence)
            if key in out and key not in rels[src].cols:
                if kind not in ("derive", "text"):
                    return None
                births[f"s_{step.id}"] = key       # a row-wise step computes the key: filter its rows
                continue
            if not want(src, key):
                return None
        elif kind == "select":
            pairs = dict((c, c) for c in body.columns) if isinstance(body.columns, list) else dict(body.columns)
            if key not in pairs or not want(srcs[0], pairs[key]):
                return None
        elif kind == "union":
            if not all(want(src, key) for src in srcs):
                return None
        elif kind == "join":
            left, right = rels.get(srcs[0]), rels.get(srcs[1])
            if left is None or right is None:
                return None
            pairs = [(k.left, k.right) if isinstance(k, JoinKey) else (k, k) for k in body.on]
            if key in left.cols:
                match = [r for lk, r in pairs if lk == key]
                if not match or not want(srcs[0], key) or not want(srcs[1], match[0]):
                    return None
            else:
                return None
        else:                                      # components, entity_join: subjects are mixed
            return None
    roles = set(model.inputs)
    for name, column in need.items():
        if name in roles:
            births[f"in_{name}"] = column
    if not (grouped and births):
        return None
    screens: dict[str, str] = {}
    raw: set[str] = set()
    return Plan(births, _reductions(model, reads, need, roles, screens, births, raw), screens, raw)


def _cte(name: str, roles: set[str]) -> str:
    return f"in_{name}" if name in roles else f"s_{name}"


def _reductions(model: Model, reads, need: dict[str, str], roles: set[str], screens: dict[str, str],
                births: dict[str, str], raw: set[str]) -> dict[str, tuple[str, str, str]]:
    """Pass-1 semi-join reductions of the inputs (see :class:`Plan`); the join step of each goes to
    ``screens``.

    An input that reaches the output only through the *right* side of an inner or semi join (the
    screen: custody periods, built by windows over every span of the city) is reduced by the keys
    of the input the left side's rows come from, as read (``raw``): the left side's keys are some of
    that input's keys (one input upstream, the key carried unchanged — no step computes it), and
    every step from the screen's input to the join keeps subjects apart, so a subject the stream
    does not have only adds rows the join drops.  pension-during-custody: 176 of 1.2 M custody and
    prison spans belong to the 260 k persons with pension payments (large city)."""
    steps = model.steps
    srcs = {step.id: [name for name, _ in reads(step, i, model)] for i, step in enumerate(steps)}
    upstream: dict[str, set[str]] = {}
    for step in steps:
        seen: set[str] = set()
        for src in srcs[step.id]:
            seen |= {src} | upstream.get(src, set())
        upstream[step.id] = seen
    # through[x]: the (join, side) pairs every path from x to the output passes through
    through: dict[str, frozenset[tuple[str, int]]] = {steps[-1].id: frozenset()}
    for step in reversed(steps):
        if step.id not in through or step.id not in need:
            continue
        filtering = step.kind == "join" and step.body.type in ("inner", "semi")
        for side, src in enumerate(srcs[step.id]):
            mine = through[step.id] | ({(step.id, side)} if filtering else set())
            through[src] = mine if src not in through else through[src] & mine
    order = {step.id: i for i, step in enumerate(steps)}
    chosen: dict[str, str] = {}          # role → the relation it is reduced by

    def depends(name: str, role: str) -> bool:
        """``name`` reads ``role``, directly or through an earlier reduction."""
        todo, seen = [name], set()
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            if current == role:
                return True
            todo += upstream.get(current, set())
            if current in chosen:
                todo.append(chosen[current])
        return False

    out = {}
    for role in sorted(roles):
        if role not in need or role not in through:
            continue
        # the left side of a join is the stream being screened, the right side the screen
        for join, side in sorted(through[role], key=lambda js: order[js[0]]):
            other = srcs[join][1]
            if side != 0 or other not in need or depends(other, role):
                continue
            chosen[role] = other
            out[f"in_{role}"] = (need[role], _cte(other, roles), need[other])
            screens[f"in_{role}"] = f"s_{join}"
            break
    computed = {name[len("s_"):] for name in births if name.startswith("s_")}     # steps that compute the key
    for role in sorted(roles):
        if f"in_{role}" in out or role not in need or role not in through:
            continue
        for join, side in sorted(through[role], key=lambda js: order[js[0]]):
            left = srcs[join][0]
            above = upstream.get(left, set()) | {left}
            sources = above & roles
            if side != 1 or len(sources) != 1 or above & computed:
                continue
            (source,) = sources
            if source == role or source not in need or births.get(f"in_{source}") != need[source]:
                continue
            out[f"in_{role}"] = (need[role], f"in_{source}", need[source])
            raw.add(f"in_{role}")
            break
    return out


def _screens(step) -> bool:
    """The step can drop rows (or groups) of its input."""
    kind = step.kind
    if kind == "filter":
        return True
    if kind == "join":
        return step.body.type != "left"
    if kind == "aggregate":
        return step.body.having is not None
    return kind == "text" and step.body.keep == "matched"


def two_passes(ctes: list[tuple[str, exp.Query]], last: str, key: str, plan: Plan,
               prune) -> list[tuple[str, exp.Query]]:
    """The CTE list of both passes (see the module docstring); ``ctes`` are the single pass's,
    already pruned for the final query; ``prune`` is :func:`shujian.compiler.prune.prune_columns`."""
    names = {name for name, _ in ctes}
    first = [(PASS1 + name, _renamed(query.copy(), names)) for name, query in ctes]
    keys = exp.select(exp.column(key)).distinct().from_(PASS1 + last)
    by_rows = _rows_of_births(ctes, plan)
    # pass 1 keeps the row ids of a costly birth's rows: pass 2 picks those rows by id (below)
    reads = exp.union(keys.copy(), *[exp.select(exp.column(ev)).from_(PASS1 + name) for name, ev in by_rows.items()],
                      distinct=False) if by_rows else keys
    prune(first, reads)
    kept = {name for name, _ in first}
    full = dict(ctes)

    def shares(base: str) -> bool:
        """``base``'s reduced rows are written once for both passes (``r_<base>``)."""
        reduction = plan.reductions.get(base)
        return reduction is not None and base in full and PASS1 + reduction[1] in kept

    shared: set[str] = set()                 # inputs whose reduced rows both passes read
    out: list[tuple[str, exp.Query]] = []
    for name, query in first:
        base = name[len(PASS1):]
        reduction = plan.reductions.get(base)
        if reduction is None or not shares(base):
            out.append((name, query))
            continue
        # the input's rows of keys the screen's other side has, with every column pass 2 reads too:
        # written once (a stage), read by pass 1 and — restricted to the clues' keys — by pass 2
        column, other, other_key = reduction
        shared.add(base)
        if base in plan.raw:        # the other input's rows as read: its own reduction may read this one
            source = REDUCED + other + "__all" if shares(other) else PASS1 + other
            out += _filtered(REDUCED + base, full[base], column,
                             exp.select(exp.column(other_key)).from_(source), keep_null=False)
            out.append((name, exp.select(*[exp.column(c) for c in query.named_selects]).from_(REDUCED + base)))
            continue
        screen = _screen(ctes, base, plan.screens.get(base), column, other, other_key,
                         dict(first).get(PASS1 + other))
        if screen is not None:
            out += [(REDUCED + base + "__all", full[base]),
                    (REDUCED + base, exp.select(*[exp.column(c) for c in full[base].named_selects])
                     .from_(REDUCED + base + "__all").where(screen))]
        else:
            out += _filtered(REDUCED + base, full[base], column,
                             exp.select(exp.column(other_key)).from_(PASS1 + other), keep_null=False)
        out.append((name, exp.select(*[exp.column(c) for c in query.named_selects]).from_(REDUCED + base)))
    out.append((KEYS, keys))
    for name, query in ctes:
        column = plan.births.get(name)
        if column is None:
            out.append((name, query))
            continue
        picked = exp.select(exp.column(key)).from_(KEYS)
        if name in shared:        # NULL keys cannot pass the screen's join: the reduction dropped them
            cols = [exp.column(c) for c in query.named_selects]
            out.append((name, exp.select(*cols).from_(REDUCED + name).where(exp.column(column).isin(query=picked))))
            continue
        if name in by_rows:
            out.append((name, _picked_by_rows(name, query, column, by_rows[name], picked)))
            continue
        out += _filtered(name, query, column, picked, keep_null=True)
    return _ordered(out)


def _rows_of_births(ctes: list[tuple[str, exp.Query]], plan: Plan) -> dict[str, str]:
    """The births computed by a costly row-wise step (a string function: frequent-lending-plaintiff's
    ``upper(trim(原告证件号码))`` over 4.2 M rows, large city) whose rows are one input's rows, each
    carrying its own row id (``_ev_<role>``) unchanged: birth CTE → that evidence column.

    Pass 2 then keeps the rows whose id pass 1 saw with a clue's key (or none) instead of computing
    the key again on every row of the input.  Exact: the step and every step between it and the
    input are filters and projections of one relation, the same queries in both passes (no pass-1
    reduction or other birth among them), so both passes have the same rows, and a row id names
    one row of the input (the dataset's row number)."""
    queries = dict(ctes)
    out = {}
    for name, column in plan.births.items():
        query = queries.get(name)
        if not name.startswith("s_") or not isinstance(query, exp.Select) or not costly(query):
            continue
        ev = _row_evidence(queries, name, plan)
        if ev is not None:
            out[name] = ev
    return out


def _row_evidence(queries: dict[str, exp.Query], name: str, plan: Plan) -> str | None:
    """The ``_ev_<role>`` column that ``name`` carries unchanged from input ``in_<role>``'s row ids,
    through filters and projections of one relation; None otherwise."""
    evidence: str | None = None
    current = name
    for _ in range(100):
        query = queries.get(current)
        if not isinstance(query, exp.Select) or any(query.args.get(k) for k in PLAIN_CLAUSES) \
                or query.find(exp.AggFunc, exp.Window, exp.Subquery, exp.Exists, exp.Explode, exp.Unnest):
            return None
        if current != name and (current in plan.births or current in plan.reductions):
            return None
        if current.startswith("in_"):
            role = current[len("in_"):]
            wanted = evidence or f"{EV_PREFIX}{role}"
            picked = next((e for e in query.expressions if e.alias_or_name == wanted), None)
            if wanted != f"{EV_PREFIX}{role}" or picked is None or not isinstance(picked.unalias(), exp.Column) \
                    or picked.unalias().name != ROW_ID or from_table(query) is None:
                return None
            return wanted
        table = from_table(query)
        if table is None or table.name not in queries:
            return None
        if evidence is None:
            evidence = next((e.alias_or_name for e in query.expressions
                             if e.alias_or_name.startswith(EV_PREFIX)), None)
            if evidence is None:
                return None
        picked = next((e for e in query.expressions if e.alias_or_name == evidence), None)
        if picked is None or not isinstance(picked.unalias(), exp.Column) or picked.unalias().name != evidence:
            return None
        current = table.name
    return None


def _picked_by_rows(name: str, query: exp.Select, column: str, ev: str, keys: exp.Select) -> exp.Select:
    """Birth ``name`` restricted to the rows pass 1's copy saw with a clue's key or none, by row id
    (see :func:`_rows_of_births`): the row ids are tested before the key is computed."""
    seen = exp.select(exp.column(ev)).from_(PASS1 + name).where(
        exp.or_(exp.column(column).is_(exp.null()), exp.column(column).isin(query=keys)))
    source = from_table(query)
    picked = query.copy()
    return picked.where(exp.column(ev, table=source.alias_or_name).isin(query=seen), copy=False)


_SCREEN = "_screen"          # the alias of the join's other side in a pushed reduction


def _screen(ctes: list[tuple[str, exp.Query]], base: str, join: str | None, column: str, other: str,
            other_key: str, other_query: exp.Query | None) -> exp.Exists | None:
    """The reduction of input ``base`` with the join's other conditions pushed down (None when none
    applies): ``EXISTS (SELECT 1 FROM k_<other> AS _screen WHERE _screen.key = r_<base>__all.key AND
    <conditions>)``.  Pension payments of the dead after their death month, not every payment of
    the dead: benefits-after-death's R1 reads 197 of 258,595 rows (large city)."""
    if join is None or other_query is None:
        return None
    outer = REDUCED + base + "__all"
    conditions = _pushed_conditions(ctes, base, join, other, set(other_query.named_selects), outer)
    if not conditions:
        return None
    key = exp.EQ(this=exp.column(other_key, table=_SCREEN), expression=exp.column(column, table=outer))
    sub = exp.select(exp.Literal.number(1)).from_(exp.alias_(exp.to_table(PASS1 + other), _SCREEN, table=True))
    return exp.Exists(this=sub.where(exp.and_(key, *conditions)))


def _pushed_conditions(ctes: list[tuple[str, exp.Query]], base: str, join: str, other: str,
                       other_columns: set[str], outer: str) -> list[exp.Expression]:
    """The conjuncts of ``join``'s condition, beyond its key equality, that read columns of its other
    side ``other`` and columns of its screened side that ``base``'s rows carry unchanged to the join,
    rewritten over ``outer`` (``base``'s rows) and :data:`_SCREEN` (``other``).

    Exact: between ``base`` and the join there are only filters, projections and aggregates (or
    distincts) that group by the column, each read by the next step alone; a condition on a group
    key keeps or drops whole groups, so testing it on the rows before grouping keeps exactly the
    groups the join can match (a having still sees every row of a kept group), and a row no row of
    ``other`` satisfies it with is dropped by the join anyway.  NULL or false alike drop the row in
    both places."""
    queries = dict(ctes)
    query = queries.get(join)
    if not isinstance(query, exp.Select):
        return []
    left, right, cond = from_table(query), None, None
    joins = query.args.get("joins") or []
    where = query.args.get("where")
    if len(joins) == 1 and isinstance(joins[0].this, exp.Table) and not where:
        right, cond = joins[0].this, joins[0].args.get("on")
    elif not joins and where is not None and isinstance(where.this, exp.Exists):
        sub = where.this.this
        if isinstance(sub, exp.Select) and not any(sub.args.get(k) for k in PLAIN_CLAUSES):
            right, cond = from_table(sub), sub.args["where"].this if sub.args.get("where") else None
    if left is None or right is None or cond is None or right.name != other:
        return []
    la, ra = left.alias_or_name, right.alias_or_name
    if la == ra:
        return []
    readers = cte_readers(ctes)

    def trace(col: str) -> str | None:
        """The column of ``base`` that ``left.col`` is, unchanged; None if it is computed."""
        current, column, reader = left.name, col, join
        for _ in range(100):
            if readers.get(current) != [reader]:
                return None           # another step reads it: a path the condition does not screen
            if current == base:
                return column
            q = queries.get(current)
            if not isinstance(q, exp.Select) or q.find(exp.Window) or \
                    any(q.args.get(k) for k in ("joins", "qualify", "limit", "offset", "order")):
                return None
            tables = list(q.find_all(exp.Table))
            picked = next((e for e in q.expressions if e.alias_or_name == column), None)
            inner = picked.unalias() if picked is not None else None
            if len(tables) != 1 or not isinstance(inner, exp.Column) or isinstance(inner.this, exp.Star):
                return None
            group = q.args.get("group")
            if group is None and q.find(exp.AggFunc):
                return None           # one group of every row: a condition does not commute with it
            if group is not None and not any(isinstance(g, exp.Column) and g.name == inner.name
                                             for g in group.expressions):
                return None
            current, column, reader = tables[0].name, inner.name, current
        return None

    pushed = []
    for part in conjuncts(cond):
        if part.find(exp.Subquery, exp.Exists, exp.AggFunc, exp.Window, exp.Select):
            continue
        cols = list(part.find_all(exp.Column))
        if isinstance(part, exp.EQ) and all(isinstance(side, exp.Column) for side in (part.this, part.expression)) \
                and {part.this.table, part.expression.table} == {la, ra}:
            continue                  # a key equality: the reduction's own test
        if not any(c.table == la for c in cols) or any(c.table not in (la, ra) for c in cols):
            continue
        new = part.copy()
        ok = True
        for c in list(new.find_all(exp.Column)):
            if c.table == la:
                source = trace(c.name)
                if source is None:
                    ok = False
                    break
                c.replace(exp.column(source, table=outer))
            elif c.name in other_columns:
                c.replace(exp.column(c.name, table=_SCREEN))
            else:
                ok = False
                break
        if ok:
            pushed.append(new)
    return pushed


def _filtered(name: str, query: exp.Query, column: str, keys: exp.Select, *, keep_null: bool
              ) -> list[tuple[str, exp.Query]]:
    """``name`` as ``name__all`` plus ``name``: its rows whose ``column`` is one of ``keys``."""
    picked = exp.column(column).isin(query=keys)
    keep = exp.or_(exp.column(column).is_(exp.null()), picked) if keep_null else picked
    cols = [exp.column(c) for c in query.named_selects]
    return [(name + "__all", query), (name, exp.select(*cols).from_(name + "__all").where(keep))]


def _ordered(ctes: list[tuple[str, exp.Query]]) -> list[tuple[str, exp.Query]]:
    """The CTEs in an order where each follows the ones it reads (otherwise as given)."""
    names = {name for name, _ in ctes}
    deps = {name: {t.name for t in query.find_all(exp.Table) if t.name in names and t.name != name}
            for name, query in ctes}
    queries = dict(ctes)
    done: set[str] = set()
    out: list[tuple[str, exp.Query]] = []

    def visit(name: str) -> None:
        if name in done:
            return
        done.add(name)
        for dep in sorted(deps[name], key=[n for n, _ in ctes].index):
            visit(dep)
        out.append((name, queries[name]))

    for name, _ in ctes:
        visit(name)
    return out


def _renamed(query: exp.Query, names: set[str]) -> exp.Query:
    """``query`` reading the pass-1 copies of the CTEs (aliases kept, so column qualifiers still match)."""
    for table in list(query.find_all(exp.Table)):
        if table.name in names and not table.args.get("db"):
            alias = table.alias_or_name
            table.set("this", exp.to_identifier(PASS1 + table.name))
            if not table.alias:
                table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
    return query

