"""The domain access layer (访问控制层): who may see and do what, decided in one place.

Every surface — web pages, the JSON API, the CLI, exports (xlsx/docx) and background jobs — asks
this module, never its own copy of a rule:

- :func:`restrict` — a query limited to the rows the acting user may see (listings, counts, exports).
- :func:`load_visible` — one object by id, or :class:`~shujian.errors.NotFound` when it does not exist
  *or* lies outside the user's scope (the same words either way: existence is never revealed, never 403).
- :func:`sees` — whether one loaded object is visible (the row-level form of :func:`restrict`).
- :func:`allowed` / :func:`check` — every action on every object: the role grant (the permission
  registry) and the object's ownership rule (sealing, model revisions, pool clues belong to their org);
  a lifecycle action on a clue or a governed model (研判, 交办 …; 业务认证, 上架 …) is decided by its
  state machine's table (``workflow.rules.permits`` / ``governance.rules.permits``).
- :func:`clue_view` — "a clue as this user may see it": scope → fetch → mask (subject, title, facts,
  evidence) → audit; every surface shows clues through it (or :func:`present_clue` for lists).

Ownership rules:

- A record held by an org (承办院/所属院/发起院) is visible to that org and every org above it.
- An unassigned clue (线索池, no 承办院) belongs to the org whose run produced it (the first run's
  发起院): visible to that org's and its parents' 数字办/院领导/部门负责人, nobody else whatever their role.
  Only a platform run (started on the server by the local operator without ``--as``, for a model no org
  governs) has no 发起院; its pool is the platform's, open to the pool roles of every org — a deliberate
  operator choice (docs/security.md).  Runs started from the web, by ``--as`` or by an org's schedule
  always carry their org.
- A dataset is governed (分级、密封、要素类型) only by its owning org or an org above it; a platform-shared
  dataset only by the top of the tree (or the local operator).
- A personal dataset (个人数据区, ``owner_user_id`` set) is visible to its owner only — and to the data
  governors (``data.share``: 数字办) of its org and above, who share it with a department or the org; a
  department-shared one also to that department's users.  A sandbox run (沙箱运行) not yet published is
  visible to the user who started it and to the publishers (``runs.publish``: 数字办, 院领导) of its org
  and above; published, it is an ordinary run of its org.  Both are rules of :data:`_PERSONAL` below.
- A governed model (模型台账) is visible to its author org and the orgs above it, to the orgs in its
  listing range once listed, and to the orgs that adopted it; only the author org (or above) saves
  revisions.
- Every other org-held kind is one row of :data:`HELD_BY` (which attribute names the org, whether a row
  without an org is platform-wide): runs (发起院), 委托研判 (委托院), 关键词订阅, data bindings, audit
  records, users, the org a user administers (本院及下级院), and — registered by the web layer with
  :func:`hold` — the web process's background jobs.  API tokens follow their user's org.
  Extra rules per action live in :data:`OWNERSHIP` / :data:`OWNERS` (a subscription is changed by its
  subscriber or a pool role of its org).

A type the layer has no rule for is refused (``TypeError``), never shown; the test
``tests/security/test_access_layer.py`` fails when any module outside this one and ``scope.py`` filters by
org itself.

Masking is decided by the data (each column's semantic type and classification, read from the catalog
directly — never through the viewer's dataset scope) and the viewer's rights; when the metadata is
missing, every value is treated as possibly personal (fail closed).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from ..db.models import (
    AnalysisRequest,
    ApiToken,
    AuditRecord,
    Clue,
    ClueCount,
    Dataset,
    DatasetColumn,
    DataSource,
    GovModel,
    ModelAdoption,
    ModelBinding,
    Org,
    Run,
    Schedule,
    User,
)
from ..errors import NotFound, PermissionDenied
from ..text.tables import TextSubscription
from .clue_rules import (  # noqa: F401 - the layer's clue presentation, re-exported under its old names
    SUBJECT_PERSONAL,
    clue_visibility_sql,
    mask_clue_text,
    present_clue,
    show_subject,
    subject_personal,
    subject_values,
)
from .scope import Scope, current_scope

__all__ = ["allowed", "check", "check_owner", "clue_view", "hold", "owns", "load_visible", "present_clue", "restrict",
           "restrict_items", "sees", "mask_clue_text", "mask_evidence", "viewer_scope", "visible_or_missing",
           "HELD_BY", "SUBJECT_PERSONAL"]

_CURRENT = object()        # "the scope of the running request/command"

#: what a missing object is called in the NotFound message, and where to look instead
_NAMES: dict[type, tuple[str, str]] = {
    Clue: ("线索", "用 shujian clue list 查看线索"),
    Dataset: ("数据集", "用 shujian data list 查看数据集"),
    Run: ("运行记录", "用 shujian model runs 查看运行记录"),
    GovModel: ("模型", "用 shujian model list 查看模型"),
    AnalysisRequest: ("委托研判", "用 shujian delegation list 查看委托研判"),
    User: ("用户", "只能管理本院及下级院的用户"),
    Org: ("检察院", "只能在本院及下级院操作"),
    ApiToken: ("接口令牌", "用 shujian user token-list 查看"),
    AuditRecord: ("审计记录", "用 shujian audit list 查看"),
    TextSubscription: ("关键词订阅", "用 shujian text sub list 查看"),
    ModelBinding: ("数据绑定", "用 shujian model binding 模型 查看当前绑定"),
    Schedule: ("调度", "用 shujian schedule list 查看"),
    DataSource: ("数据源", "用 shujian data source list 查看"),
}


# ---------------------------------------------------------------------------------- scope
def viewer_scope(user: Any = _CURRENT, session: Session | None = None) -> Scope | None:
    """The scope of ``user``: a :class:`Scope` as is; a web user's cached scope; a ``User`` row computed
    in ``session``; the default is the running request's/command's scope (None: the local operator)."""
    from .scope import scope_for

    if user is _CURRENT:
        return current_scope()
    if user is None or isinstance(user, Scope):
        return user
    extra = getattr(user, "extra", None)
    if isinstance(extra, dict) and isinstance(extra.get("scope"), Scope):
        return extra["scope"]
    if session is None:
        raise ValueError("viewer_scope needs a session to compute the scope of a user row")
    return scope_for(session, user.username, user.org_id, user.roles or ())


def narrowed(orgs, user: Any = _CURRENT) -> Scope:
    """The user's scope cut down to ``orgs`` (an org filter on a page: the 一本账 of one org), without the
    pool; the local operator's becomes exactly ``orgs``."""
    from dataclasses import replace

    from .scope import NOBODY

    reader = viewer_scope(user)
    below = frozenset(orgs)
    return replace(reader or NOBODY, orgs=below & reader.orgs if reader is not None else below, pool=False)


