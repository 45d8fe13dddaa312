"""``exodds examples``: regenerate the example reports (HTML, JSON, Markdown) from the example answer files.

Run from the repository root: every ``examples/*.json`` becomes ``reports/examples/<name>.{html,json,md}``
with a fixed as-of date, so the files only change when the model, the rules or the report change.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model.cli.report import load, print_problems, read_answers
from model.errors import InputError
from model.io import atomic_write, cannot_write
from model.quiz.dates import parse_as_of

AS_OF = "2026-11-26"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("examples", help="regenerate reports/examples from examples/*.json", description=__doc__)
    p.add_argument("--answers-dir", default="examples", help="folder of answer files (default: examples)")
    p.add_argument("--out-dir", default="reports/examples", help="output folder (default: reports/examples)")
    p.add_argument("--as-of", default=AS_OF, help=f"the as-of date for every example (default: {AS_OF})")
    p.add_argument("--model", help="a model directory written by `exodds train` (default: the shipped model)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from model.errors import AnswersError
    from model.report.build import build_report
    from model.report.render import FORMATS, render

    try:
        as_of = parse_as_of(args.as_of)
    except ValueError as exc:
        print(f"error: --as-of: {exc}", file=sys.stderr)
        return 2
    files = sorted(Path(args.answers_dir).glob("*.json"))
    if not files:
        print(f"error: no *.json answer files in {args.answers_dir}", file=sys.stderr)
        return 2
    model = load(args)
    reports = {}
    for path in files:  # build everything first: a bad example writes nothing at all
        try:
            reports[path.stem] = build_report(read_answers(str(path)), as_of, model)
        except InputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except AnswersError as exc:
            print_problems(exc.problems, str(path))
            return 2
    out = Path(args.out_dir)
    for name, report in reports.items():
        for fmt in FORMATS:
            target = out / f"{name}.{fmt}"
            try:
                with atomic_write(target, "w", encoding="utf-8", newline="\n") as fh:
                    fh.write(render(report, fmt))
            except OSError as exc:
                print(f"error: {cannot_write(target, exc)}", file=sys.stderr)
                return 2
        print(f"wrote {out / name}.{{{','.join(FORMATS)}}}")
    return 0
