"""Model governance service: versions, lifecycle, certification, trial accuracy, listing, adoption, 台账.

A version is editable while it is a draft; once submitted it is frozen and any change makes a new
version with a readable diff (model file and generated SQL).  Certification must be by someone
other than the author and records the three evaluations (建模必要性, 技术可行性, 线索准确性).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.orm import Session

from ..db.base import utcnow
from ..db.models import (
    Clue,
    GovEvent,
    GovModel,
    GovRevision,
    ModelAdoption,
    Org,
    Run,
    SupervisionMeasure,
    User,
)
from ..errors import InputError, NotFound, PermissionDenied, TransitionRefused
from ..orgs.service import OrgTree, find_org, find_user
from ..spec import Model
from ..workspace import Workspace
from .adoption import adopt_binding
from .rules import (
    CERTIFICATIONS,
    EVALUATIONS,
    LISTED,
    SCOPE_LEVEL,
    SCOPES,
    TRANSITIONS,
    VERIFIED_STATES,
    GovAction,
    action_of,
    actions_from,
    check_transition,
    permits,
)
from .versions import generated_sql, model_summary, parse_source, readable_diff, source_hash


class GovernanceService:
    def __init__(self, ws: Workspace, clock: Callable[[], datetime] = utcnow):
        self.ws = ws
        self.clock = clock

    # -- versions ---------------------------------------------------------------------------------
    def save(self, source: str, actor: str) -> dict:
        """Save a model file as a draft: edit the open draft, or start a new version after a submit."""
        model = parse_source(source)
        sql = generated_sql(self.ws, model)
        with self.ws.db.unit_of_work() as s:
            user = find_user(s, actor)
            gm = s.query(GovModel).filter_by(model_id=model.id).first()
            if gm is None:
                gm = self._new_model(s, model, user)
            else:
                _check_owner(s, gm, user)
            latest = _latest(s, gm)
            if latest is not None and latest.author_id not in (None, user.id) and latest.submitted_at is None:
                raise PermissionDenied(f"模型 {model.id} 第{latest.number}版草稿由他人编辑中，不能覆盖",
                                       hint="等作者提交后再修订")
            if latest is not None and latest.submitted_at is None:
                latest.source, latest.sql, latest.hash = source, sql, source_hash(source)
                rev = latest
                rev.diff = self._diff_to_previous(s, gm, rev)
            elif latest is not None and latest.hash == source_hash(source):
                return revision_dict(latest)            # nothing changed: nothing to record
            else:
                rev = GovRevision(gov_model_id=gm.id, number=(latest.number + 1) if latest else 1, source=source,
                                  sql=sql, hash=source_hash(source), author_id=user.id, created_at=self.clock())
                s.add(rev)
                s.flush()
                rev.diff = self._diff_to_previous(s, gm, rev)
                if latest is not None:
                    self._revised(s, gm, user, rev.number, latest.number)
            gm.name, gm.line, gm.point = model.name, model.line, model.point
            _audit(self.ws, s, "model.edit", gm, user, {"revision": rev.number, "hash": rev.hash, "state": gm.state})
            return revision_dict(rev)

    def edit_revision(self, model_id: str, number: int, source: str, actor: str) -> dict:
        """Change one named version in place: refused once it has been submitted (immutable)."""
        with self.ws.db.unit_of_work() as s:
            gm = _gov(s, model_id)
            rev = s.query(GovRevision).filter_by(gov_model_id=gm.id, number=number).first()
            if rev is None:
                raise NotFound(f"模型 {model_id} 没有第{number}版")
            if rev.submitted_at is not None:
                raise TransitionRefused(f"模型 {model_id} 第{number}版已于 {rev.submitted_at:%Y-%m-%d} 提交，不可修改",
                                        hint="修改会生成新版本：用 shujian model-gov save 保存修改后的模型文件")
        return self.save(source, actor)

    def revisions(self, model_id: str) -> list[dict]:
        with self.ws.db.unit_of_work() as s:
            gm = _gov(s, model_id)
            q = s.query(GovRevision).filter_by(gov_model_id=gm.id).order_by(GovRevision.number)
            return [revision_dict(r) for r in q]

    # -- lifecycle --------------------------------------------------------------------------------
    def submit(self, model_id: str, actor: str) -> dict:
        """草稿 → 提交: freeze the draft version and register it for runs."""
        from ..runs.models import record_version

        with self.ws.db.unit_of_work() as s:
            gm, user = _gov(s, model_id), find_user(s, actor)
            rev = _latest(s, gm)
            if rev is None or rev.submitted_at is not None:
                raise TransitionRefused(f"模型 {model_id} 没有待提交的草稿版本", hint="先保存修改后的模型文件")
            if user.id != gm.author_id and user.id != rev.author_id:
                raise PermissionDenied(f"只有作者可以提交模型 {model_id}", hint="请作者本人提交")
            if gm.state in LISTED and listed_revision(s, gm) is not None:
                # a new version of a listed model: it goes through certification, the listed one keeps running
                # (its draft is submitted like any draft: the table's roles for 草稿 → 提交)
                check_transition("草稿", GovAction.SUBMIT, user.roles or (), what=f"模型 {model_id}",
                                 who=f"用户 {user.name}")
                source, gm.state = gm.state, "提交"
                self._event(s, gm, user, "提交", source, "提交", rev.number,
                            f"第{rev.number}版提交认证；认证并上架前仍运行第{listed_revision(s, gm)}版")
            else:
                self._move(s, gm, "提交", user, rev.number, None)
            rev.submitted_at = self.clock()
            record_version(s, parse_source(rev.source), builtin=False)
            _audit(self.ws, s, "model.certify", gm, user, {"action": "提交", "revision": rev.number, "to": gm.state})
            return model_dict(s, gm)

    def certify(self, model_id: str, kind: str, actor: str, evaluations: dict[str, dict], comment: str = "") -> dict:
        """业务认证 / 数字认证 with the three evaluations; a failed one sends the model back to 草稿."""
        if kind not in CERTIFICATIONS:
            raise InputError(f"认证类型“{kind}”无效", hint=f"可选：{'、'.join(CERTIFICATIONS)}")
        missing = [e for e in EVALUATIONS if e not in evaluations]
        if missing:
            raise InputError(f"模型 {model_id} 的{kind}缺少评估：{'、'.join(missing)}",
                             hint="三轮评估（建模必要性、技术可行性、线索准确性）各需结论与意见")
        passed = all(bool(evaluations[e].get("passed")) for e in EVALUATIONS)
        with self.ws.db.unit_of_work() as s:
            gm, user = _gov(s, model_id), find_user(s, actor)
            rev = _latest(s, gm)
            if user.id in (gm.author_id, rev.author_id if rev else None):
                raise PermissionDenied(f"用户 {user.name} 是模型 {model_id} 的作者，不能认证自己的模型",
                                       hint="认证须由作者以外的人员进行")
            evals = {e: {"passed": bool(evaluations[e].get("passed")), "comment": evaluations[e].get("comment", "")}
                     for e in EVALUATIONS}
            source = gm.state
            self._move(s, gm, kind if passed else "退回", user, rev.number, comment,
                       evaluations=evals, check_action=kind)
            _audit(self.ws, s, "model.certify", gm, user, {"action": kind, "passed": passed, "from": source,
                                                           "to": gm.state, "revision": rev.number})
            return model_dict(s, gm)

    def advance(self, model_id: str, action: str, actor: str, *, scope: str | None = None,
                reason: str | None = None, min_checked: int = 1) -> dict:
        """试运行, 上架 (with 市/省/全国 scope and the measured trial accuracy), 推广, 下架, 退回."""
        if action in ("提交", *CERTIFICATIONS):
            raise InputError(f"“{action}”请用对应命令", hint="shujian model-gov submit / certify")
        with self.ws.db.unit_of_work() as s:
            gm, user = _gov(s, model_id), find_user(s, actor)
            if action_of(action) is None:
                raise InputError(f"模型治理操作“{action}”无效", hint=f"可选：{'、'.join(TRANSITIONS)}")
            self._check_move(gm, action, user)
            if action in ("上架", "推广"):
                self._listing(s, gm, action, scope, min_checked)
            if action in ("下架", "退回") and not (reason or "").strip():
                raise TransitionRefused(f"模型 {model_id}“{action}”必须写明理由", hint="用 --reason 说明")
            rev, source = _latest(s, gm), gm.state
            self._move(s, gm, action, user, rev.number if rev else None, reason)
            _audit(self.ws, s, "model.certify", gm, user, {"action": action, "from": source, "to": gm.state,
                                                           "scope": gm.scope, "revision": rev.number if rev else None},
                   reason=reason)
            return model_dict(s, gm)

    def allowed_actions(self, model_id: str, actor: str) -> list[str]:
        """The lifecycle actions ``actor`` may take on the model now: allowed from its state, granted to one
        of the actor's roles, 提交 only by the author with a draft, certification never by the author."""
        with self.ws.db.unit_of_work() as s:
            gm, user = _gov(s, model_id), find_user(s, actor)
            rev = _latest(s, gm)
            draft = rev is not None and rev.submitted_at is None
            author = user.id in (gm.author_id, rev.author_id if rev else None)
            out = []
            for action in actions_from(gm.state) + ([GovAction.SUBMIT] if draft and gm.state in LISTED else []):
                state = gm.state if action != GovAction.SUBMIT else "草稿"     # a listed model's new draft
                if not permits(state, action, user.roles or ()):
                    continue
                if action == "提交" and not (draft and author):
                    continue
                if action in CERTIFICATIONS and author:
                    continue
                out.append(action.value)
            return out

    def check_runnable(self, model_id: str) -> None:
        """Refuse a run of a model that was 下架 (a model outside governance runs freely)."""
        with self.ws.db.unit_of_work() as s:
            gm = s.query(GovModel).filter_by(model_id=model_id).first()
            if gm is None or gm.state != "下架":
                return
            ev = (s.query(GovEvent).filter_by(gov_model_id=gm.id, action="下架").order_by(GovEvent.id.desc()).first())
            why = f"（理由：{ev.comment}）" if ev is not None and ev.comment else ""
            raise TransitionRefused(f"模型“{gm.name}”已下架{why}，不能运行",
                                    hint="如需恢复使用，请修订模型并重新提交认证、试运行、上架")

    def runnable_source(self, model_id: str) -> str | None:
        """The model file a run uses: the listed version while the model is listed (a newer draft or a
        version under certification does not replace it yet), else None (the latest version)."""
        with self.ws.db.unit_of_work() as s:
            gm = s.query(GovModel).filter_by(model_id=model_id).first()
            number = listed_revision(s, gm) if gm is not None else None
            return _revision(s, gm, number).source if number is not None else None

    def certified_source(self, model_id: str) -> str | None:
        """The latest submitted version's model file while the model is past both certifications (数字认证,
        试运行, 上架, 推广), else None: what may replace a built-in model's shipped file for the 院's runs."""
        from ..security.masking import CERTIFIED_STATES

        with self.ws.db.unit_of_work() as s:
            gm = s.query(GovModel).filter_by(model_id=model_id).first()
            if gm is None or gm.state not in CERTIFIED_STATES:
                return None
            try:
                return _latest_submitted(s, gm).source
            except TransitionRefused:
                return None

    def trial_accuracy(self, model_id: str) -> dict:
        """线索准确性 from worked clues: verified ÷ checked (checked = verified + 排除)."""
        with self.ws.db.unit_of_work() as s:
            return _accuracy(s, model_id)

    # -- listing and adoption ---------------------------------------------------------------------
    def visible_to(self, org: str | int) -> list[dict]:
        """Listed models another org may adopt (the author org's 市/省 subtree, or 全国)."""
        with self.ws.db.unit_of_work() as s:
            target, tree = find_org(s, org), OrgTree.load(s)
            return [model_dict(s, gm) for gm in s.query(GovModel).order_by(GovModel.id)
                    if listed_revision(s, gm) is not None and _visible(s, gm, target.id, tree)]

    def adopt(self, model_id: str, org: str | int, actor: str, mapping: dict | None = None) -> dict:
        """Map the org's datasets/columns to the model inputs: stored as the org's 数据绑定 when every
        required field resolves, else each missing field is reported (see governance.adoption)."""
        with self.ws.db.unit_of_work() as s:
            gm, user, target = _gov(s, model_id), find_user(s, actor), find_org(s, org)
            if listed_revision(s, gm) is None:
                raise TransitionRefused(f"模型“{gm.name}”当前状态为“{gm.state}”，尚未上架，不能采用",
                                        hint="上架后（院领导或数字办在模型页“认证与上架”中操作）才能采用")
            if not _visible(s, gm, target.id):
                raise PermissionDenied(f"模型 {model_id} 的上架范围为“{gm.scope}”，{target.name}不在范围内",
                                       hint="请上架院将模型推广到更大范围")
            if user.org_id != target.id:
                raise PermissionDenied(f"用户 {user.name} 不属于 {target.name}，不能替该院采用模型")
            model = parse_source(_revision(s, gm, listed_revision(s, gm)).source)
            gm_id, target_id, target_name, user_id = gm.id, target.id, target.name, user.id
        # one transaction: the binding, the adoption and their audit records (model.bind, model.adopt)
        with self.ws.db.unit_of_work() as s:
            resolved, missing, bound = adopt_binding(self.ws, model, target_id, mapping, actor, session=s)
            ad = s.query(ModelAdoption).filter_by(gov_model_id=gm_id, org_id=target_id).first()
            if ad is None:
                ad = ModelAdoption(gov_model_id=gm_id, org_id=target_id)
                s.add(ad)
            ad.mapping, ad.missing, ad.adopted_by, ad.at = resolved, missing, user_id, self.clock()
            ad.status = "缺字段" if missing else "已采用"
            s.flush()
            _audit(self.ws, s, "model.adopt", s.get(GovModel, gm_id), s.get(User, user_id),
                   {"org": target_name, "status": ad.status, "missing": len(missing)})
            return {"model_id": model_id, "org": target_name, "status": ad.status, "mapping": resolved,
                    "missing": missing, "binding": bound}

    def adoptions(self, model_id: str) -> list[dict]:
        """Who adopted the model (as the 台账's 采用院 column lists them): one row per adopting org with
        the status (已采用 / 缺字段) and the missing fields."""
        with self.ws.db.unit_of_work() as s:
            gm = _gov(s, model_id)
            out = []
            for ad in s.query(ModelAdoption).filter_by(gov_model_id=gm.id).order_by(ModelAdoption.id):
                by = s.get(User, ad.adopted_by) if ad.adopted_by else None
                out.append({"org": s.get(Org, ad.org_id).name, "status": ad.status, "missing": ad.missing or [],
                            "by": by.name if by else None, "at": ad.at.isoformat() if ad.at else None})
            return out

    # -- reading ----------------------------------------------------------------------------------
    def get(self, model_id: str) -> dict:
        with self.ws.db.unit_of_work() as s:
            gm = _gov(s, model_id)
            out = model_dict(s, gm)
            out["events"] = [_event_dict(s, e) for e in
                             s.query(GovEvent).filter_by(gov_model_id=gm.id).order_by(GovEvent.id)]
            return out

    def ledger(self, model_id: str | None = None) -> list[dict]:
        """The model ledger (模型台账): one row per governed model the acting user may see (access layer);
        ``model_id``: that model's row only (a model page; the whole ledger costs ≈ 16 statements a model)."""
        from ..security.access import restrict

        with self.ws.db.unit_of_work() as s:
            q = restrict(s.query(GovModel), GovModel)
            if model_id is not None:
                q = q.filter(GovModel.model_id == model_id)
            return ledger_rows(s, q.order_by(GovModel.number).all())

    # -- internals --------------------------------------------------------------------------------
    def _new_model(self, s: Session, model: Model, user: User) -> GovModel:
        org = s.get(Org, user.org_id)
        seq = s.query(func.count(GovModel.id)).filter(GovModel.author_org_id == org.id).scalar() + 1
        gm = GovModel(model_id=model.id, number=f"{org.code}-{seq:04d}", name=model.name, line=model.line,
                      point=model.point, state="草稿", author_id=user.id, author_org_id=org.id,
                      created_at=self.clock())
        s.add(gm)
        s.flush()
        self._event(s, gm, user, "创建", None, "草稿", 1, None)
        return gm

    def _revised(self, s: Session, gm: GovModel, user: User, number: int, previous: int) -> None:
        """A new draft version: a listed model stays listed on its listed version (the draft is certified
        again before it replaces it); any other model goes back to 草稿."""
        listed = listed_revision(s, gm)
        if listed is not None:
            self._event(s, gm, user, "修订", gm.state, gm.state, number,
                        f"由第{previous}版修订为第{number}版草稿；上架版本仍为第{listed}版")
            return
        self._event(s, gm, user, "修订", gm.state, "草稿", number, f"由第{previous}版修订")
        gm.state = "草稿"

    def _diff_to_previous(self, s: Session, gm: GovModel, rev: GovRevision) -> str | None:
        prev = (s.query(GovRevision).filter(GovRevision.gov_model_id == gm.id, GovRevision.number < rev.number)
                .order_by(GovRevision.number.desc()).first())
        if prev is None:
            return None
        return readable_diff(prev.number, prev.source, prev.sql, rev.number, rev.source, rev.sql)

    def _move(self, s: Session, gm: GovModel, action: str, user: User, revision: int | None,
              comment: str | None, *, evaluations: dict | None = None, check_action: str | None = None) -> None:
        rule_action = check_action or action
        target = self._check_move(gm, rule_action, user)
        if action == "退回":
            target = "草稿"
        source, gm.state = gm.state, target
        self._event(s, gm, user, action if action != "退回" or not check_action else f"{check_action}未通过",
                    source, target, revision, comment, evaluations)

    @staticmethod
    def _check_move(gm: GovModel, action: str, user: User) -> str:
        """The target state of ``action``, or a refusal naming the state, the action and who may act
        (the lifecycle table: :func:`shujian.governance.rules.check_transition`)."""
        return check_transition(gm.state, action, user.roles or (), what=f"模型 {gm.model_id}",
                                who=f"用户 {user.name}（角色：{'、'.join(user.roles or []) or '无'}）").value

    def _listing(self, s: Session, gm: GovModel, action: str, scope: str | None, min_checked: int) -> None:
        if scope not in SCOPES:
            raise InputError(f"模型 {gm.model_id}“{action}”需要范围（{'/'.join(SCOPES)}），收到“{scope}”",
                             hint="例如 --scope 市")
        if action == "上架":
            acc = _accuracy(s, gm.model_id)
            if acc["checked"] < min_checked:
                raise TransitionRefused(f"模型 {gm.model_id} 试运行核查线索 {acc['checked']} 条，少于 {min_checked} 条，"
                                        "无法计算线索准确性，不能上架", hint="先在试运行中核查线索（成案或排除）")
            minimum = self.ws.settings.listing_min_accuracy
            if acc["accuracy"] < minimum:
                raise TransitionRefused(
                    f"模型“{gm.name}”试运行线索准确性为 {acc['accuracy']:.0%}（已核查 {acc['checked']} 条，属实 "
                    f"{acc['verified']} 条），低于上架最低要求 {minimum:.0%}，不能上架",
                    hint="继续试运行并核查线索，或修订模型后重新试运行；最低要求由设置 SHUJIAN_LISTING_MIN_ACCURACY 调整")
            gm.trial_accuracy, gm.listed_on = acc["accuracy"], self.clock().date()
        elif SCOPES.index(scope) < SCOPES.index(gm.scope or "市"):
            raise InputError(f"推广范围“{scope}”小于现有上架范围“{gm.scope}”")
        gm.scope = scope

    def _event(self, s: Session, gm: GovModel, user: User | None, action: str, source: str | None,
               target: str | None, revision: int | None, comment: str | None, evaluations: dict | None = None
               ) -> None:
        s.add(GovEvent(gov_model_id=gm.id, revision=revision, at=self.clock(), actor_id=user.id if user else None,
                       action=action, from_state=source, to_state=target, evaluations=evaluations or {},
                       comment=comment))
        s.flush()


