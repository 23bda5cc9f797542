"""``shujian entity`` — 主体识别：把各单位数据中的同一人归为一个主体（主体库），人工核对疑似记录对。"""

from __future__ import annotations

import typer

from ..entity import normalize as nz
from ..entity.service import EntityService
from ..errors import InputError
from .common import OutputFormat, console, print_json, print_table, workspace

app = typer.Typer(no_args_is_help=True)
FormatOpt = typer.Option(OutputFormat.table, "--format", help="输出格式：table 或 json")
AsOpt = typer.Option(None, "--as", help="以哪个用户的身份操作（默认取环境变量 SHUJIAN_USER）")


def _svc(as_: str | None, action: str = "data.read") -> EntityService:
    return EntityService(workspace(as_, action))


def _fields(datasets: list[str], field: list[str]) -> dict[str, dict[str, str] | None]:
    out: dict[str, dict[str, str] | None] = {d: None for d in datasets}
    for item in field:
        ds, sep, rest = item.partition(":")
        key, eq, col = rest.partition("=")
        if not sep or not eq or ds not in out:
            raise InputError(f"--field {item} 格式不对", hint="写成 数据集:字段=列名，如 --field 法院判决:name=被告人姓名；"
                                                            "数据集须在命令的数据集列表中")
        out[ds] = {**(out[ds] or {}), key: col}
    return out


