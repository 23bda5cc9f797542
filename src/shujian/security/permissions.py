"""The one registry of actions (权限动作) and the roles they are granted to.

Every web route and CLI command names the action it needs (``require("clues.read")``); a test fails
when a route uses an action that is not listed here or has no description.  Grants follow the
principle of least privilege and 三员分立 (等保 2.0): the 系统管理员 manages accounts and reads
the audit trail but sees no case data; the 院领导 may also read the audit trail (检务督察).
"""

from __future__ import annotations

from ..orgs.roles import ADMIN, DEPT_HEAD, DIGITAL, LEADER, PROSECUTOR

#: action → 中文说明
ACTIONS: dict[str, str] = {
    "me.read": "查看本人信息",
    "dashboard.read": "查看一本账（工作台）",
    "stats.view": "查看统计（一本账）",
    "data.read": "查看数据目录与质量报告",
    "data.preview": "预览数据（默认脱敏）",
    "data.import": "导入数据",
    "data.import.personal": "导入数据到个人数据区（仅本人可见）",
    "data.share": "把个人数据区的数据集共享给本部门或本院（数字办）",
    "data.govern": "修改数据要素类型、分级与密封",
    "data.unmask.敏感": "解除“敏感”级数据的脱敏（须说明事由，留痕）",
    "data.unmask.核心": "解除“核心”级数据的脱敏（须说明事由，留痕）",
    "documents.parse": "解析文书",
    "models.read": "查看模型库",
    "models.build": "可视化建模与保存模型",
    "model.edit": "编辑模型草稿",
    "model.run": "运行模型",
    "models.certify": "模型认证、上架与下架",
    "model.certify.business": "业务认证（部门负责人、院领导）",
    "model.certify.digital": "数字认证（数字办）",
    "model.publish": "模型上架、推广",
    "models.adopt": "采用模型",
    "models.bind": "数据绑定：把模型的输入角色映射到本院的数据集与列",
    "runs.read": "查看运行记录",
    "runs.start": "运行模型",
    "runs.cancel": "取消运行",
    "runs.sandbox": "沙箱运行模型（结果仅本人可见，不推送线索）",
    "runs.publish": "发布沙箱运行（把结果作为线索推送到线索池）",
    "models.propose": "提请认证（把本人建的模型提交认证）",
    "clues.read": "查看线索（本院及下级院）",
    "clue.view": "查看线索（同 clues.read）",
    "clues.act": "处理线索（研判、交办、核查、成案…）",
    "clue.assign": "交办线索",
    "clue.transition": "线索流转",
    "clues.comment": "评论线索",
    "clues.export": "导出线索（脱敏）",
    "clue.export": "导出线索（同 clues.export）",
    "jobs.read": "查看后台任务",
    "orgs.read": "查看机构与用户",
    "orgs.admin": "管理机构与用户",
    "orgs.settings": "修改本院文书设置（机关代字、文号格式与起始编号、默认主送机关）",
    "user.manage": "管理用户、密码与接口令牌",
    "delegation.read": "查看委托研判",
    "delegation.request": "提交、办结委托研判",
    "delegation.handle": "受理、关联、反馈、退回委托研判（数字办）",
    "audit.read": "查看审计日志",
    "audit.view": "查看、检索、导出审计日志（同 audit.read）",
    "text.read": "查看关键词订阅、命中与文本筛查结果",
    "text.subscribe": "创建关键词订阅，确认或排除命中",
    "text.manage": "维护用户词典、训练话题分类器",
}

_BASE = {"me.read", "dashboard.read", "stats.view", "models.read", "runs.read", "jobs.read", "orgs.read",
         "delegation.read"}
#: 人人都是建模者: every case-working role imports into its personal area, builds, previews and runs models in
#: the sandbox, and proposes its models for certification; publishing a sandbox run is for 数字办 and 院领导
_MODELLER = {"data.import.personal", "models.build", "runs.sandbox", "models.propose"}
_CLUE_WORK = {"clues.read", "clue.view", "clues.act", "clue.transition", "clues.comment", "clues.export",
              "clue.export", "data.read", "data.preview", "documents.parse", "delegation.request",
              "text.read", "text.subscribe"}

#: role → granted actions
GRANTS: dict[str, frozenset[str]] = {
    PROSECUTOR: frozenset(_BASE | _CLUE_WORK | _MODELLER),
    DEPT_HEAD: frozenset(_BASE | _CLUE_WORK | _MODELLER | {"clue.assign", "models.certify", "model.certify.business",
                                                "models.adopt", "models.bind", "data.unmask.敏感"}),
    LEADER: frozenset(_BASE | _CLUE_WORK | _MODELLER | {"runs.publish", "clue.assign", "models.certify", "model.certify.business",
                                             "model.publish", "models.adopt", "models.bind", "data.unmask.敏感",
                                             "data.unmask.核心", "audit.read", "audit.view"}),
    DIGITAL: frozenset(_BASE | _MODELLER | {"runs.publish", "data.share", "data.read", "data.preview", "data.import", "data.govern", "documents.parse",
                                "models.build", "model.edit", "model.run", "runs.start", "runs.cancel",
                                "models.certify", "model.certify.digital", "model.publish", "models.adopt",
                                "models.bind",
                                "clues.read", "clue.view", "clues.act", "clue.transition", "clues.comment",
                                "delegation.handle", "orgs.settings",
                                "text.read", "text.subscribe", "text.manage"}),
    ADMIN: frozenset({"me.read", "orgs.read", "orgs.admin", "orgs.settings", "user.manage", "audit.read",
                      "audit.view", "jobs.read"}),
}


def granted(roles: tuple[str, ...] | list[str], action: str) -> bool:
    """Whether any of ``roles`` is granted ``action``.

    >>> granted(["检察官"], "clues.read"), granted(["检察官"], "user.manage")
    (True, False)
    """
    if action not in ACTIONS:
        raise KeyError(f"未登记的权限动作 {action}")
    return any(action in GRANTS.get(r, ()) for r in roles)


def action_label(action: str) -> str:
    """The action in Chinese for messages: ``models.build`` → ``可视化建模与保存模型``."""
    return ACTIONS.get(action, action).split("（")[0]


def roles_for(action: str) -> list[str]:
    """The roles granted ``action``, in a stable order (for “who can do it” in refusals)."""
    return [r for r in GRANTS if action in GRANTS[r]]


def actions_of(roles: tuple[str, ...] | list[str]) -> list[str]:
    """Every action granted to ``roles``, in registry order."""
    have = set().union(*(GRANTS.get(r, frozenset()) for r in roles)) if roles else set()
    return [a for a in ACTIONS if a in have]


def unmask_action(level: str | None) -> str | None:
    """The action needed to see unmasked values of classification ``level`` (None: no masking needed)."""
    if level in ("敏感", "核心"):
        return f"data.unmask.{level}"
    return None
