// 文本规则 node of the builder: the rule's form (library rule or own terms) and the 试一试 box, which
// sends the node's rule and sample texts to /api/v1/text/test and shows each match's explanation.
(function () {
  "use strict";
  const S = window.Shujian, esc = S.esc;
  let library = [];
  S.api("GET", "/api/v1/text/rules").then(r => { library = r.items || []; }).catch(() => {});
  const terms = v => (Array.isArray(v) ? v : []).join("、");
  const split = t => String(t || "").split(/[|｜、,，\n]+/).map(x => x.trim()).filter(Boolean);
  function field(id, label, value, opts) {
    opts = opts || {};
    const input = opts.options
      ? "<select id='" + id + "'>" + opts.options.map(o => "<option value='" + esc(o[0]) + "'" + (o[0] === value ? " selected" : "") + ">" + esc(o[1]) + "</option>").join("") + "</select>"
      : opts.area ? "<textarea id='" + id + "' rows='" + (opts.rows || 2) + "'>" + esc(value) + "</textarea>"
      : "<input type='text' id='" + id + "' value='" + esc(value) + "'>";
    return "<div class='field'><label for='" + id + "'>" + esc(label) + "</label>" + input + (opts.help ? "<div class='muted' style='font-size:12px'>" + esc(opts.help) + "</div>" : "") + "</div>";
  }
  function summary(t) {
    const r = t.rule || {}, f = (t.fields || (t.field ? [t.field] : [])).join("、") || "？";
    if (!t.rule && t.name_key) return f + "：名称键 → " + t.name_key;
    if (r.use || r.source) return f + "：规则库 " + (r.use || r.source);
    const near = (r.near || [])[0];
    return f + "：" + (near ? terms(near.a).slice(0, 12) + " ≤" + near.within + "字 " + terms(near.b).slice(0, 12) : terms(r.any).slice(0, 24) || "（未配置）");
  }
  function form(t) {
    const r = t.rule || {}, lib = r.use || r.source, own = !lib, near = (r.near || [])[0] || {};
    let h = field("t-fields", "文本字段（逗号分隔，如 主题, 详情）", (t.fields || (t.field ? [t.field] : [])).join(", "));
    h += field("t-source", "规则", own ? "" : lib, { options: [["", "自己写"]].concat(library.map(x => [x.name, x.title + "（" + x.name + "）"])).concat(own || library.some(x => x.name === lib) ? [] : [[lib, lib]]) });
    if (own) {
      h += field("t-any", "包含词（任一即命中，用 | 或 、 分隔）", terms(r.any));
      h += field("t-near-a", "邻近：一侧的词", terms(near.a)) + field("t-near-b", "邻近：另一侧的词", terms(near.b));
      h += field("t-within", "邻近：相隔不超过（字）", near.within ?? 30);
      h += field("t-exclude", "排除词（出现即整条不命中）", terms(r.exclude));
      h += field("t-ignore", "惯用语（落在其中的词不计，如 少跑路、关门闭窗、水电费）", terms(r.ignore));
      h += field("t-whole", "整词匹配的词（按分词，如 电费）", Array.isArray(r.whole_word) ? terms(r.whole_word) : (r.whole_word ? "全部" : ""));
      h += field("t-unless", "语境排除（JSON，可空）", r.unless ? JSON.stringify(r.unless) : "", { area: true, help: '如 [{"terms":["关门"],"context":["电梯","门窗"],"before":6,"after":4}]' });
    }
    h += field("t-keep", "保留", t.keep || "matched", { options: [["matched", "只保留命中的行"], ["all", "保留全部行（未命中的解释为空）"]] });
    h += field("t-merchant", "抽取商户名称到列（可空）", t.merchant || "");
    h += "<h4>试一试</h4>" + field("t-sample", "每行一段文字", "我在力美健身办卡3000元，现在老板跑路了\n让数据多跑路，群众少跑路", { area: true, rows: 3 });
    h += "<p><button type='button' class='sec' id='t-try'>试匹配</button></p><div id='t-result' aria-live='polite'></div>";
    return h;
  }
  const val = id => { const e = document.getElementById(id); return e ? e.value : ""; };
  function read(t) {
    const out = { fields: split(val("t-fields").replace(/\s+/g, ",")) };
    const source = val("t-source");
    if (source) out.rule = { use: source };
    else if (!document.getElementById("t-any")) out.rule = {};
    else {
      const r = {}, any = split(val("t-any")), a = split(val("t-near-a")), b = split(val("t-near-b"));
      if (any.length) r.any = any;
      if (a.length && b.length) r.near = [{ a, b, within: +val("t-within") || 30 }];
      ["exclude", "ignore"].forEach(k => { const v = split(val("t-" + k)); if (v.length) r[k] = v; });
      const whole = val("t-whole").trim(); if (whole) r.whole_word = whole === "全部" ? true : split(whole);
      const u = val("t-unless").trim(); if (u) r.unless = JSON.parse(u);
      if (Object.keys(r).length || !(t.name_key || t.merchant)) out.rule = r;   // none: a name-key/merchant-only step
    }
    if (val("t-keep") === "all") out.keep = "all";
    const m = val("t-merchant").trim(); if (m) { out.merchant = m; out.merchant_key = t.merchant_key || m + "_key"; }
    const keep = {}; ["explain", "words", "name_key"].forEach(k => { if (t[k]) keep[k] = t[k]; });
    return Object.assign(keep, out);
  }
  function wire(n, current) {
    const src = document.getElementById("t-source");
    src && src.addEventListener("change", () => {
      const t = current(); t.rule = src.value ? { use: src.value } : { any: [] };
      n.step.text = t; document.getElementById("p-apply").click();
    });
    const btn = document.getElementById("t-try");
    btn && btn.addEventListener("click", async () => {
      const box = document.getElementById("t-result"), t = current();
      box.innerHTML = "<p class='muted'>正在匹配…</p>";
      try {
        const res = await S.api("POST", "/api/v1/text/test", { rule: t.rule || {}, texts: val("t-sample").split(/\n+/).filter(x => x.trim()).slice(0, 50) });
        box.innerHTML = "<ul id='t-results'>" + res.results.map(x => "<li class='" + (x.matched ? "ok" : "muted") + "'>" + (x.matched ? "✔ " : "✘ ") + esc(x.explanation) + "</li>").join("") + "</ul>";
      } catch (e) { box.innerHTML = "<p class='err'>" + esc(e.message) + "</p>"; }
    });
  }
  S.textRule = { summary, form, read, wire };
})();
