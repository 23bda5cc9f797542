"""Org scope (数据权限范围): which procuratorates' records the acting user may see.

A user sees records of their own org and of every org below it, never a sibling's.  The scope of
the current request or command lives in a context variable; the query layer (clue lists, counts,
statistics, exports, catalog) applies it, so every path gets the same rule.  No scope set means an
unrestricted local operator (a shell on the server, tests); the web layer always sets one.

This module holds the scope (who, which orgs) only; every rule that reads it — which rows a query keeps,
whether one object is visible, the unassigned clue pool, datasets, governed models, runs, 委托研判,
subscriptions, bindings, audit records, users, ownership of actions — lives in
:mod:`shujian.security.access`, which every surface calls (a test fails when another module filters by
org itself).  Clues not yet assigned (the 线索池) belong
to the org whose run produced them: see :func:`shujian.security.access.clue_condition`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from ..orgs.roles import DEPT_HEAD, DIGITAL, LEADER

POOL_ROLES = frozenset({DIGITAL, LEADER, DEPT_HEAD})    # who may 研判/交办 unassigned clues (workflow DISPATCHERS)


@dataclass(frozen=True)
class Scope:
    """The orgs a user may see; ``orgs`` empty means nothing at all (fail closed)."""

    username: str
    org_id: int | None
    orgs: frozenset[int]
    pool: bool = False             # a role that triages the unassigned pool (数字办, 院领导, 部门负责人)
    ip: str | None = None          # where the request came from (audit records); None on the CLI
    root: bool = False             # the user's org is the top of the org tree (platform-wide records)
    roles: tuple[str, ...] = ()    # the user's roles (the access layer's allowed() reads them)


NOBODY = Scope(username="", org_id=None, orgs=frozenset(), pool=False)
_current: ContextVar[Scope | None] = ContextVar("shujian_scope", default=None)


def current_scope() -> Scope | None:
    """The scope of the running request/command (None: unrestricted)."""
    return _current.get()


def set_scope(scope: Scope | None):
    """Set the scope for the rest of this context; returns a token for :func:`reset_scope`."""
    return _current.set(scope)


def reset_scope(token) -> None:
    _current.reset(token)


@contextmanager
def use_scope(scope: Scope | None) -> Iterator[Scope | None]:
    """Run a block under ``scope``."""
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


def scope_for(s, username: str, org_id: int | None, roles, *, ip: str | None = None) -> Scope:
    """The scope of a user (own org and its descendants) computed in session ``s``."""
    from ..db.models import Org

    tree = s.query(Org.id, Org.parent_id).all() if org_id is not None else []
    return scope_of(username, org_id, roles, tree, ip=ip)


def scope_of(username: str, org_id: int | None, roles, tree, *, ip: str | None = None) -> Scope:
    """The scope of a user from the org tree ``tree`` (``(id, parent_id)`` pairs of every org): their org
    and every org below it; ``root`` when their org has no parent.  :func:`scope_for` reads the tree
    through the ORM; the light ``clue list`` path (shujian.clues.listing) through the driver."""
    children: dict[int | None, list[int]] = {}
    parent_of: dict[int, int | None] = {}
    for oid, parent in tree:
        children.setdefault(parent, []).append(oid)
        parent_of[oid] = parent
    orgs: set[int] = set()
    todo = [org_id] if org_id is not None else []
    while todo:
        cur = todo.pop()
        if cur not in orgs:
            orgs.add(cur)
            todo.extend(children.get(cur, []))
    root = org_id is not None and parent_of.get(org_id) is None
    return Scope(username=username, org_id=org_id, orgs=frozenset(orgs), pool=bool(POOL_ROLES & set(roles or ())),
                 ip=ip, root=root, roles=tuple(roles or ()))


def acting() -> tuple[str, int | None, str | None]:
    """Who is acting, for audit records: (username, org id, client address).

    Under a scope (a web request, or a command given ``--as``) it is that user; otherwise the local
    operator, named by the operating-system account (``本机:<账号>``) so a shell on the server is
    still accountable.
    """
    scope = current_scope()
    if scope is not None and scope.username:
        return scope.username, scope.org_id, scope.ip
    import getpass

    try:
        who = getpass.getuser()
    except (KeyError, OSError):   # no passwd entry (containers)
        who = "unknown"
    return f"本机:{who}", None, None
