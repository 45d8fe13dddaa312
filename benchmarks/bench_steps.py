"""Time each step of batch scoring on its own, one thread, block by block (where the time goes).

    .venv/bin/python benchmarks/bench_steps.py --rows 1000000

The pipeline (``exodds score``) runs these steps in four threads; this script runs them one
after another on the same blocks, so the sum is the CPU time the pipeline has to spread over the
cores. It calls the package's private step functions, so it changes when they do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_score import write_input  # noqa: E402

from model.batch import coding  # noqa: E402
from model.batch import pipeline as batch  # noqa: E402
from model.batch.readers import chunk_records, fast_chunks, inspect_input  # noqa: E402
from model.batch.sinks import LinesSink  # noqa: E402
from model.odds.artifacts import load_model  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--input", type=Path, help="a CSV to time instead of generated answers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.input or Path(tmp) / "responses.csv"
        if args.input is None:
            write_input(path, args.rows)
        model, advice = load_model(), batch.default_advice()
        info = inspect_input(path)
        resolved = batch._resolve(info, None)
        used = list(resolved.used_headers)
        sink = LinesSink(Path(tmp) / "out.csv", [*info.header, *batch.SCORE_COLUMNS], info.delimiter, False)
        names = ["cutting blocks", "parsing", "coding answers", "score_frame", "formatting and writing"]
        steps = dict.fromkeys(names, 0.0)
        cpu = time.process_time()
        t = time.perf_counter()
        chunks = list(fast_chunks(info, batch.blocks.BLOCK_BYTES))
        steps["cutting blocks"] = time.perf_counter() - t
        rows = 0
        for chunk in chunks:
            t = time.perf_counter()
            table, lines, numbers = chunk_records(chunk, info, used, lines=True)
            t1 = time.perf_counter()
            df = coding.arrow_frame(table, used, numbers, resolved)
            t2 = time.perf_counter()
            result = batch.score_frame(df, model=model, as_of=dt.date(2025, 6, 1), advice=advice)
            t3 = time.perf_counter()
            sink.write_lines(lines, result.scored, chunk.line_end, True)
            t4 = time.perf_counter()
            for name, took in zip(steps, (0.0, t1 - t, t2 - t1, t3 - t2, t4 - t3), strict=True):
                steps[name] += took
            rows += table.num_rows
        sink.close()
        cpu = time.process_time() - cpu
    print(f"{rows:,} rows in {len(chunks)} blocks, one step at a time on one thread:")
    for name, took in steps.items():
        print(f"  {name:24s} {took:6.2f} s")
    print(f"  {'sum':24s} {sum(steps.values()):6.2f} s   (CPU {cpu:.2f} s)")


if __name__ == "__main__":
    main()
