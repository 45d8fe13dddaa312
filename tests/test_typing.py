"""Type hints are checked, strictly where the package is most shared: the odds layer (what every model,
report and batch run reads) and the error tree. Configuration: ``[tool.mypy]`` in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STRICT = ("model/odds", "model/errors.py")


@pytest.mark.slow
def test_the_odds_layer_and_the_errors_pass_mypy_strict(tmp_path):
    pytest.importorskip("mypy")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), *STRICT],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
