"""``exodds mapping-template INPUT``: propose a --mapping file from an export's headers and answers;
with ``--check MAP``, say what a mapping will do to the export before it is scored."""

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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "mapping-template",
        help="propose a mapping from a form-tool export to the quiz, or check one (--check)",
        description=__doc__
        + " Recognises Google Forms, Typeform, Microsoft Forms and Jotform exports by their fixed columns,"
        " matches header text to the questions and answer labels to the choices, and takes only what is"
        " certain: the rest is null and listed under _todo with its candidates, so you only fix that."
        " --check exits 0 when every value reads, 1 when some rows will be rejected for a value, 2 when"
        " the mapping cannot be used (a date layout that reads none of its column's values).",
    )
    p.add_argument("input", help="the export (CSV or Parquet)")
    p.add_argument("--out", help="write the mapping here (default: print it)")
    p.add_argument("--rows", type=_positive, default=5000, help="rows to sample for answers (default 5000)")
    p.add_argument("--check", metavar="MAP", help="read the whole export through this mapping and report, per "
                   "column, what it reads and which values (with their row counts) it does not")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from model.io import atomic_write, cannot_write

    if args.check:
        from model.batch.mapping import load_mapping
        from model.batch.template import check_mapping

        if args.out:
            print("error: --check reports on the terminal; it writes no mapping (drop --out)", file=sys.stderr)
            return 2
        lines, code = check_mapping(args.input, load_mapping(args.check))
        print("\n".join(lines))
        return code

    from model.batch.pipeline import sample_input
    from model.batch.template import propose_mapping

    header, sample = sample_input(args.input, args.rows)
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
    if "_tool" in proposal:
        print(f"export of {proposal['_tool']}", file=sys.stderr)
    if todo:
        print(f"{len(todo)} thing(s) to check in {where}:", file=sys.stderr)
        for item in todo:
            print(f"  - {item}", file=sys.stderr)
    else:
        print(f"every question matched; review {where}, then: exodds score {args.input} --mapping MAP",
              file=sys.stderr)
    return 0
