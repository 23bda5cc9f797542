"""``shujian model`` — supervision models: list, show, SQL, validate, run."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path

import typer

from ..runs.service import RunService
from . import bind
from .common import AsOpt, OutputFormat, console, err_console, parse_pairs, print_json, print_table, workspace

app = typer.Typer(no_args_is_help=True)
FormatOpt = typer.Option(OutputFormat.table, "--format", help="输出格式：table 或 json")
bind.register(app)          # model bind / binding / unbind (数据绑定)


def _library():
    from .. import models_library

    return models_library


@app.command("list")
def list_(output: OutputFormat = FormatOpt) -> None:
    """列出内置模型库中的监督模型。"""
    rows = [{"id": m.id, "name": m.name, "line": m.line, "point": m.point, "version": m.version,
             "legal_basis": [lb.model_dump() for lb in m.legal_basis], "measure": m.measure}
            for m in _library().list_models()]
    if output == OutputFormat.json:
        print_json(rows)
        return
    for r in rows:
        r["basis"] = "；".join(f"{b['law']}{b['article']}" for b in r["legal_basis"])
    print_table(rows, [("id", "编号"), ("name", "名称"), ("line", "业务条线"), ("point", "监督点"),
                       ("version", "版本"), ("basis", "法律依据")], title="内置模型库")


@app.command("show")
def show(model: str = typer.Argument(..., help="模型编号或模型文件"), output: OutputFormat = FormatOpt) -> None:
    """模型详情：规则、参数、输入数据。"""
    from ..runs.models import model_hash, resolve_model

    m, builtin = resolve_model(model)
    data = m.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["hash"], data["builtin"] = model_hash(m), builtin
    if output == OutputFormat.json:
        print_json(data)
        return
    console.print(f"[bold]{m.name}[/]（{m.id} v{m.version}）")
    console.print(f"业务条线：{m.line}    监督点：{m.point}    建议监督方式：{m.measure or '—'}")
    for lb in m.legal_basis:
        console.print(f"法律依据：{lb.law}{lb.article} {lb.summary}")
    if m.rule_text:
        console.print(f"规则：{m.rule_text}")
    if m.params:
        print_table([{"name": k, "label": p.label, "type": p.type, "default": p.default} for k, p in m.params.items()],
                    [("name", "参数"), ("label", "含义"), ("type", "类型"), ("default", "默认值")], title="参数")
    rows = [{"role": role, "dataset": i.dataset,
             "fields": "、".join(f"{k}={v if isinstance(v, str) else (v.column or 'semantic:' + str(v.semantic))}"
                                for k, v in i.fields.items())} for role, i in m.inputs.items()]
    if rows:
        print_table(rows, [("role", "角色"), ("dataset", "数据集"), ("fields", "字段")], title="输入数据")


@app.command("sql")
def sql(model: str = typer.Argument(..., help="模型编号或模型文件"),
        dialect: str = typer.Option("duckdb", "--dialect", help="duckdb / spark / postgres"),
        param: list[str] = typer.Option([], "--param", help="参数，例如 --param grace_months=2")) -> None:
    """生成模型的 SQL（针对当前工作区的数据目录）。"""
    compiled = RunService(workspace()).compile(model, dialect, _kv(param))
    typer.echo(compiled.sql)
    if compiled.parameters:
        err_console.print(f"-- 绑定参数：{json.dumps(compiled.parameters, ensure_ascii=False, default=str)}")


@app.command("validate")
def validate(path: Path = typer.Argument(..., help="模型文件（YAML/JSON）"),
             compile_: bool = typer.Option(True, "--compile/--no-compile", help="同时针对当前数据目录编译检查")) -> None:
    """校验模型文件：结构、步骤、引用的数据集与列、类型。"""
    from ..spec import load_model

    m = load_model(path)
    if compile_:
        RunService(workspace()).compile(m)
    console.print(f"[green]模型 {m.id}（{m.name}）校验通过[/]")


@app.command("run")
def run(model: str = typer.Argument(..., help="模型编号或模型文件"),
        param: list[str] = typer.Option([], "--param", help="参数，例如 --param grace_months=2"),
        dataset_version: list[str] = typer.Option([], "--dataset-version", help="固定输入版本，例如 pension=1"),
        engine: str | None = typer.Option(None, "--engine", help="duckdb 或 spark（默认取工作区设置 SHUJIAN_ENGINE）"),
        sandbox: bool = typer.Option(False, "--sandbox", help="沙箱运行：结果只给本人看，不生成线索，待数字办、院领导发布（须 --as）"),
        as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """运行模型，生成线索（Ctrl-C 取消，取消的运行不写入任何线索）；运行记入审计，--as 时归属该用户所属院。"""
    versions = {k: _int(v, "--dataset-version") for k, v in parse_pairs(dataset_version, "--dataset-version", "pension=1").items()}
    svc = RunService(workspace(as_, "runs.sandbox" if sandbox else "runs.start"))
    if sandbox:
        from ..runs.sandbox import require_user
        from ..security.scope import current_scope

        require_user(current_scope())
    result = _with_progress(lambda progress, cancel: svc.run(model, params=_kv(param),
                                                             dataset_versions=versions, engine=engine,
                                                             progress=progress, cancel=cancel, sandbox=sandbox),
                            output == OutputFormat.table)
    _print_result(result.to_dict(), output)


@app.command("retry")
def retry(run_id: int = typer.Argument(..., help="失败、取消或中断的运行编号"), as_: str | None = AsOpt,
          output: OutputFormat = FormatOpt) -> None:
    """以相同的参数与数据版本重新运行。"""
    svc = RunService(workspace(as_, "runs.start"))
    result = _with_progress(lambda progress, cancel: svc.retry(run_id, progress=progress, cancel=cancel),
                            output == OutputFormat.table)
    _print_result(result.to_dict(), output)


@app.command("runs")
def runs(model: str | None = typer.Option(None, "--model", help="只看某个模型"), as_: str | None = AsOpt,
         output: OutputFormat = FormatOpt) -> None:
    """运行记录（--as 时只列该用户所属院及下级院的运行与平台级运行）。"""
    rows = RunService(workspace(as_, "runs.read")).list_runs(model)
    if output == OutputFormat.json:
        print_json(rows)
        return
    print_table(rows, [("run_id", "运行"), ("model_id", "模型"), ("status", "状态"), ("engine", "引擎"),
                       ("started_at", "开始"), ("seconds", "秒"), ("rows_scanned", "扫描行数"),
                       ("clues_new", "新线索"), ("clues_seen", "已有线索"), ("error", "错误")])


@app.command("run-show")
def run_show(run_id: int = typer.Argument(...), as_: str | None = AsOpt) -> None:
    """一次运行的完整记录（含 SQL、参数与数据版本）。"""
    print_json(RunService(workspace(as_, "runs.read")).get_run(run_id))


@app.command("schema")
def schema() -> None:
    """导出模型语言的 JSON Schema（供可视化建模使用）。"""
    from ..spec import json_schema

    print_json(json_schema())


def _print_result(data: dict, output: OutputFormat) -> None:
    if output == OutputFormat.json:
        print_json({k: data[k] for k in ("run_id", "status", "clues_new", "clues_seen", "rows_scanned", "seconds",
                                         "rows_out", "peak_memory_mb", "sandbox")})
        return
    if data.get("sandbox"):
        console.print(f"沙箱运行 {data['run_id']}（{data['model_id']}）：{data['status']}，扫描 {data['rows_scanned']:,} 行，"
                      f"结果 {data['rows_out']} 条（仅本人可见，未生成线索），用时 {data['seconds']:.2f} 秒；"
                      f"查看：shujian run show {data['run_id']}；发布由数字办、院领导执行：shujian run publish {data['run_id']}")
        return
    console.print(f"运行 {data['run_id']}（{data['model_id']}）：{data['status']}，扫描 {data['rows_scanned']:,} 行，"
                  f"输出 {data['rows_out']} 行，新线索 {data['clues_new']} 条，已有线索 {data['clues_seen']} 条，"
                  f"用时 {data['seconds']:.2f} 秒，峰值内存 {data['peak_memory_mb']} MB")


def _with_progress(fn, enabled: bool):
    cancel = threading.Event()
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda *_: cancel.set())
    try:
        if not enabled:
            return fn(None, cancel)
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("运行中"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                      console=err_console, transient=True) as p:
            task = p.add_task("run", total=100)
            return fn(lambda pct: p.update(task, completed=pct), cancel)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _int(v: str, opt: str) -> int:
    from ..errors import InputError

    try:
        return int(v)
    except ValueError:
        raise InputError(f"{opt} 的版本号“{v}”不是整数") from None


def _kv(param: list[str]) -> dict[str, str]:
    """Model parameters from repeated ``--param name=value`` options."""
    return parse_pairs(param, "--param", "grace_months=2")
