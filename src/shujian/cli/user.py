"""``shujian user`` — users with org, department and roles (login comes with the Security issue)."""

from __future__ import annotations

import typer

from ..errors import InputError
from ..orgs.roles import ROLES
from .common import AsOpt, OutputFormat, act_as, console, identity, print_json, print_table, workspace

app = typer.Typer(no_args_is_help=True)
FormatOpt = typer.Option(OutputFormat.table, "--format", help="输出格式：table 或 json")
ActorOpt = typer.Option(None, "--as", help="以哪个用户的身份操作（默认取环境变量 SHUJIAN_USER）")


def actor(value: str | None) -> str:
    """The acting username from ``--as``, ``shujian --as`` or SHUJIAN_USER; the rest of the command runs
    under their org scope (a sibling org's records are not found)."""
    name = identity(value)
    if not name:
        raise InputError("未指定操作人", hint="用 --as 用户名，或设置环境变量 SHUJIAN_USER")
    act_as(workspace(), name)
    return name


RoleOpt = typer.Option(..., "--role", help=f"角色，可重复：{'、'.join(ROLES)}")


@app.command("add")
def add(username: str = typer.Argument(...), name: str = typer.Option(..., "--name", help="姓名"),
        org: str = typer.Option(..., "--org", help="所属院（区划代码或院名）"),
        role: list[str] = RoleOpt,
        department: str = typer.Option(None, "--department", help="所属部门"), as_: str = ActorOpt,
        output: OutputFormat = FormatOpt) -> None:
    """新建用户（无口令；系统管理员 --as，只能建在本院及下级院；留痕）。"""
    from ..security.accounts import AccountService

    ws = workspace()
    who = require_cli(ws, as_, "user.manage")
    u = AccountService(ws).add_user(username, name, org, role, department=department, actor=who)
    if output == OutputFormat.json:
        print_json(u)
        return
    console.print(f"已新建用户 {u['username']}（{u['name']}，{u['org']}，{'、'.join(u['roles'])}）")


@app.command("list")
def list_(org: str = typer.Option(None, "--org", help="只列出该院用户"), as_: str | None = AsOpt,
          output: OutputFormat = FormatOpt) -> None:
    """列出用户（--as 时只列该用户所属院及下级院的用户，与网页、接口相同）。"""
    from ..security.accounts import AccountService

    rows = AccountService(workspace(as_, "orgs.read")).users(org)
    if output == OutputFormat.json:
        print_json(rows)
        return
    print_table(rows, [("username", "用户名"), ("name", "姓名"), ("org", "院"), ("department", "部门"), ("roles", "角色")],
                title=f"用户（{len(rows)}）")


@app.command("roles")
def roles() -> None:
    """角色说明。"""
    print_table([{"role": k, "what": v} for k, v in ROLES.items()], [("role", "角色"), ("what", "职责")])


# ---------------------------------------------------------------------------------- accounts (安全)
def require_cli(ws, as_: str | None, action: str) -> str:
    """The acting user from ``--as``/SHUJIAN_USER, who must hold ``action``; returns the username.

    The command line runs on the server with the workspace's own files, so this check keeps honest
    operators within their role; it is not a barrier against the server's OS account (docs/security.md).
    """
    username = identity(as_)
    if not username:
        raise InputError("未指定操作人", hint="用 --as 用户名，或设置环境变量 SHUJIAN_USER")
    act_as(ws, username, action)
    return username


OptionalRoleOpt = typer.Option(None, "--role", help="角色，可重复（非 --admin 时必填）")


def _read_password(stdin: bool) -> str:
    import sys

    if stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("口令", hide_input=True, confirmation_prompt=True)


