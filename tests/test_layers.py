"""The layer rules of docs/architecture.md, read from the source: who may import whom,
no import cycles, and a docstring on every module.

Every import counts, at the top of a module or inside a function (a function-level
import is still a dependency); imports under ``if TYPE_CHECKING:`` count for the layer
rules but not for cycles, since they never run.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "salespipe"

# The layers, lowest first: a module may import its own layer and those below it.
RANKS = {
    "core": 0,
    "storage": 1,
    "app": 2,
    "reports": 3,
    "transfer": 3,
    "present": 4,
    "api": 5,
    "cli": 6,
    "__main__": 7,
}

# Imports that break a rule today, each waiting for the change that removes it;
# test_no_exception_is_stale says when one can go. The storage port emptied it.
KNOWN: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str  # a module of the package
    runtime: bool  # False under `if TYPE_CHECKING:`
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name: str) -> str | None:
    """The package module an imported name belongs to (``a.b.func`` -> ``a.b``)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def _imports(module: str) -> list[Import]:
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = _type_checking_lines(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            # `from a import b` imports module a.b when there is one, else a name of a
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name) if name.startswith("salespipe") else None
            if target and target != module:
                found.append(Import(module, target, node.lineno not in typing_only, node.lineno))
    return found


ALL_IMPORTS = [i for module in MODULES for i in _imports(module)]


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None  # None: the package's face


def _broken_rule(i: Import) -> str | None:
    """Which rule this import breaks, if any."""
    mine, theirs = _layer(i.importer), _layer(i.imported)
    if theirs is None:
        return None if _imports_only_version(i.importer) else "only __version__ from the face"
    if i.imported.startswith("salespipe.storage.jsonl") and mine != "storage":
        return "only storage imports the jsonl backend"
    if i.imported.startswith("salespipe.storage.postgres") and mine != "storage":
        return "only storage imports the postgres backend"
    if theirs == "cli" and mine not in ("cli", "__main__"):
        return "nothing outside cli imports cli"
    if mine is None:  # the face may name anything, lazily (see __init__.py)
        return None if not i.runtime else "the package's face imports nothing eagerly"
    if mine != theirs and RANKS[theirs] >= RANKS[mine]:
        return f"{mine} may not import {theirs} (a layer above or beside it)"
    return None


def _key(i: Import) -> tuple[str, str]:
    known = {k for k in KNOWN if k[0] == i.importer and i.imported.startswith(k[1])}
    return next(iter(known), (i.importer, i.imported))


# Where each library of the stack may be imported (docs/architecture.md); the rest of the
# code reaches it through these modules. ruff's banned-API rule flags the same in an
# editor, but its per-file exemptions cover whole folders.
LIBRARY_HOMES = {
    "tinydb": ("salespipe.storage.jsonl",),
    "psycopg": ("salespipe.storage.postgres",),
    "rich": ("salespipe.present.render", "salespipe.cli.progress"),
    "plotext": ("salespipe.present.charts",),
    "typer": ("salespipe.cli",),
    "click": ("salespipe.cli",),
}


def _libraries_imported(module: str) -> list[tuple[str, int]]:
    """The stack's libraries ``module`` imports, anywhere in it, with the line."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        else:
            continue
        found += [(n.split(".")[0], node.lineno) for n in names if n.split(".")[0] in LIBRARY_HOMES]
    return found


def test_each_library_is_imported_only_in_its_home() -> None:
    """TinyDB in the jsonl backend, psycopg in the postgres one, Rich in the renderer
    (and the CLI's progress bar), plotext in the charts, Typer in the CLI."""
    strays = [
        f"{module}:{line} imports {library}"
        for module in MODULES
        for library, line in _libraries_imported(module)
        if not any(
            module == home or module.startswith(f"{home}.") for home in LIBRARY_HOMES[library]
        )
    ]
    assert strays == []


def test_every_layer_is_ranked() -> None:
    """A new top-level package gets a place in the layers before it is used."""
    layers = {_layer(m) for m in MODULES} - {None}
    assert layers <= set(RANKS), layers - set(RANKS)


def test_the_layer_rules_hold() -> None:
    """No import goes up a layer, into the jsonl backend from outside storage, or into
    the CLI from outside it."""
    broken = sorted(
        f"{i.importer}:{i.line} imports {i.imported}: {rule}"
        for i in ALL_IMPORTS
        if (rule := _broken_rule(i)) and _key(i) not in KNOWN
    )
    assert broken == []


def _imports_only_version(module: str) -> bool:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        face = isinstance(node, ast.ImportFrom) and node.module == "salespipe" and not node.level
        if face and {a.name for a in node.names} != {"__version__"}:  # type: ignore[attr-defined]
            return False
        if isinstance(node, ast.Import) and any(a.name == "salespipe" for a in node.names):
            return False
    return True


def test_no_exception_is_stale() -> None:
    """Each entry of KNOWN still names a real import that breaks a rule; remove the ones
    that a change has made right."""
    live = {_key(i) for i in ALL_IMPORTS if _broken_rule(i)}
    assert KNOWN - live == set()


def test_core_imports_nothing_above_it() -> None:
    """The core is the bottom: it imports only the core (and the standard library)."""
    assert [
        i for i in ALL_IMPORTS if _layer(i.importer) == "core" and _layer(i.imported) != "core"
    ] == []


def test_present_is_not_used_by_the_layers_that_compute() -> None:
    """app, reports, storage and the Python API never import present: they return
    results; the CLI shows them."""
    users = {_layer(i.importer) for i in ALL_IMPORTS if _layer(i.imported) == "present"}
    assert users & {"app", "reports", "storage", "core", "api"} == set()


def test_no_import_cycles() -> None:
    """The modules that run import each other without a cycle."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for i in ALL_IMPORTS:
        if i.runtime and _layer(i.imported) is not None:
            graph[i.importer].add(i.imported)
    cycles = _cycles(graph)
    assert cycles == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_a_cycle_is_found() -> None:
    """The cycle finder itself works (a test that cannot fail proves nothing)."""
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_says_what_it_holds(module: str) -> None:
    """Every module begins with a docstring (docs/architecture.md's module map relies on it)."""
    docstring = ast.get_docstring(ast.parse(MODULES[module].read_text(encoding="utf-8")))
    assert docstring
    assert len(docstring.split()) >= 3
