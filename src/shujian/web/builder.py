"""可视化建模: the canvas graph ↔ the model language, node-located validation and node preview.

The graph is plain JSON::

    {"model": {id, name, line, point, legal_basis, rule_text, measure, params, version, description},
     "nodes": [{"id", "kind", "x", "y", "role"?, "input"?, "step"?, "output"?}],
     "edges": [{"source", "target", "port"}]}        # port 1 = left/first input, 2 = right …

Node kinds: ``dataset`` (an input role), ``filter`` 筛选, ``keywords`` 关键词, ``join`` 碰撞/关联,
``anti`` 不存在, ``interval`` 时间区间, ``entity_join`` 按主体关联 (resolved subjects or a fuzzy
match, see docs/entity-resolution.md), ``aggregate`` 分组统计, ``derive`` 计算新列, ``select``
选择列, ``window`` 排序编号, ``union`` 合并, ``distinct`` 去重, ``components`` 团伙归并, ``text``
文本规则 and ``output`` 输出线索: every step kind of the model language has its own node and form.
A node keeps its step body exactly as the model language writes it, so opening a model and saving it
again gives the same model.  Node ids, input roles and step ids are internal: the page names nodes
by their dataset and action, and problems are reported with those names (``label`` of a node).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import InputError, Problem, ShujianError, ValidationFailed
from ..runs.preview import PREVIEW_KEY, PREVIEW_STEP
from ..spec import Model, load_model

KINDS = {"dataset": "数据集", "filter": "筛选", "keywords": "关键词", "join": "碰撞/关联", "anti": "不存在",
         "interval": "时间区间", "entity_join": "按主体关联", "aggregate": "分组统计", "derive": "计算新列",
         "select": "选择列", "window": "排序编号", "union": "合并", "distinct": "去重", "components": "团伙归并",
         "text": "文本规则", "output": "输出线索"}
TWO_INPUTS = ("join", "anti", "interval", "entity_join")
UNION_INPUTS = 4                                 # a 合并 node takes up to four upstream nodes
SIMPLE_STEPS = ("derive", "select", "window", "union", "distinct", "components")
TWO_INPUT_STEPS = ("join", "entity_join")       # step kinds whose inputs are left/right


# ---------------------------------------------------------------- model → graph
def step_kind(step: dict) -> str:
    """The canvas kind of a model-language step dict."""
    if "filter" in step:
        cond = step["filter"]
        return "keywords" if isinstance(cond, dict) and "keywords" in cond else "filter"
    if "join" in step:
        j = step["join"]
        if j.get("type") == "anti":
            return "anti"
        return "interval" if j.get("overlap") or j.get("within") else "join"
    if "entity_join" in step:
        return "entity_join"
    if "aggregate" in step:
        return "aggregate"
    if "text" in step:
        return "text"
    kind = next((k for k in SIMPLE_STEPS if k in step), None)
    if kind is None:
        raise InputError(f"步骤 {step.get('id', '')} 的类型无法识别", hint="检查模型文件中该步骤的写法")
    return kind


def model_to_graph(model: Model) -> dict:
    """The canvas graph of ``model`` (laid out left to right by depth)."""
    data = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    steps = data.pop("steps", None) or []
    inputs = data.pop("inputs", {})
    output = data.pop("output")
    if model.sql is not None:
        raise InputError(f"模型 {model.id} 是专家 SQL 模型，不能在画布中打开", hint="在模型详情页查看 SQL")
    nodes: list[dict] = [{"id": f"in_{r}", "kind": "dataset", "role": r, "input": i} for r, i in inputs.items()]
    names = {r: f"in_{r}" for r in inputs}
    edges: list[dict] = []
    prev = next(iter(inputs)) if len(inputs) == 1 else None
    for s in steps:
        sid, kind = s["id"], step_kind(s)
        body = {k: v for k, v in s.items() if k != "from"}
        for port, src in enumerate(_reads(s, prev), start=1):
            if src in names:
                edges.append({"source": names[src], "target": f"st_{sid}", "port": port})
        nodes.append({"id": f"st_{sid}", "kind": kind, "step": _strip_reads(body)})
        names[sid] = f"st_{sid}"
        prev = sid
    nodes.append({"id": "output", "kind": "output", "output": output})
    if prev in names:
        edges.append({"source": names[prev], "target": "output", "port": 1})
    _layout(nodes, edges)
    return {"model": data, "nodes": nodes, "edges": edges}


def _reads(step: dict, prev: str | None) -> list[str | None]:
    for kind in TWO_INPUT_STEPS:
        if kind in step:
            return [step[kind].get("left") or prev, step[kind]["right"]]
    if "union" in step:
        return list(step["union"]["steps"])
    return [step.get("from") or prev]


def _strip_reads(step: dict) -> dict:
    """The step without what edges carry (join left/right, union steps)."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in step.items()}
    for kind in TWO_INPUT_STEPS:
        if kind in out:
            out[kind].pop("left", None)
            out[kind].pop("right", None)
    if "union" in out:
        out["union"].pop("steps", None)
    return out


