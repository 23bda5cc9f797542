"""The ``shujian`` command.  Thin: parse input, call services, render.

Subcommands are loaded lazily: the root group knows each command's name, module and help text, and
imports the module only when that command runs (or when help lists every command).  ``shujian
--version`` therefore imports no service, no SQLAlchemy and no DuckDB, and ``shujian clue list``
imports only what listing clues needs.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from .. import __version__
from ..errors import ShujianError
from ..security.scope import reset_scope, set_scope
from .common import GLOBAL_AS, err_console

#: command groups: (module under shujian.cli, command name, help)
GROUPS: tuple[tuple[str, str, str], ...] = (
    ("data", "data", "数据资源目录：导入、查看、质量核查"),
    ("db", "db", "元数据库"),
    ("docs", "docs", "文书解析：刑事判决书 → 结构化数据"),
    ("model", "model", "监督模型：查看、校验、生成 SQL、运行"),
    ("run", "run", "沙箱运行：查看结果、发布为线索"),
    ("clue", "clue", "线索"),
    ("schedule", "schedule", "定期调度"),
    ("org", "org", "院机构树与内设部门"),
    ("user", "user", "用户与角色"),
    ("governance", "model-gov", "模型治理：版本、认证、上架、推广、采用、台账"),
    ("stats", "stats", "一本账：按模型、院、业务条线统计"),
    ("delegation", "delegation", "委托研判"),
    ("token", "token", "关键字段令牌化（数据提供方）：生成密钥、令牌化、回溯"),
    ("entity", "entity", "主体识别：同一人归并为主体（主体库）、人工核对"),
    ("audit", "audit", "审计日志：校验哈希链、检索、导出"),
    ("text", "text", "12345 热线文本筛查：文本规则、关键词订阅、商户、话题、热点"),
    ("serve", "serve", "网页界面：启动 REST 接口与浏览器界面"),
    ("divisions", "divisions", "行政区划代码：按代码（含沿革）或名称查询"),
)
#: top-level commands: command name → (module under shujian.cli, function)
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("system", "init"),
    "worker": ("schedule", "worker"),
    "demo": ("demo", "demo"),
    "backup": ("backup", "backup"),
    "restore": ("backup", "restore"),
}


def _module(name: str):
    """``shujian.cli.<name>``, or None when that optional module is not part of this installation."""
    try:
        return __import__(f"shujian.cli.{name}", fromlist=["app"])
    except ModuleNotFoundError as exc:
        if exc.name == f"shujian.cli.{name}":
            return None
        raise


def _load(name: str) -> Any:
    """The click command for ``name``, built by Typer exactly as ``add_typer``/``command`` would."""
    holder = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    group = next((g for g in GROUPS if g[1] == name), None)
    if group is not None:
        mod = _module(group[0])
        if mod is None:
            return None
        holder.add_typer(mod.app, name=name, help=group[2])
    else:
        mod = _module(COMMANDS[name][0])
        if mod is None:
            return None
        holder.command(name)(getattr(mod, COMMANDS[name][1]))
        holder.callback()(lambda: None)          # keep a group, so the command is found by name
    built = typer.main.get_command(holder)
    return built.commands.get(name) if isinstance(built, TyperGroup) else None


def _plain_kind(annotation: Any) -> bool:
    from enum import Enum

    return annotation in (str, int, bool) or (isinstance(annotation, type) and issubclass(annotation, Enum))


try:                                    # Typer's private coercion layer (without it: Typer's own path)
    from dataclasses import dataclass as _dataclass

    from typer._coercion import RuntimeParam as _RuntimeParam
    from typer._coercion import build_runtime_param as _build_runtime_param
    from typer._param_types import coerce_cli_choice as _coerce_choice
    from typer.core import _TyperParameter

    @_dataclass(frozen=True)
    class _PlainValue(_RuntimeParam):
        """A str, int, bool or choice parameter converted without pydantic when the value is plainly valid."""

        descriptor: Any = None

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            kind, info = self.annotation, self.parameter_info
            if kind is str and isinstance(value, str):
                return value
            if kind is bool and isinstance(value, bool):
                return value
            if kind is int and info.min is None and info.max is None and not info.clamp:
                if isinstance(value, int) and not isinstance(value, bool):
                    return value
                if isinstance(value, str) and value.isascii() and value.isdigit():
                    return int(value)
            if kind not in (str, int, bool):
                try:
                    return _coerce_choice(value, choices=tuple(kind), case_sensitive=info.case_sensitive, ctx=ctx)
                except ValueError:
                    pass                 # Typer's adapter words the refusal
            return _build_runtime_param(self.descriptor)._coerce_value(value, param=param, ctx=ctx)

    def _runtime_param(self: Any, _typer_own: Any = _TyperParameter.get_runtime_param) -> Any:
        """Typer's ``get_runtime_param``, with :class:`_PlainValue` for str, int, bool and choice parameters.

        Typer (0.29) converts every parameter through a pydantic ``TypeAdapter``, built even for an option
        the user left out (and for ``--help``); importing pydantic and building them cost a light command
        (``shujian clue list``) about a third of its 0.3 s budget.  A plain value is converted here; any
        other value, and every other kind of parameter, goes to Typer's own adapter (the same conversion
        and the same messages)."""
        desc = self.type_descriptor
        if (self._runtime_param is None and desc.file_annotation is None and desc.parameter_info.parser is None
                and _plain_kind(desc.annotation)):
            self._runtime_param = _PlainValue(parameter_info=desc.parameter_info, annotation=desc.annotation,
                                              descriptor=desc)
        return _typer_own(self)

    _TyperParameter.get_runtime_param = _runtime_param
except (ImportError, TypeError, AttributeError):     # pragma: no cover - another Typer: its own conversion
    pass


#: Click's base error class, as bundled with this Typer (not part of Typer's public names)
CLICK_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def _usage_error(exc: Any) -> Exception:
    """A usage error printed in Chinese, as the exit that ends the command (``--help`` pages pass)."""
    if type(exc).__name__ == "NoArgsIsHelpError":      # a group called bare: Typer shows its help
        return exc
    from .usage import show

    show(exc, err_console)
    return typer.Exit(getattr(exc, "exit_code", 2))


class LazyGroup(TyperGroup):
    """The root group: subcommands are imported on first use."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = [*COMMANDS, *(g[1] for g in GROUPS)]
        return [*names, *(n for n in super().list_commands(ctx) if n not in names)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is None and (cmd_name in COMMANDS or any(g[1] == cmd_name for g in GROUPS)):
            cmd = _load(cmd_name)
            if cmd is not None:
                self.add_command(cmd, cmd_name)
        return cmd

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except CLICK_ERROR as exc:
            raise _usage_error(exc) from None

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CLICK_ERROR as exc:
            raise _usage_error(exc) from None

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and not args[0].startswith("-") and self.get_command(ctx, args[0]) is None:
            for name in self.list_commands(ctx):     # a typo: load every command for the suggestion
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)