def _orgs(scope: Scope) -> list[int]:
    return sorted(scope.orgs) or [-1]


def _pool_runs(scope: Scope):
    """Ids of runs whose unassigned clues the scope may see (its orgs' runs, and platform runs)."""
    return select(Run.id).where(Run.org_id.in_(_orgs(scope)) | Run.org_id.is_(None))


def clue_condition(scope: Scope):
    """SQL condition: clues visible under ``scope`` (held by its orgs, or its orgs' pool) — the text of
    :func:`~shujian.security.clue_rules.clue_visibility_sql`, which the light ``clue list`` path sends to the
    driver itself: one rule for both (it names the ``clues`` table, so a query must not alias it)."""
    from sqlalchemy import text

    return text(clue_visibility_sql(scope))


def clue_count_condition(scope: Scope):
    """SQL condition on :class:`ClueCount`: the counters of the clues :func:`clue_condition` lets ``scope``
    see — the same rule on the counters' columns (承办院, or for 线索池 clues, org 0, their first run)."""
    cond = ClueCount.org_id.in_(_orgs(scope))
    if scope.pool:
        cond = cond | ((ClueCount.org_id == 0) & ClueCount.run_id.in_(_pool_runs(scope)))
    return cond


def _gov_condition(s: Session, scope: Scope):
    from ..governance.rules import LISTED
    from ..governance.service import _visible
    from ..orgs.service import OrgTree

    listed = []
    if scope.org_id is not None:
        tree = None                       # the org tree, read once for every listed model (not per model)
        for gm in s.query(GovModel).filter(GovModel.state.in_(LISTED)):
            if gm.scope != "全国" and tree is None:
                tree = OrgTree.load(s)
            if _visible(s, gm, scope.org_id, tree):
                listed.append(gm.id)
    adopted = select(ModelAdoption.gov_model_id).where(ModelAdoption.org_id.in_(_orgs(scope)))
    return GovModel.author_org_id.in_(_orgs(scope)) | GovModel.id.in_(listed or [-1]) | GovModel.id.in_(adopted)


