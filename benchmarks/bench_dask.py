"""Rows a second of ``exodds score FOLDER --engine dask`` on a local cluster of 1 and of 2 workers, beside
the local engine, on an export in parts (CSV parts, as a warehouse unload writes them).

    nice -n 5 .venv/bin/python benchmarks/bench_dask.py --parts 8 --rows-per-part 250000

Workers are processes (one thread each), as ``exodds score --engine dask`` starts them: scoring holds
Python's GIL for much of its time, so threads would share one core. Each figure is the best of
``--repeat`` runs and includes starting the cluster and each worker loading the model, which a
longer export spreads thinner. Needs the dask extra (``pip install -e '.[dask]'``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model.batch.engines import make_engine  # noqa: E402
from model.quiz.definition import QUIZ  # noqa: E402
from model.truth.generator import generate  # noqa: E402

AS_OF = "2026-06-01"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", type=int, default=8)
    ap.add_argument("--rows-per-part", type=int, default=250_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "export"
        root.mkdir()
        for i in range(args.parts):
            generate(args.rows_per_part, seed=1000 + i)[list(QUIZ.ids)].to_csv(root / f"part-{i:05d}.csv", index=False)
        total = args.parts * args.rows_per_part
        print(f"{args.parts} CSV parts of {args.rows_per_part:,} rows ({total:,} rows); "
              f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        runs = [("local", {})] + [("dask", {"workers": w}) for w in args.workers]
        for name, options in runs:
            best = float("inf")
            for _ in range(args.repeat):
                out = Path(tmp) / "scored"
                shutil.rmtree(out, ignore_errors=True)
                start = time.perf_counter()
                summary = make_engine(name, **options).score(root, out, as_of=AS_OF)
                best = min(best, time.perf_counter() - start)
                assert summary.n_read == total, summary.line
            label = name if not options else f"{name}, {options['workers']} worker{'s' * (options['workers'] > 1)}"
            print(f"{label:<18} {best:6.2f} s  {total / best:>10,.0f} rows/s  (load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
