"""The access layer is the only place that decides org scope (issue 14): a source-tree check, so a new page,
API route, command or service cannot filter by org itself and skip the layer's rules.

The rule (docs/security.md 3.3): outside ``security/scope.py`` (the scope itself) and ``security/access.py``
(every rule that reads it), no module reads a scope's org set (``.orgs``), asks a scope whether it sees an org
(``scope.sees(...)``), or uses the old per-call helpers ``filter_org`` / ``scope.visible``.  And every table
with an org column has a rule in the layer, so ``restrict``/``load_visible`` never meet an unknown kind.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "shujian"
#: the layer: the scope, every rule that reads it, and access.py's clue rules that need no SQLAlchemy (the
#: visibility condition as SQL text and the presentation of a clue, which the light clue list uses too)
LAYER = {SRC / "security" / "scope.py", SRC / "security" / "access.py", SRC / "security" / "clue_rules.py"}


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if p not in LAYER)


def test_grep_filter_org_and_scope_visible_only_in_the_layer():
    """The grep of the issue: ``grep -rn "filter_org\\|scope.visible" src/shujian`` hits only the layer."""
    pattern = re.compile(r"filter_org|scope.visible")
    hits = [f"{p.relative_to(SRC)}:{n}: {line.strip()}" for p in _modules()
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert not hits, "org scope decided outside security/access.py:\n" + "\n".join(hits)


class _ScopeUse(ast.NodeVisitor):
    """Reads of a scope's org set, a scope's own visibility test, and the removed helpers."""

    def __init__(self) -> None:
        self.found: list[tuple[int, str]] = []
        self.called: set[int] = set()

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Attribute) and node.func.attr == "visible":
            self.called.add(id(node.func))
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr == "orgs":
            self.found.append((node.lineno, "reads a scope's org set (.orgs): use access.restrict / sees"))
        # ``.visible`` is a scope's test when called or read off something named scope; a property of that
        # name elsewhere (an Excel sheet's visibility in calamine's metadata) is not
        scopeish = node.attr != "visible" or id(node) in self.called or "scope" in ast.unparse(node.value).lower()
        if node.attr in ("sees", "visible", "filter_org") and scopeish and not (
                isinstance(node.value, ast.Name) and node.value.id == "access"):
            self.found.append((node.lineno, f".{node.attr}(...) outside the access layer: use access.{node.attr}"
                                            if node.attr == "sees" else f".{node.attr}: use access.restrict"))
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if (node.module or "").endswith("scope") and "security" in (node.module or "") or node.module == "scope":
            for alias in node.names:
                if alias.name in ("filter_org", "visible"):
                    self.found.append((node.lineno, f"imports {alias.name} from security.scope"))
        self.generic_visit(node)


def _uses(source: str) -> list[tuple[int, str]]:
    v = _ScopeUse()
    v.visit(ast.parse(source))
    return v.found


def test_the_lint_tells_a_scope_test_from_a_sheets_visibility():
    assert _uses("q = scope.visible(q)") and _uses("v = self.scope.visible") and _uses("f = x.visible(q, user)")
    assert not _uses("shown = [m for m in meta if m.visible == SheetVisibleEnum.Visible]")


def test_no_module_decides_org_scope_itself():
    problems = [f"{p.relative_to(SRC)}:{line}: {why}" for p in _modules()
                for line, why in _uses(p.read_text(encoding="utf-8"))]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("snippet", [
    "q = q.filter(Run.org_id.in_(sorted(scope.orgs)))",
    "if not current_scope().sees(run.org_id): raise NotFound('x')",
    "from ..security.scope import filter_org",
    "from shujian.security.scope import current_scope, visible",
])
def test_the_check_catches_a_surface_doing_its_own_scope(snippet):
    """The check itself fails on each way a surface used to re-implement the scope (so it can fail)."""
    assert _uses(snippet)


def test_the_check_passes_the_layer_calls():
    assert not _uses("from ..security import access\nrows = access.restrict(q, Run)\nok = access.sees(s, run)")


def test_every_org_held_table_has_a_rule():
    """Each mapped class with an org column is covered by the layer: a row of HELD_BY or a rule of its own
    (clues and their counters: the pool; governed models: authorship/listing/adoption).  Department rows are the org tree's
    structure (public reference data, like the org tree); adoptions are read through the governed model."""
    import shujian.text.tables  # noqa: F401 - registers the text tables
    from shujian.db.base import Base
    from shujian.db.models import Clue, ClueCount, Department, GovModel, ModelAdoption, OrgSetting
    from shujian.security.access import HELD_BY

    # Department and OrgSetting (机关代字、文号格式) are the org tree's own reference data, read by every org
    own_rules = {Clue, ClueCount, GovModel, ModelAdoption, Department, OrgSetting}
    missing = []
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if any(c.key.endswith("org_id") for c in mapper.columns) and cls not in HELD_BY and cls not in own_rules:
            missing.append(cls.__name__)
    assert not missing, f"no access rule for {missing}: add them to security/access.py HELD_BY"


def test_an_unknown_kind_is_refused_not_shown():
    from shujian.security.access import sees
    from shujian.security.scope import Scope

    class Stray:
        org_id = 1

    with pytest.raises(TypeError, match="没有 Stray 的可见性规则"):
        sees(None, Stray(), Scope(username="x", org_id=1, orgs=frozenset({1})))
