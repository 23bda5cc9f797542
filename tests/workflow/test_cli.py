"""The clue, stats and org commands end to end through ``shujian.cli.main.main``."""

from __future__ import annotations

import json
from datetime import date

from openpyxl import load_workbook
from tests.workflow.conftest import make_clues, seed_people

from shujian.cli.main import main
from shujian.workflow.service import WorkflowService


def test_cli_transition_bulk_due_stats_export(sqlite_ws, pension_model, capsys, tmp_path, monkeypatch):
    """The CLI is thin (services own the SQL and are tested on both backends), so SQLite only here."""
    people = sqlite_ws
    seed_people(people)
    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    ids = make_clues(people, pension_model, 3)
    assert main(["clue", "transition", *map(str, ids), "--action", "研判", "--as", "shi_shuzi"]) == 0
    capsys.readouterr()
    code = main(["clue", "transition", str(ids[0]), "--action", "排除", "--as", "shi_shuzi"])
    assert code == 2 and "误报类型" in capsys.readouterr().err
    assert main(["clue", "transition", str(ids[0]), "--action", "排除", "--exclusion-type", "重复",
                 "--as", "shi_shuzi"]) == 0
    assert main(["clue", "assign", str(ids[1]), str(ids[2]), "--to-org", "331002", "--deadline", "2099-01-31",
                 "--to-user", "jj_jcg", "--as", "shi_zhixing"]) == 0
    capsys.readouterr()
    assert main(["clue", "list", "--org", "331002", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [c["clue_id"] for c in listed] == ids[1:] and listed[0]["state"] == "交办"
    assert main(["clue", "export", "--xlsx", str(tmp_path / "c.xlsx"), "--state", "交办"]) == 0
    assert load_workbook(tmp_path / "c.xlsx").active.max_row == 3
    capsys.readouterr()
    assert main(["stats", "--by", "model", "--period", "2026-01..2099-12", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    row = out["rows"][0]
    assert (row["generated"], row["judged"], row["assigned"], row["excluded"], row["excluded_重复"]) == (3, 3, 2, 1, 1)
    assert WorkflowService(people).state(ids[1])["deadline"] == date(2099, 1, 31).isoformat()
    assert main(["clue", "transition", str(ids[1]), "--action", "核查"]) == 2       # no --as, no SHUJIAN_USER
    assert "未指定操作人" in capsys.readouterr().err


def test_cli_comment_stores_attached_files(sqlite_ws, pension_model, capsys, tmp_path, monkeypatch):
    """`clue comment --attach PATH` stores the file like a web upload; a missing file changes nothing."""
    from shujian.clues.attachments import AttachmentService

    people = sqlite_ws
    seed_people(people)
    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    ids = make_clues(people, pension_model, 1)
    doc = tmp_path / "核查笔录.pdf"
    doc.write_bytes(b"%PDF-1.4 test")
    assert main(["clue", "comment", str(ids[0]), "--text", "附核查笔录", "--attach", str(doc),
                 "--as", "shi_shuzi"]) == 0
    assert "核查笔录.pdf" in capsys.readouterr().out
    stored = AttachmentService(people).list(ids[0])
    assert [a["filename"] for a in stored] == ["核查笔录.pdf"] and stored[0]["size"] == len(b"%PDF-1.4 test")
    path, _ = AttachmentService(people).open(ids[0], stored[0]["attachment_id"])
    assert path.read_bytes() == b"%PDF-1.4 test"
    code = main(["clue", "comment", str(ids[0]), "--text", "x", "--attach", str(tmp_path / "无.pdf"),
                 "--as", "shi_shuzi"])
    assert code == 2 and "不存在" in capsys.readouterr().err
    assert len(AttachmentService(people).list(ids[0])) == 1


def test_clue_list_table_shows_a_page_and_says_more_exist(sqlite_ws, pension_model, capsys, monkeypatch):
    """A table lists 50 clues by default and says how to see more; --limit and JSON keep every asked row."""
    from shujian.cli.clue import TABLE_PAGE

    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    make_clues(sqlite_ws, pension_model, TABLE_PAGE + 2)
    capsys.readouterr()
    assert main(["clue", "list"]) == 0
    out = capsys.readouterr().out
    assert f"线索（前 {TABLE_PAGE} 条）" in out and "还有更多线索未列出" in out and "--limit" in out
    assert main(["clue", "list", "--limit", str(TABLE_PAGE + 2)]) == 0
    out = capsys.readouterr().out
    assert f"线索（{TABLE_PAGE + 2} 条）" in out and "还有更多" not in out
    assert main(["clue", "list", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == TABLE_PAGE + 2


def test_clue_list_refuses_an_unknown_state(sqlite_ws, pension_model, capsys, monkeypatch):
    """An unknown --state listed nothing, silently (a typo read as "no clues"); now it is refused, naming it."""
    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    make_clues(sqlite_ws, pension_model, 2)
    capsys.readouterr()
    assert main(["clue", "list", "--state", "生成,已结"]) == 2
    err = capsys.readouterr().err
    assert "已结 不是线索状态" in err and "办结" in err
    assert main(["clue", "list", "--state", "生成", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
