"""``shujian divisions lookup``: by code (history, date) and by name (context, ambiguity)."""

from __future__ import annotations

import json

from shujian.cli.main import main


def run(capsys, *args: str) -> tuple[int, dict | str]:
    code = main(["divisions", "lookup", *args])
    out = capsys.readouterr()
    try:
        return code, json.loads(out.out)
    except json.JSONDecodeError:
        return code, out.out + out.err


def test_code_with_history(capsys):
    code, out = run(capsys, "120110", "-f", "json")
    assert code == 0 and out["status"] == "found"
    assert [(m["name"], m["period"]) for m in out["matches"]] == [("东郊区", "1980–1991"), ("东丽区", "1992–")]


def test_code_on_a_date_and_town_code(capsys):
    code, out = run(capsys, "110228001001", "--on", "2016-01-01", "-f", "json")
    assert code == 1 and out["status"] == "not_found"
    code, out = run(capsys, "110228", "--on", "2015-06-30", "-f", "json")
    assert code == 0 and [m["name"] for m in out["matches"]] == ["密云县"]


def test_names(capsys):
    code, out = run(capsys, "朝阳区", "-f", "json")
    assert code == 0 and out["status"] == "ambiguous" and len(out["matches"]) == 2
    code, out = run(capsys, "朝阳区", "--in", "北京市", "-f", "json")
    assert out["status"] == "unique" and out["matches"][0]["code"] == "110105"
    code, text = run(capsys, "北京市东城区")
    assert code == 0 and "110101" in text and "唯一" in text


def test_bad_input(capsys):
    code, text = run(capsys, "1101")
    assert code == 2 and "6、9 或 12 位" in text
    code, text = run(capsys, "110101", "--on", "2015/6/30")
    assert code == 2 and "YYYY-MM-DD" in text
