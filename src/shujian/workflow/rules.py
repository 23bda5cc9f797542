"""The clue lifecycle as data: states, transitions, who may take them and what each one needs.

生成 → 研判 → 交办 → 核查 → 排除 | 成案 → 监督措施 → 跟踪 → 办结, with 退回 and 重新打开.
States and actions are :class:`enum.StrEnum` members whose values are the Chinese words stored in the
database and shown to users (a member equals its word: ``ClueState.GENERATED == "生成"``).  A transition
is one row of :data:`TRANSITIONS`, keyed by (state, action) in :data:`TABLE`; every check — the
service, the web's offered actions, :func:`shujian.security.access.allowed` — goes through
:func:`check_transition` / :func:`permits`, so nothing outside the table is ever allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from ..errors import PermissionDenied, TransitionRefused
from ..orgs.roles import DEPT_HEAD, DIGITAL, LEADER, PROSECUTOR


class ClueState(StrEnum):
    """线索状态 (the values are stored in ``clues.state`` and ``clue_events``)."""

    GENERATED = "生成"
    JUDGING = "研判"
    ASSIGNED = "交办"
    CHECKING = "核查"
    EXCLUDED = "排除"
    CASE = "成案"
    MEASURE = "监督措施"
    TRACKING = "跟踪"
    CLOSED = "办结"


class ClueAction(StrEnum):
    """线索流转操作 (the values are stored in ``clue_events.action``)."""

    JUDGE = "研判"
    ASSIGN = "交办"
    CHECK = "核查"
    EXCLUDE = "排除"
    FILE_CASE = "成案"
    MEASURE = "监督措施"
    TRACK = "跟踪"
    CLOSE = "办结"
    RETURN = "退回"
    REOPEN = "重新打开"


S, A = ClueState, ClueAction
STATES: tuple[ClueState, ...] = tuple(ClueState)
OPEN_STATES = (S.GENERATED, S.JUDGING, S.ASSIGNED, S.CHECKING)      # not yet decided
FINAL_STATES = (S.EXCLUDED, S.CLOSED)

EXCLUSION_TYPES: tuple[str, ...] = ("数据错误", "法定例外", "已整改", "重复", "证据不足", "其他")

# 监督措施 and their 监督强度: 柔性 (transfer for self-correction) → 正式 → 刚性.
MEASURES: dict[str, str] = {
    "移送整改": "柔性", "通报": "柔性", "工作联系函": "柔性",
    "检察建议": "正式", "纠正违法通知书": "正式", "检察意见": "正式", "社会治理检察建议": "正式",
    "抗诉": "刚性", "再审检察建议": "刚性", "支持起诉": "刚性", "公益诉讼起诉": "刚性",
    "提请上级院监督": "刚性",
}
GOVERNANCE_OUTCOMES = ("会签机制", "规范性文件", "专项整治", "制度完善", "其他")
REPLY_MONTHS = 2          # 检察建议 and 检察意见: reply within two months

ALL_WORKERS = frozenset({PROSECUTOR, DEPT_HEAD, LEADER, DIGITAL})
DECIDERS = frozenset({DEPT_HEAD, LEADER})
DISPATCHERS = frozenset({DEPT_HEAD, LEADER, DIGITAL})
HANDLERS = frozenset({PROSECUTOR, DEPT_HEAD, LEADER})


@dataclass(frozen=True)
class Transition:
    action: ClueAction
    source: ClueState
    target: ClueState
    roles: frozenset[str]
    needs: tuple[str, ...] = ()        # keyword arguments the action requires
    note: str = ""


TRANSITIONS: tuple[Transition, ...] = (
    Transition(A.JUDGE, S.GENERATED, S.JUDGING, ALL_WORKERS, note="初筛：确认线索值得分流"),
    Transition(A.EXCLUDE, S.GENERATED, S.EXCLUDED, HANDLERS | {DIGITAL}, ("exclusion_type",), "初筛即排除误报"),
    Transition(A.ASSIGN, S.JUDGING, S.ASSIGNED, DISPATCHERS, ("org", "deadline"), "分流交办到承办院/部门/检察官"),
    Transition(A.RETURN, S.JUDGING, S.GENERATED, ALL_WORKERS, ("reason",), "退回重新初筛"),
    Transition(A.EXCLUDE, S.JUDGING, S.EXCLUDED, HANDLERS | {DIGITAL}, ("exclusion_type",)),
    Transition(A.CHECK, S.ASSIGNED, S.CHECKING, HANDLERS, note="承办人受理并调查核实"),
    Transition(A.RETURN, S.ASSIGNED, S.JUDGING, HANDLERS, ("reason",), "承办院退回交办院"),
    Transition(A.EXCLUDE, S.CHECKING, S.EXCLUDED, HANDLERS, ("exclusion_type",)),
    Transition(A.FILE_CASE, S.CHECKING, S.CASE, HANDLERS, ("case_number",), "在业务应用系统立案"),
    Transition(A.RETURN, S.CHECKING, S.ASSIGNED, HANDLERS, ("reason",)),
    Transition(A.MEASURE, S.CASE, S.MEASURE, HANDLERS, ("measure",), "发出监督措施"),
    Transition(A.TRACK, S.MEASURE, S.TRACKING, HANDLERS, note="跟踪回复与整改"),
    Transition(A.CLOSE, S.TRACKING, S.CLOSED, DECIDERS, note="全部监督措施已回复"),
    Transition(A.REOPEN, S.EXCLUDED, S.JUDGING, DECIDERS, ("reason",), "撤销排除，恢复提出"),
    Transition(A.REOPEN, S.CLOSED, S.TRACKING, DECIDERS, ("reason",)),
)

#: (state, action) → transition: the machine
TABLE: dict[tuple[ClueState, ClueAction], Transition] = {(t.source, t.action): t for t in TRANSITIONS}


def state_of(value: str) -> ClueState | None:
    """The state named ``value`` (a stored word), or None."""
    return ClueState._value2member_map_.get(value)          # type: ignore[return-value]


def action_of(value: str) -> ClueAction | None:
    """The action named ``value``, or None (not a lifecycle action)."""
    return ClueAction._value2member_map_.get(value)         # type: ignore[return-value]


def transitions_from(state: str) -> list[Transition]:
    """The transitions allowed from ``state``."""
    return [t for t in TRANSITIONS if t.source == state]


def find_transition(state: str, action: str) -> Transition | None:
    """The table's row for (state, action), or None."""
    s, a = state_of(state), action_of(action)
    return TABLE.get((s, a)) if s is not None and a is not None else None