# ---------------------------------------------------------------------------------- helpers
def _audit(ws: Workspace, s: Session, action: str, gm: GovModel, user: User, detail: dict,
           reason: str | None = None) -> None:
    """The audit record of a governance change, in the change's transaction (they commit together)."""
    from ..security.audit import record

    record(ws, action, actor=user.username, org_id=user.org_id, target=f"model:{gm.model_id}", reason=reason,
           detail=detail, session=s)


def _gov(s: Session, model_id: str) -> GovModel:
    """A governed model the acting user may see; another org's draft is as if missing (404, never 409)."""
    from ..security.access import sees
    from ..security.scope import current_scope

    gm = s.query(GovModel).filter_by(model_id=model_id).first()
    if gm is None or not sees(s, gm, current_scope()):
        raise NotFound(f"模型 {model_id} 未登记到模型台账", hint="用 shujian model-gov save 模型文件 登记")
    return gm


def _check_owner(s: Session, gm: GovModel, user: User) -> None:
    """Saving a revision: the model must be visible to ``user`` and belong to their org or one below it
    (a listed model is adopted by other orgs, never revised by them)."""
    from ..security.access import check_owner, sees
    from ..security.scope import scope_for

    scope = scope_for(s, user.username, user.org_id, user.roles)
    if not sees(s, gm, scope):          # the id is taken by a model this user may not see: say only that
        raise InputError(f"模型编号“{gm.model_id}”已被使用", hint="换一个模型编号（id）")
    check_owner(s, gm, scope, what=f"模型 {gm.model_id}")


