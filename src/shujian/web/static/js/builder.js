// 可视化建模: a Drawflow canvas over the shujian model language (graph JSON ↔ model via /api/v1/builder).
(function () {
  "use strict";
  const S = window.Shujian, esc = S.esc;
  const LABELS = { dataset: "数据集", filter: "筛选", keywords: "关键词", join: "碰撞/关联", anti: "不存在",
                   interval: "时间区间", entity_join: "按主体关联", aggregate: "分组统计", text: "文本规则", step: "其他步骤", output: "输出线索" };
  const INPUTS = { dataset: 0, filter: 1, keywords: 1, join: 2, anti: 2, interval: 2, entity_join: 2, aggregate: 1, text: 1, step: 1, output: 1 };
  const OPS = [["=", "等于"], ["!=", "不等于"], [">", "大于"], [">=", "大于等于"], ["<", "小于"], ["<=", "小于等于"],
               ["in", "属于（逗号分隔）"], ["not_in", "不属于"], ["between", "介于（两个值）"], ["is_null", "为空"], ["not_null", "不为空"]];
  const el = document.getElementById("drawflow");
  const editor = new Drawflow(el);
  editor.reroute = false;
  editor.start();
  const state = { model: {}, byDf: {}, dfOf: {}, datasets: [], selected: null, errors: {}, seq: 0 };

  // ---------------------------------------------------------------- node helpers
  function newId(kind) { state.seq += 1; return (kind === "dataset" ? "d" : "s") + state.seq; }
  function summary(n) {
    if (n.kind === "dataset") return (n.role || "") + "：" + ((n.input || {}).dataset || "（未选数据集）");
    if (n.kind === "output") { const o = n.output || {}; return "对象：" + ((o.subject || {}).key || "？") + "；" + (o.title || ""); }
    const s = n.step || {}; const b = s.filter || s.join || s.aggregate || {};
    if (n.kind === "filter") return typeof b === "string" ? b : (b.field ? b.field + " " + b.op + " " + JSON.stringify(b.value ?? b.param ?? b.expr ?? "") : "（未配置）");
    if (n.kind === "keywords") { const k = (s.filter || {}).keywords || {}; return (k.field || "？") + " 含 " + (k.words || []).join("、"); }
    if (["join", "anti", "interval"].includes(n.kind)) return "键：" + (b.on || []).map(x => typeof x === "string" ? x : x.left + "=" + x.right).join("，");
    if (n.kind === "entity_join") return (b.mode === "fuzzy" ? "模糊匹配" : "同一主体") + "，概率 ≥ " + (b.min_probability ?? 0.8) + "，确定 ≥ " + (b.certain ?? 0.99);
    if (n.kind === "aggregate") return "按 " + (b.by || []).join("、") + " 统计 " + Object.keys(b.measures || {}).join("、");
    if (n.kind === "text") return S.textRule ? S.textRule.summary(s.text || {}) : "文本规则";
    return Object.keys(s).filter(k => k !== "id").join("、");
  }
  function html(n) {
    const name = n.kind === "dataset" ? n.role : (n.kind === "output" ? "" : (n.step || {}).id);
    const errs = state.errors[n.id] || [];
    return "<div class='node-title'>" + esc(LABELS[n.kind]) + (name ? " <span class='muted'>" + esc(name) + "</span>" : "") + "</div>" +
      "<div class='node-sub'>" + esc(summary(n)) + "</div>" + errs.map(e => "<div class='node-err'>⚠ " + esc(e) + "</div>").join("");
  }
  function refresh(n) {
    const df = state.dfOf[n.id]; if (df == null) return;
    const box = document.querySelector("#node-" + df + " .drawflow_content_node");
    if (box) box.innerHTML = html(n);
    const nodeEl = document.getElementById("node-" + df);
    if (nodeEl) { nodeEl.classList.toggle("has-error", !!(state.errors[n.id] || []).length); nodeEl.dataset.node = n.id; nodeEl.dataset.kind = n.kind; }
    editor.updateNodeDataFromId(df, n);
  }
  function addNode(n, x, y) {
    const df = editor.addNode(n.kind, INPUTS[n.kind], n.kind === "output" ? 0 : 1, x, y, "k-" + n.kind, n, html(n));
    state.byDf[df] = n; state.dfOf[n.id] = df;
    refresh(n);
    return df;
  }
  function blank(kind) {
    const id = newId(kind);
    if (kind === "dataset") return { id, kind, role: id, input: { dataset: "", fields: {} } };
    if (kind === "output") return { id: "output", kind, output: { subject: { type: "person", key: "" }, title: "", facts: [], rule: "R1" } };
    const step = { id };
    if (kind === "filter") step.filter = { field: "", op: "=", value: "" };
    if (kind === "keywords") step.filter = { keywords: { field: "", match: "any", words: ["关键词"] } };
    if (kind === "join") step.join = { type: "inner", on: [] };
    if (kind === "anti") step.join = { type: "anti", on: [] };
    if (kind === "interval") step.join = { type: "inner", on: [], overlap: { left_start: "", left_end: "", right_start: "", right_end: "" } };
    if (kind === "entity_join") step.entity_join = { mode: "subject", min_probability: 0.8, certain: 0.99 };
    if (kind === "aggregate") step.aggregate = { by: [], measures: { "次数": "count(*)" } };
    if (kind === "text") step.text = { fields: [], rule: { use: "prepaid-card" }, merchant: "merchant", merchant_key: "merchant_key" };
    return { id, kind, step };
  }
  function freeSpot(kind) {
    // datasets stack on the left, steps flow to the right
    const nodes = Object.values(state.byDf), ds = nodes.filter(n => n.kind === "dataset").length;
    if (kind === "dataset") return [30, 30 + 120 * ds];
    const steps = nodes.length - ds;
    return [260 + 220 * (steps % 3), 60 + 150 * Math.floor(steps / 3)];
  }
  function create(kind, x, y, dataset) {
    if (kind === "output" && state.dfOf.output != null) { select(state.dfOf.output); return; }
    const p = (x == null) ? freeSpot(kind) : [x, y];
    const n = blank(kind);
    const d = dataset && state.datasets.find(v => v.name === dataset);
    if (d) n.input = { dataset: d.name, fields: Object.fromEntries(d.columns.map(c => [c.name, c.name])) };
    const df = addNode(n, p[0], p[1]);
    select(df);
  }
  function datasetPalette() {
    const box = document.getElementById("dataset-palette");
    if (!state.datasets.length) { box.innerHTML = "<p class='muted'>目录中还没有数据集。</p>"; return; }
    box.innerHTML = state.datasets.map(d => "<button type='button' class='sec add-dataset' draggable='true' data-dataset='" + esc(d.name) +
      "' title='" + esc(d.columns.map(c => c.name).join("、")) + "'>" + esc(d.name) + "</button>").join("");
    box.querySelectorAll(".add-dataset").forEach(b => {
      b.addEventListener("click", () => create("dataset", null, null, b.dataset.dataset));
      b.addEventListener("dragstart", ev => { ev.dataTransfer.setData("kind", "dataset"); ev.dataTransfer.setData("dataset", b.dataset.dataset); });
    });
  }

  // ---------------------------------------------------------------- graph <-> canvas
  function graph() {
    const data = editor.export().drawflow.Home.data, nodes = [], edges = [];
    Object.keys(data).forEach(df => {
      const n = state.byDf[df]; if (!n) return;
      nodes.push(Object.assign({}, n, { x: data[df].pos_x, y: data[df].pos_y }));
      Object.keys(data[df].inputs || {}).forEach(inp => {
        const port = parseInt(inp.split("_")[1], 10);
        (data[df].inputs[inp].connections || []).forEach(c => { const src = state.byDf[c.node]; if (src) edges.push({ source: src.id, target: n.id, port }); });
      });
    });
    return { model: state.model, nodes, edges };
  }
  function load(g) {
    state.model = g.model || {};
    (g.nodes || []).forEach(n => { addNode(n, n.x || 40, n.y || 40); const m = /(\d+)$/.exec(n.id); if (m) state.seq = Math.max(state.seq, +m[1]); });
    (g.edges || []).forEach(e => { try { editor.addConnection(state.dfOf[e.source], state.dfOf[e.target], "output_1", "input_" + (e.port || 1)); } catch (x) { /* ignore */ } });
  }

  // ---------------------------------------------------------------- properties panel
  const props = document.getElementById("props");
  function fieldHtml(id, label, value, opts) {
    opts = opts || {};
    let input;
    if (opts.options) input = "<select id='" + id + "'>" + opts.options.map(o => "<option value='" + esc(o[0]) + "'" + (String(o[0]) === String(value) ? " selected" : "") + ">" + esc(o[1]) + "</option>").join("") + "</select>";
    else if (opts.area) input = "<textarea id='" + id + "' rows='" + (opts.rows || 3) + "'>" + esc(value) + "</textarea>";
    else input = "<input type='text' id='" + id + "' value='" + esc(value) + "'" + (opts.list ? " list='cols'" : "") + ">";
    return "<div class='field'><label for='" + id + "'>" + esc(label) + "</label>" + input + (opts.help ? "<div class='muted' style='font-size:12px'>" + esc(opts.help) + "</div>" : "") + "</div>";
  }
  const val = id => { const e = document.getElementById(id); return e ? e.value : ""; };
  const list = t => String(t || "").split(/[,，、\s]+/).map(s => s.trim()).filter(Boolean);
  function keysText(on) { return (on || []).map(k => typeof k === "string" ? k : k.left + "=" + k.right).join("\n"); }
  function parseKeys(t) { return String(t || "").split(/\n+/).map(s => s.trim()).filter(Boolean).map(s => { const p = s.split("="); return p.length === 2 && p[0].trim() !== p[1].trim() ? { left: p[0].trim(), right: p[1].trim() } : p[0].trim(); }); }
  function parseValue(t, op) {
    if (op === "in" || op === "not_in" || op === "between") return list(t).map(v => isNaN(+v) ? v : +v);
    return t !== "" && !isNaN(+t) ? +t : t;
  }
  function upstreamColumns(n) {
    const g = graph(), cols = new Set(), seen = new Set();
    (function walk(id) {
      if (seen.has(id)) return; seen.add(id);
      const node = g.nodes.find(x => x.id === id); if (!node) return;
      if (node.kind === "dataset") Object.keys((node.input || {}).fields || {}).forEach(c => cols.add(c));
      if (node.kind === "entity_join") ["主体编号", "匹配概率", "匹配依据", "核实状态"].forEach(c => cols.add(c));
      if (node.kind === "text") { const t = node.step.text || {}; ["text_match", "text_words", t.merchant, t.merchant_key, t.name_key].filter(Boolean).forEach(c => cols.add(c)); }
      if (node.kind === "aggregate") { const a = node.step.aggregate; (a.by || []).forEach(c => cols.add(c)); Object.keys(a.measures || {}).forEach(c => cols.add(c)); return; }
      g.edges.filter(e => e.target === id).forEach(e => walk(e.source));
    })(n.id);
    return Array.from(cols);
  }
  function upstreamSelects(n) {
    const count = INPUTS[n.kind]; if (!count) return "";
    const g = graph(), others = g.nodes.filter(x => x.id !== n.id && x.kind !== "output");
    let out = "";
    for (let p = 1; p <= count; p++) {
      const cur = g.edges.find(e => e.target === n.id && e.port === p);
      const label = count === 2 ? (p === 1 ? "左侧（上游）" : "右侧（碰撞对象）") : "上游";
      out += fieldHtml("up-" + p, label, cur ? cur.source : "", { options: [["", "（未连接）"]].concat(others.map(o => [o.id, LABELS[o.kind] + " " + (o.kind === "dataset" ? o.role : (o.step || {}).id || o.id)])) });
    }
    return out;
  }
  function render(n) {
    if (!n) { renderModel(); return; }
    const cols = upstreamColumns(n);
    let h = "<h3>" + esc(LABELS[n.kind]) + "</h3><datalist id='cols'>" + cols.map(c => "<option value='" + esc(c) + "'>").join("") + "</datalist>";
    const s = n.step || {};
    if (n.kind === "dataset") {
      h += fieldHtml("p-role", "角色名（英文字母、数字、下划线）", n.role || "");
      h += fieldHtml("p-dataset", "数据集", (n.input || {}).dataset || "", { options: [["", "请选择…"]].concat(state.datasets.map(d => [d.name, d.name + "（" + S.fmtCount(d.rows) + " 行）"])) });
      h += "<p class='muted'>字段：" + esc(Object.keys((n.input || {}).fields || {}).join("、") || "选择数据集后自动带出全部列") + "</p>";
    } else if (n.kind === "filter") {
      const f = s.filter, expr = typeof f === "string";
      h += upstreamSelects(n);
      h += fieldHtml("p-mode", "条件方式", expr ? "expr" : "cmp", { options: [["cmp", "字段比较"], ["expr", "表达式"]] });
      if (expr) h += fieldHtml("p-expr", "表达式", f, { area: true, help: "如 金额 > 1000 and 状态 = '在押'" });
      else if (f && (f.all || f.any || f.not)) h += fieldHtml("p-json", "组合条件（JSON）", JSON.stringify(f, null, 1), { area: true, rows: 6 });
      else {
        h += fieldHtml("p-field", "字段", f.field || "", { list: true });
        h += fieldHtml("p-op", "运算", f.op || "=", { options: OPS });
        h += fieldHtml("p-value", f.param ? "参数" : "值", f.param ? ":" + f.param : (Array.isArray(f.value) ? f.value.join(",") : (f.value ?? "")), { help: "以 : 开头表示引用模型参数，如 :custody_kinds" });
      }
    } else if (n.kind === "keywords") {
      const k = (s.filter || {}).keywords || {};
      h += upstreamSelects(n);
      h += fieldHtml("p-field", "文本字段", k.field || "", { list: true });
      h += fieldHtml("p-match", "匹配方式", k.match || "any", { options: [["any", "包含任一"], ["all", "全部包含"], ["none", "均不包含"]] });
      h += fieldHtml("p-words", k.param ? "参数" : "关键词（逗号或顿号分隔）", k.param ? ":" + k.param : (k.words || []).join("、"));
    } else if (["join", "anti", "interval"].includes(n.kind)) {
      const j = s.join || {};
      h += upstreamSelects(n);
      if (n.kind === "join") h += fieldHtml("p-type", "关联方式", j.type || "inner", { options: [["inner", "碰撞（两边都有）"], ["left", "左关联（保留左侧）"], ["semi", "存在（只保留左侧列）"]] });
      h += fieldHtml("p-on", "关联键（每行一个；同名写一次，不同名写 左=右）", keysText(j.on), { area: true });
      if (n.kind === "interval") {
        const ov = j.overlap, w = j.within;
        h += fieldHtml("p-imode", "时间条件", w ? "within" : "overlap", { options: [["overlap", "区间重叠"], ["within", "N 天内"]] });
        if (w) {
          h += fieldHtml("p-wl", "左侧日期", w.left || "", { list: true }) + fieldHtml("p-wr", "右侧日期", w.right || "", { list: true });
          h += fieldHtml("p-wd", "天数", w.days ?? "") + fieldHtml("p-wdir", "方向", w.direction || "after", { options: [["after", "右侧在左侧之后"], ["before", "右侧在左侧之前"], ["either", "前后均可"]] });
        } else {
          const o = ov || {};
          h += fieldHtml("p-ls", "左侧开始", o.left_start || "", { list: true }) + fieldHtml("p-le", "左侧结束", o.left_end || "", { list: true });
          h += fieldHtml("p-rs", "右侧开始", o.right_start || "", { list: true }) + fieldHtml("p-re", "右侧结束", o.right_end || "", { list: true });
        }
      }
      h += fieldHtml("p-prefix", "右侧列前缀（避免重名，可空）", j.right_prefix || "");
      h += fieldHtml("p-where", "附加条件（表达式，可空）", typeof j.where === "string" ? j.where : (j.where ? JSON.stringify(j.where) : ""), { area: true, rows: 2 });
    } else if (n.kind === "entity_join") {
      const j = s.entity_join || {};
      h += upstreamSelects(n);
      h += fieldHtml("p-emode", "关联方式", j.mode || "subject", { options: [["subject", "同一主体（主体库，含人工核对）"], ["fuzzy", "模糊匹配（记录对的匹配概率）"]] });
      h += fieldHtml("p-emin", "最低匹配概率", j.min_probability ?? 0.8, { help: "低于此概率的不关联" });
      h += fieldHtml("p-ecertain", "确定阈值", j.certain ?? 0.99, { help: "低于此概率的线索标为“待核实”并写明比对依据" });
      h += fieldHtml("p-prefix", "右侧列前缀（避免重名，可空）", j.right_prefix || "");
    } else if (n.kind === "aggregate") {
      const a = s.aggregate || {};
      h += upstreamSelects(n);
      h += fieldHtml("p-by", "分组字段（逗号分隔）", (a.by || []).join(", "));
      h += fieldHtml("p-measures", "统计（每行：名称 = 表达式）", Object.entries(a.measures || {}).map(([k, v]) => k + " = " + v).join("\n"), { area: true, help: "如 次数 = count(*)；合计 = sum(金额)" });
      h += fieldHtml("p-having", "统计后筛选（可空）", typeof a.having === "string" ? a.having : (a.having ? JSON.stringify(a.having) : ""));
    } else if (n.kind === "text") {
      h += upstreamSelects(n) + S.textRule.form(s.text || {});
    } else if (n.kind === "output") {
      const o = n.output || {}, sub = o.subject || {};
      h += upstreamSelects(n);
      h += fieldHtml("p-stype", "对象类型", sub.type || "person", { options: [["person", "自然人"], ["organisation", "单位"], ["case", "案件"]] });
      h += fieldHtml("p-skey", "对象编号字段", sub.key || "", { list: true }) + fieldHtml("p-sname", "对象名称字段（可空）", sub.name || "", { list: true });
      h += fieldHtml("p-title", "线索标题模板", o.title || "", { help: "用 {字段} 引用列，{字段|mask} 脱敏" });
      h += fieldHtml("p-facts", "事实字段（逗号分隔）", (o.facts || []).join(", "));
      h += fieldHtml("p-rule", "规则编号", typeof o.rule === "string" ? o.rule : "R1") + fieldHtml("p-measure", "建议监督方式", o.measure || "");
    } else {
      h += upstreamSelects(n);
      h += fieldHtml("p-json", "步骤（JSON，模型语言）", JSON.stringify(s, null, 1), { area: true, rows: 10 });
    }
    if (n.kind !== "dataset" && n.kind !== "output") h += fieldHtml("p-sid", "步骤名（英文）", s.id || "");
    h += "<p><button type='button' id='p-apply'>应用</button> <button type='button' class='sec' id='p-preview'>预览此节点</button> <button type='button' class='danger' id='p-delete'>删除</button></p>";
    h += (state.errors[n.id] || []).map(e => "<div class='err' role='alert'>" + esc(e) + "</div>").join("");
    props.innerHTML = h;
    props.querySelectorAll("select[id^=up-]").forEach(sel => sel.addEventListener("change", () => connect(n, sel)));
    const mode = document.getElementById("p-mode"); mode && mode.addEventListener("change", () => { s.filter = mode.value === "expr" ? "" : { field: "", op: "=", value: "" }; render(n); });
    const im = document.getElementById("p-imode"); im && im.addEventListener("change", () => { const j = s.join; if (im.value === "within") { delete j.overlap; j.within = { left: "", right: "", days: 30, direction: "after" }; } else { delete j.within; j.overlap = { left_start: "", left_end: "", right_start: "", right_end: "" }; } render(n); });
    const ds = document.getElementById("p-dataset"); ds && ds.addEventListener("change", () => { apply(n); render(n); });
    document.getElementById("p-apply").addEventListener("click", () => { apply(n); render(n); });
    document.getElementById("p-preview").addEventListener("click", () => { apply(n); preview(n); });
    document.getElementById("p-delete").addEventListener("click", () => { editor.removeNodeId("node-" + state.dfOf[n.id]); });
    if (n.kind === "text") S.textRule.wire(n, () => { apply(n); return (n.step || {}).text || {}; });
  }
  function connect(n, sel) {
    const port = sel.id.split("-")[1], target = state.dfOf[n.id];
    const data = editor.getNodeFromId(target);
    ((data.inputs["input_" + port] || {}).connections || []).slice().forEach(c => editor.removeSingleConnection(c.node, target, c.input, "input_" + port));
    if (sel.value) editor.addConnection(state.dfOf[sel.value], target, "output_1", "input_" + port);
  }
  function apply(n) {
    const s = n.step;
    try {
      if (n.kind === "dataset") {
        n.role = val("p-role").trim() || n.role;
        const name = val("p-dataset"), d = state.datasets.find(x => x.name === name);
        if (name !== (n.input || {}).dataset) n.input = { dataset: name, fields: d ? Object.fromEntries(d.columns.map(c => [c.name, c.name])) : {} };
      } else if (n.kind === "filter") {
        if (document.getElementById("p-expr")) s.filter = val("p-expr");
        else if (document.getElementById("p-json")) s.filter = JSON.parse(val("p-json"));
        else {
          const op = val("p-op"), raw = val("p-value").trim(), f = { field: val("p-field").trim(), op };
          if (raw.startsWith(":")) f.param = raw.slice(1); else if (op !== "is_null" && op !== "not_null") f.value = parseValue(raw, op);
          s.filter = f;
        }
      } else if (n.kind === "keywords") {
        const raw = val("p-words").trim(), k = { field: val("p-field").trim(), match: val("p-match") };
        if (raw.startsWith(":")) k.param = raw.slice(1); else k.words = list(raw);
        s.filter = { keywords: k };
      } else if (["join", "anti", "interval"].includes(n.kind)) {
        const j = s.join;
        if (n.kind === "join") j.type = val("p-type");
        j.on = parseKeys(val("p-on"));
        if (n.kind === "interval") {
          if (j.within) j.within = { left: val("p-wl").trim(), right: val("p-wr").trim(), days: /^\d+$/.test(val("p-wd").trim()) ? +val("p-wd").trim() : val("p-wd").trim(), direction: val("p-wdir") };
          else j.overlap = { left_start: val("p-ls").trim(), left_end: val("p-le").trim(), right_start: val("p-rs").trim(), right_end: val("p-re").trim() };
        }
        const pre = val("p-prefix").trim(); if (pre) j.right_prefix = pre; else delete j.right_prefix;
        const w = val("p-where").trim(); if (w) j.where = w.startsWith("{") ? JSON.parse(w) : w; else delete j.where;
      } else if (n.kind === "entity_join") {
        const j = s.entity_join;
        j.mode = val("p-emode"); j.min_probability = +val("p-emin"); j.certain = +val("p-ecertain");
        const pre = val("p-prefix").trim(); if (pre) j.right_prefix = pre; else delete j.right_prefix;
      } else if (n.kind === "aggregate") {
        const a = s.aggregate;
        a.by = list(val("p-by"));
        a.measures = Object.fromEntries(val("p-measures").split(/\n+/).map(l => l.split("=")).filter(p => p.length >= 2 && p[0].trim()).map(p => [p[0].trim(), p.slice(1).join("=").trim()]));
        const hv = val("p-having").trim(); if (hv) a.having = hv.startsWith("{") ? JSON.parse(hv) : hv; else delete a.having;
      } else if (n.kind === "text") {
        s.text = S.textRule.read(s.text || {});
      } else if (n.kind === "output") {
        const o = n.output = n.output || {};
        o.subject = { type: val("p-stype"), key: val("p-skey").trim() };
        if (val("p-sname").trim()) o.subject.name = val("p-sname").trim();
        o.title = val("p-title"); o.facts = list(val("p-facts")); o.rule = val("p-rule").trim() || "R1";
        if (val("p-measure").trim()) o.measure = val("p-measure").trim(); else delete o.measure;
      } else if (document.getElementById("p-json")) {
        n.step = JSON.parse(val("p-json"));
      }
      if (document.getElementById("p-sid") && val("p-sid").trim()) n.step.id = val("p-sid").trim();
    } catch (e) { say("表单内容有误：" + e.message, true); }
    refresh(n);
  }
  function renderModel() {
    const m = state.model;
    let h = "<h3>模型信息</h3>";
    [["m-id", "模型编号（英文小写、数字、-）", "id"], ["m-name", "模型名称", "name"], ["m-line", "业务条线", "line"], ["m-point", "监督点", "point"], ["m-measure", "建议监督方式", "measure"]]
      .forEach(([id, label, key]) => { h += fieldHtml(id, label, m[key] || ""); });
    h += fieldHtml("m-rule", "规则的文字表述", m.rule_text || "", { area: true });
    h += fieldHtml("m-basis", "法律依据（每行：法律名称 条款）", (m.legal_basis || []).map(b => (b.law + " " + (b.article || "")).trim()).join("\n"), { area: true, rows: 2 });
    h += "<p><button type='button' id='m-apply'>应用</button></p><p class='muted'>点击画布上的节点编辑该节点。</p>";
    h += (state.errors._model || []).map(e => "<div class='err' role='alert'>" + esc(e) + "</div>").join("");
    props.innerHTML = h;
    document.getElementById("m-apply").addEventListener("click", applyModel);
  }
  function applyModel() {
    const m = state.model;
    if (!document.getElementById("m-id")) return;
    ["id", "name", "line", "point", "measure"].forEach(k => { const v = val("m-" + k).trim(); if (v) m[k] = v; else delete m[k]; });
    m.rule_text = val("m-rule");
    m.legal_basis = val("m-basis").split(/\n+/).map(s => s.trim()).filter(Boolean).map(s => { const i = s.search(/\s|第/); return i > 0 ? { law: s.slice(0, i).trim(), article: s.slice(i).trim() } : { law: s }; });
  }
  function select(df) { state.selected = df; render(state.byDf[df]); }

  // ---------------------------------------------------------------- server calls
  function say(text, bad) { const m = document.getElementById("builder-msg"); m.className = "msg" + (bad ? " bad" : ""); m.innerHTML = text; }
  function showProblems(res) {
    state.errors = {};
    (res.problems || []).forEach(p => { const k = p.node || "_model"; (state.errors[k] = state.errors[k] || []).push((p.location ? p.location + "：" : "") + p.message); });
    Object.values(state.byDf).forEach(refresh);
    const general = state.errors._model || [];
    say(esc(res.message || "") + (general.length ? "<ul>" + general.map(e => "<li>" + esc(e) + "</li>").join("") + "</ul>" : ""), !res.ok);
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
      say("已保存模型 <a id='saved-link' href='/models/" + encodeURIComponent(out.model_id) + "'>" + esc(out.model_id) + "</a>（第 " + out.revision + " 版草稿）。 <a href='/runs?model=" + encodeURIComponent(out.model_id) + "'>去运行</a>");
    } catch (e) { if (e.info && e.info.details) showProblems({ ok: false, message: e.message, problems: e.info.details.problems }); else say(esc(e.message), true); }
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
    document.getElementById("preview-title").textContent = LABELS[n.kind] + " " + (n.kind === "dataset" ? n.role : (n.step || {}).id || "");
    box.innerHTML = "<p class='muted'>正在预览…</p>";
    try {
      const res = await S.api("POST", "/api/v1/builder/preview", Object.assign(graph(), { node: n.id, limit: 20 }));
      if (!res.ok) { showProblems(res); box.innerHTML = "<p class='err'>" + esc(res.message || "无法预览") + "</p>"; return; }
      box.innerHTML = "<table id='preview-table'><thead><tr>" + res.columns.map(c => "<th>" + esc(c) + "</th>").join("") + "</tr></thead><tbody>" +
        (res.rows.length ? res.rows.map(r => "<tr>" + r.map(v => "<td>" + esc(v) + "</td>").join("") + "</tr>").join("") : "<tr><td colspan='" + res.columns.length + "' class='muted'>（没有数据行）</td></tr>") + "</tbody></table>";
    } catch (e) { box.innerHTML = "<p class='err'>" + esc(e.message) + "</p>"; }
  }

  // ---------------------------------------------------------------- wiring
  editor.on("nodeSelected", id => select(id));
  editor.on("nodeUnselected", () => { state.selected = null; renderModel(); });
  editor.on("nodeRemoved", id => { const n = state.byDf[id]; if (n) { delete state.dfOf[n.id]; delete state.byDf[id]; } state.selected = null; renderModel(); });
  editor.on("connectionCreated", () => { if (state.selected != null && state.byDf[state.selected]) render(state.byDf[state.selected]); });
  document.querySelectorAll(".add-node").forEach(b => {
    b.addEventListener("click", () => create(b.dataset.kind));
    b.addEventListener("dragstart", ev => ev.dataTransfer.setData("kind", b.dataset.kind));
  });
  el.addEventListener("dragover", ev => ev.preventDefault());
  el.addEventListener("drop", ev => {
    ev.preventDefault();
    const kind = ev.dataTransfer.getData("kind"); if (!kind) return;
    const r = el.getBoundingClientRect(), z = editor.zoom || 1;
    create(kind, (ev.clientX - r.left - editor.canvas_x) / z, (ev.clientY - r.top - editor.canvas_y) / z,
           ev.dataTransfer.getData("dataset") || null);
  });
  document.getElementById("btn-validate").addEventListener("click", validate);
  document.getElementById("btn-save").addEventListener("click", save);
  document.getElementById("btn-bind").addEventListener("click", bindData);
  S.api("GET", "/api/v1/builder/datasets").then(r => {
    state.datasets = r.items; datasetPalette();
    if (state.selected != null) render(state.byDf[state.selected]);
  });
  const initial = JSON.parse(document.getElementById("graph-data").textContent);
  if (initial) load(initial);
  renderModel();
  window.ShujianBuilder = { graph, state, editor, create, select: id => select(state.dfOf[id]) };
})();
