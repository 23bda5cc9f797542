"""Command-line usage errors in Chinese: ``shujian clue list --pagee`` → ``错误：没有选项 --pagee …``.

Typer's bundled Click writes its usage errors in English f-strings (no message catalogue to translate),
so :func:`show` formats each kind of usage error itself, from the exception's own fields: the usage
line, the command to ask for help, and one Chinese sentence naming the option or argument and the fix.
Value errors raised by parameter types ("'abc' is not a valid integer.") are translated by pattern.
"""

from __future__ import annotations

import re
from typing import Any

#: English value messages of the parameter types → Chinese (applied in order, first match wins)
_VALUE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Input should be a valid integer.*$"), "应为整数"),
    (re.compile(r"^Input should be a valid (?:number|decimal).*$"), "应为数字"),
    (re.compile(r"^Input should be a valid boolean.*$"), "应为是/否值（true/false）"),
    (re.compile(r"^Input should be a valid date.*$"), "应为日期（YYYY-MM-DD）"),
    (re.compile(r"^Input should be a valid datetime.*$"), "应为日期时间（YYYY-MM-DD HH:MM）"),
    (re.compile(r"^Input should be greater than or equal to (.+)$"), "应不小于 {0}"),
    (re.compile(r"^Input should be greater than (.+)$"), "应大于 {0}"),
    (re.compile(r"^Input should be less than or equal to (.+)$"), "应不大于 {0}"),
    (re.compile(r"^Input should be less than (.+)$"), "应小于 {0}"),
    (re.compile(r"^Input should be (.+)$"), "应为以下之一：{0}"),
    (re.compile(r"^'?(.*?)'? is not a valid integer(?: range)?\.?$"), "“{0}”不是整数"),
    (re.compile(r"^'?(.*?)'? is not a valid float(?: range)?\.?$"), "“{0}”不是数字"),
    (re.compile(r"^'?(.*?)'? is not a valid boolean.*$"), "“{0}”不是是/否值（可用 true/false、yes/no、1/0）"),
    (re.compile(r"^'?(.*?)'? is not a valid UUID\.?$"), "“{0}”不是 UUID"),
    (re.compile(r"^'?(.*?)'? is not one of (.*?)\.?$"), "“{0}”不是可选值，可选：{1}"),
    (re.compile(r"^'?(.*?)'? is not (.*?)\.?$"), "“{0}”不是可选值，可选：{1}"),
    (re.compile(r"^'?(.*?)'? does not match the formats? (.*?)\.?$"), "“{0}”格式不对，应为 {1}"),
    (re.compile(r"^(.*?) is not in the range (.*?)\.?$"), "{0} 超出范围 {1}"),
    (re.compile(r"^(?:File|Directory|Path) '?(.*?)'? does not exist\.?$"), "文件或目录“{0}”不存在"),
    (re.compile(r"^(?:File|Directory|Path) '?(.*?)'? is a directory\.?$"), "“{0}”是目录，应为文件"),
    (re.compile(r"^(?:File|Directory|Path) '?(.*?)'? is a file\.?$"), "“{0}”是文件，应为目录"),
    (re.compile(r"^(?:File|Directory|Path) '?(.*?)'? is not (?:readable|writable)\.?$"), "没有读写“{0}”的权限"),
)
_NO_COMMAND = re.compile(r"^No such command '(.+?)'\.(?: Did you mean '(.+?)'\?)?")
_EXTRA = re.compile(r"^Got unexpected extra arguments? ?(?:\(s\))? \((.*)\)$")
_NEEDS_VALUE = re.compile(r"^Option '(.+?)' requires (?:an argument|(\d+) arguments)\.?$")
_NO_VALUE = re.compile(r"^Option '(.+?)' does not take a value\.?$")


def translate_value(message: str) -> str:
    """A parameter type's English value error in Chinese (unknown text is returned unchanged)."""
    text = " ".join(message.split()).removeprefix("Value error, ").replace(" or ", ", ")
    for pattern, template in _VALUE_PATTERNS:
        m = pattern.match(text)
        if m:
            return template.format(*(g.replace("'", "").replace(", ", "、") for g in m.groups()))
    return message


def _param_hint(exc: Any) -> str:
    hint = getattr(exc, "param_hint", None)
    if hint:
        return " / ".join(hint) if isinstance(hint, list | tuple) else str(hint)
    param, ctx = getattr(exc, "param", None), getattr(exc, "ctx", None)
    if param is None:
        return ""
    for call in (lambda: param.get_error_hint(ctx), param.get_error_hint):
        try:
            return str(call()).replace("'", "")
        except TypeError:                                  # Click's signature differs between versions
            continue
    return str(getattr(param, "name", "") or "")


