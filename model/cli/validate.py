"""``exodds validate FILE``: check answers and print every problem with its row and question."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from model.errors import InputError, MappingError, MissingColumnsError
from model.io import read_json_answers
from model.quiz.definition import QUIZ


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "validate",
        help="check a JSON answer file or a CSV/Parquet of answers",
        description=__doc__
        + " A CSV or Parquet table is read exactly as `exodds score` reads it, so the row numbers match"
        " its errors file. Exit 0 when every row is valid, 1 when some row has a problem, 2 when the file"
        " (or --as-of, or the mapping) cannot be used at all, as for `exodds score`.",
    )
    p.add_argument("file", help="JSON (object or list of objects), CSV (may be gzipped) or Parquet")
    p.add_argument("--as-of", help="date the answers were given (YYYY-MM-DD); default today")
    p.add_argument("--mapping", help="for a form export: JSON file mapping its headers and answers to the quiz")
    p.add_argument("--id-column", help="the column that identifies a respondent (default: the mapping's "
                   "id_column): each problem names its row's key too")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if str(args.file).lower().endswith(".json"):
        return _run_json(args)
    from model.batch import pipeline as batch
    from model.batch.mapping import load_mapping
    from model.quiz.validation import Problem

    def show(rows: list[tuple[Any, ...]]) -> None:
        for found in rows:
            if len(found) == 5:  # with a respondent key: "row N (key): question = value: reason"
                row, key, column, value, reason = found
                print(Problem(f"{row} ({key or 'no key'})", column, value, reason))
            else:
                print(Problem(*found))  # "row N: question = value: reason"

    try:
        mapping = load_mapping(args.mapping) if args.mapping else None
        # a table is read exactly as `exodds score` reads it: same records, same numbers
        checked = batch.check_file(
            args.file, mapping=mapping, as_of=args.as_of, on_problems=show, id_column=args.id_column
        )
    except (InputError, MappingError, MissingColumnsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for warning in checked.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if checked.other_columns:  # an id, an outcome, a timestamp: noted once, not a problem per row
        print(f"note: columns not in the quiz: {', '.join(checked.other_columns)}", file=sys.stderr)
    print(f"{checked.n_read} row(s): {checked.n_valid} valid, {checked.n_rejected} with problems")
    return 0 if checked.n_rejected == 0 else 1


def _run_json(args: argparse.Namespace) -> int:
    """One answer set or a list of them: an unknown key is a mistake in it."""
    from model.quiz.validation import validate_frame

    if args.id_column:
        print("error: --id-column is for tables (CSV/Parquet), not JSON answer files", file=sys.stderr)
        return 2
    if args.mapping:
        print("error: --mapping is for form exports (CSV/Parquet), not JSON answer files", file=sys.stderr)
        return 2
    try:
        import pandas as pd

        records = read_json_answers(args.file)
        # dtype=object keeps each answer as written: 50 stays 50 even when another record leaves the
        # key out (inference would make it 50.0); rows are numbered from 1, as a person counts them
        df = pd.DataFrame(records, dtype=object, index=pd.RangeIndex(1, len(records) + 1))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        result = validate_frame(df, args.as_of, extra="error")
    except ValueError as exc:
        print(f"error: {args.file}: {exc}", file=sys.stderr)
        return 2
    for p in result.problem_list():
        print(p)  # "row N: question = value: reason"; a blank shows as (blank), not nan/None
    unknown = [c for c in df.columns if c not in QUIZ.columns]
    if unknown:
        print(f"note: columns not in the quiz: {', '.join(map(str, unknown))}", file=sys.stderr)
    print(f"{result.n_rows} row(s): {result.n_valid} valid, {result.n_rejected} with problems")
    return 0 if result.n_rejected == 0 else 1
