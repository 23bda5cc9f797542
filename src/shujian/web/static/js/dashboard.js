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
  // click-through lists exactly the clues the chart counted: same metric, period, 业务条线 and 院
  function clueList(q, metric) {
    const parts = [q, "metric=" + (metric || "generated"), d.period && d.period !== "全部" ? "period=" + encodeURIComponent(d.period) : "",
                   d.line ? "line=" + encodeURIComponent(d.line) : "", d.org ? "org=" + encodeURIComponent(d.org) : ""];
    return "/clues?" + parts.filter(Boolean).join("&");
  }
  const metricOf = Object.fromEntries(d.funnel.map(f => [f.name, f.key]));
  const funnel = chart("chart-funnel", {
    series: [{ type: "funnel", left: "8%", width: "80%", sort: "none", minSize: "8%",
               label: { formatter: p => p.name + "：" + Shujian.fmtCount(p.value) },
               data: d.funnel.map(f => ({ name: f.name, value: f.value })) }] });
  funnel && funnel.on("click", p => { location.href = clueList("", metricOf[p.name]); });
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
  byModel && byModel.on("click", p => { const r = d.by_model[p.dataIndex]; if (r) location.href = clueList("model_id=" + encodeURIComponent(r.key), "generated"); });
  const byOrg = chart("chart-org", {
    tooltip: { trigger: "axis" }, grid: { left: 170, right: 20, top: 10, bottom: 20 },
    yAxis: { type: "category", data: d.by_org.map(r => r.name), axisLabel: { width: 160, overflow: "truncate" } },
    xAxis: { type: "value" },
    series: [{ name: "线索", type: "bar", data: d.by_org.map(r => r.generated) }] });
  byOrg && byOrg.on("click", p => { const r = d.by_org[p.dataIndex]; if (r && r.name !== "未分配") location.href = clueList("", "generated").replace(/&org=[^&]*/, "") + "&org=" + encodeURIComponent(r.key); });
  window.addEventListener("resize", () => Object.values(charts).forEach(c => c.resize()));
  window.ShujianCharts = charts;
})();