def restrict(query, model: type, user: Any = _CURRENT, *, session: Session | None = None):
    """``query`` limited to the rows of ``model`` the user may see (the one listing filter).

    Clues (and their 一本账 counters, :class:`ClueCount`) follow the pool rule; datasets and runs with no
    org are platform-wide (shared); governed models follow authorship, listing range and adoption.  Unrestricted (local operator): unchanged.
    """
    scope = viewer_scope(user, session)
    if scope is None:
        return query
    if model is Clue:
        return query.filter(clue_condition(scope))
    if model is ClueCount:
        return query.filter(clue_count_condition(scope))
    if model is GovModel:
        s = session or query.session
        return query.filter(_gov_condition(s, scope))
    if model is ApiToken:                  # a token is seen where its user is
        return query.filter(ApiToken.user_id.in_(select(User.id).where(User.org_id.in_(_orgs(scope)))))
    attr, shared = _rule(model)
    column = getattr(model, attr)
    cond = column.in_(_orgs(scope))
    if shared:
        cond = cond | column.is_(None)
    personal = _PERSONAL.get(model)
    if personal is not None:
        cond = cond & personal(scope)
    return query.filter(cond)


def _me(scope: Scope):
    """The acting user's id (scalar subquery: the scope knows the user by name)."""
    return select(User.id).where(User.username == scope.username).scalar_subquery()


def _personal_datasets(scope: Scope):
    """Datasets beyond the org rule: the org catalog's, one's own personal ones, those shared with one's
    department; a data governor (``data.share``) also sees the personal datasets of the orgs in scope."""
    from .permissions import granted

    if granted(scope.roles, "data.share"):
        return true()
    department = select(User.department_id).where(User.username == scope.username).scalar_subquery()
    return (Dataset.owner_user_id.is_(None) | (Dataset.owner_user_id == _me(scope))
            | (Dataset.department_id.is_not(None) & (Dataset.department_id == department)))


def _sandbox_runs(scope: Scope):
    """Runs beyond the org rule: an unpublished sandbox run only for its starter and, when it has an org,
    for the publishers (``runs.publish``) of the orgs in scope."""
    from .permissions import granted

    cond = Run.sandbox.is_(False) | Run.published_at.is_not(None) | (Run.started_by == _me(scope))
    if granted(scope.roles, "runs.publish"):
        cond = cond | Run.org_id.is_not(None)
    return cond


def sees_personal(owner: str | None, user: Any = _CURRENT) -> bool:
    """Whether something personal to ``owner`` (the web job of a sandbox run or of a personal import) is
    visible: to its owner only (and the local operator)."""
    scope = viewer_scope(user)
    return scope is None or (owner is not None and scope.username == owner)


#: model → extra visibility rule on top of its org column (personal datasets, sandbox runs)
_PERSONAL: dict[type, Any] = {Dataset: _personal_datasets, Run: _sandbox_runs}


#: every org-held kind: type → (attribute holding the org id, rows without an org are platform-wide).
#: Clues (pool rule), governed models (authorship, listing, adoption) and API tokens (their user's org)
#: have their own rules above; a type in none of them is refused, never shown.
HELD_BY: dict[type, tuple[str, bool]] = {
    Dataset: ("org_id", True),             # 所属院; no org: the platform-shared catalog
    Run: ("org_id", True),                 # 发起院; no org: a platform run (parameters and counts only)
    AnalysisRequest: ("org_id", False),    # 委托院
    TextSubscription: ("org_id", True),    # the subscriber's org; no org: the local operator's
    ModelBinding: ("org_id", True),        # the bound org; no org: the platform binding every org falls back to
    AuditRecord: ("org_id", True),         # the actor's org; no org: platform records (operator, unknown logins)
    User: ("org_id", False),               # administered by the user's org and the orgs above
    Org: ("id", False),                    # an org one acts for (users, bindings): 本院及下级院
    Schedule: ("org_id", True),            # the org its runs are for; no org: the platform's
    DataSource: ("org_id", True),          # no org: a source the platform operator set up
}


