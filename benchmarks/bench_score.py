"""Time ``exodds score`` on a large CSV against pyarrow reading that file and writing the same output.

    .venv/bin/python benchmarks/bench_score.py --rows 1000000
    .venv/bin/python benchmarks/bench_score.py --rows 10000000 --memory-only
    .venv/bin/python benchmarks/bench_score.py --rows 1000000 --gzip

With ``--gzip`` it times a ``.csv.gz`` output against ``gzip -1`` compressing exodds's plain output
(the same bytes): the target is a compressed run within 1.5 times that ``gzip -1``.

The baseline is the least any tool could do with the same bytes: pyarrow's
multi-threaded ``read_csv`` of the input (every column as text) plus
``write_csv`` of exodds's own output table, read back as text. exodds's run
is timed in-process through the command line entry point (model loaded
beforehand). Peak memory is the maximum resident set size of a separate
``exodds score`` process on the same file, so it counts Arrow's buffers too.
Each timing is the best of ``--repeat`` runs; CPU seconds (all threads) are printed too,
as they vary less than wall time on a shared machine.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model.quiz.definition import QUIZ  # noqa: E402

AS_OF = "2025-06-01"


def simple_answers(rows: int, seed: int) -> pd.DataFrame:
    """Valid answers without the synthetic generator (used when it is missing)."""
    rng = np.random.default_rng(seed)
    since = rng.integers(0, 365, rows)
    silent = (rng.random(rows) * since).astype(np.int64)
    blocked = rng.choice(["no", "some", "everywhere"], rows, p=[0.7, 0.2, 0.1])
    data: dict[str, object] = {}
    for q in QUIZ:
        if q.id == "days_since_breakup":
            data[q.id] = since
        elif q.id == "days_silent":
            data[q.id] = silent
        elif q.id == "attempts_last_week":
            data[q.id] = np.where(silent >= 7, 0, rng.integers(0, 4, rows))
        elif q.id == "blocked":
            data[q.id] = blocked
        elif q.id == "days_blocked":
            days = (rng.random(rows) * since).astype(np.int64)
            data[q.id] = pd.arrays.IntegerArray(days, np.asarray(blocked == "no"))
        elif q.is_numeric:
            data[q.id] = rng.integers(0, 12, rows)
        else:
            data[q.id] = rng.choice(list(q.values), rows)
    return pd.DataFrame(data)


def answers(rows: int, seed: int) -> pd.DataFrame:
    try:
        from model.truth.generator import generate
    except ImportError:
        return simple_answers(rows, seed)
    return generate(rows, seed=seed)[list(QUIZ.ids)]


def write_input(path: Path, rows: int, seed: int = 0, block: int = 1_000_000) -> None:
    """A CSV of ``rows`` answers plus an id column with leading zeros, written in blocks."""
    with pa.OSFile(str(path), "wb") as sink:
        writer = None
        for start in range(0, rows, block):
            n = min(block, rows - start)
            df = answers(n, seed + start)
            df.insert(0, "respondent", [f"{i:08d}" for i in range(start, start + n)])
            table = pa.Table.from_pandas(df, preserve_index=False)
            if writer is None:
                writer = pacsv.CSVWriter(sink, table.schema)
            writer.write_table(table)
        if writer is not None:
            writer.close()


def all_text(path: Path) -> pacsv.ConvertOptions:
    with open(path, encoding="utf-8") as fh:
        names = fh.readline().rstrip("\n").split(",")
    return pacsv.ConvertOptions(column_types={n.strip('"'): pa.string() for n in names})


def time_baseline(input_path: Path, output_path: Path, scratch: Path) -> tuple[float, float, float, float]:
    """(wall, cpu, read wall, write wall) of pyarrow reading the input and writing exodds's output."""
    out_table = pacsv.read_csv(output_path, convert_options=all_text(output_path))
    c0, t0 = time.process_time(), time.perf_counter()
    pacsv.read_csv(input_path, convert_options=all_text(input_path))
    t1 = time.perf_counter()
    pacsv.write_csv(out_table, scratch)
    t2 = time.perf_counter()
    return t2 - t0, time.process_time() - c0, t1 - t0, t2 - t1


