"""``exodds notebooks``: run the exploration notebooks headless and export each to HTML.

The notebooks are kept as jupytext percent-format ``notebooks/NN_name.py``
files (the source of truth; Jupyter with jupytext opens them as notebooks).
This command builds each notebook from its ``.py`` in memory, runs it in a
kernel on this environment's own interpreter, and writes
``reports/notebooks/NN_name.html`` with every figure, so a reader sees the
plots without running anything. ``--set NAME=VALUE`` overrides a value of a
notebook's ``parameters`` cell (papermill style: a cell inserted after it).
Needs the ``dev`` extra (jupytext, nbclient, ipykernel, nbconvert).
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "KERNEL_ENV",
    "export_html",
    "inject_parameters",
    "notebook_paths",
    "parameter_values",
    "read_notebook",
    "run_notebook",
]

NOTEBOOK_GLOB = "[0-9][0-9]_*.py"
PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
CHECK_TAG = "exodds-figure-check"
#: One BLAS thread per kernel: on a shared or busy machine, threaded BLAS makes small fits several
#: times slower, and the tests run two kernels side by side. The inline backend renders with Agg.
KERNEL_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}
_NEEDS = "the notebook tools are missing: install them with `.venv/bin/pip install -e '.[dev]'`"


def notebook_paths(folder: str | Path = "notebooks") -> list[Path]:
    """The notebooks' ``.py`` sources in ``folder``, in their numbered order."""
    return sorted(Path(folder).glob(NOTEBOOK_GLOB))


def read_notebook(path: str | Path) -> Any:
    """A notebook (nbformat node) built from its jupytext percent-format ``.py``."""
    try:
        import jupytext  # type: ignore[import-untyped]  # (jupytext ships no type hints)
    except ImportError:
        raise RuntimeError(_NEEDS) from None
    nb = jupytext.read(str(path), fmt="py:percent")
    for i, cell in enumerate(nb.cells):  # stable ids, so an unchanged notebook exports the same bytes
        cell.id = f"cell-{i + 1}"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    return nb


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _parameters_cell(nb: Any) -> int | None:
    found = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and PARAMETERS_TAG in _tags(c)]
    if len(found) > 1:
        raise ValueError(f"more than one cell is tagged {PARAMETERS_TAG!r}")
    return found[0] if found else None