def _latest(s: Session, gm: GovModel) -> GovRevision | None:
    return s.query(GovRevision).filter_by(gov_model_id=gm.id).order_by(GovRevision.number.desc()).first()


def listed_revision(s: Session, gm: GovModel) -> int | None:
    """The version number that is listed (上架/推广) now, or None: the version of the latest listing event,
    unless the model was 下架 after it."""
    ev = (s.query(GovEvent).filter(GovEvent.gov_model_id == gm.id, GovEvent.action.in_(("上架", "推广", "下架")))
          .order_by(GovEvent.id.desc()).first())
    return ev.revision if ev is not None and ev.action != "下架" else None


def _revision(s: Session, gm: GovModel, number: int | None) -> GovRevision:
    rev = s.query(GovRevision).filter_by(gov_model_id=gm.id, number=number).first() if number else None
    return rev if rev is not None else _latest_submitted(s, gm)


def _latest_submitted(s: Session, gm: GovModel) -> GovRevision:
    rev = (s.query(GovRevision).filter(GovRevision.gov_model_id == gm.id, GovRevision.submitted_at.isnot(None))
           .order_by(GovRevision.number.desc()).first())
    if rev is None:
        raise TransitionRefused(f"模型 {gm.model_id} 还没有提交过的版本")
    return rev