def use_fakes() -> None:
    """Score with a cheap stand-in model and advice (to see the pipeline's own overhead)."""
    from model.batch import pipeline as batch

    class FakeModel:
        version = "fake"

        def score_clean(self, clean, explain=True):
            days = clean["days_silent"].to_numpy(dtype=np.float64)
            ign = clean["attempts_ignored"].to_numpy(dtype=np.float64)
            contrib = pd.DataFrame(
                {"days_silent": days / 100 - 0.5, "attempts_ignored": -ign / 5, "intercept": -1.0},
                index=clean.index,
            )
            p = 1 / (1 + np.exp(-contrib.sum(axis=1).to_numpy()))
            odds = pd.DataFrame(
                {"reversal_odds": p, "odds_low": p * 0.9, "odds_high": np.minimum(p * 1.1, 1)}, index=clean.index
            )
            return odds, contrib

    class FakeAdvice:
        @staticmethod
        def plan_frame(clean, as_of):
            n = len(clean)
            return pd.DataFrame(
                {
                    "stage": np.ones(n, np.int64),
                    "earliest_contact": np.asarray(as_of, dtype="datetime64[D]") + np.timedelta64(7, "D"),
                },
                index=clean.index,
            )

        @staticmethod
        def bands(p):
            return np.where(p < 0.3, "low", "fair")

    batch.default_model = FakeModel
    batch.default_advice = FakeAdvice


def time_gzip(path: Path) -> tuple[float, float]:
    """(wall, cpu) of ``gzip -1 -c path > /dev/null`` (CPU from the child's resource usage)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        subprocess.run(["gzip", "-1", "-c", str(path)], stdout=sink, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def compare_gzip(input_path: Path, tmp_path: Path, repeat: int) -> None:
    """A .csv.gz output against the plain one and against gzip -1 on the plain output's bytes."""
    plain, packed = tmp_path / "responses.scored.csv", tmp_path / "responses.scored.csv.gz"
    runs = {}
    for _ in range(repeat):  # interleaved, so that load on a shared machine falls on all three alike
        for name, fn in (("plain", lambda: time_exodds(input_path, plain)),
                         ("gz", lambda: time_exodds(input_path, packed)),
                         ("gzip -1", lambda: time_gzip(plain))):
            runs.setdefault(name, []).append(fn())
    best = {name: min(r, key=lambda t: t[0]) for name, r in runs.items()}
    for name, (wall, cpu) in best.items():
        print(f"{name + ':':22s} {wall:6.2f} s wall, {cpu:6.2f} s CPU")
    print(f"output: {plain.stat().st_size / 1e6:.0f} MB plain, {packed.stat().st_size / 1e6:.0f} MB gzipped")
    gz, ref, flat = best["gz"], best["gzip -1"], best["plain"]
    print(f".csv.gz / gzip -1:      {gz[0] / ref[0]:6.2f} wall, {gz[1] / ref[1]:6.2f} CPU  (target <= 1.5)")
    print(f".csv.gz / plain .csv:   {gz[0] / flat[0]:6.2f} wall, {gz[1] / flat[1]:6.2f} CPU")


def time_exodds(input_path: Path, output_path: Path) -> tuple[float, float]:
    """(wall, cpu) of ``exodds score`` run in this process; CPU counts every thread."""
    from model.cli import main

    buf = io.StringIO()
    c0, t0 = time.process_time(), time.perf_counter()
    with contextlib.redirect_stdout(buf):
        code = main(["score", str(input_path), "--out", str(output_path), "--as-of", AS_OF, "--quiet"])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if code not in (0, 3):
        raise SystemExit(f"exodds score failed with exit code {code}: {buf.getvalue()}")
    print(f"  exodds: {buf.getvalue().strip().splitlines()[-1]}  ({wall:.2f} s)")
    return wall, cpu