@app.command("link")
def link(datasets: list[str] = typer.Argument(..., help="参与识别的数据集（至少一个）"),
         field: list[str] = typer.Option([], "--field", help="数据集:字段=列名（字段：name、id_number、birth_date、"
                                                              "sex、phone、address、division）；默认按语义类型和列名识别"),
         train: bool | None = typer.Option(None, "--train/--no-train", help="用本批数据重新训练（默认：记录数 ≥ 2 万时训练）"),
         as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """识别各数据集中的同一人，更新主体库（主体编号保持稳定，人工核对结论优先）。"""
    r = _svc(as_, "data.govern").link_persons(_fields(datasets, field), train=train)
    if output == OutputFormat.json:
        print_json(r)
        return
    console.print(f"第 {r['run_id']} 次识别：{r['records']} 条记录 → {r['subjects']} 个主体"
                  f"（沿用 {r['kept']}，新建 {r['new']}，合并 {r['merged']}）；待核对记录对 {r['review']} 对；"
                  f"{'重新训练' if r['trained'] else '使用内置模型参数'}；用时 {sum(r['seconds'].values()):.1f} 秒")


@app.command("link-companies")
def link_companies(datasets: list[str] = typer.Argument(..., help="参与识别的数据集"),
                   field: list[str] = typer.Option([], "--field", help="数据集:字段=列名（字段：name、uscc、address）；"
                                                                        "默认按语义类型和列名识别"),
                   as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """识别各数据集中的同一单位（统一社会信用代码；名称去组织形式与分支后相同的列为待核实）。"""
    r = _svc(as_, "data.govern").link_companies(_fields(datasets, field))
    if output == OutputFormat.json:
        print_json(r)
        return
    console.print(f"第 {r['run_id']} 次识别：{r['records']} 条单位记录 → {r['subjects']} 个单位主体"
                  f"（沿用 {r['kept']}，新建 {r['new']}）；仅凭名称关联、待核对 {r['review']} 对")


@app.command("subjects")
def subjects(name: str | None = typer.Option(None, "--name", help="按姓名查（自动繁简、全半角规范化）"),
             limit: int = typer.Option(50, "--limit"), as_: str | None = AsOpt,
             output: OutputFormat = FormatOpt) -> None:
    """列出主体库中的主体。"""
    rows = _svc(as_).subjects(name=name, limit=limit)
    if output == OutputFormat.json:
        print_json(rows)
        return
    print_table(rows, [("subject_id", "主体编号"), ("name", "姓名"), ("birth_date", "出生日期"),
                       ("records", "记录数"), ("status", "状态")], title="主体库")


@app.command("show")
def show(subject_id: str, as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """一个主体及其全部来源记录。"""
    s = _svc(as_).subject(subject_id)
    if output == OutputFormat.json:
        print_json(s)
        return
    console.print(f"{s['subject_id']} {s['name']}（{s['birth_date'] or '出生日期不详'}），{s['records']} 条记录，{s['status']}")
    print_table(s["members"], [("source_name", "数据集"), ("source_row", "行号"), ("name_n", "姓名"),
                               ("dob", "出生日期"), ("confidence", "置信度")])


@app.command("review")
def review(limit: int = typer.Option(20, "--limit"), as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """待人工核对的记录对（匹配概率介于核对阈值与确定阈值之间），两侧并列。"""
    rows = _svc(as_).review_queue(limit=limit)
    if output == OutputFormat.json:
        print_json(rows)
        return
    for r in rows:
        r["a"] = f"{r['fp_l'][:10]} {r['source_l']}:{r['row_l']} {r['name_l']} {r['dob_l'] or ''} {r['id_l'] or ''}"
        r["b"] = f"{r['fp_r'][:10]} {r['source_r']}:{r['row_r']} {r['name_r']} {r['dob_r'] or ''} {r['id_r'] or ''}"
    print_table(rows, [("a", "记录甲"), ("b", "记录乙"), ("probability", "匹配概率"), ("compared", "比对")],
                title="待核对（shujian entity decide 甲指纹 乙指纹 --same/--different）")


@app.command("decide")
def decide(fp_a: str = typer.Argument(..., help="记录甲的指纹（review 列表中的前缀即可）"),
           fp_b: str = typer.Argument(..., help="记录乙的指纹"),
           same: bool = typer.Option(..., "--same/--different", help="同一人 / 不同人"),
           reason: str | None = typer.Option(None, "--reason", help="核对依据"), as_: str | None = AsOpt,
           output: OutputFormat = FormatOpt) -> None:
    """记录核对结论；以后每次识别都以人工结论为准（留痕）。"""
    r = _svc(as_, "data.govern").decide(fp_a, fp_b, same, reason=reason)
    if output == OutputFormat.json:
        print_json(r)
        return
    console.print(f"已记录：{r['ref_l']} 与 {r['ref_r']} 为{r['decision']}；下次 shujian entity link 起生效")


@app.command("decisions")
def decisions(as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """人工核对结论。"""
    rows = _svc(as_).decisions()
    if output == OutputFormat.json:
        print_json(rows)
        return
    print_table(rows, [("ref_l", "记录甲"), ("ref_r", "记录乙"), ("decision", "结论"), ("reason", "依据"),
                       ("by", "核对人"), ("at", "时间")], title="人工核对结论")


_NORMALIZERS = {"person": nz.normalize_person_name, "company": nz.normalize_company_name,
                "id": nz.normalize_id_number, "phone": nz.normalize_phone, "address": nz.normalize_address}


@app.command("normalize")
def normalize(values: list[str], kind: str = typer.Option("person", "--kind",
                                                         help="person、company、id、phone、address"),
              output: OutputFormat = FormatOpt) -> None:
    """查看规范化结果（繁简、全半角、15 位身份证、公司名去组织形式与分支）。"""
    fn = _NORMALIZERS.get(kind)
    if fn is None:
        raise InputError(f"未知的类型 {kind}", hint=f"可用：{'、'.join(_NORMALIZERS)}")
    rows = [{"原值": v, "规范化": fn(v)} for v in values]
    print_json(rows) if output == OutputFormat.json else print_table(rows, [("原值", "原值"), ("规范化", "规范化")])


@app.command("models")
def models(output: OutputFormat = FormatOpt) -> None:
    """随主体识别提供的监督模型（按主体关联）及其文件；用 shujian model run 文件 运行。"""
    from importlib import resources

    from ..spec import load_model

    folder = resources.files("shujian.entity") / "models"
    rows = [{"id": (m := load_model(str(p))).id, "name": m.name, "file": str(p)}
            for p in sorted(folder.iterdir(), key=lambda p: p.name) if p.name.endswith(".yaml")]
    print_json(rows) if output == OutputFormat.json else print_table(rows, [("id", "编号"), ("name", "名称"), ("file", "文件")])