def allowed_text(state: str) -> str:
    """``'研判（→研判）、排除（→排除）'``: what may be done from ``state``, for error messages."""
    opts = [f"{t.action}（→{t.target}）" for t in transitions_from(state)]
    return "、".join(opts) if opts else "无（终态）"


def who_can(action: str) -> str:
    """Where and by whom ``action`` may be taken, for error messages:
    ``'“核查”只能在“交办”时由部门负责人、检察官、院领导执行'``."""
    rows = [t for t in TRANSITIONS if t.action == action]
    if not rows:
        return f"“{action}”不是线索流转操作（可选：{'、'.join(ClueAction)}）"
    by_roles: dict[frozenset[str], list[str]] = {}
    for t in rows:
        by_roles.setdefault(t.roles, []).append(f"“{t.source}”")
    parts = [f"在{''.join(states)}时由{_roles(roles)}" for roles, states in by_roles.items()]
    return f"“{action}”只能" + "，或".join(parts) + "执行"


def permits(state: str, action: str, roles: Iterable[str]) -> bool:
    """Whether the table lets one of ``roles`` take ``action`` from ``state`` (the web's offered actions
    and :func:`shujian.security.access.allowed` ask this)."""
    t = find_transition(state, action)
    return t is not None and bool(set(roles) & t.roles)


def check_transition(state: str, action: str, roles: Iterable[str] | None, *, what: str = "线索",
                     who: str = "用户") -> Transition:
    """The transition ``action`` from ``state`` for a user with ``roles``; else TransitionRefused (not from
    this state) or PermissionDenied (not for these roles), naming the state, the action and who could.

    ``roles`` None: the local operator on the server (no role check; the table still applies).
    ``what`` names the clue (``线索 12（张*…）``), ``who`` the user (``用户 李检察官（jj_jcg，角色：检察官）``).
    """
    t = find_transition(state, action)
    if t is None:
        raise TransitionRefused(f"{what}当前状态为“{state}”，不能执行“{action}”：{who_can(action)}",
                                hint=f"从“{state}”可执行：{allowed_text(state)}")
    if roles is not None and not set(roles) & t.roles:
        raise PermissionDenied(f"{who}无权对{what}执行“{action}”：在“{state}”时该操作由{_roles(t.roles)}办理",
                               hint=f"需要角色：{'、'.join(sorted(t.roles))}")
    return t


def _roles(roles: frozenset[str]) -> str:
    return "、".join(sorted(roles))
