"""``shujian clue`` — clues found by model runs."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..errors import InputError
from ..workflow.rules import EXCLUSION_TYPES, GOVERNANCE_OUTCOMES, MEASURES, ClueState
from .common import AsOpt, OutputFormat, console, identity, print_json, print_table, workspace
from .user import ActorOpt, actor

if TYPE_CHECKING:  # pragma: no cover
    from ..clues.service import ClueFilter

# the clue service (SQLAlchemy, the mapped tables) is imported by the commands that use it: ``clue list``
# reads through the driver when it can (shujian.clues.listing), and must not pay for them

app = typer.Typer(no_args_is_help=True)
FormatOpt = typer.Option(OutputFormat.table, "--format", help="输出格式：table 或 json")
ModelOpt = typer.Option(None, "--model", help="模型编号")
StateOpt = typer.Option(None, "--state", help="状态，如 生成、排除；多个用逗号分隔")
SubjectOpt = typer.Option(None, "--subject", help="对象标识（如身份证号）")
OrgOpt = typer.Option(None, "--org", help="承办院（含下级院），区划代码或院名")
SinceOpt = typer.Option(None, "--since", help="首次发现不早于（YYYY-MM-DD）")
UntilOpt = typer.Option(None, "--until", help="首次发现不晚于（YYYY-MM-DD）")
OverdueOpt = typer.Option(None, "--overdue/--not-overdue", help="只看逾期 / 未逾期")
AssigneeOpt = typer.Option(None, "--assignee", help="承办检察官用户名")
AttachOpt = typer.Option(None, "--attach", help="附件（评论时为本机文件路径，流转时为文件名），可重复")
IdsOptional = typer.Argument(None, help="线索编号；不给则按筛选条件批量处理")
IdsRequired = typer.Argument(..., help="线索编号")
XlsxOpt = typer.Option(..., "--xlsx", help="导出到 Excel 文件")
DocxOpt = typer.Option(..., "--out", help="输出 .docx 文件")
GovOpt = typer.Option(None, "--governance", help=f"治理成果，可重复：{'、'.join(GOVERNANCE_OUTCOMES)}")


def _workflow(ws):
    """The workflow service, imported when a command needs it (``clue list`` does not: start-up time)."""
    from ..workflow.service import WorkflowService

    return WorkflowService(ws)


def _day(text: str | None, what: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"{what}“{text}”不是日期", hint="格式 YYYY-MM-DD，如 2026-03-31") from exc


def _service(ws):
    from ..clues.service import ClueService

    return ClueService(ws)


def _states(state: str | None) -> str | None:
    """``--state`` checked against the workflow's states (an unknown one listed nothing, silently)."""
    if not state:
        return state
    unknown = [s for s in state.split(",") if s not in set(ClueState)]
    if unknown:
        raise InputError(f"--state 的取值有误：{'、'.join(unknown)} 不是线索状态",
                         hint=f"可选：{'、'.join(ClueState)}；多个用逗号分隔")
    return state


def _filter(model, state, subject, org, since, until, overdue, assignee) -> ClueFilter:
    from ..clues.service import ClueFilter

    return ClueFilter(model_id=model, state=_states(state), subject=subject, org=org, since=_day(since, "--since"),
                      until=_day(until, "--until"), overdue=overdue, assignee=assignee)


#: rows a table shows by default (laying out a table costs ≈ 0.8 ms a row in rich: 1,000 rows took 0.8 s of
#: a command meant to answer in 0.3 s, and nobody reads 1,000 rows in a terminal); JSON keeps 1,000
TABLE_PAGE, JSON_PAGE = 50, 1000


