"""How long the command line takes to start: ``import model``, ``exodds --help`` and every subcommand's
``--help``, each the median of several runs, against a bare ``python -c pass`` on the same machine.

    .venv/bin/python benchmarks/bench_startup.py [--runs 15]

Why a benchmark and not a test: wall time on a shared machine is noisy. The test that goes with it
(tests/test_architecture.py) checks the cause instead: none of them imports pandas, numpy,
scikit-learn or pyarrow.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _median_seconds(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    py = sys.executable
    exodds = str(Path(py).with_name("exodds"))
    commands = sorted(p.stem for p in (REPO / "model" / "cli").glob("*.py") if not p.stem.startswith("_"))
    cases = {
        "python -c pass": [py, "-c", "pass"],
        "python -c 'import model'": [py, "-c", "import model"],
        "python -c 'import pandas'": [py, "-c", "import pandas"],
        "exodds --help": [exodds, "--help"],
        **{f"exodds {c} --help": [exodds, c.replace("_", "-"), "--help"] for c in commands},
    }
    base = None
    print(f"{'command':<34}{'median s':>10}{'over python':>13}")
    for name, argv in cases.items():
        t = _median_seconds(argv, args.runs)
        base = t if base is None else base
        print(f"{name:<34}{t:>10.3f}{t - base:>+13.3f}")


if __name__ == "__main__":
    main()