#: kind registered by :func:`hold` → its rule beyond the org (a personal web job: its starter only)
_HELD_ALSO: dict[type, Any] = {}


def hold(kind: type, attr: str, *, shared: bool, name: str, hint: str = "", also: Any = None) -> None:
    """Register an org-held kind that lives outside the database layer (the web process's background
    jobs): its org attribute, whether no org means platform-wide, what a missing one is called, and
    ``also(obj, scope)``, a further rule on top of the org one."""
    HELD_BY[kind] = (attr, shared)
    _NAMES[kind] = (name, hint)
    if also is not None:
        _HELD_ALSO[kind] = also


def _rule(kind: type) -> tuple[str, bool]:
    for model, rule in HELD_BY.items():
        if issubclass(kind, model):
            return rule
    raise TypeError(f"访问控制层没有 {kind.__name__} 的可见性规则")


def sees(session: Session | None, obj: Any, user: Any = _CURRENT) -> bool:
    """Whether one loaded object is visible to the user (row-level form of :func:`restrict`)."""
    scope = viewer_scope(user, session)
    if scope is None:
        return True
    if isinstance(obj, Clue):
        return clue_visible(session, obj, scope)
    if isinstance(obj, GovModel):
        return model_visible(session, obj, scope)
    if isinstance(obj, ApiToken):
        owner = session.get(User, obj.user_id) if session is not None else None
        return owner is not None and owner.org_id is not None and owner.org_id in scope.orgs
    attr, shared = _rule(type(obj))
    org_id = getattr(obj, attr)
    if not ((shared and org_id is None) or (org_id is not None and org_id in scope.orgs)):
        return False
    if type(obj) in _HELD_ALSO:
        return bool(_HELD_ALSO[type(obj)](obj, scope))
    personal = next((rule for model, rule in _PERSONAL.items() if isinstance(obj, model)), None)
    return personal is None or session.query(type(obj).id).filter(type(obj).id == obj.id,
                                                                  personal(scope)).first() is not None


def restrict_items(items, user: Any = _CURRENT, *, session: Session | None = None) -> list:
    """The objects of an in-memory collection (background jobs) the user may see, in order."""
    scope = viewer_scope(user, session)
    return [x for x in items if sees(session, x, scope)]


def visible_or_missing(obj: Any, key: Any, user: Any = _CURRENT, *, kind: type | None = None,
                       session: Session | None = None, label: str | None = None) -> Any:
    """``obj`` if it exists (not None) and the user may see it, else NotFound — the same words either way
    (the form of :func:`load_visible` for objects not loaded by id from the database)."""
    if obj is None or not sees(session, obj, user):
        what, hint = _NAMES.get(kind or type(obj), ((kind or type(obj)).__name__, ""))
        raise NotFound(f"{what} {label or key} 不存在", hint=hint or None)
    return obj


def clue_visible(s: Session, clue: Clue, scope: Scope | None) -> bool:
    """A held clue: its 承办院 in scope; a pool clue: a pool role and the producing run's org in scope."""
    if scope is None:
        return True
    if clue.org_id is not None:
        return clue.org_id in scope.orgs
    if not scope.pool:
        return False
    run_org = s.query(Run.org_id).filter(Run.id == clue.first_run_id).scalar()
    return run_org is None or run_org in scope.orgs


def pool_owner(s: Session, clue: Clue) -> int | None:
    """The org an unassigned clue belongs to (the first run's 发起院; None: platform run)."""
    return s.query(Run.org_id).filter(Run.id == clue.first_run_id).scalar()


def model_visible(s: Session, gm: GovModel, scope: Scope | None) -> bool:
    if scope is None:
        return True
    return s.query(GovModel.id).filter(GovModel.id == gm.id, _gov_condition(s, scope)).first() is not None


def load_visible(session: Session, user: Any, model: type, key: Any, *, by: str | None = None,
                 label: str | None = None) -> Any:
    """The ``model`` row with id ``key`` (or ``by``-column ``key``) if the user may see it, else NotFound.

    Missing and out-of-scope give the same message, so a probe cannot tell them apart.
    """
    if by is None:
        obj = session.get(model, key)
    else:
        obj = session.query(model).filter(getattr(model, by) == key).first()
    return visible_or_missing(obj, key, user, kind=model, session=session, label=label)


