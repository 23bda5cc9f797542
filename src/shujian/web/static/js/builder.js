// 可视化建模: a Drawflow canvas over the shujian model language (graph JSON ↔ model via /api/v1/builder).
// Everything a user sees is Chinese: nodes are named from their dataset and action, columns, operators and
// functions are picked from lists, and ids, roles and templates stay internal.
(function () {
  "use strict";
  const S = window.Shujian, esc = S.esc;
  const LABELS = { dataset: "数据集", filter: "筛选", keywords: "关键词", join: "碰撞/关联", anti: "不存在",
                   interval: "时间区间", entity_join: "按主体关联", aggregate: "分组统计", derive: "计算新列", select: "选择列",
                   window: "排序编号", union: "合并", distinct: "去重", components: "团伙归并", text: "文本规则", output: "输出线索" };
  const INPUTS = { dataset: 0, filter: 1, keywords: 1, join: 2, anti: 2, interval: 2, entity_join: 2, aggregate: 1, derive: 1,
                   select: 1, window: 1, union: 4, distinct: 1, components: 1, text: 1, output: 1 };
  const OPS = [["=", "等于"], ["!=", "不等于"], [">", "大于"], [">=", "大于等于"], ["<", "小于"], ["<=", "小于等于"],
               ["in", "属于其中之一"], ["not_in", "不属于其中任何一个"], ["between", "介于"], ["is_null", "为空"], ["not_null", "不为空"]];
  const OP_TEXT = Object.fromEntries(OPS);
  const AGGS = [["count", "计数（行数）"], ["count_distinct", "去重计数"], ["sum", "求和"], ["avg", "平均值"], ["max", "最大值"], ["min", "最小值"]];
  const WINDOW_FUNCS = [["row_number()", "序号（1、2、3…）"], ["rank()", "排名（并列同名次）"], ["dense_rank()", "连续排名"], ["count(*)", "累计行数"]];
  // 计算新列's function picker: Chinese name → the arguments to pick → the model language's expression.
  // Argument kinds: col (a column, or the row's current expression to nest), val (a column or typed text),
  // num (a number), unit (天/月/年).  Experts still type any expression in the text box.
  const FUNCS = [
    ["substr", "取子串", [["col", "文本"], ["num", "从第几个字起", 1], ["num", "取几个字", 6]], a => "substr(" + a.join(", ") + ")"],
    ["concat", "拼接", [["val", "第一部分"], ["val", "第二部分"], ["val", "第三部分（可空）"]], a => "concat(" + a.filter(Boolean).join(", ") + ")"],
    ["year", "年份", [["col", "日期"]], a => "year(" + a[0] + ")"],
    ["month", "月份", [["col", "日期"]], a => "month(" + a[0] + ")"],
    ["date_diff", "日期差", [["unit", "单位"], ["col", "开始日期"], ["col", "结束日期"]], a => "date_diff(" + a.join(", ") + ")"],
    ["add_days", "加天数", [["col", "日期"], ["num", "天数", 30]], a => "add_days(" + a.join(", ") + ")"],
    ["add_months", "加月数", [["col", "日期"], ["num", "月数", 1]], a => "add_months(" + a.join(", ") + ")"],
    ["month_start", "当月第一天", [["col", "日期"]], a => "month_start(" + a[0] + ")"],
    ["today", "今天", [], () => "today()"],
    ["upper", "大写", [["col", "文本"]], a => "upper(" + a[0] + ")"],
    ["lower", "小写", [["col", "文本"]], a => "lower(" + a[0] + ")"],
    ["trim", "去空格", [["col", "文本"]], a => "trim(" + a[0] + ")"],
    ["length", "长度（字数）", [["col", "文本"]], a => "length(" + a[0] + ")"],
    ["round", "四舍五入", [["col", "数值"], ["num", "保留小数位数", 0]], a => "round(" + a.join(", ") + ")"],
    ["abs", "绝对值", [["col", "数值"]], a => "abs(" + a[0] + ")"],
    ["coalesce", "空值替换", [["col", "列"], ["val", "为空时用"]], a => "coalesce(" + a.join(", ") + ")"],
    ["greatest", "较大值", [["val", "第一个"], ["val", "第二个"]], a => "greatest(" + a.join(", ") + ")"],
    ["least", "较小值", [["val", "第一个"], ["val", "第二个"]], a => "least(" + a.join(", ") + ")"],
  ];
  const UNITS = [["'day'", "天"], ["'month'", "月"], ["'year'", "年"]];
  const CURRENT = "__current";                  // the option "the row's expression so far" (nesting by clicks)
  /** A column name as the expression language reads it: bare when it is a plain name, else "quoted". */
  const qcol = c => (/^[\p{L}_][\p{L}\p{N}_]*$/u.test(c) ? c : '"' + c.replace(/"/g, '""') + '"');
  const qtext = t => "'" + String(t).replace(/'/g, "''") + "'";
  const MEASURES = ["检察建议", "纠正违法通知书", "移送线索", "督促履职", "支持起诉", "提出抗诉", "立案监督", "再审检察建议"];
  const SUBJECTS = [["person", "自然人"], ["organisation", "单位"], ["case", "案件"]];
  const LINES = JSON.parse(document.getElementById("builder-lines").textContent || "[]");
  const el = document.getElementById("drawflow");
  const editor = new Drawflow(el);
  editor.reroute = false;
  editor.start();
  const state = { model: {}, byDf: {}, dfOf: {}, datasets: [], selected: null, errors: {}, seq: 0,
                  undo: [], last: null, quiet: 0, dirty: false };

  // ---------------------------------------------------------------- graph queries
  const nodes = () => Object.values(state.byDf);
  const nodeById = id => nodes().find(n => n.id === id);
  function edges() {
    const data = editor.export().drawflow.Home.data, out = [];
    Object.keys(data).forEach(df => {
      const n = state.byDf[df]; if (!n) return;
      Object.keys(data[df].inputs || {}).forEach(inp => {
        const port = parseInt(inp.split("_")[1], 10);
        (data[df].inputs[inp].connections || []).forEach(c => { const src = state.byDf[c.node]; if (src) out.push({ source: src.id, target: n.id, port }); });
      });
    });
    return out;
  }
  const upstream = (id, port, es) => { const e = (es || edges()).find(x => x.target === id && x.port === port); return e ? nodeById(e.source) : null; };
  const dsInfo = name => state.datasets.find(d => d.name === name);
  function colType(dsName, column) {
    const d = dsInfo(dsName), c = d && d.columns.find(x => x.name === column);
    return c ? c.type : "";
  }
  const uniq = cols => { const seen = new Set(); return cols.filter(c => c && c.name && !seen.has(c.name) && seen.add(c.name)); };
  /** Field → the Chinese column(s) the datasets bind it to: built-in models name their fields in English
   * (ticket_no: 工单编号), the canvas shows what the user's data calls them ("姓名／当事人姓名" when two differ). */
  function boundColumns() {
    const out = {};
    nodes().forEach(n => {
      if (n.kind !== "dataset") return;
      Object.entries((n.input || {}).fields || {}).forEach(([f, c]) => {
        if (typeof c !== "string" || !c || c === f) return;
        out[f] = out[f] ? (out[f].split("／").includes(c) ? out[f] : out[f] + "／" + c) : c;
      });
    });
    return out;
  }
  let bound = {};
  /** What the user reads for a column name: its bound Chinese column, else the model's own label of a column
   * it computes (model ``labels``: reason → 理由), else the name itself. */
  const own = (o, k) => o && Object.prototype.hasOwnProperty.call(o, k);
  const shown = name => typeof name !== "string" ? name
    : own(bound, name) ? bound[name] : own(state.model.labels, name) ? state.model.labels[name] : name;
  const shownAll = names => (names || []).map(shown).join("、");
  /** SQL words of a condition as the user reads them (``项目编号 is not null`` → ``项目编号 不为空``). */
  const SQL_WORDS = { "is not null": "不为空", "is null": "为空", and: "并且", or: "或者", not: "非", in: "属于",
    between: "介于", like: "匹配", true: "是", false: "否", null: "空值" };
  /** An expression as the user reads it: bound field names replaced, SQL words in Chinese, quoted text and
   * function names kept. */
  const shownExpr = text => String(text).replace(/'(?:[^']|'')*'|\bis\s+not\s+null\b|\bis\s+null\b|[A-Za-z_][A-Za-z0-9_]*/gi,
    (t, at, all) => {
      if (t[0] === "'") return t;
      const word = t.toLowerCase().replace(/\s+/g, " ");
      if (own(SQL_WORDS, word) && !own(bound, t)) return SQL_WORDS[word];
      return /^\s*\(/.test(all.slice(at + t.length)) ? t : shown(t);
    });

  /** The columns a node gives its downstream nodes, as [{name, type}] (best effort: the server checks). */
  function colsOf(id, es, seen) {
    es = es || edges(); seen = seen || new Set();
    if (!id || seen.has(id)) return []; seen.add(id);
    const n = nodeById(id); if (!n) return [];
    const up = p => { const u = upstream(id, p, es); return u ? colsOf(u.id, es, new Set(seen)) : []; };
    const s = n.step || {};
    const plus = (cols, names, type) => uniq(cols.concat(names.map(name => ({ name, type: type || "计算结果" }))));
    switch (n.kind) {
      case "dataset": {
        const inp = n.input || {};
        return Object.entries(inp.fields || {}).map(([name, c]) => ({ name, type: colType(inp.dataset, typeof c === "string" ? c : name) }));
      }
      case "join": case "interval": case "entity_join": {
        const j = s.join || s.entity_join || {}, left = up(1);
        if (j.type === "semi" || j.type === "anti") return left;
        const keys = new Set((j.on || []).map(k => typeof k === "string" ? k : k.right)), pre = j.right_prefix || "";
        const right = up(2).filter(c => !keys.has(c.name)).map(c => ({ name: pre + c.name, type: c.type }));
        const extra = n.kind === "entity_join" ? ["主体编号", "匹配概率", "匹配依据", "核实状态"] : [];
        return plus(uniq(left.concat(right)), extra);
      }
      case "aggregate": {
        const a = s.aggregate || {}, base = up(1);
        return (a.by || []).map(b => base.find(c => c.name === b) || { name: b, type: "" }).concat(Object.keys(a.measures || {}).map(name => ({ name, type: "数字" })));
      }
      case "derive": return plus(up(1), Object.keys((s.derive || {}).columns || {}));
      case "window": return plus(up(1), Object.keys((s.window || {}).columns || {}));
      case "select": {
        const cols = (s.select || {}).columns || [], base = up(1);
        if (Array.isArray(cols)) return cols.map(c => base.find(x => x.name === c) || { name: c, type: "" });
        return Object.entries(cols).map(([name, from]) => ({ name, type: (base.find(x => x.name === from) || {}).type || "" }));
      }
      case "components": return plus(up(1), [(s.components || {}).component || "团伙编号"]);
      case "text": { const t = s.text || {}; return plus(up(1), ["text_match", "text_words", t.merchant, t.merchant_key, t.name_key].filter(Boolean)); }
      default: return up(1);
    }
  }
  /** The first dataset feeding a node through its first input: names a node after its data. */
  function rootName(id, es, seen) {
    seen = seen || new Set(); if (seen.has(id)) return ""; seen.add(id);
    const n = nodeById(id); if (!n) return "";
    if (n.kind === "dataset") return (n.input || {}).dataset || "";
    const u = upstream(id, 1, es); return u ? rootName(u.id, es, seen) : "";
  }

  // ---------------------------------------------------------------- names and summaries
  function label(n, es) {
    if (n.kind === "output") return "输出线索";
    if (n.kind === "dataset") return (n.input || {}).dataset ? "数据集：" + n.input.dataset : "数据集（未选择）";
    const a = rootName(n.id, es), two = INPUTS[n.kind] >= 2;
    const b = two ? (() => { const u = upstream(n.id, 2, es); return u ? rootName(u.id, es) : ""; })() : "";
    const on = two && a && b && a !== b ? a + " × " + b : (a || b);
    return LABELS[n.kind] + (on ? "：" + on : "");
  }
  function labels() {
    const es = edges(), out = {}, count = {};
    nodes().forEach(n => {
      const base = label(n, es); count[base] = (count[base] || 0) + 1;
      out[n.id] = count[base] > 1 ? base + "（" + count[base] + "）" : base;
    });
    return out;
  }
  function rhsText(c) {
    if (c.param != null) return "参数“" + paramLabel(c.param) + "”";
    if (c.expr != null) return "列“" + shown(c.expr) + "”";
    return Array.isArray(c.value) ? c.value.join("、") : String(c.value ?? "");
  }
  function condText(c) {
    if (c == null || c === "") return "（未设置条件）";
    if (typeof c === "string") return shownExpr(c);
    if (c.all) return c.all.map(condText).join(" 并且 ");
    if (c.any) return c.any.map(condText).join(" 或者 ");
    if (c.not) return "并非（" + condText(c.not) + "）";
    if (c.keywords) { const k = c.keywords; return shown(k.field) + ({ any: " 含任一：", all: " 全部含：", none: " 不含：" }[k.match || "any"]) + (k.param ? "参数“" + paramLabel(k.param) + "”" : (k.words || []).join("、")); }
    if (!c.field) return "（未设置条件）";
    return shown(c.field) + " " + (OP_TEXT[c.op] || c.op) + (["is_null", "not_null"].includes(c.op) ? "" : " " + rhsText(c));
  }
  const paramLabel = p => (((state.model.params || {})[p] || {}).label) || p;
  function summary(n) {
    const s = n.step || {};
    bound = boundColumns();
    switch (n.kind) {
      case "dataset": { const d = dsInfo((n.input || {}).dataset); return d ? S.fmtCount(d.rows) + " 行，" + d.columns.length + " 列" : "选择数据集后显示"; }
      case "output": { const o = n.output || {}; return "对象：" + (shown((o.subject || {}).key) || "（未选）") + (o.title ? "；" + titleText(o.title).replace(/【([^【】·]+)(·脱敏)?】/g, (m, c, k) => "【" + shown(c) + (k || "") + "】") : ""); }
      case "filter": case "keywords": return condText(s.filter);
      case "join": case "anti": case "interval": {
        const j = s.join || {}, keys = (j.on || []).map(k => typeof k === "string" ? shown(k) : shown(k.left) + "＝" + shown(k.right)).join("、");
        return (n.kind === "anti" ? "右侧没有相同 " : "按 ") + (keys || "（未选关联键）") + (j.within ? "，" + j.within.days + " 天内" : "") + (j.overlap ? "，时间区间重叠" : "");
      }
      case "entity_join": { const j = s.entity_join || {}; return (j.mode === "fuzzy" ? "模糊匹配" : "同一主体") + "，概率 ≥ " + (j.min_probability ?? 0.8); }
      case "aggregate": { const a = s.aggregate || {}; return "按 " + (shownAll(a.by) || "全部") + " 统计 " + shownAll(Object.keys(a.measures || {})); }
      case "derive": return "新列：" + shownAll(Object.keys((s.derive || {}).columns || {}));
      case "select": { const c = (s.select || {}).columns || []; return "保留：" + shownAll(Array.isArray(c) ? c : Object.keys(c)); }
      case "window": { const w = s.window || {}; return "按 " + (shownAll(w.partition_by) || "全部") + " 排序，得到 " + shownAll(Object.keys(w.columns || {})); }
      case "union": return (s.union || {}).distinct ? "上下合并并去重" : "上下合并";
      case "distinct": { const c = (s.distinct || {}).columns; return c && c.length ? "按 " + shownAll(c) + " 去重" : "按全部列去重"; }
      case "components": { const c = s.components || {}; return "共同 " + (shown(c.event) || "？") + " 的 " + (shown(c.node) || "？") + " 归为一伙"; }
      case "text": return S.textRule ? S.textRule.summary(s.text || {}) : "文本规则";
      default: return "";
    }
  }
  function html(n, name) {
    const errs = state.errors[n.id] || [];
    return "<div class='node-title'>" + esc(name || LABELS[n.kind]) + "</div>" +
      "<div class='node-sub'>" + esc(summary(n)) + "</div>" + errs.map(e => "<div class='node-err'>⚠ " + esc(e) + "</div>").join("");
  }
  function refreshAll() {
    const names = labels();
    nodes().forEach(n => {
      const df = state.dfOf[n.id]; if (df == null) return;
      const box = document.querySelector("#node-" + df + " .drawflow_content_node");
      if (box) box.innerHTML = html(n, names[n.id]);
      const nodeEl = document.getElementById("node-" + df);
      if (nodeEl) { nodeEl.classList.toggle("has-error", !!(state.errors[n.id] || []).length); nodeEl.dataset.node = n.id; nodeEl.dataset.kind = n.kind; nodeEl.title = names[n.id]; }
    });
  }

  // ---------------------------------------------------------------- creating nodes
  function addNode(n, x, y) {
    const df = editor.addNode(n.kind, INPUTS[n.kind], n.kind === "output" ? 0 : 1, x, y, "k-" + n.kind, {}, html(n));
    state.byDf[df] = n; state.dfOf[n.id] = df;
    return df;
  }
  function nextId(prefix) { state.seq += 1; return prefix + state.seq; }
  function blank(kind) {
    if (kind === "dataset") { const id = nextId("n"); return { id, kind, role: nextId("t"), input: { dataset: "", fields: {} } }; }
    if (kind === "output") return { id: "output", kind, output: { subject: { type: "person", key: "" }, title: "", facts: [], rule: "R1" } };
    const id = nextId("n"), step = { id };
    const bodies = {
      filter: () => ({ filter: { field: "", op: "=", value: "" } }),
      keywords: () => ({ filter: { keywords: { field: "", match: "any", words: ["关键词"] } } }),
      join: () => ({ join: { type: "inner", on: [] } }), anti: () => ({ join: { type: "anti", on: [] } }),
      interval: () => ({ join: { type: "inner", on: [], within: { left: "", right: "", days: 30, direction: "after" } } }),
      entity_join: () => ({ entity_join: { mode: "subject", min_probability: 0.8, certain: 0.99 } }),
      aggregate: () => ({ aggregate: { by: [], measures: { "次数": "count(*)" } } }),
      derive: () => ({ derive: { columns: { "新列": "" } } }),
      select: () => ({ select: { columns: [] } }),
      window: () => ({ window: { partition_by: [], order_by: [], columns: { "序号": "row_number()" } } }),
      union: () => ({ union: { steps: [] } }), distinct: () => ({ distinct: {} }),
      components: () => ({ components: { node: "", event: "", component: "团伙编号" } }),
      text: () => ({ text: { fields: [], rule: { use: "prepaid-card" }, merchant: "商户名称", merchant_key: "商户名称_key" } }),
    };
    return { id, kind, step: Object.assign(step, bodies[kind]()) };
  }
  function freeSpot(kind) {
    const all = nodes(), ds = all.filter(n => n.kind === "dataset").length;
    const z = editor.zoom || 1, x0 = -editor.canvas_x / z, y0 = -editor.canvas_y / z;
    if (kind === "dataset") return [x0 + 30, y0 + 30 + 110 * ds];
    const steps = all.length - ds;
    return [x0 + 270 + 230 * (steps % 3), y0 + 40 + 120 * Math.floor(steps / 3)];
  }
  function create(kind, x, y, dataset) {
    if (kind === "output" && state.dfOf.output != null) { selectDf(state.dfOf.output); return; }
    const p = (x == null) ? freeSpot(kind) : [x, y];
    const n = blank(kind);
    if (dataset) setDataset(n, dataset);
    const df = addNode(n, p[0], p[1]);
    autoConnect(n);
    changed();
    selectDf(df);
    ensureVisible(df);
  }
  /** A node added outside the visible part of the canvas brings the whole graph into view. */
  function ensureVisible(df) {
    const node = document.getElementById("node-" + df); if (!node) return;
    const a = el.getBoundingClientRect(), b = node.getBoundingClientRect();
    if (b.left < a.left || b.right > a.right || b.top < a.top || b.bottom > a.bottom) fit();
  }
  /** A new step is connected to the selected node (or the last step), so clicks alone build a chain. */
  function autoConnect(n) {
    if (n.kind === "dataset" || INPUTS[n.kind] === 0) return;
    const sel = state.selected != null ? state.byDf[state.selected] : null;
    const from = sel && sel.id !== n.id && sel.kind !== "output" ? sel : null;
    if (from) connectPort(n, 1, from.id);
  }
  function setDataset(n, name) {
    const d = dsInfo(name);
    n.input = { dataset: name, fields: d ? Object.fromEntries(d.columns.map(c => [c.name, c.name])) : {} };
  }
  function datasetPalette() {
    const box = document.getElementById("dataset-palette");
    if (!state.datasets.length) { box.innerHTML = "<p class='muted'>目录中还没有数据集。</p>"; return; }
    box.innerHTML = state.datasets.map(d => "<button type='button' class='sec add-dataset' draggable='true' data-dataset='" + esc(d.name) +
      "' title='" + esc(d.columns.map(c => c.name + "（" + c.type + "）").join("、")) + "'>" + esc(d.name) + "</button>").join("");
    box.querySelectorAll(".add-dataset").forEach(b => {
      b.addEventListener("click", () => create("dataset", null, null, b.dataset.dataset));
      b.addEventListener("dragstart", ev => { ev.dataTransfer.setData("kind", "dataset"); ev.dataTransfer.setData("dataset", b.dataset.dataset); });
    });
  }

  // ---------------------------------------------------------------- graph <-> canvas
  function graph() {
    const data = editor.export().drawflow.Home.data, names = labels(), out = [];
    Object.keys(data).forEach(df => {
      const n = state.byDf[df]; if (!n) return;
      out.push(Object.assign({}, n, { x: data[df].pos_x, y: data[df].pos_y, label: names[n.id] }));
    });
    return { model: state.model, nodes: out, edges: edges() };
  }
  function load(g) {
    state.quiet += 1;
    state.model = g.model || {};
    (g.nodes || []).forEach(n => {
      const copy = Object.assign({}, n); delete copy.label; delete copy.x; delete copy.y;
      addNode(copy, n.x || 40, n.y || 40);
      [n.id, n.role].forEach(v => { const m = /^[nt](\d+)$/.exec(v || ""); if (m) state.seq = Math.max(state.seq, +m[1]); });
    });
    (g.edges || []).forEach(e => { try { editor.addConnection(state.dfOf[e.source], state.dfOf[e.target], "output_1", "input_" + (e.port || 1)); } catch (x) { /* a port that no longer exists */ } });
    state.quiet -= 1;
    refreshAll();
  }

  // ---------------------------------------------------------------- undo, unsaved work
  const snapshot = () => JSON.stringify(graph());
  function changed() {
    if (state.quiet) return;
    const now = snapshot();
    if (now === state.last) return;
    if (state.last != null) state.undo.push(state.last);
    if (state.undo.length > 100) state.undo.shift();
    state.last = now; state.dirty = true;
    document.getElementById("btn-undo").disabled = !state.undo.length;
    refreshAll();
  }
  function undo() {
    const prev = state.undo.pop(); if (prev == null) return;
    state.quiet += 1;
    editor.clear(); state.byDf = {}; state.dfOf = {}; state.selected = null;
    load(JSON.parse(prev));
    state.quiet -= 1;
    state.last = prev; state.dirty = true;
    document.getElementById("btn-undo").disabled = !state.undo.length;
    render(null);
    say("已撤销上一步。");
  }
  window.addEventListener("beforeunload", ev => { if (state.dirty) { ev.preventDefault(); ev.returnValue = ""; } });

  // ---------------------------------------------------------------- layout and fit
  function autoLayout() {
    const es = edges(), depth = {}, order = nodes().map(n => n.id);
    const d = (id, seen) => {
      if (depth[id] != null) return depth[id];
      if (seen.has(id)) return 0; seen.add(id);
      const ins = es.filter(e => e.target === id).map(e => d(e.source, seen) + 1);
      return (depth[id] = ins.length ? Math.max(...ins) : 0);
    };
    order.forEach(id => d(id, new Set()));
    const cols = {};
    order.forEach(id => { (cols[depth[id]] = cols[depth[id]] || []).push(id); });
    const rowOf = {};
    Object.keys(cols).map(Number).sort((a, b) => a - b).forEach(c => {
      const ys = id => { const p = es.filter(e => e.target === id).map(e => rowOf[e.source]).filter(v => v != null); return p.length ? p.reduce((a, b) => a + b, 0) / p.length : 0; };
      cols[c].sort((a, b) => ys(a) - ys(b)).forEach((id, i) => { rowOf[id] = i; });
    });
    // a long pipeline is folded into bands (columns 0..k-1, then k..2k-1 below …) so it fits the screen
    const nCols = Math.max(0, ...Object.values(depth)) + 1, nRows = Math.max(1, ...Object.values(cols).map(c => c.length));
    const W = el.clientWidth || 900, H = el.clientHeight || 500, CW = 240, RH = 125, GAP = 50;
    let best = 1, bestZoom = 0;
    for (let b = 1; b <= nCols; b++) {
      const z = Math.min(W / (Math.ceil(nCols / b) * CW), H / (b * (nRows * RH + GAP)));
      if (z > bestZoom + 0.02) { best = b; bestZoom = z; }
    }
    const perBand = Math.ceil(nCols / best);
    const data = editor.drawflow.drawflow.Home.data;
    order.forEach(id => {
      const band = Math.floor(depth[id] / perBand), col = depth[id] % perBand;
      const df = state.dfOf[id], x = 30 + CW * col, y = 30 + band * (nRows * RH + GAP) + RH * rowOf[id];
      data[df].pos_x = x; data[df].pos_y = y;
      const nodeEl = document.getElementById("node-" + df);
      if (nodeEl) { nodeEl.style.left = x + "px"; nodeEl.style.top = y + "px"; }
    });
    order.forEach(id => editor.updateConnectionNodes("node-" + state.dfOf[id]));
  }
  function fit() {
    const els = Array.from(el.querySelectorAll(".drawflow-node")); if (!els.length) return;
    editor.zoom = 1; editor.zoom_last_value = 1; editor.canvas_x = 0; editor.canvas_y = 0;
    editor.precanvas.style.transform = "translate(0px, 0px) scale(1)";
    const box = el.getBoundingClientRect(), r = els.map(e => e.getBoundingClientRect());
    const minX = Math.min(...r.map(b => b.left)) - box.left, minY = Math.min(...r.map(b => b.top)) - box.top;
    const w = Math.max(...r.map(b => b.right)) - box.left - minX, h = Math.max(...r.map(b => b.bottom)) - box.top - minY;
    const z = Math.max(0.3, Math.min(1, (box.width - 40) / w, (box.height - 40) / h));
    editor.zoom = z; editor.zoom_last_value = z;
    editor.precanvas.style.transform = "translate(0px, 0px) scale(" + z + ")";
    const r2 = els.map(e => e.getBoundingClientRect());
    editor.canvas_x = 20 - (Math.min(...r2.map(b => b.left)) - box.left);
    editor.canvas_y = 20 - (Math.min(...r2.map(b => b.top)) - box.top);
    editor.precanvas.style.transform = "translate(" + editor.canvas_x + "px, " + editor.canvas_y + "px) scale(" + z + ")";
  }

  // ---------------------------------------------------------------- form widgets
  const props = document.getElementById("props");
  function field(id, label, input, help) {
    return "<div class='field'><label for='" + id + "'>" + esc(label) + "</label>" + input + (help ? "<div class='muted' style='font-size:12px'>" + esc(help) + "</div>" : "") + "</div>";
  }
  function options(opts, value) { return opts.map(o => "<option value='" + esc(o[0]) + "'" + (String(o[0]) === String(value ?? "") ? " selected" : "") + ">" + esc(o[1]) + "</option>").join(""); }
  const selectHtml = (id, opts, value, extra) => "<select id='" + id + "'" + (extra || "") + ">" + options(opts, value) + "</select>";
  const textHtml = (id, value, extra) => "<input type='text' id='" + id + "' value='" + esc(value ?? "") + "'" + (extra || "") + ">";
  function colOptions(cols, value, empty) {
    bound = boundColumns();
    const opts = [["", empty || "请选择列…"]].concat(cols.map(c => [c.name, shown(c.name) + (c.type && c.type !== c.name ? "（" + c.type + "）" : "")]));
    if (value && !cols.some(c => c.name === value)) opts.push([value, value + "（上游没有此列）"]);
    return opts;
  }
  const colSelect = (id, cols, value, empty) => selectHtml(id, colOptions(cols, value, empty), value);
  function checks(id, cols, chosen) {
    const set = new Set(chosen || []), all = cols.slice();
    bound = boundColumns();
    (chosen || []).forEach(c => { if (!all.some(x => x.name === c)) all.push({ name: c, type: "上游没有此列" }); });
    return "<div class='checks' id='" + id + "'>" + (all.length ? all.map((c, i) => "<label><input type='checkbox' id='" + id + "-" + i + "' value='" + esc(c.name) + "'" + (set.has(c.name) ? " checked" : "") + "> " + esc(shown(c.name)) + (c.type && c.type !== c.name ? " <span class='muted'>（" + esc(c.type) + "）</span>" : "") + "</label>").join("") : "<span class='muted'>先连接上游节点</span>") + "</div>";
  }
  const checked = id => Array.from(document.querySelectorAll("#" + id + " input:checked")).map(i => i.value);
  const val = id => { const e = document.getElementById(id); return e && e.value != null ? e.value : ""; };
  const list = t => String(t || "").split(/[,，、;；\n]+/).map(s => s.trim()).filter(Boolean);
  const num = t => (t !== "" && !isNaN(+t) ? +t : t);
  function paramOptions(types) {
    return Object.entries(state.model.params || {}).filter(([, p]) => !types || types.includes(p.type)).map(([k, p]) => [k, p.label || k]);
  }

  // ---- conditions: rows of 列 / 比较 / 值 (or another column, or a model parameter), all or any
  function condRows(c) {
    if (c == null || c === "") return { combine: "all", rows: [] };
    if (typeof c === "string") return { combine: "all", rows: [c] };
    if (c.field !== undefined) return { combine: "all", rows: [c] };
    const list2 = c.all || c.any;
    if (list2 && list2.every(x => typeof x === "string" || (x && x.field !== undefined))) return { combine: c.any ? "any" : "all", rows: list2.slice() };
    return null;            // nested (not, all inside any …): kept as it is
  }
  function condEditor(p, c, cols, allowEmpty) {
    const parsed = condRows(c);
    if (!parsed) {
      return "<div class='field'><label>条件</label><p>" + esc(condText(c)) + "</p><p class='muted'>这是嵌套的组合条件，保持原样。</p><button type='button' class='sec' id='" + p + "-reset'>改为逐条设置</button></div>";
    }
    let h = "<div class='field' id='" + p + "-box' data-n='" + parsed.rows.length + "'><label>条件</label>";
    if (parsed.rows.length > 1) h += selectHtml(p + "-combine", [["all", "以下条件全部满足"], ["any", "满足以下任一条件"]], parsed.combine);
    parsed.rows.forEach((r, i) => {
      const q = p + "-" + i;
      if (typeof r === "string") {
        h += "<div class='cond-row'><input type='text' class='wide' id='" + q + "-expr' value='" + esc(r) + "' title='表达式'><button type='button' class='rm' id='" + q + "-x' aria-label='删除此条件'>删除</button></div>";
        return;
      }
      const src = r.param != null ? "param" : (r.expr != null ? "column" : "value"), noValue = ["is_null", "not_null"].includes(r.op);
      h += "<div class='cond-row' data-row='" + i + "'>" + colSelect(q + "-f", cols, r.field) + selectHtml(q + "-o", OPS, r.op || "=");
      if (!noValue) {
        const srcs = [["value", "填写值"], ["column", "另一列"]].concat(paramOptions().length ? [["param", "模型参数"]] : []);
        h += selectHtml(q + "-s", srcs, src);
        if (src === "column") h += colSelect(q + "-v", cols, r.expr);
        else if (src === "param") h += selectHtml(q + "-v", [["", "请选择参数…"]].concat(paramOptions()), r.param);
        else h += textHtml(q + "-v", Array.isArray(r.value) ? r.value.join("、") : (r.value ?? ""), r.op === "between" ? " placeholder='下限、上限'" : (["in", "not_in"].includes(r.op) ? " placeholder='多个值用顿号分隔'" : ""));
      }
      h += "<button type='button' class='rm' id='" + q + "-x' aria-label='删除此条件'>删除</button></div>";
    });
    h += "<button type='button' class='sec' id='" + p + "-add'>＋ 添加条件</button>" + (allowEmpty && !parsed.rows.length ? " <span class='muted'>（没有附加条件）</span>" : "") + "</div>";
    return h;
  }
  function readCond(p, old) {
    const box = document.getElementById(p + "-box");
    if (!box) return old;                                   // nested: unchanged
    const rows = [];
    for (let i = 0; i < +box.dataset.n; i++) {
      const q = p + "-" + i;
      if (document.getElementById(q + "-expr")) { const e = val(q + "-expr").trim(); if (e) rows.push(e); continue; }
      if (!document.getElementById(q + "-f")) continue;
      const r = { field: val(q + "-f"), op: val(q + "-o") };
      if (!["is_null", "not_null"].includes(r.op)) {
        const src = val(q + "-s") || "value", v = val(q + "-v").trim();
        if (src === "column") r.expr = v; else if (src === "param") r.param = v;
        else r.value = ["in", "not_in", "between"].includes(r.op) ? list(v).map(num) : num(v);
      }
      rows.push(r);
    }
    if (!rows.length) return null;
    if (rows.length === 1) return rows[0];
    return val(p + "-combine") === "any" ? { any: rows } : { all: rows };
  }
  function wireCond(p, n, get, set) {
    const again = () => { apply(n); render(n); };
    const add = document.getElementById(p + "-add");
    add && add.addEventListener("click", () => { apply(n); const c = get(); const parsed = condRows(c) || { combine: "all", rows: [] }; parsed.rows.push({ field: "", op: "=", value: "" }); set(parsed.rows.length === 1 ? parsed.rows[0] : { [parsed.combine]: parsed.rows }); changed(); render(n); });
    const reset = document.getElementById(p + "-reset");
    reset && reset.addEventListener("click", () => { set({ field: "", op: "=", value: "" }); changed(); render(n); });
    props.querySelectorAll("[id^='" + p + "-'][id$='-x']").forEach(b => b.addEventListener("click", () => {
      apply(n); const i = +b.id.slice(p.length + 1).split("-")[0], parsed = condRows(get()) || { combine: "all", rows: [] };
      parsed.rows.splice(i, 1); set(parsed.rows.length === 0 ? null : parsed.rows.length === 1 ? parsed.rows[0] : { [parsed.combine]: parsed.rows }); changed(); render(n);
    }));
    props.querySelectorAll("[id^='" + p + "-'][id$='-s'], [id^='" + p + "-'][id$='-o']").forEach(s => s.addEventListener("change", again));
  }

  // ---- 输出线索 title: 【列】 and 【列·脱敏】 stand for the model language's {列} and {列|mask}
  const titleText = t => String(t || "").replace(/\{([^{}|]+)\|mask\}/g, "【$1·脱敏】").replace(/\{([^{}|]+)\}/g, "【$1】");
  const titleModel = t => String(t || "").replace(/【([^【】·]+)·脱敏】/g, "{$1|mask}").replace(/【([^【】]+)】/g, "{$1}");

  // ---------------------------------------------------------------- the properties panel
  function upstreamSelects(n, es) {
    const count = INPUTS[n.kind]; if (!count) return "";
    const names = labels(), others = nodes().filter(x => x.id !== n.id && x.kind !== "output");
    let out = "";
    for (let p = 1; p <= count; p++) {
      const cur = es.find(e => e.target === n.id && e.port === p);
      const lab = n.kind === "union" ? "第 " + p + " 个上游" + (p > 2 ? "（可空）" : "") : count === 2 ? (p === 1 ? "左侧（上游）" : "右侧（比对的数据）") : "上游";
      out += field("up-" + p, lab, selectHtml("up-" + p, [["", "（未连接）"]].concat(others.map(o => [o.id, names[o.id]])), cur ? cur.source : ""));
    }
    return out;
  }
  function render(n) {
    if (!n) { renderModel(); return; }
    const es = edges(), s = n.step || {}, names = labels();
    const inCols = colsOf((upstream(n.id, 1, es) || {}).id, es), rightCols = colsOf((upstream(n.id, 2, es) || {}).id, es);
    let h = "<h3>" + esc(names[n.id]) + "</h3>";
    if (n.kind === "dataset") {
      h += field("p-dataset", "数据集", selectHtml("p-dataset", [["", "请选择…"]].concat(state.datasets.map(d => [d.name, d.name + "（" + S.fmtCount(d.rows) + " 行）"])), (n.input || {}).dataset || ""));
      const cols = colsOf(n.id, es);
      h += "<p class='muted'>列：" + esc(cols.map(c => c.name + (c.type && c.type !== c.name ? "（" + c.type + "）" : "")).join("、") || "选择数据集后自动带出全部列") + "</p>";
    } else if (n.kind === "filter") {
      h += upstreamSelects(n, es) + condEditor("c", s.filter, inCols, false);
    } else if (n.kind === "keywords") {
      const k = (s.filter || {}).keywords || {};
      h += upstreamSelects(n, es);
      h += field("p-field", "文本列", colSelect("p-field", inCols, k.field));
      h += field("p-match", "匹配方式", selectHtml("p-match", [["any", "包含任一关键词"], ["all", "全部关键词都包含"], ["none", "一个关键词都不含"]], k.match || "any"));
      if (k.param) h += field("p-kparam", "关键词（模型参数）", selectHtml("p-kparam", paramOptions(["list"]), k.param));
      else h += field("p-words", "关键词（用顿号或逗号分隔）", "<textarea id='p-words' rows='2'>" + esc((k.words || []).join("、")) + "</textarea>");
    } else if (["join", "anti", "interval"].includes(n.kind)) {
      const j = s.join || {};
      h += upstreamSelects(n, es);
      if (n.kind === "join") h += field("p-type", "关联方式", selectHtml("p-type", [["inner", "碰撞（两边都有的才保留）"], ["left", "左侧全部保留，右侧有则带上"], ["semi", "左侧在右侧存在的（只保留左侧列）"]], j.type || "inner"));
      h += "<div class='field' id='keys-box' data-n='" + (j.on || []).length + "'><label>关联键（左侧列 ＝ 右侧列）</label>";
      (j.on || []).forEach((k, i) => {
        const l = typeof k === "string" ? k : k.left, r = typeof k === "string" ? k : k.right;
        h += "<div class='pair-row'>" + colSelect("k-" + i + "-l", inCols, l) + "<span>＝</span>" + colSelect("k-" + i + "-r", rightCols, r) + "<button type='button' class='rm' id='k-" + i + "-x'>删除</button></div>";
      });
      h += "<button type='button' class='sec' id='k-add'>＋ 添加关联键</button></div>";
      if (n.kind === "interval") {
        const w = j.within, o = j.overlap || {};
        h += field("p-imode", "时间条件", selectHtml("p-imode", [["within", "右侧日期在左侧日期前后 N 天内"], ["overlap", "两段时间有重叠"]], w ? "within" : "overlap"));
        if (w) {
          h += field("p-wl", "左侧日期", colSelect("p-wl", inCols, w.left)) + field("p-wr", "右侧日期", colSelect("p-wr", rightCols, w.right));
          h += field("p-wd", "天数", textHtml("p-wd", w.days ?? w.months ?? "", " inputmode='numeric'")) + field("p-wdir", "方向", selectHtml("p-wdir", [["after", "右侧在左侧之后"], ["before", "右侧在左侧之前"], ["either", "前后均可"]], w.direction || "after"));
        } else {
          h += field("p-ls", "左侧开始日期", colSelect("p-ls", inCols, o.left_start)) + field("p-le", "左侧结束日期", colSelect("p-le", inCols, o.left_end));
          h += field("p-rs", "右侧开始日期", colSelect("p-rs", rightCols, o.right_start)) + field("p-re", "右侧结束日期", colSelect("p-re", rightCols, o.right_end));
        }
      }
      h += "<h4>附加条件（可空）</h4>" + condEditor("w", j.where, uniq(inCols.concat(rightCols)), true);
      h += field("p-prefix", "右侧列名前缀（两边列名相同时用，可空）", textHtml("p-prefix", j.right_prefix || ""));
    } else if (n.kind === "entity_join") {
      const j = s.entity_join || {};
      h += upstreamSelects(n, es);
      h += field("p-emode", "关联方式", selectHtml("p-emode", [["subject", "同一主体（主体库，含人工核对）"], ["fuzzy", "模糊匹配（记录对的匹配概率）"]], j.mode || "subject"));
      h += field("p-emin", "最低匹配概率", textHtml("p-emin", j.min_probability ?? 0.8), "低于此概率的不关联");
      h += field("p-ecertain", "确定阈值", textHtml("p-ecertain", j.certain ?? 0.99), "低于此概率的线索标为“待核实”并写明比对依据");
      h += field("p-prefix", "右侧列名前缀（可空）", textHtml("p-prefix", j.right_prefix || ""));
    } else if (n.kind === "aggregate") {
      const a = s.aggregate || {};
      h += upstreamSelects(n, es);
      h += field("p-by", "分组依据（按哪些列分组）", checks("p-by", inCols, a.by));
      h += "<div class='field' id='m-box' data-n='" + Object.keys(a.measures || {}).length + "'><label>统计项（名称 / 方式 / 列）</label>";
      Object.entries(a.measures || {}).forEach(([name, expr], i) => {
        const m = /^(count|sum|avg|max|min)\((distinct )?(.*)\)$/i.exec(String(expr).trim());
        const fn = m ? (m[2] ? "count_distinct" : m[1].toLowerCase()) : "expr", col = m && m[3] !== "*" ? m[3] : "";
        h += "<div class='measure-row'>" + textHtml("m-" + i + "-n", name) + selectHtml("m-" + i + "-f", AGGS.concat(fn === "expr" ? [["expr", "公式"]] : []), fn);
        h += (fn === "expr" ? textHtml("m-" + i + "-c", expr) : (fn === "count" ? "<span class='muted' id='m-" + i + "-c'>全部行</span>" : colSelect("m-" + i + "-c", inCols, col)));
        h += "<button type='button' class='rm' id='m-" + i + "-x'>删除</button></div>";
      });
      h += "<button type='button' class='sec' id='m-add'>＋ 添加统计项</button></div>";
      const outCols = (a.by || []).map(b => ({ name: b, type: "" })).concat(Object.keys(a.measures || {}).map(k => ({ name: k, type: "数字" })));
      h += "<h4>统计后筛选（可空）</h4>" + condEditor("h", a.having, outCols, true);
    } else if (n.kind === "derive") {
      const cols = (s.derive || {}).columns || {};
      h += upstreamSelects(n, es);
      h += "<div class='field' id='d-box' data-n='" + Object.keys(cols).length + "'><label>新列（名称 ＝ 计算式）</label>";
      Object.entries(cols).forEach(([name, expr], i) => {
        h += "<div class='cond-row'>" + textHtml("d-" + i + "-n", name, " placeholder='新列名称' aria-label='新列名称'") + selectHtml("d-" + i + "-ins", [["", "插入列…"]].concat(inCols.map(c => [c.name, c.name])), "", " aria-label='插入列'") +
          "<input type='text' class='wide' id='d-" + i + "-e' value='" + esc(expr) + "' placeholder='如 发放金额 * 12' aria-label='计算式'><button type='button' class='rm' id='d-" + i + "-x'>删除</button></div>";
        h += "<div class='fn-row' id='d-" + i + "-fn'>" + selectHtml("d-" + i + "-f", [["", "用函数生成…"]].concat(FUNCS.map(f => [f[0], f[1]])), "", " aria-label='函数'") +
          "<span class='fn-args' id='d-" + i + "-args'></span><button type='button' class='sec' id='d-" + i + "-put'>写入计算式</button></div>";
      });
      h += "<button type='button' class='sec' id='d-add'>＋ 添加新列</button><div class='muted' style='font-size:12px'>从“用函数生成”选择函数（取子串、拼接、年份、日期差、大写、去空格……）并选好列，点“写入计算式”；" +
        "选“当前计算式”可把已写好的计算式再套一层函数。熟悉的用户也可直接输入计算式：+ - * /、比较和 and/or，从“插入列”选择列名即可插入。</div></div>";
    } else if (n.kind === "select") {
      const cols = (s.select || {}).columns || [];
      h += upstreamSelects(n, es);
      if (Array.isArray(cols)) h += field("p-keep", "保留的列", checks("p-keep", inCols, cols));
      else {
        h += "<div class='field' id='r-box' data-n='" + Object.keys(cols).length + "'><label>输出列（新名称 ← 原列）</label>";
        Object.entries(cols).forEach(([name, from], i) => { h += "<div class='pair-row'>" + textHtml("r-" + i + "-n", name) + "<span>←</span>" + colSelect("r-" + i + "-c", inCols, from) + "<button type='button' class='rm' id='r-" + i + "-x'>删除</button></div>"; });
        h += "</div>";
      }
    } else if (n.kind === "window") {
      const w = s.window || {};
      h += upstreamSelects(n, es);
      h += field("p-part", "分组（在每组内排序）", checks("p-part", inCols, w.partition_by));
      h += "<div class='field' id='o-box' data-n='" + (w.order_by || []).length + "'><label>排序</label>";
      (w.order_by || []).forEach((o, i) => {
        const desc = / desc$/i.test(o), c = o.replace(/ (desc|asc)$/i, "");
        h += "<div class='pair-row'>" + colSelect("o-" + i + "-c", inCols, c) + selectHtml("o-" + i + "-d", [["asc", "从小到大"], ["desc", "从大到小"]], desc ? "desc" : "asc") + "<span></span><button type='button' class='rm' id='o-" + i + "-x'>删除</button></div>";
      });
      h += "<button type='button' class='sec' id='o-add'>＋ 添加排序列</button></div>";
      h += "<div class='field' id='wc-box' data-n='" + Object.keys(w.columns || {}).length + "'><label>得到的新列（名称 / 计算）</label>";
      Object.entries(w.columns || {}).forEach(([name, fn], i) => {
        const known = WINDOW_FUNCS.some(f => f[0] === fn);
        h += "<div class='pair-row'>" + textHtml("wc-" + i + "-n", name) + "<span>＝</span>" + (known ? selectHtml("wc-" + i + "-f", WINDOW_FUNCS, fn) : textHtml("wc-" + i + "-f", fn)) + "<button type='button' class='rm' id='wc-" + i + "-x'>删除</button></div>";
      });
      h += "<button type='button' class='sec' id='wc-add'>＋ 添加新列</button></div>";
    } else if (n.kind === "union") {
      h += upstreamSelects(n, es) + field("p-udist", "重复行", selectHtml("p-udist", [["0", "保留重复行"], ["1", "去掉重复行"]], (s.union || {}).distinct ? "1" : "0"));
    } else if (n.kind === "distinct") {
      h += upstreamSelects(n, es) + field("p-dcols", "按哪些列去重（不选则按全部列）", checks("p-dcols", inCols, (s.distinct || {}).columns));
    } else if (n.kind === "components") {
      const c = s.components || {};
      h += upstreamSelects(n, es);
      h += field("p-cnode", "人员（或单位）列", colSelect("p-cnode", inCols, c.node)) + field("p-cevent", "共同事件列（如 案件、车辆、账户）", colSelect("p-cevent", inCols, c.event));
      h += field("p-ccomp", "团伙编号列的名称", textHtml("p-ccomp", c.component || "团伙编号"));
    } else if (n.kind === "text") {
      h += upstreamSelects(n, es) + S.textRule.form(s.text || {});
    } else if (n.kind === "output") {
      const o = n.output || {}, sub = o.subject || {};
      h += upstreamSelects(n, es);
      h += field("p-stype", "线索对象", selectHtml("p-stype", SUBJECTS, sub.type || "person"));
      h += field("p-skey", "对象的唯一标识列（如 身份证号）", colSelect("p-skey", inCols, sub.key)) + field("p-sname", "对象的名称列（可空）", colSelect("p-sname", inCols, sub.name, "（不填）"));
      h += field("p-title", "线索标题", textHtml("p-title", titleText(o.title)), "【列名】处显示该列的值，【列名·脱敏】显示脱敏后的值。");
      h += "<div class='field pair-row'>" + selectHtml("p-tcol", [["", "插入列…"]].concat(inCols.map(c => [c.name, c.name]))) + "<label style='font-weight:normal'><input type='checkbox' id='p-tmask'> 脱敏</label><button type='button' class='sec' id='p-tins'>插入</button><span></span></div>";
      h += field("p-facts", "线索中列出的事实", checks("p-facts", inCols, o.facts));
      const ms = MEASURES.includes(o.measure) || !o.measure ? MEASURES : MEASURES.concat([o.measure]);
      h += field("p-measure", "建议监督方式", selectHtml("p-measure", [["", "（与模型一致）"]].concat(ms.map(m => [m, m])), o.measure || ""));
    }
    h += "<p><button type='button' id='p-apply'>应用</button> <button type='button' class='sec' id='p-preview'>预览此节点</button> <button type='button' class='danger' id='p-delete'>删除节点</button></p>";
    h += (state.errors[n.id] || []).map(e => "<div class='err node-problem' role='alert'>" + esc(e) + "</div>").join("");
    props.innerHTML = h;
    wire(n);
  }
  function wire(n) {
    const s = n.step || {}, again = () => { apply(n); render(n); };
    props.querySelectorAll("select[id^=up-]").forEach(sel => sel.addEventListener("change", () => { apply(n); connectPort(n, +sel.id.split("-")[1], sel.value); changed(); render(n); }));
    ["p-dataset", "p-imode", "p-type"].forEach(id => { const e = document.getElementById(id); e && e.addEventListener("change", () => {
      if (id === "p-imode") { apply(n); const j = s.join; if (e.value === "within") { delete j.overlap; j.within = { left: "", right: "", days: 30, direction: "after" }; } else { delete j.within; j.overlap = { left_start: "", left_end: "", right_start: "", right_end: "" }; } changed(); render(n); return; }
      again();
    }); });
    props.querySelectorAll("[id^='m-'][id$='-f']").forEach(e => e.addEventListener("change", again));
    if (n.kind === "filter") wireCond("c", n, () => s.filter, v => { s.filter = v || { field: "", op: "=", value: "" }; });
    if (["join", "anti", "interval"].includes(n.kind)) wireCond("w", n, () => s.join.where, v => { if (v) s.join.where = v; else delete s.join.where; });
    if (n.kind === "aggregate") wireCond("h", n, () => s.aggregate.having, v => { if (v) s.aggregate.having = v; else delete s.aggregate.having; });
    const rows = (prefix, add, remove) => {
      const a = document.getElementById(prefix + "-add"); a && a.addEventListener("click", () => { apply(n); add(); changed(); render(n); });
      props.querySelectorAll("[id^='" + prefix + "-'][id$='-x']").forEach(b => b.addEventListener("click", () => { apply(n); remove(+b.id.split("-")[1]); changed(); render(n); }));
    };
    const dropKey = (obj, i) => Object.fromEntries(Object.entries(obj).filter((_, k) => k !== i));
    const freshName = (obj, base) => { let k = base, i = 1; while (k in obj) { i += 1; k = base + i; } return k; };
    if (s.join) rows("k", () => { s.join.on = (s.join.on || []).concat([""]); }, i => { s.join.on.splice(i, 1); });
    if (s.aggregate) rows("m", () => { s.aggregate.measures[freshName(s.aggregate.measures, "统计")] = "count(*)"; }, i => { s.aggregate.measures = dropKey(s.aggregate.measures, i); });
    if (s.derive) rows("d", () => { s.derive.columns[freshName(s.derive.columns, "新列")] = ""; }, i => { s.derive.columns = dropKey(s.derive.columns, i); });
    if (s.select && !Array.isArray(s.select.columns)) rows("r", () => {}, i => { s.select.columns = dropKey(s.select.columns, i); });
    if (s.window) {
      rows("o", () => { s.window.order_by = (s.window.order_by || []).concat([""]); }, i => { s.window.order_by.splice(i, 1); });
      rows("wc", () => { s.window.columns[freshName(s.window.columns, "序号")] = "row_number()"; }, i => { s.window.columns = dropKey(s.window.columns, i); });
    }
    if (n.kind === "derive") wireFunctions(colsOf((upstream(n.id, 1) || {}).id));
    props.querySelectorAll("[id^='d-'][id$='-ins']").forEach(sel => sel.addEventListener("change", () => {
      const target = document.getElementById(sel.id.replace(/-ins$/, "-e"));
      if (target && sel.value) { target.value = (target.value ? target.value.replace(/\s*$/, " ") : "") + sel.value; sel.value = ""; target.focus(); }
    }));
    const tins = document.getElementById("p-tins");
    tins && tins.addEventListener("click", () => {
      const c = val("p-tcol"); if (!c) return;
      const t = document.getElementById("p-title"); t.value += "【" + c + (document.getElementById("p-tmask").checked ? "·脱敏" : "") + "】"; t.focus();
    });
    document.getElementById("p-apply").addEventListener("click", () => { apply(n); changed(); render(n); });
    document.getElementById("p-preview").addEventListener("click", () => { apply(n); changed(); preview(n); });
    document.getElementById("p-delete").addEventListener("click", () => { editor.removeNodeId("node-" + state.dfOf[n.id]); });
    if (n.kind === "text") S.textRule.wire(n, () => { apply(n); return (n.step || {}).text || {}; });
  }
  /** The function picker of each 计算新列 row: picking a function shows its arguments (column lists,
   *  numbers, units); “写入计算式” writes the expression into the row's text box. */
  function wireFunctions(inCols) {
    const fnOf = key => FUNCS.find(f => f[0] === key);
    props.querySelectorAll("[id^='d-'][id$='-f']").forEach(sel => sel.addEventListener("change", () => {
      const p = sel.id.replace(/-f$/, ""), fn = fnOf(sel.value), box = document.getElementById(p + "-args");
      box.innerHTML = fn ? fn[2].map((arg, k) => argHtml(p + "-a" + k, arg, inCols)).join("") : "";
      box.querySelectorAll("select[data-text]").forEach(s2 => s2.addEventListener("change", () => {
        const t = document.getElementById(s2.id + "-t"); if (t) t.hidden = s2.value !== "__text";
      }));
    }));
    props.querySelectorAll("[id^='d-'][id$='-put']").forEach(btn => btn.addEventListener("click", () => {
      const p = btn.id.replace(/-put$/, ""), fn = fnOf(val(p + "-f")), target = document.getElementById(p + "-e");
      if (!fn) { say("请先在“用函数生成”中选择一个函数。", true); return; }
      const args = fn[2].map((arg, k) => argValue(p + "-a" + k, arg, target.value.trim()));
      const missing = fn[2].findIndex((arg, k) => !args[k] && !/可空/.test(arg[1]));
      if (missing >= 0) { say("“" + fn[1] + "”的“" + fn[2][missing][1] + "”还没有选择或填写。", true); return; }
      target.value = fn[3](args); target.focus(); changed();
    }));
  }
  function argHtml(id, arg, inCols) {
    const [kind, label, dflt] = arg, lab = "<label for='" + id + "' class='muted'>" + esc(label) + "</label>";
    const cols = inCols.map(c => [c.name, c.name]);
    if (kind === "num") return lab + "<input type='number' id='" + id + "' value='" + esc(dflt ?? "") + "' style='width:5em'>";
    if (kind === "unit") return lab + selectHtml(id, UNITS, "'day'");
    if (kind === "col") return lab + selectHtml(id, [["", "请选择列…"]].concat(cols, [[CURRENT, "（当前计算式）"]]), "");
    return lab + selectHtml(id, [["", "请选择…"]].concat(cols, [["__text", "填写文字或数字…"], [CURRENT, "（当前计算式）"]]), "", " data-text='1'") +
      "<input type='text' id='" + id + "-t' hidden placeholder='文字或数字' aria-label='" + esc(label) + "（填写）'>";
  }
  function argValue(id, arg, current) {
    const v = val(id);
    if (v === CURRENT) return current ? current : "";
    if (arg[0] === "num" || arg[0] === "unit") return String(v).trim();
    if (v === "__text") { const t = val(id + "-t").trim(); return t === "" ? "" : (/^-?\d+(\.\d+)?$/.test(t) ? t : qtext(t)); }
    return v ? qcol(v) : "";
  }
  function connectPort(n, port, sourceId) {
    const target = state.dfOf[n.id], data = editor.getNodeFromId(target);
    state.quiet += 1;
    ((data.inputs["input_" + port] || {}).connections || []).slice().forEach(c => editor.removeSingleConnection(c.node, target, "output_1", "input_" + port));
    if (sourceId && state.dfOf[sourceId] != null) editor.addConnection(state.dfOf[sourceId], target, "output_1", "input_" + port);
    state.quiet -= 1;
  }
  function readRows(prefix, fn) { const box = document.getElementById(prefix + "-box"); const out = []; if (!box) return null; for (let i = 0; i < +box.dataset.n; i++) out.push(fn(prefix + "-" + i)); return out; }
  function apply(n) {
    const s = n.step;
    try {
      switch (n.kind) {
        case "dataset": { const name = val("p-dataset"); if (name !== (n.input || {}).dataset) setDataset(n, name); break; }
        case "filter": s.filter = readCond("c", s.filter) || { field: "", op: "=", value: "" }; break;
        case "keywords": {
          const k = { field: val("p-field"), match: val("p-match") };
          if (document.getElementById("p-kparam")) k.param = val("p-kparam"); else k.words = list(val("p-words"));
          s.filter = { keywords: k }; break;
        }
        case "join": case "anti": case "interval": {
          const j = s.join;
          if (n.kind === "join") j.type = val("p-type");
          j.on = readRows("keys", q => { const l = val("k-" + q.split("-")[1] + "-l"), r = val("k-" + q.split("-")[1] + "-r"); return l === r || !r ? l : (l ? { left: l, right: r } : r); }).filter(Boolean);
          if (n.kind === "interval") {
            if (j.within) j.within = Object.assign(j.within, { left: val("p-wl"), right: val("p-wr"), direction: val("p-wdir") }, j.within.months != null ? { months: num(val("p-wd").trim()) } : { days: num(val("p-wd").trim()) });
            else j.overlap = { left_start: val("p-ls"), left_end: val("p-le"), right_start: val("p-rs"), right_end: val("p-re") };
          }
          const w = readCond("w", j.where); if (w) j.where = w; else delete j.where;
          const pre = val("p-prefix").trim(); if (pre) j.right_prefix = pre; else delete j.right_prefix;
          break;
        }
        case "entity_join": {
          const j = s.entity_join; j.mode = val("p-emode"); j.min_probability = +val("p-emin"); j.certain = +val("p-ecertain");
          const pre = val("p-prefix").trim(); if (pre) j.right_prefix = pre; else delete j.right_prefix; break;
        }
        case "aggregate": {
          const a = s.aggregate; a.by = checked("p-by");
          const ms = readRows("m", q => {
            const name = val(q + "-n").trim(), fn = val(q + "-f"), col = val(q + "-c").trim();
            const expr = fn === "expr" ? col : fn === "count" ? "count(*)" : fn === "count_distinct" ? "count(distinct " + col + ")" : fn + "(" + col + ")";
            return [name, expr];
          });
          a.measures = Object.fromEntries(ms.filter(m => m[0]));
          const hv = readCond("h", a.having); if (hv) a.having = hv; else delete a.having; break;
        }
        case "derive": s.derive.columns = Object.fromEntries(readRows("d", q => [val(q + "-n").trim(), val(q + "-e").trim()]).filter(r => r[0])); break;
        case "select":
          if (document.getElementById("p-keep")) s.select.columns = checked("p-keep");
          else s.select.columns = Object.fromEntries(readRows("r", q => [val(q + "-n").trim(), val(q + "-c")]).filter(r => r[0]));
          break;
        case "window": {
          const w = s.window; w.partition_by = checked("p-part");
          w.order_by = readRows("o", q => val(q + "-c") ? val(q + "-c") + (val(q + "-d") === "desc" ? " desc" : "") : "").filter(Boolean);
          w.columns = Object.fromEntries(readRows("wc", q => [val(q + "-n").trim(), val(q + "-f").trim()]).filter(r => r[0]));
          break;
        }
        case "union": if (val("p-udist") === "1") s.union.distinct = true; else delete s.union.distinct; break;
        case "distinct": { const c = checked("p-dcols"); s.distinct = c.length ? { columns: c } : {}; break; }
        case "components": Object.assign(s.components, { node: val("p-cnode"), event: val("p-cevent"), component: val("p-ccomp").trim() || "团伙编号" }); break;
        case "text": s.text = S.textRule.read(s.text || {}); break;
        case "output": {
          const o = n.output = n.output || {};
          o.subject = { type: val("p-stype"), key: val("p-skey") };
          if (val("p-sname")) o.subject.name = val("p-sname");
          o.title = titleModel(val("p-title")); o.facts = checked("p-facts"); o.rule = o.rule || "R1";
          if (val("p-measure")) o.measure = val("p-measure"); else delete o.measure;
          break;
        }
        default: break;
      }
    } catch (e) { say("表单内容有误：" + esc(e.message), true); }
  }
  function renderModel() {
    const m = state.model, lines = LINES.includes(m.line) || !m.line ? LINES : LINES.concat([m.line]);
    const ms = MEASURES.includes(m.measure) || !m.measure ? MEASURES : MEASURES.concat([m.measure]);
    let h = "<h3>模型信息</h3>";
    h += field("m-name", "模型名称", textHtml("m-name", m.name || ""));
    h += field("m-line", "业务条线", selectHtml("m-line", [["", "请选择…"]].concat(lines.map(l => [l, l])), m.line || ""));
    h += field("m-point", "监督点", textHtml("m-point", m.point || "", " placeholder='如 养老金停发'"));
    h += field("m-measure", "建议监督方式", selectHtml("m-measure", [["", "请选择…"]].concat(ms.map(x => [x, x])), m.measure || ""));
    h += field("m-rule", "规则的文字表述", "<textarea id='m-rule' rows='3'>" + esc(m.rule_text || "") + "</textarea>");
    h += field("m-basis", "法律依据（每行一条：法律名称 条款）", "<textarea id='m-basis' rows='2'>" + esc((m.legal_basis || []).map(b => (b.law + " " + (b.article || "")).trim()).join("\n")) + "</textarea>");
    h += "<p><button type='button' id='m-apply'>应用</button></p><p class='muted'>点击画布上的节点编辑该节点。</p>";
    h += (state.errors._model || []).map(e => "<div class='err' role='alert'>" + esc(e) + "</div>").join("");
    props.innerHTML = h;
    document.getElementById("m-apply").addEventListener("click", () => { applyModel(); changed(); say("已应用模型信息。"); });
  }
  function applyModel() {
    const m = state.model;
    if (!document.getElementById("m-name")) return;
    ["name", "line", "point", "measure"].forEach(k => { const v = val("m-" + k).trim(); if (v) m[k] = v; else delete m[k]; });
    m.rule_text = val("m-rule");
    m.legal_basis = val("m-basis").split(/\n+/).map(s => s.trim()).filter(Boolean).map(s => { const i = s.search(/\s|第/); return i > 0 ? { law: s.slice(0, i).trim(), article: s.slice(i).trim() } : { law: s }; });
  }
  function selectDf(df) { state.selected = df; render(state.byDf[df]); }

  // ---------------------------------------------------------------- server calls
  function say(text, bad) { const m = document.getElementById("builder-msg"); m.className = "msg" + (bad ? " bad" : ""); m.innerHTML = text; }
  function showProblems(res) {
    state.errors = {};
    (res.problems || []).forEach(p => { const k = p.node && nodeById(p.node) ? p.node : "_model"; (state.errors[k] = state.errors[k] || []).push(p.message); });
    refreshAll();
    const general = state.errors._model || [], pinned = Object.keys(state.errors).filter(k => k !== "_model").length;
    say(esc(res.message || "") + (pinned ? "（问题已标在红框节点上，点击节点查看）" : "") + (general.length ? "<ul>" + general.map(e => "<li>" + esc(e) + "</li>").join("") + "</ul>" : ""), !res.ok);
    if (state.selected != null && state.byDf[state.selected]) render(state.byDf[state.selected]);
  }
  async function validate() {
    if (state.selected == null) applyModel();
    try {
      const res = await S.api("POST", "/api/v1/builder/validate", graph());
      showProblems(res);
      document.getElementById("model-source").textContent = res.ok ? res.source : "校验通过后显示。";
      return res;
    } catch (e) { say(esc(e.message), true); }
  }
  async function save() {
    const res = await validate();
    if (!res || !res.ok) return;
    try {
      const out = await S.api("POST", "/api/v1/builder/save", graph());
      state.model.id = out.model_id; state.dirty = false;
      say("已保存模型 <a id='saved-link' href='/models/" + encodeURIComponent(out.model_id) + "'>“" + esc(out.name || state.model.name || "") + "”</a>（第 " + out.revision + " 版草稿）。 <a href='/runs?model=" + encodeURIComponent(out.model_id) + "'>去运行</a>");
    } catch (e) { if (e.info && e.info.details && e.info.details.problems) showProblems({ ok: false, message: e.message, problems: e.info.details.problems }); else say(esc(e.message), true); }
  }
  async function bindData() {
    if (state.selected == null) applyModel();
    try {
      const out = await S.api("POST", "/api/v1/builder/bind", graph());
      say("已保存数据绑定（" + esc(out.org) + " 第 " + out.version + " 版）。 <a id='binding-link' href='/models/" + encodeURIComponent(out.model_id) + "/binding'>查看绑定</a>");
    } catch (e) {
      const issues = (e.info && e.info.details && (e.info.details.issues || e.info.details.problems)) || [];
      say(esc(e.message) + (issues.length ? "<ul>" + issues.map(i => "<li>" + esc(i.message) + "</li>").join("") + "</ul>" : ""), true);
    }
  }
  async function preview(n) {
    const box = document.getElementById("preview");
    document.getElementById("preview-title").textContent = labels()[n.id] || "";
    box.innerHTML = "<p class='muted'>正在预览…</p>";
    try {
      const res = await S.api("POST", "/api/v1/builder/preview", Object.assign(graph(), { node: n.id, limit: 20 }));
      if (!res.ok) { showProblems(res); box.innerHTML = "<p class='err'>" + esc(res.message || "无法预览") + "</p>"; return; }
      box.innerHTML = "<table id='preview-table'><thead><tr>" + res.columns.map(c => "<th>" + esc(c) + "</th>").join("") + "</tr></thead><tbody>" +
        (res.rows.length ? res.rows.map(r => "<tr>" + r.map(v => "<td>" + esc(v) + "</td>").join("") + "</tr>").join("") : "<tr><td colspan='" + res.columns.length + "' class='muted'>（没有数据行）</td></tr>") + "</tbody></table>";
    } catch (e) { box.innerHTML = "<p class='err'>" + esc(e.message) + "</p>"; }
  }

  // ---------------------------------------------------------------- wiring
  editor.on("nodeSelected", id => selectDf(id));
  editor.on("nodeUnselected", () => { state.selected = null; renderModel(); });
  editor.on("nodeRemoved", id => { const n = state.byDf[id]; if (n) { delete state.dfOf[n.id]; delete state.byDf[id]; delete state.errors[n.id]; } state.selected = null; changed(); renderModel(); });
  editor.on("nodeMoved", () => changed());
  editor.on("connectionCreated", () => { changed(); if (state.selected != null && state.byDf[state.selected]) render(state.byDf[state.selected]); });
  editor.on("connectionRemoved", () => changed());
  document.querySelectorAll(".add-node").forEach(b => {
    b.addEventListener("click", () => create(b.dataset.kind));
    b.addEventListener("dragstart", ev => ev.dataTransfer.setData("kind", b.dataset.kind));
  });
  el.addEventListener("dragover", ev => ev.preventDefault());
  el.addEventListener("drop", ev => {
    ev.preventDefault();
    const kind = ev.dataTransfer.getData("kind"); if (!kind) return;
    const r = el.getBoundingClientRect(), z = editor.zoom || 1;
    create(kind, (ev.clientX - r.left - editor.canvas_x) / z, (ev.clientY - r.top - editor.canvas_y) / z, ev.dataTransfer.getData("dataset") || null);
  });
  document.addEventListener("keydown", ev => {
    if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === "z" && !/INPUT|TEXTAREA|SELECT/.test((ev.target || {}).tagName || "")) { ev.preventDefault(); undo(); }
  });
  document.getElementById("btn-validate").addEventListener("click", validate);
  document.getElementById("btn-save").addEventListener("click", save);
  const bindButton = document.getElementById("btn-bind");     // shown only to roles that may bind
  if (bindButton) bindButton.addEventListener("click", bindData);
  document.getElementById("btn-undo").addEventListener("click", undo);
  document.getElementById("btn-fit").addEventListener("click", fit);
  document.getElementById("btn-layout").addEventListener("click", () => { autoLayout(); changed(); fit(); });
  S.api("GET", "/api/v1/builder/datasets").then(r => {
    state.datasets = r.items; datasetPalette(); refreshAll();
    if (state.selected != null) render(state.byDf[state.selected]);
  });
  const initial = JSON.parse(document.getElementById("graph-data").textContent);
  if (initial) { load(initial); autoLayout(); fit(); }
  state.last = snapshot();
  renderModel();
  window.ShujianBuilder = { graph, state, editor, create, fit, undo, labels, select: id => selectDf(state.dfOf[id]) };
})();
