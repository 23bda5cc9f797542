"""The clue lifecycle as data: states, transitions, who may take them and what each one needs.

生成 → 研判 → 交办 → 核查 → 排除 | 成案 → 监督措施 → 跟踪 → 办结, with 退回 and 重新打开.
A transition is one row of :data:`TRANSITIONS`; the service refuses anything not in the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..orgs.roles import DEPT_HEAD, DIGITAL, LEADER, PROSECUTOR

STATES: tuple[str, ...] = ("生成", "研判", "交办", "核查", "排除", "成案", "监督措施", "跟踪", "办结")
OPEN_STATES = ("生成", "研判", "交办", "核查")      # not yet decided
FINAL_STATES = ("排除", "办结")

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
    action: str
    source: str
    target: str
    roles: frozenset[str]
    needs: tuple[str, ...] = ()        # keyword arguments the action requires
    note: str = ""


TRANSITIONS: tuple[Transition, ...] = (
    Transition("研判", "生成", "研判", ALL_WORKERS, note="初筛：确认线索值得分流"),
    Transition("排除", "生成", "排除", HANDLERS | {DIGITAL}, ("exclusion_type",), "初筛即排除误报"),
    Transition("交办", "研判", "交办", DISPATCHERS, ("org", "deadline"), "分流交办到承办院/部门/检察官"),
    Transition("退回", "研判", "生成", ALL_WORKERS, ("reason",), "退回重新初筛"),
    Transition("排除", "研判", "排除", HANDLERS | {DIGITAL}, ("exclusion_type",)),
    Transition("核查", "交办", "核查", HANDLERS, note="承办人受理并调查核实"),
    Transition("退回", "交办", "研判", HANDLERS, ("reason",), "承办院退回交办院"),
    Transition("排除", "核查", "排除", HANDLERS, ("exclusion_type",)),
    Transition("成案", "核查", "成案", HANDLERS, ("case_number",), "在业务应用系统立案"),
    Transition("退回", "核查", "交办", HANDLERS, ("reason",)),
    Transition("监督措施", "成案", "监督措施", HANDLERS, ("measure",), "发出监督措施"),
    Transition("跟踪", "监督措施", "跟踪", HANDLERS, note="跟踪回复与整改"),
    Transition("办结", "跟踪", "办结", DECIDERS, note="全部监督措施已回复"),
    Transition("重新打开", "排除", "研判", DECIDERS, ("reason",), "撤销排除，恢复提出"),
    Transition("重新打开", "办结", "跟踪", DECIDERS, ("reason",)),
)


def transitions_from(state: str) -> list[Transition]:
    """The transitions allowed from ``state``."""
    return [t for t in TRANSITIONS if t.source == state]


def find_transition(state: str, action: str) -> Transition | None:
    for t in TRANSITIONS:
        if t.source == state and t.action == action:
            return t
    return None


def allowed_text(state: str) -> str:
    """``'研判（→研判）、排除（→排除）'``: what may be done from ``state``, for error messages."""
    opts = [f"{t.action}（→{t.target}）" for t in transitions_from(state)]
    return "、".join(opts) if opts else "无（终态）"