# ---------------------------------------------------------------------------------- actions
def allowed(user: Any, action: str, obj: Any = None, *, session: Session | None = None) -> bool:
    """Whether ``user`` may take ``action`` (a registered permission action) on ``obj``.

    ``user``: anything with ``roles`` (a web user, a ``User`` row) or None for the local operator.  The
    role must be granted the action, the object must be visible, and the object's ownership rule must
    hold (:data:`OWNERSHIP`).
    """
    from .permissions import granted

    if user is None:
        return True
    machine = _lifecycle(obj, action)
    if machine is not None:         # a lifecycle action on a clue or a model: the state machine's table
        if session is None:
            raise ValueError("allowed() on an object needs the session it was loaded in")
        return sees(session, obj, viewer_scope(user, session)) and machine(
            obj.state, action, tuple(getattr(user, "roles", None) or ()))
    if not granted(tuple(getattr(user, "roles", None) or ()), action):
        return False
    if obj is None:
        return True
    if session is None:
        raise ValueError("allowed() on an object needs the session it was loaded in")
    scope = viewer_scope(user, session)
    if not sees(session, obj, scope):
        return False
    rule = OWNERSHIP.get((type(obj), action)) or OWNERSHIP.get((type(obj), "*"))
    return rule is None or rule(session, obj, scope)


def _lifecycle(obj: Any, action: str):
    """The state machine deciding ``action`` on ``obj`` (``permits(state, action, roles)``), or None when
    ``action`` is not one of its lifecycle actions (线索流转: workflow.rules; 模型治理: governance.rules)."""
    if isinstance(obj, Clue):
        from ..workflow import rules
    elif isinstance(obj, GovModel):
        from ..governance import rules
    else:
        return None
    return rules.permits if rules.action_of(action) is not None else None


def check(user: Any, action: str, obj: Any = None, *, session: Session | None = None,
          what: str | None = None, denied: str | None = None, hint: str | None = None) -> None:
    """Raise NotFound (object out of scope) or PermissionDenied (no right to act on it; ``denied`` and
    ``hint`` word the refusal for the caller's domain)."""
    scope = viewer_scope(user, session) if user is not None else None
    if obj is not None and session is not None and not sees(session, obj, scope):
        name, nf_hint = _NAMES.get(type(obj), (type(obj).__name__, ""))
        raise NotFound(f"{name} {what or getattr(obj, 'id', '')} 不存在", hint=nf_hint or None)
    if not allowed(user, action, obj, session=session):
        from .permissions import action_label

        name = getattr(user, "name", None) or getattr(user, "username", "")
        raise PermissionDenied(denied or f"用户 {name} 无权对{what or '该对象'}执行“{action_label(action)}”",
                               hint=hint or _OWNER_HINTS.get(type(obj), "请联系系统管理员调整角色"))


def _owns_dataset(s: Session, ds: Dataset, scope: Scope | None) -> bool:
    if scope is None:
        return True
    return ds.org_id in scope.orgs if ds.org_id is not None else scope.root


def _owns_model(s: Session, gm: GovModel, scope: Scope | None) -> bool:
    return scope is None or (gm.author_org_id is not None and gm.author_org_id in scope.orgs)


def _publishes_run(s: Session, run: Run, scope: Scope | None) -> bool:
    """A sandbox run is published by the publishers of its org or an org above it (not a platform run)."""
    return scope is None or (run.org_id is not None and run.org_id in scope.orgs)


def _owns_subscription(s: Session, sub: TextSubscription, scope: Scope | None) -> bool:
    """A subscription is changed (paused, removed, its matches judged) by its subscriber, or by a pool role
    (数字办/院领导/部门负责人) of an org that sees it; the local operator's (no subscriber) by anyone who sees it."""
    return scope is None or not sub.owner or sub.owner == scope.username or scope.pool