def _layout(nodes: list[dict], edges: list[dict]) -> None:
    depth: dict[str, int] = {}
    for n in nodes:                        # nodes are in dependency order
        ins = [depth.get(e["source"], 0) for e in edges if e["target"] == n["id"]]
        depth[n["id"]] = (max(ins) + 1) if ins else 0
    rows: dict[int, int] = {}
    for n in nodes:
        d = depth[n["id"]]
        n["x"], n["y"] = 40 + 250 * d, 40 + 150 * rows.get(d, 0)
        rows[d] = rows.get(d, 0) + 1


# ---------------------------------------------------------------- graph → model
@dataclass
class Built:
    """A model dict built from a graph, with the step index → node id map for locating problems."""

    data: dict
    step_nodes: list[str]
    role_nodes: dict[str, str]
    output_node: str | None


def graph_to_dict(graph: dict) -> Built:
    """The model-language dict of a canvas graph (not yet validated)."""
    nodes = {n["id"]: n for n in graph.get("nodes", [])}
    edges = [e for e in graph.get("edges", []) if e.get("source") in nodes and e.get("target") in nodes]
    name_of = {nid: _name(n) for nid, n in nodes.items()}
    inputs = {name_of[nid]: dict(n.get("input") or {}) for nid, n in nodes.items() if n["kind"] == "dataset"}
    role_nodes = {name_of[nid]: nid for nid, n in nodes.items() if n["kind"] == "dataset"}
    out_id = next((nid for nid, n in nodes.items() if n["kind"] == "output"), None)
    order = _order(nodes, edges, out_id)
    steps, prev = [], (next(iter(inputs)) if len(inputs) == 1 else None)
    for nid in order:
        srcs = [name_of[e["source"]] for e in sorted((e for e in edges if e["target"] == nid),
                                                      key=lambda e: e.get("port", 1))]
        steps.append(_step(nodes[nid], name_of[nid], srcs, prev))
        prev = name_of[nid]
    data = {**(graph.get("model") or {}), "inputs": inputs, "steps": steps}
    if out_id is not None:
        data["output"] = nodes[out_id].get("output") or {}
    return Built(data, order, role_nodes, out_id)


def graph_inputs(graph: dict) -> dict:
    """The dataset nodes as binding inputs: role → dataset and the columns named (semantic fields stay)."""
    out = {}
    for n in graph.get("nodes", []):
        if n.get("kind") != "dataset":
            continue
        inp = n.get("input") or {}
        fields = {f: c for f, c in (inp.get("fields") or {}).items() if isinstance(c, str) and c.strip()}
        out[_name(n)] = {"dataset": inp.get("dataset"), "fields": fields}
    return out


def node_name(node: dict) -> str:
    """The model-language name of a canvas node: the input role or the step id."""
    return _name(node)


def _name(node: dict) -> str:
    if node["kind"] == "dataset":
        return str(node.get("role") or node["id"])
    return str((node.get("step") or {}).get("id") or node["id"])


def _order(nodes: dict[str, dict], edges: list[dict], out_id: str | None) -> list[str]:
    """Step nodes in dependency order (ties keep canvas order); the node feeding 输出线索 goes last."""
    steps = [nid for nid, n in nodes.items() if n["kind"] not in ("dataset", "output")]
    pending = {nid: {e["source"] for e in edges if e["target"] == nid and e["source"] in steps} for nid in steps}
    order: list[str] = []
    while pending:
        ready = [nid for nid in steps if nid in pending and not pending[nid] - set(order)]
        if not ready:                      # a cycle: keep canvas order, the compiler reports it
            ready = [nid for nid in steps if nid in pending][:1]
        order.append(ready[0])
        pending.pop(ready[0])
    feeder = next((e["source"] for e in edges if e["target"] == out_id and e["source"] in order), None)
    if feeder and not any(e["source"] == feeder and e["target"] != out_id for e in edges):
        order.remove(feeder)
        order.append(feeder)
    return order


