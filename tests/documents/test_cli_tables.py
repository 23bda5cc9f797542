"""The ``docs parse`` command (files, folders, .docx, JSON Lines) and the flat catalog tables."""

from __future__ import annotations

import json
from pathlib import Path

import docx
from typer.testing import CliRunner

from shujian.cli.docs import app
from shujian.documents import parse_judgment
from shujian.documents.tables import (
    CHARGE_COLUMNS,
    DEFENDANT_COLUMNS,
    PRIOR_COLUMNS,
    TABLE_SEMANTICS,
    judgment_rows,
)

from .test_golden import FIXTURES

runner = CliRunner()
SAMPLE = (FIXTURES / "control_and_deprivation.txt").read_text(encoding="utf-8")


def _lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip().startswith("{")]


def test_parse_single_txt(tmp_path: Path):
    path = tmp_path / "one.txt"
    path.write_text(SAMPLE, encoding="utf-8")
    result = runner.invoke(app, ["parse", str(path)])
    assert result.exit_code == 0
    [record] = _lines(result.stdout)
    assert record["id"] == "one"
    assert record["case_number"] == "（2014）某刑初字第０２１号"
    assert "（2014）" in result.stdout  # ensure_ascii=False


def test_parse_folder_with_docx_html_and_a_corrupt_file(tmp_path: Path):
    document = docx.Document()
    for paragraph in SAMPLE.split(" "):
        document.add_paragraph(paragraph)
    document.save(tmp_path / "a.docx")
    (tmp_path / "b.html").write_text((FIXTURES / "appeal_changed.html").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "c.docx").write_bytes(b"not a zip file")
    (tmp_path / "d.txt").write_bytes(SAMPLE.encode("gb18030"))
    result = runner.invoke(app, ["parse", str(tmp_path)])
    assert result.exit_code == 0
    records = {r["id"]: r for r in _lines(result.stdout)}
    assert set(records) == {"a", "b", "c", "d"}
    assert [d["term_months"] for d in records["a"]["defendants"]] == [18, 36]
    assert records["b"]["defendants"][0]["term_months"] == 11
    assert "c.docx" in records["c"]["error"]
    assert records["d"]["court"] == "某某县人民法院"


def test_parse_jsonl_with_a_bad_line_and_json_format(tmp_path: Path):
    path = tmp_path / "docs.jsonl"
    path.write_text(json.dumps({"text_id": "t1", "fd": SAMPLE}, ensure_ascii=False) + "\n{oops\n"
                    + json.dumps({"text_id": "t2", "other": 1}) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["parse", str(path), "--format", "json"])
    assert result.exit_code == 0
    records = json.loads(result.stdout)
    assert [r["id"] for r in records] == ["t1", "docs:2", "docs:3"]
    assert "JSON" in records[1]["error"] and "fd" in records[2]["error"]


def test_custom_fields_and_nothing_readable(tmp_path: Path):
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"k": "a", "body": SAMPLE}, ensure_ascii=False) + "\n", encoding="utf-8")
    ok = runner.invoke(app, ["parse", str(path), "--text-field", "body", "--id-field", "k"])
    assert ok.exit_code == 0 and _lines(ok.stdout)[0]["id"] == "a"
    bad = runner.invoke(app, ["parse", str(path)])
    assert bad.exit_code != 0
    missing = runner.invoke(app, ["parse", str(tmp_path / "nope.txt")])
    assert missing.exit_code != 0


def test_tables_have_the_contract_columns():
    records = [parse_judgment((FIXTURES / n).read_text(encoding="utf-8"), n)
               for n in ("control_and_deprivation.txt", "death_penalty_two_counts.txt", "not_civil.txt")]
    tables = judgment_rows(records)
    people, charges, priors = tables["刑事判决被告人"], tables["刑事判决罪名"], tables["刑事判决前科"]
    assert [tuple(r) for r in people] == [DEFENDANT_COLUMNS] * 3  # the civil judgment gives no rows
    assert all(tuple(r) == CHARGE_COLUMNS for r in charges)
    assert all(tuple(r) == PRIOR_COLUMNS for r in priors)
    qin = people[1]
    assert (qin["姓名"], qin["罪名"], qin["刑期月数"], qin["剥夺政治权利月数"], qin["主犯"]) == \
        ("秦酉", "寻衅滋事罪、故意伤害罪", 36, 12, True)
    zhao = people[2]
    assert (zhao["刑种"], zhao["剥夺政治权利终身"], zhao["剥夺政治权利月数"], zhao["没收财产"], zhao["累犯"]) == \
        ("死刑", True, None, True, True)
    assert [(r["姓名"], r["罪名"], r["刑期月数"]) for r in charges if r["姓名"] == "秦酉"] == \
        [("秦酉", "寻衅滋事罪", 24), ("秦酉", "故意伤害罪", 18)]
    assert [(r["姓名"], r["前科罪名"], r["前科刑期月数"], r["释放日期"]) for r in priors] == \
        [("赵甲", "抢劫罪", 60, "2015-09-20")]
    assert people[0]["身份证号"] is None


def test_tables_accept_dicts_and_semantics_cover_known_columns():
    rows = judgment_rows([parse_judgment(SAMPLE, "s").to_dict()])
    assert len(rows["刑事判决被告人"]) == 2
    allowed = {"id_number", "person_name", "case_number", "date", "amount", "text"}
    columns = {"刑事判决被告人": DEFENDANT_COLUMNS, "刑事判决罪名": CHARGE_COLUMNS, "刑事判决前科": PRIOR_COLUMNS}
    for table, mapping in TABLE_SEMANTICS.items():
        assert set(mapping.values()) <= allowed
        assert set(mapping) <= set(columns[table])
        assert mapping["身份证号"] == "id_number" and mapping["案号"] == "case_number"