#: (object type, action or "*") → ownership rule beyond visibility
OWNERSHIP: dict[tuple[type, str], Any] = {
    (Dataset, "data.govern"): _owns_dataset,
    (Dataset, "data.import"): _owns_dataset,
    (GovModel, "models.build"): _owns_model,
    (GovModel, "model.edit"): _owns_model,
    (Dataset, "data.share"): _owns_dataset,
    (Run, "runs.publish"): _publishes_run,
    (TextSubscription, "text.subscribe"): _owns_subscription,
}

#: type → who may change an object of it (whatever the action's role): :func:`owns` / :func:`check_owner`
OWNERS: dict[type, Any] = {Dataset: _owns_dataset, GovModel: _owns_model, TextSubscription: _owns_subscription}


def owns(session: Session, obj: Any, user: Any = _CURRENT) -> bool:
    """Whether the user's org owns ``obj`` (or is above its owner): the rule for changing it, whatever the
    action's role (datasets: 分级/密封/要素类型; governed models: revisions; subscriptions: the subscriber)."""
    rule = OWNERS.get(type(obj))
    return rule is None or rule(session, obj, viewer_scope(user, session))


def check_owner(session: Session, obj: Any, user: Any = _CURRENT, *, what: str) -> None:
    """NotFound when ``obj`` is out of the user's sight, PermissionDenied when it is not theirs to change."""
    scope = viewer_scope(user, session)
    if not sees(session, obj, scope):
        name, hint = _NAMES.get(type(obj), (type(obj).__name__, ""))
        raise NotFound(f"{what} 不存在", hint=hint or None)
    if not owns(session, obj, scope):
        who = scope.username if scope is not None else ""
        words = _OWNER_DENIED.get(type(obj), "用户 {who} 所在院不能修改{what}")
        raise PermissionDenied(words.format(who=who, what=what), hint=_OWNER_HINTS.get(type(obj)))


_OWNER_DENIED = {TextSubscription: "用户 {who} 不是{what}的订阅人，不能处理"}


_OWNER_HINTS = {Dataset: "数据集的分级、密封与要素类型只能由所属院（或其上级院）修改",
                GovModel: "模型只能由作者所在院（或其上级院）修订；其他院请采用已上架的模型",
                Run: "沙箱运行由发起人所在院（或其上级院）的数字办、院领导发布",
                TextSubscription: "只有订阅人或本院数字办、院领导、部门负责人可以处理该订阅"}


# ---------------------------------------------------------------------------------- presenting clues
# present_clue, mask_clue_text, show_subject … live in clue_rules (they need no SQLAlchemy: the light
# ``clue list`` masks with them too) and are imported above: the layer's names are unchanged.


def column_semantics(s: Session, version_ids: list[int]) -> dict[int, dict[str, str | None]]:
    """Semantic type of each column of each dataset version, read from the catalog directly (not through
    the viewer's dataset scope: masking must not depend on whether the viewer can see the dataset)."""
    out: dict[int, dict[str, str | None]] = {}
    for vid, name, sem in (s.query(DatasetColumn.version_id, DatasetColumn.name, DatasetColumn.semantic)
                           .filter(DatasetColumn.version_id.in_(version_ids or [-1]))):
        out.setdefault(vid, {})[name] = sem
    return out


def evidence_meta(ws, evidence: list[dict]) -> dict[tuple, dict]:
    """Classification of each evidence block's dataset version, read from the catalog directly:
    ``{(dataset, version): {"level", "columns": [{"name", "semantic", "level"}]}}`` (missing: unknown)."""
    from ..db.models import DatasetVersion

    out: dict[tuple, dict] = {}
    with ws.db.unit_of_work() as s:
        for e in evidence:
            key = (e["dataset"], e.get("version"))
            row = (s.query(DatasetVersion.id, Dataset.level).join(Dataset, Dataset.id == DatasetVersion.dataset_id)
                   .filter(Dataset.name == e["dataset"], DatasetVersion.version == e.get("version")).first())
            if row is None:
                continue
            cols = (s.query(DatasetColumn.name, DatasetColumn.semantic, DatasetColumn.level)
                    .filter(DatasetColumn.version_id == row[0]))
            out[key] = {"level": row[1], "columns": [{"name": n, "semantic": sem, "level": lv} for n, sem, lv in cols]}
    return out


