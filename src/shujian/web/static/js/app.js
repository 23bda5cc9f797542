// 数检 shared helpers: JSON calls with the CSRF header, job polling, Chinese number formats.
(function () {
  "use strict";
  async function api(method, url, body) {
    const opts = { method, headers: { "Accept": "application/json", "X-CSRF-Token": window.SHUJIAN_CSRF || "" } };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    const resp = await fetch(url, opts);
    let data = null;
    try { data = await resp.json(); } catch (e) { data = null; }
    if (!resp.ok) {
      const err = (data && data.error) || { message: "请求失败（" + resp.status + "）" };
      const e = new Error(err.message); e.info = err; e.status = resp.status; throw e;
    }
    return data;
  }
  function fmtCount(n) { return (n == null) ? "" : Number(n).toLocaleString("zh-CN"); }
  function fmtAmount(n) {
    if (n == null) return "";
    n = Number(n);
    return Math.abs(n) >= 1e6 ? (n / 1e4).toLocaleString("zh-CN", { maximumFractionDigits: 2 }) + " 万元"
                              : n.toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + " 元";
  }
  function pollJob(jobId, onUpdate, every) {
    let stopped = false;
    async function tick() {
      if (stopped) return;
      try {
        const job = await api("GET", "/api/v1/jobs/" + jobId);
        onUpdate(job);
        if (["succeeded", "failed", "cancelled"].indexOf(job.status) >= 0) return;
      } catch (e) { onUpdate({ status: "failed", stage: "失败", percent: 0, error: e.info || { message: e.message } }); return; }
      setTimeout(tick, every || 500);
    }
    tick();
    return function () { stopped = true; };
  }
  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]); }
  window.Shujian = { api, pollJob, fmtCount, fmtAmount, esc };
  // the page's CSRF token comes from a meta tag: the Content-Security-Policy allows no inline script
  const meta = document.querySelector('meta[name="csrf-token"]');
  window.SHUJIAN_CSRF = meta ? meta.content : "";
  // behaviours that were inline handlers: <select data-autosubmit>, <input data-check-all="name">
  document.addEventListener("change", function (ev) {
    const el = ev.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) el.form.submit();
    if (el.matches && el.matches("input[data-check-all]")) {
      document.querySelectorAll('input[name="' + el.dataset.checkAll + '"]').forEach(c => { c.checked = el.checked; });
    }
  });
})();