def parameter_values(nb: Any) -> dict[str, Any]:
    """The names and default values the notebook's ``parameters`` cell assigns (literals only)."""
    i = _parameters_cell(nb)
    if i is None:
        return {}
    out: dict[str, Any] = {}
    for node in ast.parse(nb.cells[i].source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = ast.literal_eval(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            out[node.target.id] = ast.literal_eval(node.value)
    return out


def inject_parameters(nb: Any, parameters: Mapping[str, Any]) -> Any:
    """A copy of ``nb`` with a cell setting ``parameters`` right after its ``parameters`` cell.

    Unknown names raise ValueError listing the notebook's parameters, so a
    typo never runs silently with the default.
    """
    import nbformat

    nb = copy.deepcopy(nb)
    if not parameters:
        return nb
    known = parameter_values(nb)
    unknown = [k for k in parameters if k not in known]
    if unknown:
        raise ValueError(
            f"unknown notebook parameter(s) {', '.join(unknown)}; this notebook's parameters: "
            f"{', '.join(known) or 'none'}"
        )
    lines = ["# Parameters (injected)"] + [f"{k} = {v!r}" for k, v in parameters.items()]
    cell = nbformat.v4.new_code_cell(  # type: ignore[no-untyped-call]  # (nbformat leaves it unannotated)
        "\n".join(lines), metadata={"tags": [INJECTED_TAG]}, id=INJECTED_TAG
    )
    at = _parameters_cell(nb)
    assert at is not None  # without a parameters cell every name is unknown and raised above
    nb.cells.insert(at + 1, cell)
    return nb


def _with_figure_check(nb: Any) -> Any:
    import nbformat

    nb = copy.deepcopy(nb)
    first = nbformat.v4.new_code_cell(  # type: ignore[no-untyped-call]  # (nbformat leaves it unannotated)
        "from model.explore import install_figure_check\ninstall_figure_check()",
        metadata={"tags": [CHECK_TAG]},
        id=f"{CHECK_TAG}-first",
    )
    last = nbformat.v4.new_code_cell(  # type: ignore[no-untyped-call]  # (nbformat leaves it unannotated)
        "from model.explore import assert_figures_checked\nassert_figures_checked()",
        metadata={"tags": [CHECK_TAG]},
        id=f"{CHECK_TAG}-last",
    )
    nb.cells = [first, *nb.cells, last]
    return nb


def _without_check_cells(nb: Any) -> Any:
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if CHECK_TAG not in _tags(c)]
    return nb


def _kernel_manager() -> Any:
    """A kernel on this interpreter (``sys.executable``), whatever kernel specs are installed elsewhere."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    class _ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return KernelSpec(
                # (errors only: the kernel's warnings about its local connection are noise here)
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}", "--log-level=ERROR"],
                display_name=f"exodds ({sys.executable})",
                language="python",
                env=dict(KERNEL_ENV),
                resource_dir=str(Path(sys.executable).parent),
            )

    return AsyncKernelManager(kernel_name="exodds-python", kernel_spec_manager=_ThisPython())


def run_notebook(
    source: str | Path | Any,
    parameters: Mapping[str, Any] | None = None,
    *,
    cwd: str | Path | None = None,
    timeout: int = 600,
    check_figures: bool = True,
) -> Any:
    """Execute a notebook (a ``.py`` path or an nbformat node) headless and return it with outputs.

    Runs in ``cwd`` (default: the repository root), on this interpreter. With
    ``check_figures``, every figure must have a title, labelled axes and units
    (``model.explore.figure_problems``) and at least one figure must be drawn.
    Raises ``nbclient.exceptions.CellExecutionError`` naming the failing cell.
    """
    try:
        from nbclient import NotebookClient
    except ImportError:
        raise RuntimeError(_NEEDS) from None
    from model.explore import repo_root

    nb = read_notebook(source) if isinstance(source, (str, Path)) else source
    nb = inject_parameters(nb, parameters or {})
    if check_figures:
        nb = _with_figure_check(nb)
    folder = Path(cwd) if cwd is not None else repo_root()
    client = NotebookClient(
        nb,
        km=_kernel_manager(),
        timeout=timeout,
        resources={"metadata": {"path": str(folder)}},
        record_timing=False,
    )
    client.execute()
    return _without_check_cells(nb) if check_figures else nb


def export_html(nb: Any, target: str | Path, title: str | None = None) -> Path:
    """Write an executed notebook as one small self-contained HTML page (figures embedded), atomically.

    nbconvert's ``basic`` template plus a short stylesheet: the page stays a
    few hundred kilobytes of figures rather than megabytes of theme CSS, and
    changes only when the notebook's content does.
    """
    from nbconvert import HTMLExporter
    from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]  # (no types-Pygments)

    from model.io import atomic_write
    from model.report.render import static_page

    exporter = HTMLExporter(template_name="basic")  # type: ignore[no-untyped-call]  # (unannotated in nbconvert)
    body, _ = exporter.from_notebook_node(nb)
    target = Path(target)
    page = static_page("notebook.html.j2").render(
        title=title or target.stem, pygments=HtmlFormatter().get_style_defs(".highlight"), body=body
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(target, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(page)
    return target


# ------------------------------------------------------------------------------------------------
# The command
# ------------------------------------------------------------------------------------------------


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "notebooks",
        help="run notebooks/*.py headless and export reports/notebooks/*.html",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("names", nargs="*", help="notebooks to run, by number or name prefix (default: all)")
    p.add_argument("--dir", default="notebooks", help="folder of notebook sources (default: notebooks)")
    p.add_argument("--out-dir", default="reports/notebooks", help="HTML output folder (default: reports/notebooks)")
    p.add_argument("--ipynb-dir", help="also write the executed .ipynb files here")
    p.add_argument("--no-html", action="store_true", help="run only (a check), write no HTML")
    p.add_argument(
        "--set",
        dest="params",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a parameter (a Python literal, else a string); applies to notebooks that have it",
    )
    p.add_argument("--traceback", action="store_true", help="on a failing cell, show it and the full traceback")
    p.set_defaults(func=run)


def _plain(text: str) -> str:
    """A kernel's traceback without its terminal colour codes."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _parse_params(items: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.strip().isidentifier():
            raise ValueError(f"--set {item!r}: expected NAME=VALUE, e.g. --set FACTOR=2.0")
        try:
            out[name.strip()] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            out[name.strip()] = text
    return out


def run(args: argparse.Namespace) -> int:
    try:
        params = _parse_params(args.params)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    paths = notebook_paths(args.dir)
    if args.names:
        paths = [p for p in paths if any(p.stem.startswith(n) for n in args.names)]
    if not paths:
        print(f"error: no notebooks matching {' '.join(args.names) or NOTEBOOK_GLOB} in {args.dir}", file=sys.stderr)
        return 2
    try:
        notebooks = {p: read_notebook(p) for p in paths}
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    used = {k for nb in notebooks.values() for k in parameter_values(nb)}
    unknown = sorted(set(params) - used)
    if unknown:
        print(f"error: no selected notebook has the parameter(s) {', '.join(unknown)}", file=sys.stderr)
        return 2
    from nbclient.exceptions import CellExecutionError

    for path, nb in notebooks.items():
        mine = {k: v for k, v in params.items() if k in parameter_values(nb)}
        t0 = time.perf_counter()
        try:
            done = run_notebook(nb, mine)
        except CellExecutionError as exc:
            if args.traceback:
                print(f"error: {path} failed:\n{_plain(str(exc))}", file=sys.stderr)
            else:
                print(f"error: {path} failed: {exc.ename}: {_plain(exc.evalue)}", file=sys.stderr)
                print("(--traceback shows the cell and the full traceback)", file=sys.stderr)
            return 1
        took = time.perf_counter() - t0
        wrote = []
        if not args.no_html:
            wrote.append(str(export_html(done, Path(args.out_dir) / f"{path.stem}.html", path.stem)))
        if args.ipynb_dir:
            import nbformat

            from model.io import atomic_write

            target = Path(args.ipynb_dir) / f"{path.stem}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_write(target, "w", encoding="utf-8", newline="\n") as fh:
                nbformat.write(done, fh)  # type: ignore[no-untyped-call]  # (nbformat leaves it unannotated)
            wrote.append(str(target))
        print(f"ran {path} in {took:.1f} s" + (f"; wrote {', '.join(wrote)}" if wrote else ""))
    return 0
