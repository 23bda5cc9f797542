"""``shujian model bind / binding / unbind`` — 数据绑定: run a model on the org's own datasets and columns."""

from __future__ import annotations

import typer

from .common import AsOpt, OutputFormat, console, err_console, print_json, print_table, workspace

FormatOpt = typer.Option(OutputFormat.table, "--format", help="输出格式：table 或 json")
OrgOpt = typer.Option(None, "--org", help="为哪个院绑定（代码或名称；“平台”= 所有未单独绑定的院）；默认为 --as 用户所属院")


def register(app: typer.Typer) -> None:
    app.command("bind")(bind)
    app.command("binding")(binding)
    app.command("unbind")(unbind)


def bind(model: str = typer.Argument(..., help="模型编号或模型文件"),
         input_: list[str] = typer.Option([], "--input", help="角色=数据集，例如 --input custody=在押人员名册"),
         map_: list[str] = typer.Option([], "--map", help="角色.字段=列（字段可写模型字段名或模型列名），"
                                                          "例如 --map custody.start=入监时间"),
         auto: bool = typer.Option(False, "--auto", help="按数据要素类型与列名自动建议其余的映射，确认后保存"),
         yes: bool = typer.Option(False, "--yes", "-y", help="不询问，直接保存自动建议"),
         org: str | None = OrgOpt, note: str | None = typer.Option(None, "--note", help="说明（记入绑定版本）"),
         as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """把模型的输入绑定到本院的数据集与列（按院、留版本）；之后本院的运行都按此绑定读取数据。"""
    from ..bindings import BindingService, parse_options
    from ..errors import ValidationFailed

    svc = BindingService(workspace(as_, "models.bind"))
    m = svc.load(model)
    inputs, problems = parse_options(m, input_, map_)
    if problems:
        raise ValidationFailed(problems, title=f"模型 {m.id} 的绑定写法有误")
    if auto:
        inputs = _confirm_proposal(svc, m, inputs, org, yes, output)
    saved = svc.bind(m, inputs, org=org, note=note)
    if output == OutputFormat.json:
        print_json(saved)
        return
    console.print(f"[green]已保存模型 {m.id} 的数据绑定：{saved['org']} 第 {saved['version']} 版[/]")
    _print_inputs(m, saved["effective"])
    for w in saved["warnings"]:
        err_console.print(f"[yellow]注意：[/]{w}", highlight=False)


def _confirm_proposal(svc, m, inputs, org, yes: bool, output: OutputFormat) -> dict:
    proposed, rows, res = svc.propose(m, inputs, org=org)
    if output == OutputFormat.table:
        print_table([r.to_dict() for r in rows], [("role", "角色"), ("field", "字段"), ("model_column", "模型列"),
                                                  ("dataset", "数据集"), ("column", "建议的列"), ("why", "依据")],
                    title=f"模型 {m.id} 的自动绑定建议")
    if not res.ok:
        raise res.failure(f"自动建议不完整，未保存（模型 {m.id}）")
    if not yes and not typer.confirm("按此建议保存绑定？", default=False):
        raise typer.Exit(1)
    return proposed


def binding(model: str = typer.Argument(..., help="模型编号或模型文件"), org: str | None = OrgOpt,
            history: bool = typer.Option(False, "--history", help="列出全部绑定版本（谁、何时、绑定了什么）"),
            as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """查看模型当前适用的数据绑定（本院绑定、平台绑定或模型默认）及其版本历史。"""
    from ..bindings import BindingService

    svc = BindingService(workspace(as_, "models.read"))
    if history:
        rows = svc.history(svc.load(model).id, org=org)
        if output == OutputFormat.json:
            print_json(rows)
            return
        for r in rows:
            r["what"] = "（解除绑定）" if r["removed"] else "；".join(
                f"{role}={v.get('dataset', '（默认）')}" for role, v in r["inputs"].items())
        print_table(rows, [("version", "版本"), ("org", "院"), ("at", "时间"), ("by", "操作人"), ("source", "来源"),
                           ("what", "绑定"), ("note", "说明")], title="数据绑定版本")
        return
    cur = svc.current(model, org=org)
    if output == OutputFormat.json:
        print_json(cur)
        return
    head = "模型默认（模型文件中的数据集与列）" if cur["binding_id"] is None else \
        f"{cur['org']} 第 {cur['version']} 版（{cur['by']}，{cur['at']}，{cur['source']}）"
    console.print(f"模型 {cur['model_id']} 适用的数据绑定：{head}")
    _print_inputs(svc.load(model), cur["effective"])


def unbind(model: str = typer.Argument(..., help="模型编号或模型文件"), org: str | None = OrgOpt,
           note: str | None = typer.Option(None, "--note", help="说明"), as_: str | None = AsOpt) -> None:
    """解除本院的数据绑定（记为新版本）；之后按平台绑定或模型文件中的名称读取数据。"""
    from ..bindings import BindingService

    svc = BindingService(workspace(as_, "models.bind"))
    out = svc.unbind(svc.load(model).id, org=org, note=note)
    console.print(f"已解除模型 {model} 的数据绑定（{out['org']}，第 {out['version']} 版）")


def _print_inputs(model, effective: dict) -> None:
    from ..bindings.content import field_default

    rows = []
    for role, inp in model.inputs.items():
        got = effective.get(role) or {}
        for f, b in inp.fields.items():
            rows.append({"role": role, "field": f, "model": f"{inp.dataset}.{field_default(b)}",
                         "dataset": got.get("dataset"), "column": (got.get("fields") or {}).get(f)})
    print_table(rows, [("role", "角色"), ("field", "字段"), ("model", "模型默认"), ("dataset", "数据集"),
                       ("column", "列")])
