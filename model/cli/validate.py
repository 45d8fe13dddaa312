"""``exodds validate FILE``: check answers and print every problem with its row and question."""

from __future__ import annotations

import argparse
import sys

from model.io import InputError, read_answer_file
from model.quiz import QUIZ
from model.validation import validate_frame


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate",
        help="check a JSON answer file or a CSV/Parquet of answers",
        description=__doc__ + " Exit 0 when every row is valid, 1 otherwise.",
    )
    p.add_argument("file", help="JSON (object or list of objects), CSV or Parquet")
    p.add_argument("--as-of", help="date the answers were given (YYYY-MM-DD); default today")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        df = read_answer_file(args.file)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    # one answer set (JSON): an unknown key is a mistake in it; a table may carry other columns
    # (an id, an outcome, a timestamp), which are noted once rather than failing every row
    is_json = str(args.file).lower().endswith(".json")
    try:
        result = validate_frame(df, args.as_of, extra="error" if is_json else "ignore")
    except ValueError as exc:
        print(f"error: {args.file}: {exc}", file=sys.stderr)
        return 1
    for p in result.problem_list():
        print(p)  # "row N: question = value: reason"; a blank shows as (blank), not nan/None
    unknown = [c for c in df.columns if c not in QUIZ.columns]
    if unknown:
        print(f"note: columns not in the quiz: {', '.join(map(str, unknown))}", file=sys.stderr)
    print(f"{result.n_rows} row(s): {result.n_valid} valid, {result.n_rejected} with problems")
    return 0 if result.n_rejected == 0 else 1