def _step(node: dict, name: str, srcs: list[str], prev: str | None) -> dict:
    step = {k: (dict(v) if isinstance(v, dict) else v) for k, v in (node.get("step") or {}).items()}
    step["id"] = name
    kind = next((k for k in TWO_INPUT_STEPS if k in step), None)
    if kind is not None:
        rest = {k: v for k, v in step[kind].items() if k not in ("left", "right")}
        left = srcs[0] if srcs else None
        head = {"left": left} if left is not None and left != prev else {}
        step[kind] = {**head, "right": srcs[1] if len(srcs) > 1 else "", **rest}
    elif "union" in step:
        step["union"] = {**step["union"], "steps": srcs}
    elif srcs and srcs[0] != prev:
        step = {"id": name, "from": srcs[0], **{k: v for k, v in step.items() if k != "id"}}
    return step


def graph_to_model(graph: dict) -> tuple[Model, Built]:
    """Validate the graph's model dict with the spec (problems located on nodes)."""
    built = graph_to_dict(graph)
    try:
        return load_model(built.data), built
    except ValidationFailed as exc:
        raise ValidationFailed(exc.problems, title="模型结构校验未通过") from None


# ---------------------------------------------------------------- problems → nodes
_STEP_LOC = re.compile(r"^steps\[(\d+)\]")
_INPUT_LOC = re.compile(r"^inputs\.([^.\[]+)")


def node_of(location: str, built: Built) -> str | None:
    """The canvas node a problem location points at (``steps[2].join.on`` → that step's node)."""
    m = _STEP_LOC.match(location or "")
    if m and int(m.group(1)) < len(built.step_nodes):
        return built.step_nodes[int(m.group(1))]
    m = _INPUT_LOC.match(location or "")
    if m:
        return built.role_nodes.get(m.group(1))
    if (location or "").startswith("output"):
        return built.output_node
    return None


def locate(problems: list[Problem] | list[dict], built: Built | None, labels: dict[str, str] | None = None) -> list[dict]:
    """Problems with the canvas node each is on, their text naming nodes by label, not by internal id."""
    out = []
    for p in problems:
        loc, msg = (p.location, p.message) if isinstance(p, Problem) else (p.get("location", ""), p.get("message", ""))
        node = node_of(loc, built) if built else None
        text = plain(msg, labels or {})
        out.append({"location": loc, "message": text if node else _placed(loc, text), "node": node})
    return out


#: top-level places of the model language, for problems no canvas node holds
_PLACES = {"output": "输出线索", "name": "模型名称", "line": "业务条线", "point": "监督点", "measure": "建议监督方式",
           "legal_basis": "法律依据", "rule_text": "规则的文字表述", "inputs": "数据集", "steps": "步骤",
           "params": "模型参数"}


def _placed(location: str, message: str) -> str:
    """A problem no node holds, named by its place: ``output`` + 缺少必填项 → a sentence saying what to add.

    >>> _placed("output", "缺少必填项")
    '画布上还没有“输出线索”节点：从左侧添加“输出线索”，接在最后一步之后'
    >>> _placed("name", "缺少必填项")
    '模型信息中的“模型名称”：缺少必填项'
    """
    head = re.split(r"[.\[]", location or "", maxsplit=1)[0]
    place = _PLACES.get(head)
    if place is None:
        return message
    if head == "output" and location == "output" and message == "缺少必填项":
        return "画布上还没有“输出线索”节点：从左侧添加“输出线索”，接在最后一步之后"
    where = "模型信息中的" if head in ("name", "line", "point", "measure", "legal_basis", "rule_text") else ""
    return f"{where}“{place}”：{message}"


def node_labels(graph: dict) -> dict[str, str]:
    """Internal names (node id, input role, step id, compiled ``in_<role>``) → the node's label on the canvas."""
    out: dict[str, str] = {}
    for n in graph.get("nodes", []):
        label = str(n.get("label") or "").strip()
        if not label or n.get("kind") == "output":
            continue
        name = _name(n)
        for key in (n["id"], name, f"in_{name}"):
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
                out[key] = label
    return out


#: expression functions by the Chinese names the 计算新列 picker shows (static/js/builder.js, FUNCS)
FUNCTION_NAMES = {"substr": "取子串", "concat": "拼接", "year": "年份", "month": "月份", "date_diff": "日期差",
                  "add_days": "加天数", "add_months": "加月数", "month_start": "当月第一天", "today": "今天",
                  "upper": "大写", "lower": "小写", "trim": "去空格", "length": "长度", "round": "四舍五入",
                  "abs": "绝对值", "coalesce": "空值替换", "greatest": "较大值", "least": "较小值"}
_FUNCTION = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(FUNCTION_NAMES) + r")\(\)")
_ENGINE_TYPE = re.compile(r"([\u4e00-\u9fff])（[A-Z]+(?:\(\d+(?:,\s*\d+)?\))?）")


