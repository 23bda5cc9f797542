"""``shujian model-gov`` — model governance: versions, certification, listing, adoption, 台账."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..errors import InputError
from ..governance.rules import EVALUATIONS
from ..governance.service import GovernanceService
from .common import OutputFormat, console, print_json, print_table, workspace
from .user import ActorOpt, actor

app = typer.Typer(no_args_is_help=True)
FormatOpt = typer.Option(OutputFormat.table, "--format", help="输出格式：table 或 json")
FileArg = typer.Argument(..., help="模型文件（YAML/JSON）")
MapOpt = typer.Option(None, "--map", help="字段映射 JSON 文件：{输入: {dataset: 数据集, fields: {字段: 列}}}")
XlsxOpt = typer.Option(None, "--xlsx", help="导出台账到 Excel")


def _svc() -> GovernanceService:
    return GovernanceService(workspace())


def _show(out: dict, output: OutputFormat, text: str) -> None:
    print_json(out) if output == OutputFormat.json else console.print(text)


@app.command("save")
def save(path: Path = FileArg, as_user: str | None = ActorOpt, output: OutputFormat = FormatOpt) -> None:
    """登记或修订模型：草稿可反复修改；已提交的版本不可变，修改会生成新版本并给出差异。"""
    if not path.is_file():
        raise InputError(f"模型文件 {path} 不存在")
    r = _svc().save(path.read_text(encoding="utf-8"), actor(as_user))
    _show(r, output, f"已保存第{r['number']}版" + (f"\n{r['diff']}" if r["diff"] else ""))


@app.command("submit")
def submit(model_id: str, as_user: str | None = ActorOpt, output: OutputFormat = FormatOpt) -> None:
    """提交当前草稿（版本冻结），进入认证。"""
    r = _svc().submit(model_id, actor(as_user))
    _show(r, output, f"模型 {model_id} 已提交（第{r['version']}版）")


@app.command("certify")
def certify(model_id: str, kind: str = typer.Option(..., "--kind", help="业务认证 或 数字认证"),
            necessity: bool = typer.Option(..., "--necessity/--no-necessity", help="建模必要性是否通过"),
            feasibility: bool = typer.Option(..., "--feasibility/--no-feasibility", help="技术可行性是否通过"),
            accuracy: bool = typer.Option(..., "--accuracy/--no-accuracy", help="线索准确性是否通过"),
            comment: str = typer.Option("", "--comment", help="认证意见"), as_user: str | None = ActorOpt,
            output: OutputFormat = FormatOpt) -> None:
    """认证（须由作者以外的人员），记录三轮评估；任一未通过则退回草稿。"""
    evals = {e: {"passed": v, "comment": comment} for e, v in zip(EVALUATIONS, (necessity, feasibility, accuracy),
                                                                   strict=True)}
    r = _svc().certify(model_id, kind, actor(as_user), evals, comment)
    _show(r, output, f"模型 {model_id}：{r['state']}")


@app.command("advance")
def advance(model_id: str, action: str = typer.Option(..., "--action", help="试运行、上架、推广、下架、退回"),
            scope: str | None = typer.Option(None, "--scope", help="上架/推广范围：市、省、全国"),
            reason: str | None = typer.Option(None, "--reason"), as_user: str | None = ActorOpt,
            output: OutputFormat = FormatOpt) -> None:
    """模型生命周期：试运行 → 上架（按试运行准确率）→ 推广 → 下架。"""
    r = _svc().advance(model_id, action, actor(as_user), scope=scope, reason=reason)
    _show(r, output, f"模型 {model_id}：{r['state']}" + (f"（范围 {r['scope']}）" if r["scope"] else ""))


@app.command("show")
def show(model_id: str, output: OutputFormat = FormatOpt) -> None:
    """模型治理详情与事件。"""
    r = _svc().get(model_id)
    if output == OutputFormat.json:
        print_json(r)
        return
    console.print(f"[bold]{r['number']} {r['name']}[/]  状态：{r['state']}  第{r['version']}版  作者：{r['author']}"
                  f"（{r['author_org']}）")
    print_table(r["events"], [("at", "时间"), ("actor", "操作人"), ("action", "操作"), ("from", "原状态"),
                              ("to", "新状态"), ("comment", "意见")], title="事件")


@app.command("diff")
def diff(model_id: str, version: int = typer.Option(None, "--version", help="第几版（默认最新）")) -> None:
    """与上一版的差异（模型文件与生成 SQL）。"""
    revs = _svc().revisions(model_id)
    rev = revs[-1] if version is None else next((r for r in revs if r["number"] == version), None)
    if rev is None:
        raise InputError(f"模型 {model_id} 没有第{version}版")
    console.print(rev["diff"] or "（第一版，无差异）", highlight=False, markup=False)


@app.command("adopt")
def adopt(model_id: str, org: str = typer.Option(..., "--org", help="采用院"), mapping: Path | None = MapOpt,
          as_user: str | None = ActorOpt, output: OutputFormat = FormatOpt) -> None:
    """采用已上架模型：把本院的数据集和列映射到模型输入，列出缺少的必需字段。"""
    data = json.loads(mapping.read_text(encoding="utf-8")) if mapping else {}
    r = _svc().adopt(model_id, org, actor(as_user), data)
    if output == OutputFormat.json:
        print_json(r)
        return
    console.print(f"{r['org']} 采用 {model_id}：{r['status']}")
    for m in r["missing"]:
        console.print(f"  缺少：{m['message']}", highlight=False)


@app.command("ledger")
def ledger(xlsx: Path | None = XlsxOpt, output: OutputFormat = FormatOpt) -> None:
    """模型台账。"""
    rows = _svc().ledger()
    if xlsx is not None:
        _ledger_xlsx(rows, xlsx)
        console.print(f"已导出模型台账到 {xlsx}")
        return
    if output == OutputFormat.json:
        print_json(rows)
        return
    print_table(rows, LEDGER_COLUMNS[:12], title=f"模型台账（{len(rows)}）")


LEDGER_COLUMNS = [("number", "模型编号"), ("name", "名称"), ("version", "版本"), ("author_org", "研发院"),
                  ("author", "研发人"), ("line", "业务条线"), ("state", "状态"), ("scope", "上架范围"),
                  ("clues", "线索"), ("verified", "属实"), ("cases", "成案"), ("money_recovered", "追回金额"),
                  ("point", "监督点"), ("legal_basis", "法律依据"), ("data_sources", "数据来源"),
                  ("certification", "认证"), ("listed_on", "上架日期"), ("trial_accuracy", "试运行准确率"),
                  ("adopting_orgs", "采用院"), ("runs", "运行次数"), ("measures_adopted", "措施被采纳"),
                  ("last_run", "最近运行")]


def _ledger_xlsx(rows: list[dict], path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    sheet.title = "模型台账"
    sheet.append([label for _, label in LEDGER_COLUMNS])
    for r in rows:
        sheet.append([_cell(r.get(k)) for k, _ in LEDGER_COLUMNS])
    wb.save(path)


def _cell(v):
    if isinstance(v, list):
        return "、".join(map(str, v))
    if isinstance(v, dict):
        return "；".join(f"{k}：{x}" for k, x in v.items())
    return v
