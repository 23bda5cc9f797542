// 一本账 charts (Apache ECharts, vendored). Click-through to the clue list.
(function () {
  "use strict";
  const d = JSON.parse(document.getElementById("dash-data").textContent);
  const font = { fontFamily: getComputedStyle(document.body).fontFamily };
  const charts = {};
  function chart(id, option) {
    const el = document.getElementById(id);
    if (!el) return;
    const c = echarts.init(el, null, { renderer: "canvas" });
    c.setOption(Object.assign({ textStyle: font, tooltip: { trigger: "item" } }, option));
    charts[id] = c;
    el.dataset.rendered = "1";
    return c;
  }
  // click-through keeps the org filter: the clue list then shows what the chart counted
  function clueList(q) {
    const parts = [q, d.org ? "org=" + encodeURIComponent(d.org) : ""].filter(Boolean);
    return "/clues" + (parts.length ? "?" + parts.join("&") : "");
  }
  const states = { "线索": "", "研判": "研判,交办,核查,成案,监督措施,跟踪,办结", "成案": "成案,监督措施,跟踪,办结",
                   "监督措施": "监督措施,跟踪,办结", "采纳": "跟踪,办结" };
  const funnel = chart("chart-funnel", {
    series: [{ type: "funnel", left: "8%", width: "80%", sort: "descending", minSize: "8%",
               label: { formatter: p => p.name + "：" + Shujian.fmtCount(p.value) },
               data: d.funnel.map(f => ({ name: f.name, value: f.value })) }] });
  funnel && funnel.on("click", p => { location.href = clueList(states[p.name] ? "state=" + encodeURIComponent(states[p.name]) : ""); });
  chart("chart-trend", {
    tooltip: { trigger: "axis" }, legend: { top: 0 },
    grid: { left: 50, right: 60, top: 30, bottom: 30 },
    xAxis: { type: "category", data: d.trend.months.map(m => m.replace("-", "年") + "月") },
    yAxis: [{ type: "value", name: "件" }, { type: "value", name: "元" }],
    series: [{ name: "生成线索", type: "bar", data: d.trend.generated }, { name: "成案", type: "bar", data: d.trend.cases },
             { name: "监督措施", type: "line", data: d.trend.measures },
             { name: "追回金额", type: "line", yAxisIndex: 1, data: d.trend.money_recovered }] });
  const byModel = chart("chart-model", {
    tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 150, right: 20, top: 30, bottom: 20 },
    yAxis: { type: "category", data: d.by_model.map(r => r.name), axisLabel: { width: 140, overflow: "truncate" } },
    xAxis: { type: "value" },
    series: [{ name: "线索", type: "bar", data: d.by_model.map(r => r.generated) },
             { name: "成案", type: "bar", data: d.by_model.map(r => r.cases) }] });
  byModel && byModel.on("click", p => { const r = d.by_model[p.dataIndex]; if (r) location.href = clueList("model_id=" + encodeURIComponent(r.key)); });
  const byOrg = chart("chart-org", {
    tooltip: { trigger: "axis" }, grid: { left: 170, right: 20, top: 10, bottom: 20 },
    yAxis: { type: "category", data: d.by_org.map(r => r.name), axisLabel: { width: 160, overflow: "truncate" } },
    xAxis: { type: "value" },
    series: [{ name: "线索", type: "bar", data: d.by_org.map(r => r.generated) }] });
  byOrg && byOrg.on("click", p => { const r = d.by_org[p.dataIndex]; if (r && r.name !== "未分配") location.href = "/clues?org=" + encodeURIComponent(r.key); });
  window.addEventListener("resize", () => Object.values(charts).forEach(c => c.resize()));
  window.ShujianCharts = charts;
})();