@app.command("create")
def create(username: str = typer.Argument(...), name: str = typer.Option(..., "--name", help="姓名"),
           org: str = typer.Option(..., "--org", help="所属院（区划代码或院名）"),
           admin: bool = typer.Option(False, "--admin", help="初始系统管理员（角色 系统管理员）"),
           role: list[str] = OptionalRoleOpt,
           password_stdin: bool = typer.Option(False, "--password-stdin", help="从标准输入读口令（脚本用）"),
           as_: str = ActorOpt) -> None:
    """新建带口令的用户；--admin 建立初始系统管理员（库中尚无管理员时无需 --as）。"""
    from ..orgs.roles import ADMIN
    from ..security.accounts import AccountService
    from ..security.passwords import check_rules

    ws = workspace()
    from ..orgs.service import OrgService

    has_admin = any(ADMIN in u["roles"] for u in OrgService(ws).users())
    if not (admin and not has_admin):
        require_cli(ws, as_, "user.manage")
    password = _read_password(password_stdin)
    check_rules(password, username)
    accounts = AccountService(ws)
    if admin:
        u = accounts.create_admin(username, name, org, password)
    else:
        if not role:
            raise InputError("未指定角色", hint=f"用 --role，可选：{'、'.join(ROLES)}")
        # scoped like the web: only in the acting administrator's org and below; audited as user.create
        u = accounts.create_user(username, name, org, role, password, actor=identity(as_))
    console.print(f"已新建用户 {u['username']}（{u['org']}，{'、'.join(u['roles'])}），口令已设置")


@app.command("password")
def password(username: str = typer.Argument(...),
             password_stdin: bool = typer.Option(False, "--password-stdin", help="从标准输入读口令"),
             as_: str = ActorOpt) -> None:
    """设置用户口令（本人或系统管理员；同时解除锁定）。"""
    from ..security.accounts import AccountService

    ws = workspace()
    who = actor(as_)
    if who != username:            # another user's: an administrator of their org or one above it
        require_cli(ws, as_, "user.manage")
        AccountService(ws).reset_password(username, _read_password(password_stdin), actor=who)
    else:
        AccountService(ws).set_password(username, _read_password(password_stdin), actor=who)
    console.print(f"已设置用户 {username} 的口令")


@app.command("token-create")
def token_create(username: str = typer.Argument(..., help="令牌代表的用户"),
                 name: str = typer.Option(..., "--name", help="用途，如“夜间调度脚本”"),
                 days: int = typer.Option(90, "--days", min=0, help="有效天数；0 表示不过期（不建议）"),
                 as_: str = ActorOpt, output: OutputFormat = FormatOpt) -> None:
    """为脚本创建接口令牌（只显示一次；库中只存其哈希）。"""
    from ..security.accounts import AccountService

    ws = workspace()
    who = actor(as_)
    if who != username:
        require_cli(ws, as_, "user.manage")
    t = AccountService(ws).create_token(username, name, days=days or None, actor=who)
    if output == OutputFormat.json:
        print_json(t)
        return
    console.print(f"接口令牌 {t['id']}（{name}，有效至 {t['expires_at'] or '不过期'}）：\n{t['token']}\n"
                  "请立即保存；请求头 Authorization: Bearer <令牌>")


@app.command("token-revoke")
def token_revoke(token_id: int = typer.Argument(...), as_: str = ActorOpt) -> None:
    """吊销接口令牌。"""
    from ..security.accounts import AccountService

    ws = workspace()
    who = require_cli(ws, as_, "user.manage")
    AccountService(ws).revoke_token(token_id, actor=who)
    console.print(f"已吊销接口令牌 {token_id}")


@app.command("token-list")
def token_list(username: str = typer.Option(None, "--user"), as_: str = ActorOpt,
               output: OutputFormat = FormatOpt) -> None:
    """列出接口令牌（不含令牌本身）。"""
    from ..security.accounts import AccountService

    ws = workspace()
    require_cli(ws, as_, "user.manage")
    rows = AccountService(ws).tokens(username)
    if output == OutputFormat.json:
        print_json(rows)
        return
    print_table(rows, [("id", "编号"), ("name", "用途"), ("user", "用户"), ("prefix", "前缀"),
                       ("expires_at", "有效至"), ("revoked", "已吊销")])
