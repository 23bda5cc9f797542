"""Import paths (导入路径): the CLI raw-path import refuses workspace files, folders and devices, and —
when SHUJIAN_IMPORT_ROOTS is set — anything outside those folders, however it is reached (``..``
components, symbolic links).  Errors name the path and the fix."""

from __future__ import annotations

import os

import pytest

from shujian.catalog.importer import check_import_path, check_upload_name
from shujian.cli.main import main
from shujian.config import load_settings
from shujian.errors import InputError


@pytest.fixture
def layout(tmp_path):
    root, outside, home = tmp_path / "导入", tmp_path / "别处", tmp_path / "home"
    for d in (root, outside, home / "demo-city"):
        d.mkdir(parents=True)
    (root / "ok.csv").write_text("a\n1\n", encoding="utf-8")
    (outside / "secret.csv").write_text("a\n1\n", encoding="utf-8")
    (home / "metadata.sqlite").write_text("x", encoding="utf-8")
    (home / "demo-city" / "d.csv").write_text("a\n1\n", encoding="utf-8")
    os.symlink(outside / "secret.csv", root / "link.csv")
    return tmp_path, load_settings(home=home, import_roots=str(root))


def _refused(path, settings) -> str:
    with pytest.raises(InputError) as exc:
        check_import_path(path, settings)
    return exc.value.message + " " + (exc.value.hint or "")


def test_inside_the_import_root_is_allowed(layout):
    base, settings = layout
    assert check_import_path(base / "导入" / "ok.csv", settings) == (base / "导入" / "ok.csv").resolve()
    assert check_import_path(base / "home" / "demo-city" / "d.csv", settings).name == "d.csv"   # the workspace's own


def test_dot_dot_escaping_the_root_is_refused(layout):
    base, settings = layout
    msg = _refused(base / "导入" / ".." / "别处" / "secret.csv", settings)
    assert "不在允许的导入目录之内" in msg and "secret.csv" in msg and "SHUJIAN_IMPORT_ROOTS" in msg


def test_symlink_pointing_outside_is_refused_by_its_real_location(layout):
    base, settings = layout
    msg = _refused(base / "导入" / "link.csv", settings)
    assert "link.csv" in msg and "实际位置" in msg and str((base / "别处" / "secret.csv").resolve()) in msg


def test_workspace_files_folders_devices_and_missing_files_are_refused(layout):
    base, settings = layout
    assert "工作区" in _refused(base / "home" / "metadata.sqlite", settings)
    assert "不是普通文件" in _refused(base / "导入", settings)
    assert "不存在" in _refused(base / "导入" / "无.csv", settings)
    open_settings = load_settings(home=base / "home")                 # no import roots
    assert "不是普通文件" in _refused("/dev/null", open_settings)
    # without import roots a local operator may import any regular file they can read
    assert check_import_path(base / "别处" / "secret.csv", open_settings).name == "secret.csv"


@pytest.mark.parametrize("name", ["../evil.csv", "..\\evil.csv", "a/../../b.csv", "..", "x\x00.csv", "a\n.csv", ""])
def test_upload_names_with_traversal_or_control_characters_are_refused(name):
    with pytest.raises(InputError) as exc:
        check_upload_name(name)
    assert "不合法" in exc.value.message and "重命名" in exc.value.hint


def test_upload_names_keep_their_base_name():
    assert check_upload_name("报表.xlsx") == "报表.xlsx"
    assert check_upload_name("C:\\Users\\张\\报表.xlsx") == "报表.xlsx"
    assert check_upload_name("/tmp/a.csv") == "a.csv"


def test_cli_import_outside_the_roots_names_the_path_and_the_fix(sqlite_ws, tmp_path, monkeypatch, capsys):
    root = tmp_path / "allowed"
    root.mkdir()
    outside = tmp_path / "outside.csv"
    outside.write_text("身份证号\n11010519491231002X\n", encoding="utf-8")
    monkeypatch.setenv("SHUJIAN_IMPORT_ROOTS", str(root))
    code = main(["data", "import", str(root / ".." / "outside.csv"), "--name", "越界", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "outside.csv" in err and "不在允许的导入目录之内" in err and "SHUJIAN_IMPORT_ROOTS" in err
    (root / "in.csv").write_text("身份证号\n11010519491231002X\n", encoding="utf-8")
    assert main(["data", "import", str(root / "in.csv"), "--name", "界内", "--no-progress"]) == 0
