"""``shujian entity``: link, list, show, review, decide (honoured by the next link), normalize."""

from __future__ import annotations

import json

from shujian.cli.main import main

DATASETS = ["公安户籍", "法院判决", "社保参保"]


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_link_subjects_show_and_decide(people_ws, capsys):
    code, out, err = cli(capsys, "entity", "link", *DATASETS, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["subjects"] == 7
    code, out, _ = cli(capsys, "entity", "subjects", "--name", "張偉", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 2 and {r["name"] for r in rows} == {"张伟"}     # two 张伟 kept apart
    code, out, _ = cli(capsys, "entity", "show", rows[0]["subject_id"], "--format", "json")
    assert code == 0 and {m["source_name"] for m in json.loads(out)["members"]} >= {"公安户籍", "法院判决"}
    with people_ws.warehouse() as wh:
        fps = dict(((n, r), fp) for n, r, fp in wh.execute(
            "SELECT source_name, source_row, fingerprint FROM er_members WHERE name_n = '张伟'").fetchall())
    fps = [fps[("公安户籍", 1)], fps[("法院判决", 1)]]      # the same 张伟 by the model
    code, out, err = cli(capsys, "entity", "decide", fps[0][:8], fps[1][:8], "--different", "--reason", "照片不符")
    assert code == 0, err and "不同人" in out
    code, out, _ = cli(capsys, "entity", "decisions", "--format", "json")
    assert [d["decision"] for d in json.loads(out)] == ["不同人"]
    code, out, _ = cli(capsys, "entity", "link", *DATASETS, "--format", "json")
    assert json.loads(out)["subjects"] == 7 + 1     # the decision split one 张伟 subject
    code, out, _ = cli(capsys, "entity", "review")
    assert code == 0


def test_errors_are_chinese_and_nonzero(people_ws, capsys):
    code, _, err = cli(capsys, "entity", "link", "不存在的数据集")
    assert code != 0 and "不存在" in err
    code, _, err = cli(capsys, "entity", "link", "法院判决", "--field", "法院判决:name")
    assert code != 0 and "格式不对" in err
    code, _, err = cli(capsys, "entity", "decide", "abc", "def", "--same")
    assert code != 0 and "太短" in err


def test_normalize_command(capsys):
    code, out, _ = cli(capsys, "entity", "normalize", "--kind", "company", "杭州某某科技有限公司西湖分公司",
                       "--format", "json")
    assert code == 0 and json.loads(out)[0]["规范化"] == "杭州某某科技"
