"""The model lifecycle as data: 草稿 → 提交 → 业务认证 → 数字认证 → 试运行 → 上架 → 推广 → 下架.

States and actions are :class:`enum.StrEnum` members whose values are the Chinese words stored in
``gov_models.state`` / ``gov_events`` and shown to users.  :data:`TRANSITIONS` is keyed by the action;
every check — the service, the model page's offered actions, :func:`shujian.security.access.allowed` —
goes through :func:`check_transition` / :func:`permits`.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import NamedTuple

from ..errors import PermissionDenied, TransitionRefused
from ..orgs.roles import DEPT_HEAD, DIGITAL, LEADER, PROSECUTOR


class GovState(StrEnum):
    """模型状态."""

    DRAFT = "草稿"
    SUBMITTED = "提交"
    BUSINESS_CERTIFIED = "业务认证"
    DIGITAL_CERTIFIED = "数字认证"
    TRIAL = "试运行"
    LISTED = "上架"
    PROMOTED = "推广"
    DELISTED = "下架"


class GovAction(StrEnum):
    """模型治理操作."""

    SUBMIT = "提交"
    CERTIFY_BUSINESS = "业务认证"
    CERTIFY_DIGITAL = "数字认证"
    TRIAL = "试运行"
    LIST = "上架"
    PROMOTE = "推广"
    DELIST = "下架"
    RETURN = "退回"


class Rule(NamedTuple):
    sources: tuple[GovState, ...]
    target: GovState
    roles: frozenset[str]


S, A = GovState, GovAction
STATES: tuple[GovState, ...] = tuple(GovState)
LISTED = (S.LISTED, S.PROMOTED)
EVALUATIONS = ("建模必要性", "技术可行性", "线索准确性")     # 三轮评估
SCOPES = ("市", "省", "全国")
SCOPE_LEVEL = {"市": "市院", "省": "省院", "全国": "最高检"}

#: action → (from states, to state, roles)
TRANSITIONS: dict[GovAction, Rule] = {
    A.SUBMIT: Rule((S.DRAFT,), S.SUBMITTED, frozenset({PROSECUTOR, DEPT_HEAD, LEADER, DIGITAL})),
    A.CERTIFY_BUSINESS: Rule((S.SUBMITTED,), S.BUSINESS_CERTIFIED, frozenset({DEPT_HEAD, LEADER})),
    A.CERTIFY_DIGITAL: Rule((S.BUSINESS_CERTIFIED,), S.DIGITAL_CERTIFIED, frozenset({DIGITAL})),
    A.TRIAL: Rule((S.DIGITAL_CERTIFIED,), S.TRIAL, frozenset({DIGITAL, LEADER})),
    A.LIST: Rule((S.TRIAL,), S.LISTED, frozenset({LEADER, DIGITAL})),
    A.PROMOTE: Rule((S.LISTED, S.PROMOTED), S.PROMOTED, frozenset({LEADER})),
    A.DELIST: Rule((S.LISTED, S.PROMOTED, S.TRIAL), S.DELISTED, frozenset({LEADER, DIGITAL})),
    A.RETURN: Rule((S.SUBMITTED, S.BUSINESS_CERTIFIED, S.DIGITAL_CERTIFIED, S.TRIAL), S.DRAFT,
                   frozenset({DEPT_HEAD, LEADER, DIGITAL})),
}
CERTIFICATIONS = (A.CERTIFY_BUSINESS, A.CERTIFY_DIGITAL)
VERIFIED_STATES = ("成案", "监督措施", "跟踪", "办结")      # a clue that proved true


def action_of(value: str) -> GovAction | None:
    """The governance action named ``value``, or None."""
    return GovAction._value2member_map_.get(value)          # type: ignore[return-value]


def actions_from(state: str) -> list[GovAction]:
    """The lifecycle actions allowed from ``state``, in lifecycle order (a page offers only these)."""
    return [a for a, rule in TRANSITIONS.items() if state in rule.sources]


def who_can(action: str) -> str:
    """``'“数字认证”只能在“业务认证”时由数字办执行'`` (for error messages)."""
    a = action_of(action)
    if a is None:
        return f"“{action}”不是模型治理操作（可选：{'、'.join(GovAction)}）"
    rule = TRANSITIONS[a]
    return f"“{a}”只能在{''.join(f'“{s}”' for s in rule.sources)}时由{'、'.join(sorted(rule.roles))}执行"


def permits(state: str, action: str, roles: Iterable[str]) -> bool:
    """Whether the table lets one of ``roles`` take ``action`` from ``state``."""
    a = action_of(action)
    return a is not None and state in TRANSITIONS[a].sources and bool(set(roles) & TRANSITIONS[a].roles)


def check_transition(state: str, action: str, roles: Iterable[str], *, what: str = "模型",
                     who: str = "用户") -> GovState:
    """The state ``action`` leads to from ``state`` for a user with ``roles``; else TransitionRefused (not
    from this state, or not an action) or PermissionDenied (not these roles), naming the state, the action
    and who could take it.  ``what`` names the model (``模型 pension-during-custody``)."""
    a = action_of(action)
    if a is None or state not in TRANSITIONS[a].sources:
        allowed = "、".join(actions_from(state)) or "无"
        raise TransitionRefused(f"{what} 当前状态为“{state}”，不能“{action}”：{who_can(action)}",
                                hint=f"从“{state}”可执行：{allowed}")
    rule = TRANSITIONS[a]
    if not set(roles) & rule.roles:
        raise PermissionDenied(f"{who}无权对{what}执行“{a}”：在“{state}”时该操作由{'、'.join(sorted(rule.roles))}办理",
                               hint=f"需要角色：{'、'.join(sorted(rule.roles))}")
    return rule.target
