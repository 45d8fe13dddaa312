"""The package's shape: dependencies run one way, no cycles, no private names across modules, a light
``import model`` and an instant ``exodds --help``.

Every import in ``model/`` is read from the source (function-level ones too: "not even lazily"), so
a lower layer that reaches up, or a module that borrows another's private helper, fails here with
the file and line.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "model"

#: Layers, lowest first. A module may import any lower layer and its own subpackage, never a sibling
#: of its own layer or anything above it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("model.errors",),
    ("model", "model.io", "model.moved", "model.numeric"),
    ("model.quiz",),
    ("model.truth", "model.odds", "model.plan"),
    # export: the model carried to other engines (SQL, JSON) needs the plan's bands and safety rule
    # beside the odds' tables, so it sits above both, with report and batch
    ("model.report", "model.batch", "model.training", "model.export"),
    ("model.web", "model.explore"),
    ("model.cli",),
    ("model.__main__",),
)


def _unit(module: str) -> str:
    """The layer unit a module belongs to: its subpackage, or itself for a top-level module."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def _rank(unit: str) -> int:
    for rank, units in enumerate(LAYERS):
        if unit in units:
            return rank
    raise AssertionError(f"{unit} is in no layer: add it to LAYERS")


def _module_name(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module imported, names taken from it) for every import of the package in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module_name(path)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, []) for a in node.names if a.name.split(".")[0] == "model"]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: resolve against this module's package
                base = here.split(".")[: len(here.split(".")) - node.level + (path.name == "__init__.py")]
                module = ".".join([*base, module] if module else base)
            if module.split(".")[0] == "model":
                out.append((node.lineno, module, [a.name for a in node.names]))
    return out


MODULES = sorted(PACKAGE.rglob("*.py"))


def _target(module: str, name: str) -> str:
    """``from model.batch import core`` imports the module model.batch.core, not a name of the package."""
    candidate = f"{module}.{name}"
    path = REPO / Path(*candidate.split("."))
    return candidate if path.with_suffix(".py").exists() or (path / "__init__.py").exists() else module


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(REPO)))
def test_dependencies_run_one_way(path):
    here = _unit(_module_name(path))
    wrong = []
    for line, module, names in _imports(path):
        for target in {_target(module, n) for n in names} or {module}:
            unit = _unit(target)
            if unit == here or here == "model":
                continue
            if _rank(unit) >= _rank(here):
                wrong.append(f"line {line}: {here} (layer {_rank(here)}) imports {target} (layer {_rank(unit)})")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_private_name_is_taken_from_another_module(path):
    here = _module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases = {}
    wrong = []
    for line, module, names in _imports(path):
        for n in names:
            if n.startswith("_") and not n.startswith("__") and module != here:
                wrong.append(f"line {line}: from {module} import {n}")
            aliases[n] = _target(module, n)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                aliases[a.asname or a.name.split(".")[0]] = a.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and aliases.get(node.value.id, "").startswith("model")
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            wrong.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    assert not wrong, "\n".join(wrong)


def test_the_modules_import_each_other_without_a_cycle():
    graph: dict[str, set[str]] = {}
    for path in MODULES:
        here = _module_name(path)
        graph[here] = {_target(module, n) for _, module, names in _imports(path) for n in (names or [""])} - {here}
    seen: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, trail: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph or nxt == "model":
                continue  # (the package's own lazy __init__ is the root everything hangs from)
            if seen.get(nxt) == 1:
                cycle = [*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in seen:
                visit(nxt, [*trail, nxt])
        seen[node] = 2

    for node in sorted(graph):
        if node not in seen:
            visit(node, [node])


HEAVY = ("pandas", "numpy", "sklearn", "pyarrow", "scipy", "matplotlib", "jinja2")


def _imported_after(code: str) -> set[str]:
    probe = code + "\nimport sys; print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


def test_import_model_is_light():
    assert not _imported_after("import model") & set(HEAVY)


def _commands() -> list[str]:
    return sorted(p.stem for p in (PACKAGE / "cli").glob("*.py") if not p.stem.startswith("_"))


@pytest.mark.parametrize("command", [None, *_commands()])
def test_help_imports_nothing_heavy(command):
    argv = ["--help"] if command is None else [command, "--help"]
    code = (
        "import contextlib, io\nfrom model.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n    main({argv!r})"
    )
    heavy = _imported_after(code) & set(HEAVY)
    assert not heavy, f"exodds {' '.join(argv)} imports {', '.join(sorted(heavy))}"
