"""``shujian org`` — the procuratorate tree and departments."""

from __future__ import annotations

import typer

from ..orgs.service import OrgService
from .common import OutputFormat, console, print_json, print_table, workspace

app = typer.Typer(no_args_is_help=True)
FormatOpt = typer.Option(OutputFormat.table, "--format", help="输出格式：table 或 json")


ProvinceOpt = typer.Option(None, "--province", help="只建立这些省的院（省级区划代码，如 33），可重复")


@app.command("seed")
def seed(province: list[str] = ProvinceOpt,
         output: OutputFormat = FormatOpt) -> None:
    """按行政区划代码建立院机构树（最高检 › 省院 › 市院 › 区县院）及各院内设部门。"""
    out = OrgService(workspace()).seed(province or None)
    if output == OutputFormat.json:
        print_json(out)
        return
    console.print(f"院机构树：{out['orgs']} 个院，新建 {out['created']} 个")


@app.command("list")
def list_(parent: str = typer.Option(None, "--parent", help="上级院（区划代码或名称）；不给则列出最高检"),
          output: OutputFormat = FormatOpt) -> None:
    """列出某院的下级院。"""
    rows = OrgService(workspace()).children(parent)
    if output == OutputFormat.json:
        print_json(rows)
        return
    print_table(rows, [("code", "代码"), ("name", "名称"), ("level", "层级")], title=f"下级院（{len(rows)}）")


@app.command("show")
def show(org: str = typer.Argument(..., help="区划代码或院名"), output: OutputFormat = FormatOpt) -> None:
    """院详情与内设部门。"""
    svc = OrgService(workspace())
    data = {**svc.get(org), "departments": svc.departments(org)}
    if output == OutputFormat.json:
        print_json(data)
        return
    console.print(f"[bold]{data['name']}[/]（{data['code']}，{data['level']}）")
    print_table(data["departments"], [("name", "部门"), ("line", "业务条线")], title="内设部门")
