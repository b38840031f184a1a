"""The layout's promises, read from the source: no import cycles, and every import pointing down.

Every ``import`` is read from the syntax tree, including those inside functions and under
``TYPE_CHECKING``: a deferred import is still a dependency a reader has to follow.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# From the top down; a module may import its own package and the layers below it, never a
# neighbour in its own layer (two feature packages stay independent) and never a layer above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("bot.__main__",),
    ("bot.cli",),
    ("bot.runtime",),
    ("bot.composition",),
    ("bot.telegram",),
    ("bot.marketing", "bot.trials", "bot.frontdesk", "bot.events", "bot.followup"),
    ("bot.intake",),
    ("bot.chain",),
    ("bot.studio", "bot.funnel"),
    ("bot.perfectgym", "bot.standin"),
    ("bot.storage",),
    ("bot.settings",),
    ("bot.locality", "bot.logging_setup", "bot.metrics", "bot.periodic"),
    ("conversations",),
)
# Third-party libraries a part must not reach for, whatever the layers allow.
FORBIDDEN_LIBRARIES = {
    "conversations": ("telegram", "httpx", "pydantic", "asyncpg", "sqlite3"),
    "bot.perfectgym": ("telegram",),
    "bot.standin": ("telegram",),
    "bot.storage": ("telegram", "httpx"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def product_modules() -> dict[str, Path]:
    """Every module of ``bot/`` and ``conversations/`` but their (empty) top ``__init__``."""
    modules = {
        module_name(path): path
        for folder in ("bot", "conversations")
        for path in sorted((ROOT / folder).rglob("*.py"))
    }
    for top in ("bot", "conversations"):
        assert not modules.pop(top).read_text().strip(), f"{top}/__init__.py is to stay empty"
    return modules


def imported(path: Path, name: str) -> Iterator[str]:
    """Every module name an import statement in the file names, at any depth."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def dependencies() -> dict[str, set[str]]:
    """The product's own modules each module imports (``from a import b`` counts ``a.b`` when
    that is a module, else ``a``)."""
    modules = product_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {target for target in imported(path, name) if target in modules} - {name}
    return graph


def layer_of(module: str) -> tuple[int, str]:
    for index, layer in enumerate(LAYERS):
        for part in layer:
            if module == part or module.startswith(part + "."):
                return index, part
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS in {__file__}")


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_product_has_no_import_cycle() -> None:
    assert cycles(dependencies()) == []


def test_every_import_points_down_the_layers() -> None:
    wrong = []
    for module, targets in sorted(dependencies().items()):
        level, part = layer_of(module)
        for target in sorted(targets):
            target_level, target_part = layer_of(target)
            if target_level < level or (target_level == level and target_part != part):
                wrong.append(f"{module} -> {target}")
    assert sorted(set(wrong)) == []


def test_no_part_reaches_for_a_library_it_must_not_know() -> None:
    wrong = []
    for module, path in sorted(product_modules().items()):
        for part, libraries in FORBIDDEN_LIBRARIES.items():
            if module == part or module.startswith(part + "."):
                for target in imported(path, module):
                    if target.split(".")[0] in libraries:
                        wrong.append(f"{module} imports {target}")
    assert sorted(set(wrong)) == []


def test_the_checks_see_what_they_must_refuse() -> None:
    """The scan itself: a deferred import, a cycle and an upward import are all caught."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert layer_of("bot.telegram.webhook") < layer_of("bot.storage.sql")
    assert layer_of("conversations.flow")[0] == len(LAYERS) - 1
    source = ROOT / "bot" / "__main__.py"
    assert "bot.cli.demo" in set(imported(source, "bot.__main__"))  # imported inside main()
