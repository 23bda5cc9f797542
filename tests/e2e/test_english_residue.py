"""No programmer's residue on any page of the demo city: what a user reads is Chinese.

Every page reachable from the navigation, every model, dataset, run and clue page, the builder on each
built-in model and each binding page is opened as the 数字办 sees it; the visible text (``innerText``) must
hold no lower-case English word — model ids, fact keys, role names, user names, statuses, type names —
and no Python or ISO residue (``<built-in …>``, ``None``, ``0x…``, ``…51.547448+00:00``, CLI hints).

Allowed: codes and data values (anything with a digit, short upper-case abbreviations such as KTV), the
names of formats and engines (Word, Excel, SQL, DuckDB …), keyboard keys, and what is shown as code on
purpose: ``<pre>``/``<code>`` (model file, generated SQL, parameter names for the command line), the
account box (the login name) and, on the canvas, a node's summary line, which quotes the model's own
column names and expressions (the built-in models name their columns in English); the node names are
checked.
"""

from __future__ import annotations

import re

import pytest

from .conftest import PASSWORD, login

ALLOWED = {"Word", "Excel", "SQL", "DuckDB", "Spark", "PostgreSQL", "Parquet", "CSV", "JSON", "Delete", "Ctrl",
           "OpenAPI", "Swagger", "ReDoc", "API", "Tab", "YYYY-MM-DD",
           "min", "PROPOSED"}          # written by a built-in model's author: a formula (min(…)) and a rule's status
WORD = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z][A-Za-z0-9_\-]*[A-Za-z0-9_]")
RESIDUE = re.compile(r"<built-in|\bNone\b|0x[0-9a-f]{6,}|\d{2}:\d{2}:\d{2}\.\d+|\+00:00|“None”|用 shujian")
HIDE_JS = """() => {
  document.querySelectorAll('pre, code, script, style, #who, #demo-user, form.who, .node-sub').forEach(e => e.style.display = 'none');
  return document.body.innerText;
}"""


def residue(text: str) -> list[str]:
    """The English words and Python/ISO leftovers a page shows (after the allowed ones are removed)."""
    words = [m.group(0) for m in WORD.finditer(text) if text[max(0, m.start() - 1):m.start()] != "."]  # .xlsx
    words = [w for w in words if w not in ALLOWED and not re.search(r"\d", w)
             and not re.fullmatch(r"[A-Z]{2,6}", w) and len(w) >= 3]
    return sorted(set(words)) + [m.group(0) for m in RESIDUE.finditer(text)]


@pytest.fixture(scope="module")
def pages(browser, demo_server):
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", base_url=demo_server)
    pg = ctx.new_page()
    pg.set_default_timeout(20_000)
    login(pg, "demo", PASSWORD)
    yield pg
    ctx.close()


def _urls(pg) -> list[str]:
    urls = set(pg.eval_on_selector_all("header nav a", "els => els.map(e => e.getAttribute('href'))"))
    urls |= {f"/clues/{c['clue_id']}" for c in pg.request.get("/api/v1/clues?page_size=200").json()["items"]}
    for listing, prefix in (("/models", "/models/"), ("/data", "/data/"), ("/runs", "/runs/")):
        pg.goto(listing)
        hrefs = pg.eval_on_selector_all(f"main a[href^='{prefix}']", "els => els.map(e => e.getAttribute('href'))")
        urls |= {h.split("?")[0] for h in hrefs if h.split("?")[0].rstrip("/") != prefix.rstrip("/")}
    models = [u.split("/")[2] for u in urls if re.fullmatch(r"/models/[^/]+", u)]
    urls |= {f"/models/{m}/binding" for m in models} | {f"/builder?model={m}" for m in models}
    urls |= {f"/runs?model={m}" for m in models[:3]} | {f"/clues?model_id={m}" for m in models[:3]}
    return sorted(u for u in urls if not u.startswith(("/audit", "/admin")))   # logs and accounts show login names


def test_no_page_shows_english_or_python_residue(pages):
    urls = _urls(pages)
    assert len(urls) > 100, urls
    found, errors = {}, []
    pages.on("pageerror", lambda e: errors.append(f"{pages.url}: {e}"))
    for url in urls:
        pages.goto(url)
        if "/builder?model=" in url:
            pages.wait_for_selector(".drawflow-node[data-kind='output'], .msg.bad", state="attached")
        assert not errors, errors
        words = residue(pages.evaluate(HIDE_JS))
        if words:
            found[url] = words[:12]
    assert not found, "\n".join(f"{u}: {w}" for u, w in found.items())


def test_the_residue_check_finds_what_it_should():
    assert residue("模型 accessory-penalty 状态 succeeded") == ["accessory-penalty", "succeeded"]
    assert residue("收到“None”") == ["“None”", "None"] or "None" in residue("收到“None”")
    assert residue("重复 <built-in method values of dict object at 0x7fe3b81c0280> 个值")
    assert residue("2026-03-02T09:05:51.547448+00:00")
    assert residue("案号 A3310P0000000001，仙居县KTV，下载检察建议书（Word），导出 Excel，Ctrl+Z 撤销") == []