def explain(exc: Any) -> str:
    """One Chinese sentence for a Click usage error: what is wrong, with which option, and the fix."""
    kind = type(exc).__name__
    message = exc.format_message() if kind == "BadParameter" else str(getattr(exc, "message", "") or exc)
    if kind == "NoSuchOption":
        names = sorted(getattr(exc, "possibilities", None) or [])
        tail = f"；可用的选项：{'、'.join(names)}" if names else "；用 --help 查看可用的选项"
        return f"没有选项 {exc.option_name}{tail}"
    if kind == "MissingParameter":
        what = {"argument": "参数", "option": "选项"}.get(getattr(exc, "param_type", ""), "参数")
        return f"缺少{what} {_param_hint(exc)}".rstrip() + "，请补上后重试"
    if kind == "BadParameter":
        hint = _param_hint(exc)
        value = translate_value(str(getattr(exc, "message", "")))
        return f"{hint} 的取值有误：{value}" if hint else f"取值有误：{value}"
    if kind == "BadOptionUsage":
        m = _NEEDS_VALUE.match(message)
        if m:
            return f"选项 {m.group(1)} 需要{m.group(2) or '一'}个值"
        m = _NO_VALUE.match(message)
        if m:
            return f"选项 {m.group(1)} 不带值"
    m = _NO_COMMAND.match(message)
    if m:
        near = f"；是不是要用 {m.group(2)}？" if m.group(2) else "；用 --help 查看全部命令"
        return f"没有命令 {m.group(1)}{near}"
    m = _EXTRA.match(message)
    if m:
        return f"多余的参数：{m.group(1)}（该命令不接受这些参数；含空格的值请加引号）"
    if message.startswith("Missing command"):
        return "缺少子命令，请在后面写出要执行的命令"
    return translate_value(message)


def _usage_args(args: str) -> str:
    """The metavars of a usage line in Chinese: ``[OPTIONS] COMMAND [ARGS]...`` → ``[选项] 命令 [参数]...``."""
    return (args.replace("[OPTIONS]", "[选项]").replace("COMMAND [ARGS]...", "命令 [参数]...")
            .replace("[ARGS]...", "[参数]..."))


def usage_line(ctx: Any) -> str:
    """``Usage: shujian clue list [OPTIONS]`` → ``用法：shujian clue list [选项]``."""
    text = str(ctx.get_usage()).strip()
    return _usage_args(re.sub(r"^(?:Usage:|用法：)\s*", "用法：", text))


def show(exc: Any, console: Any) -> None:
    """Print a usage error: the usage line, where to get help, and the Chinese error."""
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        console.print(usage_line(ctx), highlight=False, markup=False)
        console.print(f"运行 “{ctx.command_path} --help” 查看用法。", highlight=False, markup=False, style="dim")
    console.print("[bold red]错误：[/]", end="", highlight=False)
    console.print(explain(exc), highlight=False, markup=False)


def localize_help() -> None:
    """Chinese panel titles and notes in ``--help`` pages (Typer's rich help reads these module names)."""
    from typer import rich_utils

    for name, text in (("ARGUMENTS_PANEL_TITLE", "参数"), ("OPTIONS_PANEL_TITLE", "选项"),
                       ("COMMANDS_PANEL_TITLE", "命令"), ("ERRORS_PANEL_TITLE", "错误"),
                       ("ABORTED_TEXT", "已中止。"), ("DEFAULT_STRING", "[默认：{}]"),
                       ("REQUIRED_LONG_STRING", "[必填]"), ("ENVVAR_STRING", "[环境变量：{}]"),
                       ("DEPRECATED_STRING", "（已弃用）")):
        if hasattr(rich_utils, name):
            setattr(rich_utils, name, text)
    _localize_usage_and_help_option()


#: the help text of every command's ``--help`` option
HELP_OPTION_TEXT = "显示本帮助并退出。"


def _localize_usage_and_help_option() -> None:
    """``Usage:`` lines and the ``--help`` option's own text in Chinese.

    Typer's bundled Click writes the usage prefix and metavars as literals and builds the ``--help``
    option with an English help text; both are wrapped here once (idempotent), so the root page and
    every subcommand page read ``用法：shujian clue list [选项]`` and ``--help  显示本帮助并退出。``.
    """
    from typer._click import core, formatting

    formatter = formatting.HelpFormatter
    if not getattr(formatter.write_usage, "_shujian", False):
        english_write_usage = formatter.write_usage

        def write_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
            english_write_usage(self, prog, _usage_args(args), "用法：" if prefix is None else prefix)

        write_usage._shujian = True  # type: ignore[attr-defined]
        formatter.write_usage = write_usage  # type: ignore[method-assign]
    command = core.Command
    if not getattr(command.get_help_option, "_shujian", False):
        english_help_option = command.get_help_option

        def get_help_option(self: Any, ctx: Any) -> Any:
            option = english_help_option(self, ctx)
            if option is not None:
                option.help = HELP_OPTION_TEXT
            return option

        get_help_option._shujian = True  # type: ignore[attr-defined]
        command.get_help_option = get_help_option  # type: ignore[method-assign]
    from typer import core as typer_core

    param = typer_core._TyperParameter
    if not getattr(param.display_type, "_shujian", False):
        english_display_type = param.display_type

        def display_type(self: Any, ctx: Any) -> str:
            label = english_display_type(self, ctx)
            return _TYPE_LABELS.get(label, label)

        display_type._shujian = True  # type: ignore[attr-defined]
        param.display_type = display_type  # type: ignore[method-assign]


#: the value types Typer shows beside each option (``<bool>``, ``<int>`` …) in Chinese
_TYPE_LABELS = {"<bool>": "<是/否>", "<str>": "<文本>", "<int>": "<整数>", "<float>": "<数字>",
                "<path>": "<路径>", "<file>": "<文件>", "<directory>": "<目录>", "<datetime>": "<日期时间>",
                "<int range>": "<整数>", "<float range>": "<数字>", "<list[str]>": "<文本…>"}