@app.command("list")
def list_(model: str | None = ModelOpt, state: str | None = StateOpt, subject: str | None = SubjectOpt,
          org: str | None = OrgOpt, since: str | None = SinceOpt, until: str | None = UntilOpt,
          overdue: bool | None = OverdueOpt, assignee: str | None = AssigneeOpt,
          limit: int | None = typer.Option(None, "--limit",
                                           help=f"最多列出几条（默认：表格 {TABLE_PAGE} 条，--format json {JSON_PAGE} 条）"),
          as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """列出线索（可按模型、院、状态、对象、日期、逾期筛选；--as 时只列该用户所属院及下级院的线索）。"""
    page = limit if limit is not None else (JSON_PAGE if output == OutputFormat.json else TABLE_PAGE)
    more = limit is None and output != OutputFormat.json      # one row more tells whether the table is cut
    limit = page + 1 if more else page
    rows = None
    if not any((org, since, until, overdue is not None, assignee)):
        rows = _light_list(identity(as_), model, _states(state), subject, limit)      # through the driver
    if rows is None:
        f = _filter(model, state, subject, org, since, until, overdue, assignee)
        rows = _service(workspace(as_, "clues.read")).list(model_id=f.model_id, state=f.state, subject=f.subject,
                                                           limit=limit, org=f.org, since=f.since, until=f.until,
                                                           overdue=f.overdue, assignee=f.assignee)
    if output == OutputFormat.json:
        print_json(rows)
        return
    cut = more and len(rows) > page
    rows = rows[:page]
    for r in rows:
        r["who"] = r["subject"]["key"]            # masked by the clue service (access layer)
    title = f"线索（前 {page} 条）" if cut else f"线索（{len(rows)} 条）"
    print_table(rows, [("clue_id", "线索"), ("model_id", "模型"), ("rule", "规则"), ("who", "对象"),
                       ("title", "摘要"), ("state", "状态"), ("seen_count", "命中次数")], title=title)
    if cut:
        console.print(f"还有更多线索未列出：用 --limit 指定条数，或用筛选条件（--model、--state、--org …）缩小范围；"
                      f"--format json 默认列出 {JSON_PAGE} 条")


def _light_list(username: str | None, model: str | None, state: str | None, subject: str | None,
                limit: int) -> list[dict] | None:
    """The list as :meth:`ClueService.list` gives it to ``username`` (None: the local operator), read without
    SQLAlchemy (:mod:`shujian.clues.listing`: the access layer's scope condition and masking); None when
    that path cannot answer (the full path then runs, with its checks and refusals)."""
    from ..clues.listing import list_clues
    from ..config import load_settings

    return list_clues(load_settings(), username=username, model_id=model, state=state, subject=subject,
                      limit=limit)


@app.command("show")
def show(clue_id: int = typer.Argument(...), as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """线索详情：事实（个人信息脱敏）、证据行（脱敏）、同一对象的其他线索。"""
    from ..security.access import clue_view

    ws = workspace(as_, "clues.read")
    c = clue_view(ws, clue_id, via="cli")      # scoped, masked (the local operator without --as: in clear), audited
    if output == OutputFormat.json:
        print_json(c)
        return
    console.print(f"[bold]线索 {c['clue_id']}[/]：{c['title']}")
    console.print(f"模型 {c['model_id']} 规则 {c['rule']}  状态：{c['state']}  建议：{c['measure'] or '—'}")
    for k, v in (c["facts"] or {}).items():
        console.print(f"  {k}：{v}")
    for ev in c["evidence"]:
        print_table([dict(zip(ev["columns"], r, strict=True)) for r in ev["rows"]], [(x, x) for x in ev["columns"]],
                    title=f"证据：{ev['dataset']} 第 {ev['version']} 版（{ev['row_count']} 行）")
    for o in c["other_grounds"]:
        console.print(f"同一对象的其他线索：#{o['clue_id']} {o['model_id']} {o['title']}")


@app.command("exclude")
def exclude(clue_id: int = typer.Argument(...), reason: str = typer.Option(..., "--reason", help="排除理由"),
            exclusion_type: str = typer.Option("其他", "--exclusion-type",
                                               help=f"误报类型：{'、'.join(EXCLUSION_TYPES)}"),
            as_: str | None = ActorOpt) -> None:
    """排除线索（误报）：再次运行时不再提出，除非事实发生变化。"""
    ws = workspace()
    who = actor(as_)               # the workflow's 排除: lifecycle table, role and org checked, audited
    out = _service(ws).exclude(clue_id, reason, who, exclusion_type=exclusion_type)
    console.print(f"线索 {clue_id} 已排除（{out['state']}）")


@app.command("transition")
def transition(clue_ids: list[int] = IdsOptional,
               action: str = typer.Option(..., "--action", help="研判、交办、核查、排除、成案、跟踪、办结、退回、重新打开"),
               as_user: str | None = ActorOpt, reason: str | None = typer.Option(None, "--reason", help="理由"),
               attach: list[str] = AttachOpt,
               exclusion_type: str | None = typer.Option(None, "--exclusion-type",
                                                         help=f"误报类型：{'、'.join(EXCLUSION_TYPES)}"),
               case_number: str | None = typer.Option(None, "--case-number", help="业务应用系统案号"),
               to_org: str | None = typer.Option(None, "--to-org", help="交办：承办院"),
               department: str | None = typer.Option(None, "--department", help="交办：承办部门"),
               to_user: str | None = typer.Option(None, "--to-user", help="交办：承办检察官"),
               deadline: str | None = typer.Option(None, "--deadline", help="交办：办理期限 YYYY-MM-DD"),
               partial: bool = typer.Option(False, "--partial", help="批量时跳过不允许的线索（默认全部成功才执行）"),
               model: str | None = ModelOpt, state: str | None = StateOpt, org: str | None = OrgOpt,
               overdue: bool | None = OverdueOpt, output: OutputFormat = FormatOpt) -> None:
    """线索流转：单条或批量（给多个编号，或用 --model/--state/--org/--overdue 筛选）。"""
    ws = workspace()
    ids = list(clue_ids or [])
    if not ids and not any((model, state, org, overdue is not None)):
        raise InputError("未指定线索", hint="给出线索编号，或用 --model/--state/--org/--overdue 筛选")
    who = actor(as_user)           # first: the filter below then selects only clues the actor may see
    if not ids:
        ids = _service(ws).ids(_filter(model, state, None, org, None, None, overdue, None))
    kw = {"exclusion_type": exclusion_type, "case_number": case_number, "org": to_org, "department": department,
          "assignee": to_user, "deadline": _day(deadline, "--deadline")}
    kw = {k: v for k, v in kw.items() if v is not None}
    wf = _workflow(ws)
    if len(ids) == 1 and not partial:
        out = wf.transition(ids[0], action, who, reason=reason, attachments=attach or [], **kw)
        print_json(out) if output == OutputFormat.json else console.print(f"线索 {ids[0]}：{out['state']}")
        return
    out = wf.bulk(ids, action, who, atomic=not partial, reason=reason, **kw)
    if output == OutputFormat.json:
        print_json(out)
        return
    console.print(f"“{action}”完成 {len(out['done'])} 条，未执行 {len(out['refused'])} 条")
    for r in out["refused"]:
        console.print(f"  - {r['message']}", highlight=False)


@app.command("assign")
def assign(clue_ids: list[int] = IdsRequired, as_user: str | None = ActorOpt,
           to_org: str = typer.Option(..., "--to-org", help="承办院"),
           deadline: str = typer.Option(..., "--deadline", help="办理期限 YYYY-MM-DD"),
           department: str | None = typer.Option(None, "--department", help="承办部门"),
           to_user: str | None = typer.Option(None, "--to-user", help="承办检察官"),
           reason: str | None = typer.Option(None, "--reason")) -> None:
    """交办（可批量，全部允许才执行）。"""
    out = _workflow(workspace()).bulk(clue_ids, "交办", actor(as_user), reason=reason, org=to_org,
                                            department=department, assignee=to_user,
                                            deadline=_day(deadline, "--deadline"))
    console.print(f"已交办 {len(out['done'])} 条线索")


@app.command("comment")
def comment(clue_id: int = typer.Argument(...), text: str = typer.Option(..., "--text", help="评论内容"),
            attach: list[str] = AttachOpt, as_user: str | None = ActorOpt) -> None:
    """评论线索（可附附件：--attach 给出本机文件路径，文件存入工作区，与网页上传的附件相同）。"""
    ws = workspace()
    who = actor(as_user)
    if not attach:
        _workflow(ws).comment(clue_id, who, text, [])
        console.print(f"已评论线索 {clue_id}")
        return
    from contextlib import ExitStack

    from ..clues.attachments import AttachmentService

    files = [Path(a).expanduser() for a in attach]
    for f in files:
        if not f.is_file():
            raise InputError(f"附件“{f}”不存在或不是文件", hint="--attach 给出本机上一个已有文件的路径")
    with ExitStack() as stack:
        uploads = [(f.name, stack.enter_context(f.open("rb"))) for f in files]
        out = AttachmentService(ws).comment(clue_id, who, text, uploads)
    console.print(f"已评论线索 {clue_id}，附件 {len(out['attachments'])} 个："
                  + "、".join(a["filename"] for a in out["attachments"]))


@app.command("supervise")
def supervise(clue_id: int = typer.Argument(...), deadline: str = typer.Option(..., "--deadline"),
              reason: str = typer.Option(..., "--reason", help="督办要求"), as_user: str | None = ActorOpt) -> None:
    """督办：上级院对下级院办理中的线索挂牌督办。"""
    _workflow(workspace()).supervise(clue_id, actor(as_user), _day(deadline, "--deadline"), reason)
    console.print(f"已督办线索 {clue_id}")


@app.command("measure")
def measure(clue_id: int = typer.Argument(...), kind: str = typer.Option(..., "--kind", help=f"{'、'.join(MEASURES)}"),
            doc_number: str | None = typer.Option(None, "--doc-number", help="文号"),
            issued_on: str | None = typer.Option(None, "--issued-on", help="发出日期（默认今天）"),
            recipient: str | None = typer.Option(None, "--recipient", help="主送机关"),
            reply_deadline: str | None = typer.Option(None, "--reply-deadline", help="回复期限（默认两个月）"),
            as_user: str | None = ActorOpt, output: OutputFormat = FormatOpt) -> None:
    """录入监督措施（成案后）；柔性措施（移送整改、通报）逾期未整改将提示转刚性监督。"""
    m = _workflow(workspace()).add_measure(clue_id, actor(as_user), kind, doc_number=doc_number,
                                                 issued_on=_day(issued_on, "--issued-on"), recipient=recipient,
                                                 reply_deadline=_day(reply_deadline, "--reply-deadline"))
    print_json(m) if output == OutputFormat.json else console.print(
        f"已录入监督措施 {m['measure_id']}：{m['kind']}（{m['intensity']}），回复期限 {m['reply_deadline'] or '—'}")


@app.command("reply")
def reply(measure_id: int = typer.Argument(..., help="监督措施编号"),
          replied_on: str = typer.Option(..., "--replied-on", help="回复日期"),
          text: str = typer.Option("", "--text", help="回复内容"),
          adopted: bool | None = typer.Option(None, "--adopted/--not-adopted", help="是否采纳"),
          rectified: bool | None = typer.Option(None, "--rectified/--not-rectified", help="是否整改到位"),
          money: float = typer.Option(0.0, "--money", help="追回/挽回金额（元）"),
          people: int = typer.Option(0, "--people", help="涉及人数"), governance: list[str] = GovOpt,
          as_user: str | None = ActorOpt) -> None:
    """录入监督措施的回复与成效。"""
    _workflow(workspace()).record_reply(measure_id, actor(as_user), replied_on=_day(replied_on, "--replied-on"),
                                              reply=text, adopted=adopted, rectified=rectified,
                                              money_recovered=money, people_affected=people,
                                              governance=governance or [])
    console.print(f"已录入监督措施 {measure_id} 的回复")


@app.command("escalate")
def escalate(clue_id: int = typer.Argument(...), kind: str = typer.Option("检察建议", "--kind"),
             reason: str = typer.Option(..., "--reason"), doc_number: str | None = typer.Option(None, "--doc-number"),
             as_user: str | None = ActorOpt) -> None:
    """柔性措施逾期未整改：转为刚性监督（检察建议、抗诉、起诉…）。"""
    _workflow(workspace()).escalate(clue_id, actor(as_user), kind, reason=reason, doc_number=doc_number)
    console.print(f"线索 {clue_id} 已转为刚性监督（{kind}）")


@app.command("due")
def due(within: int = typer.Option(7, "--within", help="列出几天内到期的事项"),
        org: str | None = OrgOpt, as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """逾期与即将到期的事项：交办期限、督办、回复期限、建议刚性监督。"""
    rows = _workflow(workspace(as_, "clues.read")).due(within_days=within, org=org)
    if output == OutputFormat.json:
        print_json(rows)
        return
    print_table(rows, [("kind", "事项"), ("clue_id", "线索"), ("title", "摘要"), ("state", "状态"), ("org", "承办院"),
                       ("deadline", "期限"), ("days_left", "剩余天数"), ("overdue", "逾期"), ("note", "说明")],
                title=f"到期事项（{len(rows)}）")


@app.command("history")
def history(clue_id: int = typer.Argument(...), as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """线索的流转记录（谁、何时、从何状态到何状态、理由、附件）与监督措施。"""
    wf = _workflow(workspace(as_, "clues.read"))
    rows, measures = wf.history(clue_id), wf.measures(clue_id)
    if output == OutputFormat.json:
        print_json({"events": rows, "measures": measures})
        return
    print_table(rows, [("at", "时间"), ("actor", "操作人"), ("action", "操作"), ("from", "原状态"), ("to", "新状态"),
                       ("reason", "理由"), ("attachments", "附件")], title=f"线索 {clue_id} 流转记录")
    if measures:
        print_table(measures, [("measure_id", "编号"), ("kind", "措施"), ("doc_number", "文号"),
                               ("reply_deadline", "回复期限"), ("replied_on", "回复日期"), ("adopted", "采纳"),
                               ("money_recovered", "追回金额")], title="监督措施")


@app.command("export")
def export(xlsx: Path = XlsxOpt, model: str | None = ModelOpt,
           state: str | None = StateOpt, subject: str | None = SubjectOpt, org: str | None = OrgOpt,
           since: str | None = SinceOpt, until: str | None = UntilOpt, overdue: bool | None = OverdueOpt,
           assignee: str | None = AssigneeOpt, as_: str | None = AsOpt) -> None:
    """按与 list 相同的筛选条件导出线索清单（个人标识脱敏；--as 时只导出该用户范围内的线索）。"""
    from ..security.audit import record as audit
    from ..workflow.export import export_xlsx

    ws = workspace(as_, "clues.export")
    n = export_xlsx(ws, xlsx, _filter(model, state, subject, org, since, until, overdue, assignee))
    audit(ws, "clue.export", target=f"xlsx:{xlsx.name}", detail={"clues": n, "via": "cli"})
    console.print(f"已导出 {n} 条线索到 {xlsx}")


@app.command("docx")
def docx(clue_id: int = typer.Argument(...), out: Path = DocxOpt, as_: str | None = AsOpt) -> None:
    """生成检察建议书 Word 草稿（文号、主送机关、问题、依据、建议、回复期限）。"""
    from ..docgen.suggestion import SuggestionDraft

    SuggestionDraft(workspace(as_, "clues.read")).write(clue_id, out)
    console.print(f"已生成检察建议书草稿：{out}")
