"""Roles and departments as data (角色与部门)."""

from __future__ import annotations

PROSECUTOR = "检察官"
DEPT_HEAD = "部门负责人"
LEADER = "院领导"
DIGITAL = "数字办"
ADMIN = "系统管理员"

ROLES: dict[str, str] = {
    PROSECUTOR: "办理线索、核查、记录结果",
    DEPT_HEAD: "分流交办、审批排除与办结、业务认证",
    LEADER: "交办、督办、业务认证、办结",
    DIGITAL: "数据治理、建模、数字认证、委托研判",
    ADMIN: "管理院、部门、用户",
}

# 业务部门 of every procuratorate and the 业务条线 each one works.
DEPARTMENTS: tuple[tuple[str, str | None], ...] = (
    ("刑事检察部", "刑事检察"),
    ("民事检察部", "民事检察"),
    ("行政检察部", "行政检察"),
    ("公益诉讼检察部", "公益诉讼检察"),
    ("刑事执行检察部", "刑事执行检察"),
    ("未成年人检察部", "未成年人检察"),
    ("控告申诉检察部", "控告申诉检察"),
    ("案件管理部（数字检察办公室）", None),
)

LEVELS = ("最高检", "省院", "市院", "区县院")
