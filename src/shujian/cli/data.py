"""``shujian data`` — the data catalog (数据资源目录)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..errors import InputError
from .common import (
    AsOpt,
    OutputFormat,
    console,
    err_console,
    identity,
    parse_pairs,
    print_json,
    print_table,
    progress_bar,
    workspace,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..catalog.service import CatalogService

# The catalog's modules (SQLAlchemy's ORM, pyarrow) are imported in the commands: `data import` starts
# reading its file first (catalog.prefetch), and the rest of the start-up runs meanwhile.

app = typer.Typer(no_args_is_help=True)


def _catalog(ws) -> CatalogService:
    from ..catalog.service import CatalogService

    return CatalogService(ws)

FormatOpt = typer.Option(OutputFormat.table, "--format", help="输出格式：table 或 json")


@app.command("import")
def import_(
    path: Path = typer.Argument(..., help="数据文件：CSV/TSV、XLSX、Parquet、JSON Lines"),  # noqa: B008
    name: str = typer.Option(..., "--name", "-n", help="数据集名称；同名再次导入生成新版本"),
    sheet: list[str] = typer.Option([], "--sheet", help="XLSX 工作表名（默认第一个），可多次指定；"  # noqa: B008
                                    "写成 工作表=数据集名 可给出数据集名称"),
    all_sheets: bool = typer.Option(False, "--all-sheets", help="导入 XLSX 的全部工作表，每个工作表一个数据集"),
    header_row: int = typer.Option(1, "--header-row", min=1, help="表头（列名）所在的行号；其上的标题行不导入"),
    type_: list[str] = typer.Option([], "--type", help="指定列类型，例如 --type 编号=text --type 入职=date"),  # noqa: B008
    fmt: str | None = typer.Option(None, "--format-in", help="强制指定格式：csv/tsv/xlsx/parquet/jsonl"),
    encoding: str | None = typer.Option(None, "--encoding", help="强制指定编码：utf-8/gbk/gb18030"),
    agency: str | None = typer.Option(None, "--agency", help="来源单位，例如 市人社局"),
    request_no: str | None = typer.Option(None, "--request-no", help="调取函号"),
    period: str | None = typer.Option(None, "--period", help="数据期间，例如 2023-01-01..2023-12-31"),
    level: str | None = typer.Option(None, "--level", help="分级：公开/内部/敏感/核心"),
    description: str | None = typer.Option(None, "--description", help="数据集说明"),
    semantic: list[str] = typer.Option([], "--semantic", help="指定数据要素，例如 --semantic 证件号=id_number"),  # noqa: B008
    key: list[str] = typer.Option([], "--key", help="主键列（用于重复检查），可多次指定"),  # noqa: B008
    skip_column: list[str] = typer.Option([], "--skip-column", help="不导入的列（调取范围以外的数据），可多次指定"),  # noqa: B008
    skip_hidden: bool = typer.Option(False, "--skip-hidden-columns", help="不导入 XLSX 中隐藏的列"),
    skip_bad_rows: bool = typer.Option(False, "--skip-bad-rows", help="跳过格式错误的行并列出它们"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="显示进度条"),
    personal: bool = typer.Option(False, "--personal", help="导入到本人的个人数据区（仅本人可见，须 --as）"),
    as_: str | None = AsOpt,
    output: OutputFormat = FormatOpt,
) -> None:
    """导入数据文件为数据集的新版本（流式，内存受限，原子：失败不留下半成品）。

    多个工作表（--sheet 多次或 --all-sheets）一起导入：全部成功才生效，每个工作表一个数据集，
    名称为“名称_工作表”（或 --sheet 工作表=数据集名 给出的名称）。
    """
    from ..catalog.prefetch import CsvPrefetch

    # the file's read starts now, in a background thread, while the modules load and the workspace and
    # the right to import are checked (nothing is written before; closed below if the import fails)
    one_file = not sheet and not all_sheets
    pre = CsvPrefetch.start(path, fmt=fmt, encoding=encoding, header_row=header_row) if one_file else None
    try:
        from ..catalog.importer import ImportRequest
        from ..catalog.inputs import sheet_requests
        from ..catalog.service import CatalogService

        start, end = _period(period)
        base = ImportRequest(name=name, path=path, fmt=fmt, encoding=encoding, agency=agency,
                             request_no=request_no, period_start=start, period_end=end, level=level,
                             description=description, skip_bad_rows=skip_bad_rows,
                             semantics=parse_pairs(semantic, "--semantic", "证件号=id_number"), key_columns=key or None,
                             types=parse_pairs(type_, "--type", "编号=text"), header_row=header_row,
                             skip_columns=skip_column, skip_hidden=skip_hidden)
        reqs = sheet_requests(base, sheet, all_sheets)
        ws = workspace(as_, "data.import.personal" if personal else "data.import")
        for r in reqs:
            r.importer, r.personal = identity(as_), personal
        svc = CatalogService(ws)
        try:
            with progress_bar(progress and output == OutputFormat.table) as bar:
                results = svc.import_files(reqs, bar, prefetch=pre)
        except KeyboardInterrupt:
            # said here: typer turns Ctrl-C into a silent exit 130 before cli.main sees it
            names = "、".join(f"“{r.name}”" for r in reqs)
            err_console.print(f"[yellow]导入已中断：数据集{names}未生成新版本，之前的版本保持不变；"
                              f"重新执行同一条命令即可。[/]", highlight=False)
            raise
        data = [_result_dict(r) for r in results]
        if output == OutputFormat.json:
            print_json(data[0] if len(data) == 1 else data)
            return
        for result, d in zip(results, data, strict=True):
            _print_result(result, d)
    finally:
        if pre is not None:
            pre.close()


def _result_dict(result) -> dict:
    return {"dataset": result.dataset, "version": result.version, "rows": result.rows, "sheet": result.sheet,
            "level": result.level, "skipped_rows": result.skipped_rows, "skipped": result.skipped[:100],
            "columns": [{"name": c.name, "dtype": c.dtype, "semantic": c.semantic} for c in result.columns],
            "content_hash": result.content_hash, "seconds": result.seconds, "notes": result.notes}


def _print_result(result, data: dict) -> None:
    sheet = f"（工作表“{result.sheet}”）" if result.sheet else ""
    console.print(f"已导入数据集“{result.dataset}”第 {result.version} 版{sheet}：{result.rows:,} 行，"
                  f"{len(result.columns)} 列，分级 {result.level}，用时 {result.seconds:.1f} 秒")
    if result.skipped_rows:
        lines = "、".join(str(s["line"]) for s in result.skipped[:20])
        console.print(f"[yellow]跳过 {result.skipped_rows} 行格式错误的行：第 {lines} 行[/]")
    for note in result.notes:
        console.print(f"[yellow]注意：{note}[/]")
    print_table(data["columns"], [("name", "列名"), ("dtype", "类型"), ("semantic", "数据要素")])


@app.command("import-db")
def import_db(
    url: str = typer.Argument(..., help="SQLAlchemy 连接串，如 postgresql+psycopg://rs@10.0.0.5/rs（密码用 --password-env）"),
    name: str = typer.Option(..., "--name", "-n", help="数据集名称；同名再次导入生成新版本"),
    table: str | None = typer.Option(None, "--table", help="表名（可写 模式.表名）"),
    query: str | None = typer.Option(None, "--query", help="一条只读 SELECT 查询（与 --table 二选一）"),
    password_env: str | None = typer.Option(None, "--password-env", help="从此环境变量读取数据库密码"),
    check_column: str | None = typer.Option(None, "--check-column", help="增量：只拉取此列大于当前版本最大值的行（自增编号或更新时间）"),
    merge_key: list[str] = typer.Option([], "--merge-key", help="增量：按此键用新行替换旧行（可多次）；不写则追加"),  # noqa: B008
    batch_rows: int = typer.Option(50_000, "--batch-rows", min=100, help="每批读取的行数"),
    agency: str | None = typer.Option(None, "--agency", help="来源单位"),
    request_no: str | None = typer.Option(None, "--request-no", help="调取函号"),
    level: str | None = typer.Option(None, "--level", help="分级：公开/内部/敏感/核心"),
    type_: list[str] = typer.Option([], "--type", help="指定列类型，例如 --type 编号=text"),  # noqa: B008
    semantic: list[str] = typer.Option([], "--semantic", help="指定数据要素，例如 --semantic 证件号=id_number"),  # noqa: B008
    save_as: str | None = typer.Option(None, "--save-as", help="同时保存为数据源（之后 shujian data source pull 或定期汇聚）"),
    cron: str | None = typer.Option(None, "--cron", help="与 --save-as 一起：定期汇聚的 cron 表达式，如 “0 2 * * *”"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="显示进度"),
    as_: str | None = AsOpt, output: OutputFormat = FormatOpt,
) -> None:
    """从数据库导入（表或查询；流式分批；可增量）。密码不保存：用 --password-env 指定的环境变量提供。"""
    from ..catalog.connectors import DbPull
    from ..catalog.sources import SourceService

    ws = workspace(as_, "data.import")
    options = {"check_column": check_column, "merge_key": merge_key, "batch_rows": batch_rows, "level": level,
               "agency": agency, "request_no": request_no, "types": parse_pairs(type_, "--type", "编号=text"),
               "semantics": parse_pairs(semantic, "--semantic", "证件号=id_number")}
    if save_as:
        SourceService(ws).add(save_as, url, name, table=table, query=query, password_env=password_env, cron=cron,
                              options={k: v for k, v in options.items() if v not in (None, [], {})},
                              created_by=identity(as_))
        out = SourceService(ws).pull(save_as, actor=identity(as_))
        return _print_pull(out, output)
    if cron:
        raise InputError("--cron 需要与 --save-as 一起使用", hint="定期汇聚的是保存的数据源")
    from ..catalog.importer import ImportRequest

    req = ImportRequest(name=name, agency=agency, request_no=request_no, level=level, types=options["types"],
                        semantics=options["semantics"], importer=identity(as_))
    pull = DbPull(url=url, table=table, query=query, password_env=password_env, check_column=check_column,
                  merge_key=merge_key, batch_rows=batch_rows)
    with progress_bar(progress and output == OutputFormat.table) as bar:
        result = _catalog(ws).import_db(req, pull, bar)
    if result is None:
        return _print_pull({"dataset": name, "status": "unchanged", "version": None}, output)
    data = _result_dict(result)
    if output == OutputFormat.json:
        print_json(data)
        return
    _print_result(result, data)


def _print_pull(out: dict, output: OutputFormat) -> None:
    if output == OutputFormat.json:
        print_json(out)
    elif out["status"] == "unchanged":
        console.print(f"数据集“{out['dataset']}”没有新数据，未生成新版本")
    else:
        console.print(f"已汇聚到数据集“{out['dataset']}”第 {out['version']} 版：{out['rows']:,} 行")


source_app = typer.Typer(no_args_is_help=True, help="保存的数据源（数据库汇聚、定期汇聚）")
app.add_typer(source_app, name="source")


@source_app.command("add")
def source_add(name: str = typer.Argument(..., help="数据源名称"), url: str = typer.Argument(..., help="连接串（不含密码）"),
               dataset: str = typer.Option(..., "--dataset", help="汇聚到的数据集"),
               table: str | None = typer.Option(None, "--table"), query: str | None = typer.Option(None, "--query"),
               password_env: str | None = typer.Option(None, "--password-env", help="密码所在的环境变量"),
               check_column: str | None = typer.Option(None, "--check-column"),
               merge_key: list[str] = typer.Option([], "--merge-key"),  # noqa: B008
               cron: str | None = typer.Option(None, "--cron", help="定期汇聚，如 “0 2 * * *”（由 shujian worker 执行）"),
               agency: str | None = typer.Option(None, "--agency"), level: str | None = typer.Option(None, "--level"),
               as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """保存一个数据库数据源（不保存密码）。"""
    from ..catalog.sources import SourceService

    options = {k: v for k, v in {"check_column": check_column, "merge_key": merge_key, "agency": agency,
                                 "level": level}.items() if v not in (None, [])}
    out = SourceService(workspace(as_, "data.import")).add(name, url, dataset, table=table, query=query,
                                                          password_env=password_env, cron=cron, options=options,
                                                          created_by=identity(as_))
    if output == OutputFormat.json:
        print_json(out)
        return
    console.print(f"已保存数据源“{name}” → 数据集“{dataset}”" + (f"，定期汇聚 “{cron}”，下次 {out['next_run_at']}" if cron else ""))


@source_app.command("list")
def source_list(as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """列出保存的数据源。"""
    from ..catalog.sources import SourceService

    rows = SourceService(workspace(as_, "data.read")).list()
    if output == OutputFormat.json:
        print_json(rows)
        return
    print_table(rows, [("name", "数据源"), ("dataset", "数据集"), ("url", "连接串"), ("table", "表"),
                       ("cron", "定期"), ("last_status", "上次结果"), ("last_version", "版本"), ("last_error", "错误")])


@source_app.command("pull")
def source_pull(name: str = typer.Argument(...), as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """立即汇聚一次（失败时之前的版本保持为当前版本）。"""
    from ..catalog.sources import SourceService

    _print_pull(SourceService(workspace(as_, "data.import")).pull(name, actor=identity(as_)), output)


@source_app.command("remove")
def source_remove(name: str = typer.Argument(...), as_: str | None = AsOpt) -> None:
    """删除保存的数据源（已导入的版本保留）。"""
    from ..catalog.sources import SourceService

    SourceService(workspace(as_, "data.govern")).remove(name)
    console.print(f"已删除数据源“{name}”")


@app.command("list")
def list_(as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """列出数据集（--as 时只列该用户所属院及下级院的数据集与共享数据集）。"""
    rows = _catalog(workspace(as_, "data.read")).list_datasets()
    if output == OutputFormat.json:
        print_json(rows)
        return
    rows = [{**r, "imported_at": local_minute(r.get("imported_at"))} for r in rows]
    print_table(rows, [("name", "数据集"), ("current_version", "当前版本"), ("pinned_version", "固定版本"),
                       ("rows", "行数"), ("columns", "列数"), ("level", "分级"), ("agency", "来源单位"),
                       ("area", "数据区"), ("imported_at", "导入时间")], title="数据资源目录")


def local_minute(iso: str | None) -> str:
    """An ISO time with its UTC offset (as the catalog gives it) → ``YYYY-MM-DD HH:MM`` in the
    machine's time zone (2026-12-06T16:05:59+00:00 is 2026-12-07 00:05 in 北京时间)."""
    if not iso:
        return ""
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:      # a naive time from the metadata store is UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