def peak_kb() -> int:
    """This process's peak resident set size in kB: VmHWM (ru_maxrss on Linux keeps the parent's
    size from before exec, so it over-reports for a child of a big process)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_memory_mb(input_path: Path, output_path: Path, fake: bool) -> float:
    """Maximum resident set size of a separate ``exodds score`` process, as it reports it at exit."""
    code = (
        "import resource, sys; "
        "from benchmarks.bench_score import peak_kb; "
        + ("import benchmarks.bench_score as b; b.use_fakes(); " if fake else "")
        + "from model.cli import main; "
        f"rc = main(['score', {str(input_path)!r}, '--out', {str(output_path)!r}, "
        f"'--as-of', {AS_OF!r}, '--quiet']); "
        "print('maxrss', peak_kb()); sys.exit(rc)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode not in (0, 3):
        raise SystemExit(f"exodds score failed: {proc.stderr}")
    line = [x for x in proc.stdout.splitlines() if x.startswith("maxrss")][-1]
    return int(line.split()[1]) / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--input", type=Path, help="use this CSV instead of generating one")
    ap.add_argument("--repeat", type=int, default=3, help="timings: best of this many runs")
    ap.add_argument("--fake", action="store_true", help="stand-in model and advice: the pipeline's own overhead")
    ap.add_argument("--memory-only", action="store_true", help="only the peak-memory run (for 10M rows)")
    ap.add_argument("--gzip", action="store_true", help="a .csv.gz output against gzip -1 on the same bytes")
    ap.add_argument("--workdir", type=Path, help="where to put the files (default: a temporary folder)")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        tmp_path = Path(tmp)
        if args.input:
            input_path = args.input
        else:
            input_path = tmp_path / "responses.csv"
            t0 = time.perf_counter()
            write_input(input_path, args.rows)
            print(f"generated {args.rows:,} rows in {time.perf_counter() - t0:.1f}s -> {input_path}")
        output_path = tmp_path / "responses.scored.csv"
        size_mb = os.path.getsize(input_path) / 1e6
        print(
            f"input: {size_mb:.1f} MB; cpus: {os.cpu_count()}; pyarrow {pa.__version__}; "
            f"model: {'fake (pipeline overhead only)' if args.fake else 'real'}"
        )

        if args.memory_only:
            peak = peak_memory_mb(input_path, output_path, args.fake)
            print(f"peak memory (max RSS of `exodds score`): {peak:.0f} MB")
            return 0

        if args.fake:
            use_fakes()
        else:
            from model.odds.artifacts import load_model

            load_model()  # load once, as a warm process would
        if args.gzip:
            compare_gzip(input_path, tmp_path, args.repeat)
            return 0
        ours = min((time_exodds(input_path, output_path) for _ in range(args.repeat)), key=lambda t: t[0])
        base = min(
            (time_baseline(input_path, output_path, tmp_path / "baseline.csv") for _ in range(args.repeat)),
            key=lambda t: t[0],
        )
        with open(input_path, "rb") as fh:
            rows = sum(1 for _ in fh) - 1
        peak = peak_memory_mb(input_path, tmp_path / "mem.scored.csv", args.fake)
        print(f"exodds score:          {ours[0]:6.2f} s wall, {ours[1]:6.2f} s CPU  ({rows / ours[0]:,.0f} rows/s)")
        print(
            f"pyarrow read + write:  {base[0]:6.2f} s wall, {base[1]:6.2f} s CPU  "
            f"(read {base[2]:.2f} s, write {base[3]:.2f} s)"
        )
        print(f"ratio:                 {ours[0] / base[0]:6.2f} wall, {ours[1] / base[1]:6.2f} CPU  (target <= 2)")
        print(f"peak memory (max RSS): {peak:6.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
