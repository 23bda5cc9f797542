"""Load a model from YAML/JSON text, a file or a dict, with errors located by path (and YAML line)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from shujian.errors import InputError, Problem, ValidationFailed
from shujian.spec.model import Model

_MESSAGES = {
    "extra_forbidden": "未知的键（拼写错误？）",
    "missing": "缺少必填项",
    "string_type": "应为字符串",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为 true/false",
    "bool_parsing": "应为 true/false",
    "list_type": "应为列表",
    "dict_type": "应为映射（键: 值）",
    "model_type": "应为映射（键: 值）",
    "literal_error": "取值不在允许范围内",
    "string_pattern_mismatch": "格式不正确",
    "too_short": "不能为空",
}


def format_loc(loc: tuple[Any, ...]) -> str:
    """``('steps', 2, 'join', 'on', 0)`` → ``steps[2].join.on[0]`` (pydantic union tags dropped)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("expr", "all", "any", "not", "keywords", "compare", "str", "obj"):
            # tags of discriminated/plain unions are not part of the user's document
            if part in ("all", "any", "not", "keywords") and out.endswith(f".{part}"):
                continue
            if part in ("all", "any", "not", "keywords"):
                out += f".{part}"
            continue
        elif isinstance(part, str) and part.startswith(("function-", "list[", "dict[")):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def _message(err: dict) -> str:
    msg = _MESSAGES.get(err["type"])
    if err["type"] == "literal_error":
        return f"{msg}：{err.get('ctx', {}).get('expected', '')}"
    if msg:
        return msg
    text = str(err.get("msg", ""))
    return text.removeprefix("Value error, ")


#: deepest nesting a model document may have (real models stay under 15 levels); PyYAML composes and
#: constructs recursively, so a document nested 5,000 deep ends in RecursionError — a server error
MAX_DEPTH = 100


class _Yaml12Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: ``on``/``off``/``yes``/``no`` stay strings (``on:`` is a join key),
    and a nesting limit (:data:`MAX_DEPTH`) checked while composing."""

    _depth = 0

    def compose_node(self, parent, index):  # noqa: ANN001, ANN201 - PyYAML's signature
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(
                    None, None, f"第 {mark.line + 1} 行：嵌套超过 {MAX_DEPTH} 层，拒绝解析（模型的嵌套不会这么深）", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Yaml12Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def parse_yaml(text: str) -> Any:
    """Parse YAML with 1.2 booleans (shared by model files and the models library)."""
    return yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506 - SafeLoader subclass


class _Lines:
    """Map a location path to a 1-based YAML line using the composed node tree."""

    def __init__(self, text: str | None):
        self.root = None
        if text is not None:
            try:
                self.root = yaml.compose(text, Loader=_Yaml12Loader)
            except yaml.YAMLError:
                self.root = None

    def line(self, loc: tuple[Any, ...]) -> int | None:
        node = self.root
        found = None
        for part in loc:
            if node is None:
                break
            found = node
            node = self._child(node, part)
        node = node or found
        return node.start_mark.line + 1 if node is not None else None

    @staticmethod
    def _child(node: Any, part: Any) -> Any:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    return value
            return None
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            return node.value[part]
        return node if isinstance(part, str) and not isinstance(node, yaml.ScalarNode) else None


def _read(source: str | Path | dict) -> tuple[dict, str | None]:
    if isinstance(source, dict):
        return source, None
    if isinstance(source, Path) or ("\n" not in source and Path(source).suffix.lower()
                                    in (".yaml", ".yml", ".json")):
        path = Path(source)
        if not path.exists():
            raise InputError(f"模型文件不存在：{path}", hint="检查路径是否正确")
        text = path.read_text(encoding="utf-8")
    else:
        text = source
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else parse_yaml(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise ValidationFailed([Problem("", f"模型文本无法解析：{exc}")], title="模型格式错误") from exc
    except RecursionError as exc:           # JSON nested thousands deep
        raise ValidationFailed([Problem("", f"模型文本嵌套过深（超过 {MAX_DEPTH} 层），拒绝解析")],
                               title="模型格式错误") from exc
    if _too_deep(data):
        raise ValidationFailed([Problem("", f"模型文本嵌套过深（超过 {MAX_DEPTH} 层），拒绝解析")],
                               title="模型格式错误")
    if not isinstance(data, dict):
        raise ValidationFailed([Problem("", "模型应为映射（id: …, name: …, steps: …）")],
                               title="模型格式错误")
    return data, text


def _too_deep(data: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``data`` nests deeper than ``limit`` (iterative: a deep document must not recurse here)."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def load_model(source: str | Path | dict) -> Model:
    """Load and validate a model (模型) from a YAML/JSON file path, YAML/JSON text or a dict.

    Unknown keys and wrong types are refused; every problem is reported at once with its location
    (``steps[2].join.on[0]``) and, for YAML text, its line number.
    """
    data, text = _read(source)
    try:
        return Model.model_validate(data)
    except ValidationError as exc:
        lines = _Lines(text)
        problems = []
        seen: set[tuple[str, str]] = set()
        for err in exc.errors():
            where = format_loc(err["loc"])
            line = lines.line(tuple(p for p in err["loc"] if p not in ("compare", "expr", "str", "obj")))
            if line is not None:
                where = f"{where}（第 {line} 行）" if where else f"第 {line} 行"
            msg = _message(err)
            if (where, msg) not in seen:
                seen.add((where, msg))
                problems.append(Problem(where, msg))
        raise ValidationFailed(problems, title="模型定义有误") from exc


def json_schema() -> dict:
    """JSON Schema of the model language (for the visual builder and editors)."""
    return Model.model_json_schema(by_alias=True)
