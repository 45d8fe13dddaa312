"""``exodds score INPUT``: score every row of a response export; rejected rows go to an errors file.

INPUT is a file, or an export in parts: a folder (Spark, Hive and warehouse unloads write these) or a
glob of CSV/Parquet parts, scored into a folder of Parquet parts (``--out``, default INPUT.scored)
with one errors file that names each problem's part. ``--engine dask`` scores the parts on a Dask
cluster: a local one by default (``--workers``), or an existing one (``--scheduler``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from model.errors import OutputError
from model.io import cannot_write

EPILOG = """\
Output: every input column as read, in order, plus reversal_odds, odds_low, odds_high, band,
stage, earliest_contact, top_factor_up, top_factor_down, model_version; accepted rows only.
Errors: CSV of row, column, value, reason (row 1 = first record after the header); with a
respondent key (--id-column, or the mapping's id_column) row, respondent, column, value, reason;
for parts, file (the part, as named under INPUT) comes first and rows are numbered in each part.
The last line printed is `read N, scored M, rejected K`.
Exit status: 0 all rows scored, 3 some rows rejected, 2 the input (or mapping) cannot be used or
the output cannot be written (nothing is written then), 1 the model cannot be loaded,
130 interrupted (Ctrl-C) and 143 stopped (SIGTERM), leaving no partial file.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "score",
        help="score a CSV/Parquet export of quiz answers",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", help="CSV (comma, semicolon or tab; UTF-8; may be gzipped) or Parquet; or a folder "
                   "or a glob (quoted) of such parts")
    p.add_argument(
        "--out", help="output file: .csv, .tsv, .txt (each may end .gz), .parquet or .pq (default: INPUT with "
        ".scored); for parts, a folder of Parquet parts (default: INPUT.scored)"
    )
    p.add_argument("--errors", help="errors file (default: <output stem>.errors.csv)")
    p.add_argument("--mapping", help="JSON file mapping export headers and answers to the quiz")
    p.add_argument(
        "--as-of",
        help="date the answers were given (YYYY-MM-DD); default: each row's date in "
        "the mapping's timestamp column, else today (given, it replaces the timestamps)",
    )
    p.add_argument(
        "--model",
        metavar="DIR",
        help="model directory (`exodds train --out`, `exodds update --out`); default: the built-in model",
    )
    p.add_argument(
        "--id-column",
        help="the column that identifies a respondent (default: the mapping's id_column): the errors file "
        "and the summary name rejected rows by it, and rows with the same key and the same answers are "
        "reported as duplicates (each is still scored)",
    )
    p.add_argument(
        "--engine",
        default="local",
        help="where to score: local (this process, the default) or dask (a Dask cluster: exodds[dask])",
    )
    p.add_argument("--workers", type=int, help="--engine dask: workers of the local cluster (default: one a core)")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="--engine dask: use the cluster whose scheduler is at ADDRESS (tcp://host:8786) instead "
        "of a local one; its workers must see INPUT and --out at the same paths",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing but the summary line")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from model.batch.engines import make_engine
    from model.errors import UsageError

    options = {k: v for k, v in (("workers", args.workers), ("scheduler", args.scheduler)) if v is not None}
    if options and args.engine == "local":
        raise UsageError(f"--{next(iter(options))} is for --engine dask; the local engine runs in this process")
    engine = make_engine(args.engine, **options)
    try:
        from model.batch.mapping import load_mapping

        mapping = load_mapping(args.mapping) if args.mapping else None
        if args.as_of:
            from model.quiz.dates import parse_as_of

            parse_as_of(args.as_of)
        summary = engine.score(
            args.input,
            args.out,
            args.errors,
            mapping=mapping,
            as_of=args.as_of,
            model_dir=args.model,
            progress=sys.stderr.isatty() and not args.quiet,
            id_column=args.id_column,
        )
    except OutputError:
        raise  # (its own message names the file and why)
    except OSError as exc:  # the output cannot be written (no space, no permission)
        print(f"error: {_write_failure(args, exc)}", file=sys.stderr)
        return 2
    if not args.quiet:
        for warning in summary.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        for line in summary.respondent_lines():
            print(line, file=sys.stderr)
        if sys.stderr.isatty():
            print(f"wrote {summary.output}", file=sys.stderr)
            if summary.n_rejected:
                print(f"rejected rows and why: {summary.errors}", file=sys.stderr)
    print(summary.line)
    return summary.exit_code


def _write_failure(args: argparse.Namespace, exc: OSError) -> str:
    """Which of the two files could not be written, and why in words (the failing name may be a
    folder on the way or the temporary file beside the target)."""
    from model.batch.sinks import default_errors_path, default_output_path

    out = Path(args.out) if args.out else default_output_path(args.input)
    targets = [out, Path(args.errors) if args.errors else default_errors_path(out)]
    failed = Path(exc.filename) if exc.filename else None
    if failed is not None:
        checks: tuple[Callable[[Path], bool], ...] = (
            lambda t: failed == t or failed in t.parents,
            lambda t: failed.parent == t.parent,
        )
        for matches in checks:
            for target in targets:
                if matches(target):
                    return cannot_write(target, exc)
    return f"cannot write the output: {exc.strerror or exc}"
