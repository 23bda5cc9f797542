"""``shujian user`` — users with org, department and roles (login comes with the Security issue)."""

from __future__ import annotations

import os

import typer

from ..errors import InputError
from ..orgs.roles import ROLES
from ..orgs.service import OrgService
from .common import OutputFormat, console, print_json, print_table, workspace

app = typer.Typer(no_args_is_help=True)
FormatOpt = typer.Option(OutputFormat.table, "--format", help="输出格式：table 或 json")
ActorOpt = typer.Option(None, "--as", help="以哪个用户的身份操作（默认取环境变量 SHUJIAN_USER）")


def actor(value: str | None) -> str:
    """The acting username from ``--as`` or SHUJIAN_USER."""
    name = value or os.environ.get("SHUJIAN_USER")
    if not name:
        raise InputError("未指定操作人", hint="用 --as 用户名，或设置环境变量 SHUJIAN_USER")
    return name


RoleOpt = typer.Option(..., "--role", help=f"角色，可重复：{'、'.join(ROLES)}")


@app.command("add")
def add(username: str = typer.Argument(...), name: str = typer.Option(..., "--name", help="姓名"),
        org: str = typer.Option(..., "--org", help="所属院（区划代码或院名）"),
        role: list[str] = RoleOpt,
        department: str = typer.Option(None, "--department", help="所属部门"), output: OutputFormat = FormatOpt) -> None:
    """新建用户。"""
    u = OrgService(workspace()).add_user(username, name, org, role, department)
    if output == OutputFormat.json:
        print_json(u)
        return
    console.print(f"已新建用户 {u['username']}（{u['name']}，{u['org']}，{'、'.join(u['roles'])}）")


@app.command("list")
def list_(org: str = typer.Option(None, "--org", help="只列出该院用户"), output: OutputFormat = FormatOpt) -> None:
    """列出用户。"""
    rows = OrgService(workspace()).users(org)
    if output == OutputFormat.json:
        print_json(rows)
        return
    print_table(rows, [("username", "用户名"), ("name", "姓名"), ("org", "院"), ("department", "部门"), ("roles", "角色")],
                title=f"用户（{len(rows)}）")


@app.command("roles")
def roles() -> None:
    """角色说明。"""
    print_table([{"role": k, "what": v} for k, v in ROLES.items()], [("role", "角色"), ("what", "职责")])
