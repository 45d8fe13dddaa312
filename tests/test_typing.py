"""Type hints are checked: the whole package by plain ``mypy`` (its configuration), and strictly where the
package is most shared: the odds layer (what every model, report and batch run reads) and the error tree.
Configuration: ``[tool.mypy]`` in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STRICT = ("model/odds", "model/errors.py")


def _mypy(cache: Path, *args: str) -> None:
    """Run mypy from the repository root with the project's configuration; fail with its report."""
    pytest.importorskip("mypy")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(REPO / "pyproject.toml"),
            "--cache-dir",
            str(cache),
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_the_package_passes_mypy(tmp_path):
    _mypy(tmp_path / "cache")  # (files = ["model"] in the configuration: the whole package)


@pytest.mark.slow
def test_the_odds_layer_and_the_errors_pass_mypy_strict(tmp_path):
    _mypy(tmp_path / "cache", "--strict", *STRICT)