def mask_evidence(ws, evidence: list[dict]) -> list[dict]:
    """Evidence rows masked by each column's semantic type; columns without one are checked cell by cell
    (a personal column name or a valid identifier value is masked; free text has its embedded
    identifiers masked).  Unknown metadata masks more, never less (fail closed)."""
    from ..catalog.masking import jsonable
    from ..db.models import DatasetVersion

    with ws.db.unit_of_work() as s:
        vids = {}
        for e in evidence:
            v = (s.query(DatasetVersion.id).join(Dataset, Dataset.id == DatasetVersion.dataset_id)
                 .filter(Dataset.name == e["dataset"], DatasetVersion.version == e.get("version")).scalar())
            vids[(e["dataset"], e.get("version"))] = v
        sems = column_semantics(s, [v for v in vids.values() if v is not None])

    def cell(col: str, sem: str | None, v: Any) -> Any:
        if v is None or col == "_row_id":
            return jsonable(v)
        return mask_cell(col, sem, v)

    out = []
    for e in evidence:
        sem = sems.get(vids.get((e["dataset"], e.get("version"))), {})
        rows = [[cell(c, sem.get(c), v) for c, v in zip(e["columns"], r, strict=False)] for r in e["rows"]]
        out.append({**e, "rows": rows, "masked": True})
    return out


def mask_cell(column: str, semantic: str | None, value: Any) -> Any:
    """One value as displayed: by the column's semantic type; else by the column's name or the value itself
    (a valid 身份证号/手机号/银行卡号); else free text with its embedded identifiers masked."""
    from ..catalog.masking import jsonable, mask_embedded, mask_value
    from ..clues.render import fact_semantic

    if value is None:
        return None
    from ..catalog.masking import MASKERS

    key = semantic or fact_semantic(column, value)
    if key and key in MASKERS:
        return jsonable(mask_value(key, str(value)))
    return mask_embedded(value) if isinstance(value, str) else jsonable(value)


def present_quality(report: dict, semantics: dict[str, str | None], *, sealed: bool,
                    user: Any = _CURRENT) -> dict:
    """A quality report as the user may see it: example values (invalid, future, duplicate keys) masked
    for identified users, and withheld for everyone on sealed data (only row numbers and counts)."""
    if viewer_scope(user) is None and not sealed:
        return report

    def shown(col: str, v: Any) -> Any:
        return "（密封数据，不显示）" if sealed else mask_cell(col, semantics.get(col), v)

    out = dict(report)
    cols = {}
    for name, entry in (report.get("columns") or {}).items():
        e = dict(entry)
        for k in ("invalid_examples", "future_examples"):
            if e.get(k):
                e[k] = [{**x, "value": shown(name, x.get("value"))} for x in e[k]]
        for k in ("min", "max", "top"):
            if sealed and k in e and isinstance(e[k], str):
                e[k] = shown(name, e[k])
        cols[name] = e
    out["columns"] = cols
    out["skipped"] = [{**x, "error": shown("", x.get("error")) if isinstance(x.get("error"), str) else x.get("error")}
                      for x in report.get("skipped") or []]
    dup = report.get("duplicates")
    if dup and dup.get("examples"):
        out["duplicates"] = {**dup, "examples": [{**x, "key": {k: shown(k, v) for k, v in (x.get("key") or {}).items()}}
                                                 for x in dup["examples"]]}
    return out


def clue_view(ws, clue_id: int, *, user: Any = _CURRENT, via: str = "web", evidence_rows: int = 20,
              audit: bool = True) -> dict:
    """One clue as the acting user may see it: scope (NotFound outside it) → fetch → mask → audit.

    Identified users always see masked values (unmasking is the separate, audited request with a reason:
    :func:`shujian.security.masking.unmasked_evidence`); the local operator (no scope) sees them in clear.
    """
    from ..clues.service import ClueService
    from .audit import record

    scope = viewer_scope(user)
    clear = scope is None
    c = ClueService(ws).get(clue_id, evidence_rows=evidence_rows, unmask_facts=True)
    out = present_clue(c, clear=clear)
    out["evidence"] = c["evidence"] if clear else mask_evidence(ws, c["evidence"])
    if audit:
        record(ws, "clue.view", target=f"clue:{clue_id}", detail={"via": via})
    return out


def owning_org_name(s: Session, org_id: int | None) -> str:
    org = s.get(Org, org_id) if org_id else None
    return org.name if org else "（平台）"
