"""Usage errors of the command line are Chinese: they name the option or argument and the fix."""

from __future__ import annotations

import re

import pytest

from shujian.cli.main import main
from shujian.cli.usage import translate_value

ENGLISH = re.compile(r"Usage:|Try '|No such|Missing|Invalid value|Got unexpected|Input should|Error")


@pytest.mark.parametrize(("argv", "expected"), [
    (["clue", "list", "--bogus"], "没有选项 --bogus"),
    (["model", "show"], "缺少参数 model"),
    (["clue", "show", "abc"], "clue_id 的取值有误：应为整数"),
    (["clue", "list", "--format", "xml"], "--format 的取值有误：“xml”不是可选值，可选：table、json"),
    (["modle"], "没有命令 modle；是不是要用 model？"),
    (["clue", "list", "extra"], "多余的参数：extra"),
    (["clue", "list", "--state"], "选项 --state 需要一个值"),
])
def test_usage_errors_are_chinese(argv, expected, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err, err
    assert "错误：" in err and not ENGLISH.search(err), err


def test_usage_line_and_help_hint_are_chinese(capsys):
    main(["model", "show"])
    err = capsys.readouterr().err
    assert "用法：shujian model show [选项]" in err and "shujian model show --help" in err


def test_help_panels_are_chinese(capsys):
    assert main(["model", "--help"]) == 0
    out = capsys.readouterr().out
    assert "选项" in out and "命令" in out and "Options" not in out and "Commands" not in out


def test_version_prints_and_exits_zero(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("shujian ")


def test_unknown_value_text_is_kept():
    assert translate_value("自定义的中文说明") == "自定义的中文说明"
    assert translate_value("'12x' is not a valid integer.") == "“12x”不是整数"


HELP_ENGLISH = re.compile(r"Usage:|Options|Commands|Arguments|Show this message|\[OPTIONS\]|COMMAND \[ARGS\]"
                          r"|<(?:bool|str|int|float|path)>")


@pytest.mark.parametrize("argv", [["--help"], ["clue", "--help"], ["clue", "list", "--help"],
                                  ["model", "show", "--help"], ["model-gov", "adopt", "--help"], ["stats", "--help"]])
def test_help_pages_are_chinese(argv, capsys):
    """Root and subcommand help: 用法/选项/命令/参数, the --help option and the value types in Chinese."""
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "用法：shujian" in out and "显示本帮助并退出。" in out, out
    assert not HELP_ENGLISH.search(out), HELP_ENGLISH.search(out).group(0)