def plain(message: str, labels: dict[str, str]) -> str:
    """``步骤 s3 引用了不存在的列`` → ``步骤“碰撞：监所在押人员 × 养老金发放”引用了不存在的列``; function names
    and engine types in Chinese (``year() 的参数应为日期，但 “姓名” 是文本（VARCHAR）`` → ``“年份”的参数应为日期，
    但 “姓名” 是文本``)."""
    for name in sorted(labels, key=len, reverse=True):
        message = re.sub(rf"(?<![A-Za-z0-9_“]){re.escape(name)}(?![A-Za-z0-9_”])", f"“{labels[name]}”", message)
    message = _FUNCTION.sub(lambda m: f"“{FUNCTION_NAMES[m.group(1)]}”", message).replace("” 的", "”的")
    message = _ENGINE_TYPE.sub(r"\1", message)
    return message.replace("““", "“").replace("””", "”")


def check(graph: dict, compile_fn) -> dict:
    """Validate a graph: spec, then compilation on the catalog.  Never raises for a model problem."""
    built, labels = None, node_labels(graph)
    try:
        model, built = graph_to_model(graph)
        compiled = compile_fn(model)
    except ValidationFailed as exc:
        built = built or graph_to_dict(graph)
        return {"ok": False, "message": plain(exc.message.splitlines()[0], labels),
                "problems": locate(exc.problems, built, labels)}
    except ShujianError as exc:
        message = plain(exc.message, labels)
        return {"ok": False, "message": message,
                "problems": [{"location": "", "message": message, "node": _node_named(exc.message, graph)}]}
    from .catalogue import to_yaml

    return {"ok": True, "message": "校验通过", "problems": [], "source": to_yaml(model), "sql": compiled.sql}


def _node_named(message: str, graph: dict) -> str | None:
    """The one node whose internal name a compile error mentions (so the message can be pinned to it)."""
    hits = [n["id"] for n in graph.get("nodes", []) if n.get("kind") != "output"
            and re.search(rf"(?<![A-Za-z0-9_]){re.escape(_name(n))}(?![A-Za-z0-9_])", message)]
    return hits[0] if len(hits) == 1 else None


def truncated(graph: dict, node_id: str) -> dict:
    """A graph whose output shows the rows of ``node_id`` (its ancestors kept, everything else dropped)."""
    nodes = {n["id"]: n for n in graph.get("nodes", [])}
    if node_id not in nodes:
        raise InputError(f"画布上没有节点 {node_id}", hint="刷新页面后重试")
    keep, todo = set(), [node_id]
    while todo:
        cur = todo.pop()
        if cur not in keep:
            keep.add(cur)
            todo += [e["source"] for e in graph.get("edges", []) if e["target"] == cur]
    kept = [n for n in graph["nodes"] if n["id"] in keep and n["kind"] != "output"]
    probe = {"id": "__probe", "kind": "derive",
             "step": {"id": PREVIEW_STEP, "derive": {"columns": {PREVIEW_KEY: "1"}}}}
    out = {"id": "__out", "kind": "output",
           "output": {"subject": {"type": "person", "key": PREVIEW_KEY}, "title": "预览"}}
    edges = [e for e in graph.get("edges", []) if e["source"] in keep and e["target"] in keep]
    edges += [{"source": node_id, "target": "__probe", "port": 1}, {"source": "__probe", "target": "__out", "port": 1}]
    model = dict(graph.get("model") or {})
    model.setdefault("id", "preview")
    return {"model": model, "nodes": [*kept, probe, out], "edges": edges}


def slug_for(name: str, taken) -> str:
    """A model id from the model's Chinese name (pinyin, lower case, ``-``), not one of ``taken``.

    >>> slug_for("在押期间领取养老金", lambda s: False)
    'zai-ya-qi-jian-ling-qu-yang-lao-jin'
    """
    from pypinyin import lazy_pinyin

    words = [re.sub(r"[^a-z0-9]", "", w.lower()) for w in lazy_pinyin(name or "")]
    base = "-".join(w for w in words if w)[:48].strip("-") or "model"
    base = base if re.match(r"^[a-z0-9]", base) else f"m-{base}"
    candidate, n = base, 1
    while taken(candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def kinds_meta() -> list[dict[str, Any]]:
    """Every node kind with its Chinese label and its number of input and output ports."""
    return [{"kind": k, "label": v, "inputs": _inputs(k), "outputs": 0 if k == "output" else 1}
            for k, v in KINDS.items()]


def _inputs(kind: str) -> int:
    if kind == "dataset":
        return 0
    if kind == "union":
        return UNION_INPUTS
    return 2 if kind in TWO_INPUTS else 1