app = typer.Typer(cls=LazyGroup, help="数检 shujian — 大数据法律监督平台", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"shujian {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", help="显示版本", is_eager=True, callback=_print_version),
          as_: str | None = typer.Option(None, "--as", help="以哪个用户的身份执行整条命令（权限与所属院范围）")) -> None:
    if as_:
        GLOBAL_AS.set(as_)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 1 error, 2 bad input, 130 cancelled)."""
    # the acting user and their org scope last for this command only (tests call main() many times)
    as_token, scope_token = GLOBAL_AS.set(None), set_scope(None)
    args = sys.argv[1:] if argv is None else argv
    if "--help" in args or sum(not a.startswith("-") for a in args) <= 1:
        from .usage import localize_help

        localize_help()
    try:
        app(args=argv, prog_name="shujian")      # standalone mode: ends with SystemExit
    except SystemExit as exc:
        if exc.code is None:
            return 0
        return exc.code if isinstance(exc.code, int) else 1
    except ShujianError as exc:
        err_console.print(f"[bold red]错误：[/]{exc.message}", highlight=False)
        if exc.hint:
            err_console.print(f"[yellow]提示：[/]{exc.hint}", highlight=False)
        return exc.exit_code
    finally:
        reset_scope(scope_token)
        GLOBAL_AS.reset(as_token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
