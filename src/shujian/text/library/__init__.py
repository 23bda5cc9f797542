"""Built-in text rules (文本规则库): YAML files next to this module, one rule per file.

``prepaid-card`` is the 预付式消费投诉 rule the prepaid-card model and the walkthrough use; the
topic rules (``topic-*.yaml``) let topic classification work before any label exists.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

from shujian.errors import NotFound
from shujian.spec.text import TextRule


def rule_names() -> list[str]:
    """Names of the built-in rules (file stems)."""
    files = resources.files(__package__).iterdir()
    return sorted(f.name[:-5] for f in files if f.name.endswith(".yaml"))


@lru_cache(maxsize=64)
def get_rule(name: str) -> TextRule:
    """The built-in rule ``name`` (e.g. ``prepaid-card``)."""
    if name not in rule_names():
        raise NotFound(f"文本规则库中没有“{name}”", hint=f"可用：{'、'.join(rule_names())}")
    text = resources.files(__package__).joinpath(f"{name}.yaml").read_text("utf-8")
    return TextRule.model_validate(yaml.safe_load(text))


def rule_source(name: str) -> dict:
    """The rule as plain data (for copying into a model step or a subscription)."""
    return {**get_rule(name).model_dump(mode="json", exclude_defaults=True), "source": name}
