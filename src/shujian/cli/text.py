"""``shujian text`` — 12345 热线文本筛查: rules, keyword subscriptions, merchants, topics, hotspots."""

from __future__ import annotations

import json
from pathlib import Path

import typer
import yaml

from ..errors import InputError
from .common import AsOpt, OutputFormat, console, print_json, print_table, workspace

app = typer.Typer(no_args_is_help=True)
sub_app = typer.Typer(no_args_is_help=True)
dict_app = typer.Typer(no_args_is_help=True)
app.add_typer(sub_app, name="sub", help="关键词订阅：订阅、筛查、命中列表、确认/排除")
app.add_typer(dict_app, name="dict", help="用户词典（分词）")
FormatOpt = typer.Option(OutputFormat.table, "--format", help="输出格式：table 或 json")
RuleOpt = typer.Option(None, "--rule", help="规则库中的规则名，如 prepaid-card（shujian text rules 查看）")
RuleFileOpt = typer.Option(None, "--rule-file", help="自己写的规则（YAML/JSON 文件）")
FieldOpt = typer.Option(..., "--field", help="文本列，可重复（如 --field 主题 --field 详情）")


def _rule(name: str | None, path: Path | None):
    from pydantic import ValidationError

    from ..spec.text import TextRule, first_error
    from ..text.library import get_rule

    if (name is None) == (path is None):
        raise InputError("需要且只能给出 --rule 或 --rule-file 之一", hint="例如 --rule prepaid-card")
    if name is not None:
        return get_rule(name)
    if not path.is_file():
        raise InputError(f"规则文件 {path} 不存在")
    data = yaml.safe_load(path.read_text("utf-8"))
    try:
        return TextRule.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"规则文件 {path.name} 有误：{first_error(exc)}") from None


# ---------------------------------------------------------------- rules
@app.command("rules")
def rules(output: OutputFormat = FormatOpt) -> None:
    """列出规则库中的文本规则。"""
    from ..text.library import get_rule, rule_names

    rows = [{"name": n, "title": get_rule(n).name, "terms": len(get_rule(n).terms())} for n in rule_names()]
    if output == OutputFormat.json:
        print_json(rows)
        return
    print_table(rows, [("name", "规则名"), ("title", "名称"), ("terms", "词数")], title="文本规则库")


@app.command("rule")
def rule_show(name: str = typer.Argument(..., help="规则名")) -> None:
    """显示一条内置规则（YAML，可复制修改后用 --rule-file）。"""
    from ..text.library import rule_source

    console.print(yaml.safe_dump(rule_source(name), allow_unicode=True, sort_keys=False), highlight=False)


@app.command("test")
def test(text: str = typer.Argument(..., help="要试的一段文字"), rule: str | None = RuleOpt,
         rule_file: Path | None = RuleFileOpt, output: OutputFormat = FormatOpt) -> None:
    """用一条规则试一段文字：命中与否、哪些词、在第几个字、哪些词因何不计。"""
    from ..text.clean import clean_text
    from ..text.dictionary import user_words
    from ..text.matcher import Matcher, describe
    from ..text.segment import segmenter

    words = user_words(workspace())
    match = Matcher(_rule(rule, rule_file), segmenter(words)).explain(clean_text(text)[0])
    if output == OutputFormat.json:
        print_json(match.to_dict())
        return
    console.print(describe(match.to_dict()), highlight=False)


