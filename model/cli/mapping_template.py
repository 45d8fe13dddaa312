"""``exodds mapping-template INPUT``: propose a --mapping file from an export's headers and answers."""

from __future__ import annotations

import argparse
import json
import sys


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} rows: sample at least 1")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "mapping-template",
        help="propose a mapping from a form-tool export to the quiz",
        description=__doc__ + " Matches header text to the questions and answer texts to the choices; what it could"
        " not match is null and listed under _todo, so you only fix that.",
    )
    p.add_argument("input", help="the export (CSV or Parquet)")
    p.add_argument("--out", help="write the mapping here (default: print it)")
    p.add_argument("--rows", type=_positive, default=5000, help="rows to sample for answers (default 5000)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from model.batch.mapping import propose_mapping
    from model.batch.pipeline import sample_input
    from model.errors import InputError
    from model.io import atomic_write, cannot_write

    try:
        header, sample = sample_input(args.input, args.rows)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    proposal = propose_mapping(header, sample)
    text = json.dumps(proposal, indent=2, ensure_ascii=False) + "\n"
    if args.out:
        try:
            with atomic_write(args.out, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            print(f"error: {cannot_write(args.out, exc)}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(text)
    todo = proposal["_todo"]
    where = args.out or "the mapping"
    if todo:
        print(f"{len(todo)} thing(s) to check in {where}:", file=sys.stderr)
        for item in todo:
            print(f"  - {item}", file=sys.stderr)
    else:
        print(f"every question matched; review {where}, then: exodds score {args.input} --mapping MAP", file=sys.stderr)
    return 0
