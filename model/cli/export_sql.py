"""``exodds export-sql``: the model as one SQL query, for the database or warehouse the answers live in.

The query reads a table with one column per quiz question (clean, typed answers: whole numbers, the
choice values, days_blocked null when not blocked) and returns every input column plus
reversal_odds, odds_low, odds_high, band, top_factor_up and top_factor_down, computed from the
model's own tables with no user-defined function. It does not validate the answers (``--validation``
writes a second query that gives each row its first problem, or null), read dates, or plan (stage
and earliest_contact need ``exodds score``).
"""

from __future__ import annotations

import argparse
import sys

DIALECT_NAMES = ("duckdb", "sqlite", "postgres", "spark")  # (model.export.sql.DIALECTS, without importing it)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "export-sql",
        help="write the model (or its validation checks) as one SQL query",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--dialect", choices=DIALECT_NAMES, required=True, help="the engine that runs the query")
    p.add_argument("--table", default="responses",
                   help="the table (or view) of answers; dotted names are quoted part by part (default: responses)")
    p.add_argument("--model", help="a model directory (default: the shipped model)")
    p.add_argument("--validation", action="store_true",
                   help="write the validation query instead: every row with its first problem, or null")
    p.add_argument("--out", help="file to write (default: stdout)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from model.errors import UsageError
    from model.export import sql

    try:
        if args.validation:
            query = sql.validation_query(dialect_name=args.dialect, table=args.table)
        else:
            from model.odds.artifacts import load_model

            model = load_model(args.model) if args.model else load_model()
            query = sql.score_query(model, dialect_name=args.dialect, table=args.table)
    except ValueError as exc:  # (an empty table name)
        raise UsageError(f"--table: {exc}") from None
    return write_text(query, args.out)


def write_text(text: str, out: str | None) -> int:
    """``text`` to ``out`` (atomically: a failed run leaves the previous file) or to stdout; the exit code."""
    if not out:
        sys.stdout.write(text)
        return 0
    from model.io import atomic_write, cannot_write

    try:
        with atomic_write(out, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    except OSError as exc:  # (OutputError, a pipe or a device, included)
        print(f"error: {cannot_write(out, exc)}", file=sys.stderr)
        return 2
    print(f"wrote {out}", file=sys.stderr)
    return 0
