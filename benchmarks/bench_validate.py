"""Validation and feature extraction speed on many rows (issue 2: one code path, vectorised).

    .venv/bin/python benchmarks/bench_validate.py --rows 1000000

Prints the median of a few runs for: validate_frame on typed columns (as pyarrow
reads a clean CSV), validate_frame on all-text columns (as a form export reads),
and features_from_clean on the clean result.
"""

from __future__ import annotations

import argparse
import statistics
import time

from model.odds.features import features_from_clean
from model.quiz.validation import validate_frame
from model.truth.generator import generate


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    answers = generate(args.rows, seed=1).drop(columns=["reconciled", "p_true"])
    text = answers.astype("string")
    clean = validate_frame(answers, "2026-11-26").clean
    features_from_clean(clean)  # warm up
    cases = {
        "validate_frame, typed columns": lambda: validate_frame(answers, "2026-11-26"),
        "validate_frame, text columns": lambda: validate_frame(text, "2026-11-26"),
        "features_from_clean": lambda: features_from_clean(clean),
    }
    for name, fn in cases.items():
        print(f"{name:<32} {args.rows:>10,} rows: {timed(fn, args.repeat):.3f} s")


if __name__ == "__main__":
    main()
