"""Demo accounts (演示账号) for a development or demo workspace, created through the org service.

In a development workspace (``SHUJIAN_ENV=development``) each demo account without a password gets
:data:`DEMO_PASSWORD`, printed by ``shujian serve``/``shujian demo`` beside the accounts, so the printed
accounts log in through the 登录 form too.  Production workspaces never get it.
"""

from __future__ import annotations

from ..errors import ConfigError, ShujianError
from ..orgs.service import OrgService
from ..workspace import Workspace

#: the password printed for the demo accounts (development workspaces only; never on real data)
DEMO_PASSWORD = "Taizhou-Shujian-2026"
PROVINCE = "33"          # 浙江 (the org tree is seeded for this province only)
CITY = "3310"            # 台州市人民检察院
DISTRICT = "331002"      # 台州市椒江区人民检察院
OTHER = "331003"         # 台州市黄岩区人民检察院

#: username, name, org code, roles, department
DEMO_ACCOUNTS: tuple[tuple[str, str, str, list[str], str | None], ...] = (
    ("demo", "演示用户（市院）", CITY, ["院领导", "部门负责人", "数字办", "检察官"], "刑事执行检察部"),
    ("shi_shuzi", "陈分析", CITY, ["数字办"], "案件管理部（数字检察办公室）"),
    ("shi_lingdao", "王院长", CITY, ["院领导"], None),
    ("jj_jcg", "李检察官", DISTRICT, ["检察官"], "刑事执行检察部"),
    ("jj_fzr", "赵主任", DISTRICT, ["部门负责人"], "刑事执行检察部"),
    ("hy_jcg", "孙检察官", OTHER, ["检察官"], "刑事执行检察部"),
)


def ensure_demo_accounts(ws: Workspace) -> list[dict]:
    """Seed the org tree and the demo accounts if missing (idempotent); returns the accounts.  Development
    only: the accounts share the printed demo password and the switcher logs in as them without one."""
    if ws.settings.env != "development":
        raise ConfigError(f"正式环境（SHUJIAN_ENV={ws.settings.env}）不建立演示账号（口令公开，且无口令即可切换）",
                          hint="用 shujian user create --admin 建立系统管理员，再由其新建用户")
    svc = OrgService(ws)
    svc.seed([PROVINCE])
    have = {u["username"] for u in svc.users()}
    for username, name, org, roles, dept in DEMO_ACCOUNTS:
        if username not in have:
            try:
                svc.add_user(username, name, org, roles, department=dept)
            except ShujianError:
                svc.add_user(username, name, org, roles)
    _demo_passwords(ws)
    return [u for u in svc.users() if u["username"] in {a[0] for a in DEMO_ACCOUNTS}]


def _demo_passwords(ws: Workspace) -> None:
    """Give each demo account without a password the printed demo password."""
    from ..security.accounts import AccountService

    accounts = AccountService(ws)
    for username, *_ in DEMO_ACCOUNTS:
        if not accounts.account(username)["has_password"]:
            accounts.set_password(username, DEMO_PASSWORD, actor="system")