# ---------------------------------------------------------------- import, screening, quality
@app.command("import")
def import_(path: Path = typer.Argument(..., help="工单导出文件（CSV/TXT/XLSX）"),
            name: str = typer.Option(..., "--name", help="数据集名称，如 12345工单"),
            date: list[str] = typer.Option([], "--date", help="时间列（转为时间类型），可重复，如 --date 时间"),
            sheet: str | None = typer.Option(None, "--sheet", help="XLSX 的工作表"),
            text: list[str] = typer.Option([], "--text", help="文本列（统计文本质量），可重复；省略时取主题、详情、诉求内容等列"),
            as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """导入工单导出：编码混用、换行、字段数不符都不会中断，修复与文本质量问题逐项计数（写入版本说明）；
    导入后筛查该数据集的关键词订阅。"""
    from ..text.importing import import_messages

    ws = workspace(as_, "data.import")
    from .common import identity

    imported, result = import_messages(ws, path, name, date_columns=date, sheet=sheet, importer=identity(as_),
                                       text_fields=text or None)
    quality = result.text_quality.to_dict() if result.text_quality is not None else None
    info = {"dataset": imported.dataset, "version": imported.version, "rows": imported.rows,
            "repairs": dict(result.repairs), "text_columns": result.text_columns, "quality": quality,
            "note": result.note()}
    if output == OutputFormat.json:
        print_json(info)
        return
    console.print(f"已导入 {imported.dataset} 第 {imported.version} 版：{imported.rows} 行。{result.note()}",
                  highlight=False)


@app.command("screen")
def screen(dataset: str = typer.Argument(..., help="消息数据集"), field: list[str] = FieldOpt,
           rule: str | None = RuleOpt, rule_file: Path | None = RuleFileOpt,
           key: str | None = typer.Option(None, "--key", help="编号列（同一编号只计一次）"),
           limit: int = typer.Option(50, "--limit", help="最多显示多少条命中"),
           as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """临时筛查一个数据集（不保存）：命中条数、每条的解释、质量问题计数。"""
    from ..text.service import TextService

    result = TextService(workspace(as_, "text.read")).screen(dataset, field, _rule(rule, rule_file), key=key,
                                                              limit=limit)
    if output == OutputFormat.json:
        print_json(result)
        return
    console.print(f"{dataset}：{result['messages']} 条消息，预筛 {result['candidates']} 条，命中 {result['matched']} 条；"
                  f"质量问题：{_problems(result['quality'])}", highlight=False)
    print_table(result["matches"], [("key", "编号"), ("words", "命中词"), ("merchant", "商户"),
                                    ("explanation", "解释")], title=f"命中（前 {limit} 条）")


def _problems(quality: dict) -> str:
    labels = quality.get("labels") or {}
    return "、".join(f"{labels.get(k, k)} {v}" for k, v in (quality.get("problems") or {}).items()) or "无"


# ---------------------------------------------------------------- subscriptions
@sub_app.command("add")
def sub_add(name: str = typer.Argument(..., help="订阅名称"),
            dataset: str = typer.Option(..., "--dataset", help="消息数据集，如 12345工单"), field: list[str] = FieldOpt,
            rule: str | None = RuleOpt, rule_file: Path | None = RuleFileOpt,
            key: str | None = typer.Option(None, "--key", help="编号列，如 编号"),
            date: str | None = typer.Option(None, "--date", help="时间列，如 时间"),
            mode: str = typer.Option("confirm", "--mode", help="confirm：命中进入待确认列表；clue：直接生成线索"),
            no_screen: bool = typer.Option(False, "--no-screen", help="不筛查现有数据，只筛今后的新版本"),
            as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """订阅：对数据集的每个新版本用规则增量筛查，命中推送到订阅人。"""
    from ..text.subscriptions import SubscriptionService

    svc = SubscriptionService(workspace(as_, "text.subscribe"))
    rule_obj = _rule(rule, rule_file)
    sub = svc.create(name=name, dataset=dataset, text_fields=field, rule=rule_obj, rule_name=rule, key_field=key,
                     date_field=date, mode=mode, screen_now=not no_screen)
    info = svc.get(sub["id"])
    if output == OutputFormat.json:
        print_json({**_brief(info), "screenings": sub.get("screenings", [])})
        return
    console.print(f"已创建订阅 {info['id']}“{info['name']}”：已筛查 {info['messages']} 条，命中 {info['matches']} 条"
                  f"（{'待确认' if mode == 'confirm' else '已生成线索'}）", highlight=False)


def _brief(info: dict) -> dict:
    return {k: v for k, v in info.items() if k != "rule"}


@sub_app.command("list")
def sub_list(as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """列出关键词订阅与各自的命中、确认、排除与精确率。"""
    from ..text.subscriptions import SubscriptionService

    rows = [_brief(x) for x in SubscriptionService(workspace(as_, "text.read")).list()]
    if output == OutputFormat.json:
        print_json(rows)
        return
    print_table(rows, [("id", "编号"), ("name", "订阅"), ("dataset", "数据集"), ("mode", "方式"),
                       ("messages", "已筛查"), ("matches", "命中"), ("pending", "待确认"), ("confirmed", "确认"),
                       ("excluded", "排除"), ("pushed", "已推送"), ("precision", "精确率"), ("active", "启用")],
                title="关键词订阅")


@sub_app.command("screen")
def sub_screen(sub_id: int | None = typer.Argument(None, help="订阅编号（省略：所有有新版本的订阅）"),
               as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """立即筛查新版本（导入后会自动筛查；连接器拉取与定期导入由调度执行器 shujian worker 筛查）。"""
    from ..text.subscriptions import SubscriptionService

    svc = SubscriptionService(workspace(as_, "text.subscribe"))
    done = svc.screen(sub_id) if sub_id is not None else svc.screen_due("manual")
    if output == OutputFormat.json:
        print_json(done)
        return
    if not done:
        console.print("没有需要筛查的新版本")
    for e in done:
        console.print(f"订阅 {e['subscription_id']} 第 {e['version']} 版：新消息 {e['messages']} 条，命中 {e['matched']} 条，"
                      f"{e['seconds']} 秒；质量问题：{_problems(e['quality'] or {})}", highlight=False)


@sub_app.command("matches")
def sub_matches(sub_id: int = typer.Argument(..., help="订阅编号"),
                status: str | None = typer.Option(None, "--status", help="pending/confirmed/excluded/pushed"),
                limit: int = typer.Option(200, "--limit"), as_: str | None = AsOpt,
                output: OutputFormat = FormatOpt) -> None:
    """订阅的命中列表（含命中解释）。"""
    from ..text.subscriptions import SubscriptionService

    rows = SubscriptionService(workspace(as_, "text.read")).matches(sub_id, status, limit)
    if output == OutputFormat.json:
        print_json(rows)
        return
    print_table(rows, [("id", "命中号"), ("message_key", "编号"), ("status", "状态"), ("words", "命中词"),
                       ("merchant", "商户"), ("explanation", "解释")], title=f"订阅 {sub_id} 的命中")


def _decide(sub_id: int, ids: list[int], action: str, reason: str | None, pending: bool, as_: str | None) -> None:
    from ..text.subscriptions import SubscriptionService

    svc = SubscriptionService(workspace(as_, "text.subscribe"))
    if pending:
        ids = ids + [m["id"] for m in svc.matches(sub_id, "pending", limit=100_000)]
    if not ids:
        raise InputError("没有要处理的命中", hint="给出命中号，或 --all-pending")
    done = svc.decide(sub_id, ids, action, reason)
    info = done["subscription"]
    console.print(f"已{'确认为线索' if action == 'confirm' else '排除'} {done['decided']} 条（跳过已处理的 {done['skipped']} 条）；"
                  f"订阅精确率 {info['precision'] if info['precision'] is not None else '—'}"
                  f"（确认 {info['confirmed']}，排除 {info['excluded']}）", highlight=False)


@sub_app.command("confirm")
def sub_confirm(sub_id: int = typer.Argument(...), ids: list[int] = typer.Argument(None, help="命中号"),
                all_pending: bool = typer.Option(False, "--all-pending", help="全部待确认的命中"),
                as_: str | None = AsOpt) -> None:
    """确认为线索（批量）：生成线索，进入订阅人的线索列表。"""
    _decide(sub_id, ids or [], "confirm", None, all_pending, as_)


@sub_app.command("exclude")
def sub_exclude(sub_id: int = typer.Argument(...), ids: list[int] = typer.Argument(None, help="命中号"),
                reason: str = typer.Option(..., "--reason", help="排除理由（计入规则的精确率）"),
                all_pending: bool = typer.Option(False, "--all-pending"), as_: str | None = AsOpt) -> None:
    """排除（批量），须说明理由。"""
    _decide(sub_id, ids or [], "exclude", reason, all_pending, as_)


@sub_app.command("pause")
def sub_pause(sub_id: int, as_: str | None = AsOpt) -> None:
    """暂停订阅（不再筛查新版本）。"""
    from ..text.subscriptions import SubscriptionService

    SubscriptionService(workspace(as_, "text.subscribe")).set_active(sub_id, False)
    console.print(f"订阅 {sub_id} 已暂停")


@sub_app.command("resume")
def sub_resume(sub_id: int, as_: str | None = AsOpt) -> None:
    """恢复订阅（暂停期间的新版本在下次筛查时补筛）。"""
    from ..text.subscriptions import SubscriptionService

    SubscriptionService(workspace(as_, "text.subscribe")).set_active(sub_id, True)
    console.print(f"订阅 {sub_id} 已恢复")


@sub_app.command("remove")
def sub_remove(sub_id: int, as_: str | None = AsOpt) -> None:
    """删除订阅及其命中列表（已生成的线索保留）。"""
    from ..text.subscriptions import SubscriptionService

    SubscriptionService(workspace(as_, "text.subscribe")).delete(sub_id)
    console.print(f"订阅 {sub_id} 已删除")


@sub_app.command("stats")
def sub_stats(period: str | None = typer.Option(None, "--period", help="统计期间，如 2026、2026-03"),
              as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """一本账：每个订阅的筛查、命中、确认、排除与精确率。"""
    from ..stats.service import parse_period
    from ..stats.text import COLUMNS, subscription_ledger, totals

    p = parse_period(period)
    rows = subscription_ledger(workspace(as_, "stats.view"), p)
    if output == OutputFormat.json:
        print_json({"period": p.label(), "rows": rows, "total": totals(rows)})
        return
    print_table([*rows, totals(rows)], list(COLUMNS), title=f"关键词订阅一本账（{p.label()}）")


# ---------------------------------------------------------------- user dictionary
@dict_app.command("list")
def dict_list(output: OutputFormat = FormatOpt) -> None:
    """用户词典中的词。"""
    from ..text.dictionary import list_words

    rows = list_words(workspace())
    if output == OutputFormat.json:
        print_json(rows)
        return
    print_table(rows, [("word", "词"), ("note", "说明"), ("created_by", "添加人")], title="用户词典")


@dict_app.command("add")
def dict_add(words: list[str] = typer.Argument(..., help="词，可多个"),
             note: str | None = typer.Option(None, "--note"), as_: str | None = AsOpt) -> None:
    """加词：分词时保持完整（影响整词匹配）。"""
    from ..text.dictionary import add_words

    added = add_words(workspace(as_, "text.manage"), words, note)
    console.print(f"已加入 {len(added)} 个词：{'、'.join(added) or '（都已在词典中）'}", highlight=False)


@dict_app.command("remove")
def dict_remove(word: str, as_: str | None = AsOpt) -> None:
    """删词。"""
    from ..text.dictionary import remove_word

    remove_word(workspace(as_, "text.manage"), word)
    console.print(f"已删除“{word}”", highlight=False)


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


# ---------------------------------------------------------------- topics, merchants, hotspots
topics_app = typer.Typer(no_args_is_help=True)
app.add_typer(topics_app, name="topics", help="话题分类：导入标注、训练、分类")
KeyOpt = typer.Option(None, "--key", help="编号列")
DateOpt = typer.Option(None, "--date", help="时间列")


def _source(dataset: str, field: list[str], key: str | None = None, date: str | None = None,
            place: str | None = None):
    from ..text.analysis import Source

    return Source(dataset, list(field), key, date, place)


@topics_app.command("label")
def topics_label(dataset: str = typer.Argument(...), field: list[str] = FieldOpt,
                 key: str = typer.Option(..., "--key", help="编号列"),
                 file: Path | None = typer.Option(None, "--file", help="标注文件：编号、话题两列（CSV/TSV）"),
                 subscription: int | None = typer.Option(None, "--subscription", help="把该订阅已确认的命中作为标注"),
                 topic: str | None = typer.Option(None, "--topic", help="与 --subscription 合用：话题"),
                 as_: str | None = AsOpt) -> None:
    """导入本院确认的话题标注（用于训练分类器）。"""
    from ..text.analysis import add_labels, labels_from_subscription, read_label_file

    ws = workspace(as_, "text.manage")
    if subscription is not None:
        if not topic:
            raise InputError("--subscription 需要同时给出 --topic")
        done = labels_from_subscription(ws, subscription, topic)
    elif file is not None:
        done = add_labels(ws, _source(dataset, field, key), read_label_file(file))
    else:
        raise InputError("需要 --file 或 --subscription")
    console.print(f"已保存 {done['labelled']} 条标注；数据集中找不到的编号 {done['missing']} 个", highlight=False)


@topics_app.command("train")
def topics_train(as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """用全部标注训练分类器；留出五分之一测每个话题的精确率与召回率。"""
    from ..text.analysis import train_workspace
    from ..text.classify import describe_metrics

    model = train_workspace(workspace(as_, "text.manage"))
    if output == OutputFormat.json:
        print_json(model.metrics)
        return
    console.print(describe_metrics(model), highlight=False)


@topics_app.command("classify")
def topics_classify(dataset: str = typer.Argument(...), field: list[str] = FieldOpt, key: str | None = KeyOpt,
                    limit: int = typer.Option(50, "--limit"), as_: str | None = AsOpt,
                    output: OutputFormat = FormatOpt) -> None:
    """给数据集的消息分话题（有分类器用分类器，否则用话题规则）；表格显示各话题条数与前几条。"""
    from collections import Counter

    from ..text.analysis import classify_dataset

    rows = classify_dataset(workspace(as_, "text.read"), _source(dataset, field, key))
    counts = Counter(r["topic"] for r in rows)
    if output == OutputFormat.json:
        print_json({"counts": dict(counts), "rows": rows[:limit]})
        return
    print_table([{"topic": t, "n": n} for t, n in counts.most_common()], [("topic", "话题"), ("n", "条数")],
                title=f"{dataset} 话题分布")
    print_table(rows[:limit], [("key", "编号"), ("topic", "话题"), ("by", "依据"), ("excerpt", "内容")])


@app.command("merchants")
def merchants(dataset: str = typer.Argument(...), field: list[str] = FieldOpt, key: str | None = KeyOpt,
              date: str | None = DateOpt, rule: str | None = RuleOpt, rule_file: Path | None = RuleFileOpt,
              registry: str | None = typer.Option(None, "--registry", help="市场主体登记数据集"),
              registry_name: str = typer.Option("企业名称", "--registry-name", help="登记的企业名称列"),
              registry_code: str = typer.Option("统一社会信用代码", "--registry-code", help="登记的统一社会信用代码列"),
              min_score: float = typer.Option(85.0, "--min-score", help="名称相似度下限（0–100）"),
              limit: int = typer.Option(50, "--limit"), as_: str | None = AsOpt,
              output: OutputFormat = FormatOpt) -> None:
    """被反映的商户：从文本抽取、按商户汇总投诉，可匹配登记得到统一社会信用代码。"""
    from ..text.analysis import Source, merchants_report

    rule_obj = _rule(rule, rule_file) if (rule or rule_file) else None
    reg = Source(registry, [registry_name]) if registry else None
    rows = merchants_report(workspace(as_, "text.read"), _source(dataset, field, key, date), rule=rule_obj,
                            registry=reg, registry_code=registry_code if registry else None, min_score=min_score)
    if output == OutputFormat.json:
        print_json(rows[:limit])
        return
    print_table(rows[:limit], [("merchant", "商户（文本中）"), ("key", "名称键"), ("complaints", "投诉"),
                               ("first", "最早"), ("last", "最近"), ("uscc", "统一社会信用代码"),
                               ("registered_name", "登记名称"), ("score", "相似度")], title="被反映商户")


@app.command("hotspots")
def hotspots_cmd(dataset: str = typer.Argument(...), field: list[str] = FieldOpt, key: str | None = KeyOpt,
                 date: str = typer.Option(..., "--date", help="时间列"),
                 by: str = typer.Option("topic", "--by", help="topic（话题）、place（地点）、merchant（商户）"),
                 place: str | None = typer.Option(None, "--place", help="地点列（按地点时）"),
                 window: int = typer.Option(28, "--window", help="基线天数"),
                 k: float = typer.Option(3.0, "--k", help="超过基线均值 k 个标准差"),
                 min_count: int = typer.Option(3, "--min", help="当天至少多少条"),
                 rule: str | None = RuleOpt, rule_file: Path | None = RuleFileOpt,
                 as_: str | None = AsOpt, output: OutputFormat = FormatOpt) -> None:
    """热点：某话题/地点/商户某天的工单数超过自身基线（前 N 天均值 + k·σ），列出当天的工单。"""
    from ..text.analysis import hotspots

    rule_obj = _rule(rule, rule_file) if (rule or rule_file) else None
    bursts = hotspots(workspace(as_, "text.read"), _source(dataset, field, key, date, place), by,
                      window=window, k=k, min_count=min_count, rule=rule_obj)
    if output == OutputFormat.json:
        print_json([b.to_dict() for b in bursts])
        return
    rows = [{**b.to_dict(), "keys": "、".join(m["key"] for m in b.messages[:8])} for b in bursts]
    print_table(rows, [("day", "日期"), ("group", "分组"), ("count", "当天"), ("mean", "基线均值"), ("std", "σ"),
                       ("threshold", "阈值"), ("keys", "工单")], title=f"热点（按 {by}）")