def _scope_root(gm: GovModel, tree: OrgTree) -> int | None:
    level = SCOPE_LEVEL[gm.scope or "市"]
    for oid in tree.ancestors(gm.author_org_id):
        if tree.level.get(oid) == level:
            return oid
    return gm.author_org_id


def _visible(s: Session, gm: GovModel, org_id: int, tree: OrgTree | None = None) -> bool:
    """Whether ``org_id`` lies in the listing range of ``gm`` (the 市/省 subtree of its author org, or
    全国).  ``tree``: the org tree when the caller asks this of many models (read once)."""
    if gm.scope == "全国":
        return True
    tree = tree or OrgTree.load(s)
    root = _scope_root(gm, tree)
    return root is not None and org_id in tree.descendants(root)


def _accuracy(s: Session, model_id: str) -> dict:
    counts = dict(s.query(Clue.state, func.count()).filter(Clue.model_id == model_id).group_by(Clue.state).all())
    verified = sum(counts.get(st, 0) for st in VERIFIED_STATES)
    checked = verified + counts.get("排除", 0)
    return {"model_id": model_id, "verified": verified, "checked": checked,
            "accuracy": round(verified / checked, 4) if checked else None}


def revision_dict(r: GovRevision) -> dict:
    return {"number": r.number, "hash": r.hash, "submitted": r.submitted_at is not None,
            "submitted_at": r.submitted_at.isoformat() if r.submitted_at else None, "diff": r.diff,
            "has_sql": r.sql is not None, "source": r.source, "sql": r.sql}