@app.command("show")
def show(name: str = typer.Argument(..., help="数据集名称"),
         version: int | None = typer.Option(None, "--version", "-v", help="版本号（默认固定版本或最新版本）"),
         rows: int = typer.Option(10, "--rows", help="预览行数"),
         as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """数据集的结构、来源与预览（个人信息脱敏；密封数据集不显示明细；预览记入审计）。"""
    from ..security.audit import record as audit

    ws = workspace(as_, "data.preview" if rows else "data.read")
    svc = _catalog(ws)
    info = svc.describe(name, version)
    cols, data = masked_preview(svc, info, name, version, rows, clear=identity(as_) is None)
    if rows and not info["sealed"]:
        audit(ws, "data.preview", target=f"dataset:{name}", detail={"rows": len(data), "via": "cli"})
    if output == OutputFormat.json:
        print_json({**info, "preview": [dict(zip(cols, r, strict=True)) for r in data]})
        return
    v = info["version"]
    console.print(f"[bold]{info['name']}[/] 第 {v['version']} 版（共 {len(info['versions'])} 版）"
                  f"  {v['rows']:,} 行  分级：{info['level']}")
    console.print(f"来源单位：{v['agency'] or '—'}  调取函号：{v['request_no'] or '—'}  "
                  f"期间：{v['period'][0] or '—'}..{v['period'][1] or '—'}  导入：{v['importer']} {v['imported_at'][:19]}")
    print_table(info["columns"], [("name", "列名"), ("dtype", "类型"), ("semantic", "数据要素"),
                                  ("semantic_source", "来源")], title="结构")
    print_table([dict(zip(cols, r, strict=True)) for r in data], [(c, c) for c in cols], title="预览")


@app.command("quality")
def quality(name: str = typer.Argument(..., help="数据集名称"),
            version: int | None = typer.Option(None, "--version", "-v"),
            as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """数据质量核查报告。"""
    report = _catalog(workspace(as_, "data.read")).quality(name, version)
    if output == OutputFormat.json:
        print_json(report)
        return
    from .quality_view import render_quality

    render_quality(report)


@app.command("share")
def share(name: str = typer.Argument(..., help="个人数据区中的数据集名称"),
          to: str = typer.Option(..., "--to", help="共享范围：本部门（所有者的部门）或 本院（本院数据目录）"),
          as_: str | None = AsOpt) -> None:
    """把检察官个人数据区的数据集共享给本部门或本院（数字办；记入审计）。"""
    r = _catalog(workspace(as_, "data.share")).share(name, to)
    console.print(f"数据集“{r['name']}”已共享给{to}")


@app.command("pin")
def pin(name: str = typer.Argument(...), version: int | None = typer.Argument(None, help="版本号；省略则取消固定"),
        as_: str | None = AsOpt) -> None:
    """固定模型读取的版本（省略版本号则恢复为最新版本）。"""
    r = _catalog(workspace(as_, "data.govern")).pin(name, version)
    console.print(f"数据集“{r['name']}”" + (f"已固定为第 {version} 版" if version else "已取消固定，读取最新版本"))


@app.command("semantic")
def set_semantic(name: str = typer.Argument(...), column: str = typer.Argument(...),
                 key: str = typer.Argument(..., help="数据要素类型，如 id_number；none 表示清除"),
                 as_: str | None = AsOpt) -> None:
    """修改列的数据要素类型。"""
    _catalog(workspace(as_, "data.govern")).set_semantic(name, column, None if key == "none" else key)
    console.print(f"已将“{name}”的列“{column}”设为 {key}")


@app.command("retype")
def retype(name: str = typer.Argument(..., help="数据集名称"), column: str = typer.Argument(..., help="列名"),
           type_word: str = typer.Argument(..., metavar="TYPE",
                                           help="text/int/decimal/double/date/month/timestamp/bool（或 文本/整数/金额/小数/日期/年月/时间/是否）"),
           as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """修改当前版本某列的类型（按原始文本重建该列并重算其质量报告；有值不能转换时不做修改）。"""
    out = _catalog(workspace(as_, "data.govern")).retype(name, column, type_word, actor=identity(as_))
    if output == OutputFormat.json:
        print_json(out)
        return
    if not out["changed"]:
        console.print(f"列“{column}”已是 {out['dtype']}，未做修改")
        return
    console.print(f"已将数据集“{name}”第 {out['version']} 版的列“{column}”改为 {out['label']}（{out['dtype']}）")


@app.command("diff")
def diff(name: str = typer.Argument(..., help="数据集名称"),
         old: int = typer.Argument(..., help="旧版本号"), new: int = typer.Argument(..., help="新版本号"),
         key: list[str] = typer.Option([], "--key", help="按此列（可多次）比对新增、删除、修改；省略则按整行比对"),  # noqa: B008
         limit: int = typer.Option(20, "--limit", min=0, max=1000, help="每类列出的示例行数"),
         as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """比较数据集的两个版本：新增、删除、修改的行，列的变化（--as 时按该用户权限脱敏个人信息）。"""
    from ..orgs.service import OrgService
    from ..security.audit import record as audit

    ws = workspace(as_, "data.preview")
    user = identity(as_)
    roles = OrgService(ws).get_user(user)["roles"] if user else None
    out = _catalog(ws).diff(name, old, new, key or None, roles=roles, limit=limit)
    audit(ws, "data.diff", actor=user, target=f"dataset:{name}",
          detail={"old": old, "new": new, "key": key, "masked": out["masked"], "via": "cli"})
    if output == OutputFormat.json:
        print_json(out)
        return
    render_diff(out)


def render_diff(d: dict) -> None:
    ch = d["changed"]["count"] if d["changed"] else None
    console.print(f"[bold]{d['dataset']}[/] 第 {d['old']} 版 → 第 {d['new']} 版："
                  f"{d['rows']['old']:,} 行 → {d['rows']['new']:,} 行；新增 {d['added']['count']:,} 行，"
                  f"删除 {d['removed']['count']:,} 行" + (f"，修改 {ch:,} 行" if ch is not None else "")
                  + f"，未变 {d['unchanged']:,} 行" + (f"（按 {'、'.join(d['key'])} 比对）" if d["key"] else "（按整行比对）"))
    sc = d["schema"]
    for label, cols in (("新增列", sc["added"]), ("删除列", sc["removed"])):
        if cols:
            console.print(f"{label}：{'、'.join(cols)}")
    for t in sc["type_changed"]:
        console.print(f"类型变化：{t['column']} {t['from']} → {t['to']}")
    cols = [("row", "行号")] + [(c, c) for c in d["columns"]]
    for part, title in (("added", "新增的行（新版本行号）"), ("removed", "删除的行（旧版本行号）")):
        rows = [{"row": e["row"], **dict(zip(d["columns"], e["values"], strict=True))} for e in d[part]["examples"]]
        if rows:
            print_table(rows, cols, title=title)
    if d["changed"] and d["changed"]["examples"]:
        rows = [{"row": f"{e['old_row']}→{e['new_row']}", "key": "、".join(str(v) for v in e["key"].values()),
                 "column": c["column"], "old": c["old"], "new": c["new"]}
                for e in d["changed"]["examples"] for c in e["changes"]]
        print_table(rows, [("row", "行号"), ("key", "键"), ("column", "列"), ("old", "旧值"), ("new", "新值")],
                    title="修改的行")
    if d["masked"]:
        console.print(f"[dim]已脱敏的列：{'、'.join(d['masked'])}[/]")


@app.command("jobs")
def jobs(as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """最近的导入任务（含失败与中断的任务；--as 时不含兄弟院数据集的任务）。"""
    rows = _catalog(workspace(as_, "jobs.read")).jobs()
    if output == OutputFormat.json:
        print_json(rows)
        return
    print_table(rows, [("id", "编号"), ("kind", "类型"), ("target", "对象"), ("status", "状态"),
                       ("started_at", "开始时间"), ("error", "错误")])


def _period(text: str | None) -> tuple[date | None, date | None]:
    if not text:
        return None, None
    try:
        a, b = (text.split("..", 1) + [""])[:2]
        return (date.fromisoformat(a) if a else None, date.fromisoformat(b) if b else None)
    except ValueError:
        raise InputError(f"--period 的值“{text}”格式不对", hint="应为 2023-01-01..2023-12-31") from None


def masked_preview(svc: CatalogService, info: dict, name: str, version: int | None, rows: int, *,
                   clear: bool = False):
    """Preview rows with every personal column masked (脱敏); a sealed dataset shows none.

    ``clear``: the local operator without ``--as`` (who can read the warehouse file anyway) sees
    values in clear; an identified user always sees them masked (audited unmasking is on the web).
    """
    from ..catalog.masking import mask_value

    if not rows or info["sealed"]:
        return [c["name"] for c in info["columns"]], []
    cols, data = svc.preview(name, version, rows)
    if clear:
        return cols, data
    sem = {c["name"]: c.get("semantic") for c in info["columns"]}
    keys = [sem.get(c) for c in cols]
    return cols, [[mask_value(k, v) if k and isinstance(v, str) else v for k, v in zip(keys, r, strict=True)]
                  for r in data]
