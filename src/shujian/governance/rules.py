"""The model lifecycle as data: 草稿 → 提交 → 业务认证 → 数字认证 → 试运行 → 上架 → 推广 → 下架."""

from __future__ import annotations

from ..orgs.roles import DEPT_HEAD, DIGITAL, LEADER, PROSECUTOR

STATES = ("草稿", "提交", "业务认证", "数字认证", "试运行", "上架", "推广", "下架")
LISTED = ("上架", "推广")
EVALUATIONS = ("建模必要性", "技术可行性", "线索准确性")     # 三轮评估
SCOPES = ("市", "省", "全国")
SCOPE_LEVEL = {"市": "市院", "省": "省院", "全国": "最高检"}

# action → (from states, to state, roles); "作者" means the model's author (any role)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, frozenset[str]]] = {
    "提交": (("草稿",), "提交", frozenset({PROSECUTOR, DEPT_HEAD, LEADER, DIGITAL})),
    "业务认证": (("提交",), "业务认证", frozenset({DEPT_HEAD, LEADER})),
    "数字认证": (("业务认证",), "数字认证", frozenset({DIGITAL})),
    "试运行": (("数字认证",), "试运行", frozenset({DIGITAL, LEADER})),
    "上架": (("试运行",), "上架", frozenset({LEADER, DIGITAL})),
    "推广": (("上架", "推广"), "推广", frozenset({LEADER})),
    "下架": (("上架", "推广", "试运行"), "下架", frozenset({LEADER, DIGITAL})),
    "退回": (("提交", "业务认证", "数字认证", "试运行"), "草稿", frozenset({DEPT_HEAD, LEADER, DIGITAL})),
}
CERTIFICATIONS = ("业务认证", "数字认证")
VERIFIED_STATES = ("成案", "监督措施", "跟踪", "办结")      # a clue that proved true


def actions_from(state: str) -> list[str]:
    """The lifecycle actions allowed from ``state``, in lifecycle order (a page offers only these)."""
    return [a for a, (sources, _, _) in TRANSITIONS.items() if state in sources]