def model_dict(s: Session, gm: GovModel) -> dict:
    author = s.get(User, gm.author_id) if gm.author_id else None
    org = s.get(Org, gm.author_org_id) if gm.author_org_id else None
    rev = _latest(s, gm)
    return {"model_id": gm.model_id, "number": gm.number, "name": gm.name, "line": gm.line, "point": gm.point,
            "state": gm.state, "version": rev.number if rev else None, "author": author.name if author else None,
            "author_org": org.name if org else None, "scope": gm.scope,
            "listed_on": gm.listed_on.isoformat() if gm.listed_on else None, "trial_accuracy": gm.trial_accuracy,
            "listed_version": listed_revision(s, gm)}


def _event_dict(s: Session, e: GovEvent) -> dict:
    user = s.get(User, e.actor_id) if e.actor_id else None
    return {"at": e.at.isoformat(), "actor": user.username if user else "系统",
            "actor_name": user.name if user else "系统", "action": e.action,
            "from": e.from_state, "to": e.to_state, "revision": e.revision, "evaluations": e.evaluations,
            "comment": e.comment}


def ledger_rows(s: Session, gms: list[GovModel]) -> list[dict]:
    """The 台账 rows of ``gms``, in their order, with a fixed number of statements whatever their number
    (one grouped query per figure; asked model by model it was ≈ 16 statements a model, ~200 for the
    demo's 12 on every model list and dashboard)."""
    if not gms:
        return []
    ids, mids = [gm.id for gm in gms], sorted({gm.model_id for gm in gms})
    users = dict(s.query(User.id, User.name).filter(User.id.in_({gm.author_id for gm in gms if gm.author_id})))
    org_names = dict(s.query(Org.id, Org.name).filter(Org.id.in_({gm.author_org_id for gm in gms
                                                                   if gm.author_org_id})))
    newest = (s.query(GovRevision.gov_model_id, func.max(GovRevision.number).label("n"))
              .filter(GovRevision.gov_model_id.in_(ids)).group_by(GovRevision.gov_model_id).subquery())
    latest = {r.gov_model_id: r for r in s.query(GovRevision).join(
        newest, (GovRevision.gov_model_id == newest.c.gov_model_id) & (GovRevision.number == newest.c.n))}

    def last_events(actions, *, each: bool = False) -> dict[tuple[int, str], GovEvent]:
        """The newest event of each model among ``actions`` (of each action too, with ``each``)."""
        last = (s.query(func.max(GovEvent.id)).filter(GovEvent.gov_model_id.in_(ids), GovEvent.action.in_(actions))
                .group_by(GovEvent.gov_model_id, *((GovEvent.action,) if each else ())))
        return {(e.gov_model_id, e.action): e for e in s.query(GovEvent).filter(GovEvent.id.in_(last.scalar_subquery()))}

    listing = {gid: e for (gid, _), e in last_events(("上架", "推广", "下架")).items()}
    certified = last_events(CERTIFICATIONS, each=True)
    certifiers = dict(s.query(User.id, User.name).filter(User.id.in_({e.actor_id for e in certified.values()
                                                                       if e.actor_id})))
    adopting: dict[int, list[str]] = {}
    for gid, name in (s.query(ModelAdoption.gov_model_id, Org.name).join(Org, Org.id == ModelAdoption.org_id)
                      .filter(ModelAdoption.gov_model_id.in_(ids), ModelAdoption.status == "已采用")
                      .order_by(ModelAdoption.id)):
        adopting.setdefault(gid, []).append(name)
    # a sandbox run counts once it is published (its results became clues); until then it is a modeller's try
    counted = Run.model_id.in_(mids) & (~Run.sandbox | Run.published_at.is_not(None))
    runs = {m: (n, last) for m, n, last in s.query(Run.model_id, func.count(Run.id), func.max(Run.started_at))
            .filter(counted).group_by(Run.model_id)}
    states: dict[str, dict] = {}
    for m, state, n in (s.query(Clue.model_id, Clue.state, func.count()).filter(Clue.model_id.in_(mids))
                        .group_by(Clue.model_id, Clue.state)):
        states.setdefault(m, {})[state] = n
    cases = dict(s.query(Clue.model_id, func.count(Clue.id)).filter(Clue.model_id.in_(mids),
                                                                    Clue.case_number.isnot(None))
                 .group_by(Clue.model_id))
    measures = {m: (n, money) for m, n, money in
                s.query(Clue.model_id, func.count(SupervisionMeasure.id),
                        func.coalesce(func.sum(SupervisionMeasure.money_recovered), 0))
                .join(Clue, Clue.id == SupervisionMeasure.clue_id)
                .filter(Clue.model_id.in_(mids), SupervisionMeasure.adopted.is_(True)).group_by(Clue.model_id)}
    out = []
    for gm in gms:
        rev, listed = latest.get(gm.id), listing.get(gm.id)
        row = {"model_id": gm.model_id, "number": gm.number, "name": gm.name, "line": gm.line, "point": gm.point,
               "state": gm.state, "version": rev.number if rev else None,
               "author": users.get(gm.author_id) if gm.author_id else None,
               "author_org": org_names.get(gm.author_org_id) if gm.author_org_id else None, "scope": gm.scope,
               "listed_on": gm.listed_on.isoformat() if gm.listed_on else None,
               "trial_accuracy": gm.trial_accuracy,
               "listed_version": listed.revision if listed is not None and listed.action != "下架" else None}
        row.update(model_summary(parse_source(rev.source)) if rev else {})
        row["certification"] = {kind: f"通过（{certifiers.get(ev.actor_id, '')}，{ev.at:%Y-%m-%d}）"
                                for kind in CERTIFICATIONS if (ev := certified.get((gm.id, kind))) is not None}
        row["adopting_orgs"] = adopting.get(gm.id, [])
        n_runs, last = runs.get(gm.model_id, (0, None))
        row["runs"], row["last_run"] = n_runs, last.isoformat() if last else None
        by_state = states.get(gm.model_id, {})
        row["clues"] = sum(by_state.values())
        row["verified"] = sum(by_state.get(st, 0) for st in VERIFIED_STATES)
        row["cases"] = cases.get(gm.model_id, 0)
        n_measures, money = measures.get(gm.model_id, (0, 0))
        row["measures_adopted"], row["money_recovered"] = n_measures, float(money or 0)
        out.append(row)
    return out
