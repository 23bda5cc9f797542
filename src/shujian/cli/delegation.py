"""``shujian delegation`` — 委托研判 requests to the 数字办/情报中心."""

from __future__ import annotations

from datetime import date

import typer

from ..delegation.service import DelegationService
from .common import OutputFormat, console, print_json, print_table, workspace
from .user import ActorOpt, actor

app = typer.Typer(no_args_is_help=True)
FormatOpt = typer.Option(OutputFormat.table, "--format", help="输出格式：table 或 json")
ModelsOpt = typer.Option(None, "--model", help="关联模型，可重复")
RunsOpt = typer.Option(None, "--run", help="关联运行记录，可重复")
CluesOpt = typer.Option(None, "--clue", help="指定线索（默认取关联运行的全部线索），可重复")


def _svc() -> DelegationService:
    return DelegationService(workspace())


def _done(r: dict, output: OutputFormat) -> None:
    print_json(r) if output == OutputFormat.json else console.print(f"委托研判 {r['request_id']}：{r['state']}")


@app.command("submit")
def submit(question: str = typer.Option(..., "--question", help="研判问题"),
           deadline: str = typer.Option(..., "--deadline", help="期限 YYYY-MM-DD"),
           rule: str = typer.Option("", "--rule", help="业务规则（文字）"),
           data: str = typer.Option("", "--data", help="所需数据"), as_user: str | None = ActorOpt,
           output: OutputFormat = FormatOpt) -> None:
    """提交委托研判。"""
    _done(_svc().submit(actor(as_user), question, deadline=date.fromisoformat(deadline), rule_text=rule,
                        data_needed=data), output)


@app.command("accept")
def accept(request_id: int, as_user: str | None = ActorOpt, output: OutputFormat = FormatOpt) -> None:
    """受理（数字办）。"""
    _done(_svc().accept(request_id, actor(as_user)), output)


@app.command("link")
def link(request_id: int, model: list[str] = ModelsOpt, run: list[int] = RunsOpt, as_user: str | None = ActorOpt,
         output: OutputFormat = FormatOpt) -> None:
    """关联回答问题的模型与运行。"""
    _done(_svc().link(request_id, actor(as_user), model_ids=model or [], run_ids=run or []), output)


@app.command("deliver")
def deliver(request_id: int, clue: list[int] = CluesOpt, note: str = typer.Option("", "--note"),
            as_user: str | None = ActorOpt, output: OutputFormat = FormatOpt) -> None:
    """反馈线索包：线索交给委托院，进入正常线索流转。"""
    _done(_svc().deliver(request_id, actor(as_user), clue_ids=clue or None, note=note), output)


@app.command("close")
def close(request_id: int, as_user: str | None = ActorOpt, output: OutputFormat = FormatOpt) -> None:
    """办结（委托人）。"""
    _done(_svc().close(request_id, actor(as_user)), output)


@app.command("reject")
def reject(request_id: int, reason: str = typer.Option(..., "--reason"), as_user: str | None = ActorOpt,
           output: OutputFormat = FormatOpt) -> None:
    """退回（数字办）。"""
    _done(_svc().reject(request_id, actor(as_user), reason), output)


@app.command("list")
def list_(state: str | None = typer.Option(None, "--state"), overdue: bool = typer.Option(False, "--overdue"),
          output: OutputFormat = FormatOpt) -> None:
    """列出委托研判。"""
    rows = _svc().list(state=state, overdue=overdue)
    if output == OutputFormat.json:
        print_json(rows)
        return
    print_table(rows, [("request_id", "编号"), ("question", "问题"), ("requester", "委托人"), ("org", "委托院"),
                       ("state", "状态"), ("deadline", "期限"), ("overdue", "逾期"), ("analyst", "承办人")],
                title=f"委托研判（{len(rows)}）")
