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

ALLOWED = {"Word", "Excel", "SQL", "DuckDB", "Spark", "PostgreSQL", "Parquet", "CSV", "JSON", "Delete", "Ctrl",
           "OpenAPI", "Swagger", "ReDoc", "API", "Tab", "YYYY-MM-DD",
           "min", "PROPOSED"}          # written by a built-in model's author: a formula (min(…)) and a rule's status
WORD = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z][A-Za-z0-9_\-]*[A-Za-z0-9_]")
RESIDUE = re.compile(r"<built-in|\bNone\b|0x[0-9a-f]{6,}|\d{2}:\d{2}:\d{2}\.\d+|\+00:00|“None”|用 shujian")


def residue(text: str) -> list[str]:
    """The English words and Python/ISO leftovers a page shows (after the allowed ones are removed)."""
    words = [m.group(0) for m in WORD.finditer(text) if text[max(0, m.start() - 1):m.start()] != "."]  # .xlsx
    words = [w for w in words if w not in ALLOWED and not re.search(r"\d", w)
             and not re.fullmatch(r"[A-Z]{2,6}", w) and len(w) >= 3]
    return sorted(set(words)) + [m.group(0) for m in RESIDUE.finditer(text)]


def test_no_page_shows_english_or_python_residue(demo_pages_1366):
    """Each page as opened by the shared 1366×768 pass (:func:`tests.e2e.conftest.demo_pages_1366`, which
    waits for the builder's canvas and hides what is shown as code on purpose before reading the text)."""
    urls = demo_pages_1366["residue"]
    assert len(urls) > 100, urls
    found = {}
    for url in urls:
        seen = demo_pages_1366["seen"][url]
        assert not seen["errors"], seen["errors"]
        words = residue(seen["text"])
        if words:
            found[url] = words[:12]
    assert not found, "\n".join(f"{u}: {w}" for u, w in found.items())


def test_the_residue_check_finds_what_it_should():
    assert residue("模型 accessory-penalty 状态 succeeded") == ["accessory-penalty", "succeeded"]
    assert residue("收到“None”") == ["“None”", "None"] or "None" in residue("收到“None”")
    assert residue("重复 <built-in method values of dict object at 0x7fe3b81c0280> 个值")
    assert residue("2026-03-02T09:05:51.547448+00:00")
    assert residue("案号 A3310P0000000001，仙居县KTV，下载检察建议书（Word），导出 Excel，Ctrl+Z 撤销") == []
