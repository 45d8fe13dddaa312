"""``exodds examples``: regenerate the example reports (HTML, JSON, Markdown) from the example answer files.

Run from the repository root: every ``examples/*.json`` becomes ``reports/examples/<name>.{html,json,md}``
with a fixed as-of date, so the files only change when the model, the rules or the report change.
With ``--personas``, every hard case in ``tests/data/personas/*.json`` (its answers under "answers", its
own as-of date) becomes ``reports/personas/<name>.{html,json,md}`` for reviewers to read; a persona
whose answers are refused gets ``<name>.txt`` with the error lines instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from model.cli.report import as_of_option, load, print_problems, read_answers
from model.errors import InputError
from model.io import atomic_write, cannot_write
from model.quiz.dates import parse_as_of

AS_OF = "2026-11-26"
PERSONAS = ("tests/data/personas", "reports/personas")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("examples", help="regenerate reports/examples from examples/*.json", description=__doc__)
    p.add_argument("--answers-dir", help="folder of answer files (default: examples, or tests/data/personas)")
    p.add_argument("--out-dir", help="output folder (default: reports/examples, or reports/personas)")
    p.add_argument("--as-of", default=AS_OF, help=f"the as-of date for every example (default: {AS_OF})")
    p.add_argument("--model", help="a model directory written by `exodds train` (default: the shipped model)")
    p.add_argument(
        "--personas",
        action="store_true",
        help="write the reviewers' persona reports (tests/data/personas -> reports/personas); "
        "each persona's own as_of wins over --as-of",
    )
    p.set_defaults(func=run)


def _persona(path: Path, as_of: object) -> tuple[dict[str, Any], object]:
    """A persona file's answers and as-of date (docs/responsibility-checklist.md describes the file)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data["answers"], parse_as_of(data.get("as_of", as_of))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a persona file (an object with answers and as_of): {exc}") from None


def run(args: argparse.Namespace) -> int:
    from model.errors import AnswersError
    from model.report.build import build_report
    from model.report.render import FORMATS, render

    answers_dir = args.answers_dir or (PERSONAS[0] if args.personas else "examples")
    out = Path(args.out_dir or (PERSONAS[1] if args.personas else "reports/examples"))
    as_of = as_of_option(args.as_of)
    files = sorted(Path(answers_dir).glob("*.json"))
    if not files:
        print(f"error: no *.json answer files in {answers_dir}", file=sys.stderr)
        return 2
    model = load(args)
    outputs: dict[str, dict[str, str]] = {}
    for path in files:  # build everything first: a bad example writes nothing at all
        try:
            answers, day = _persona(path, as_of) if args.personas else (read_answers(str(path)), as_of)
            report = build_report(answers, day, model)
            outputs[path.stem] = {fmt: render(report, fmt) for fmt in FORMATS}
        except AnswersError as exc:
            if not args.personas:
                print_problems(exc.problems, str(path))
                return 2
            # a persona may be a contradiction on purpose: its "report" is what `exodds report` prints
            lines = [f"error: {path.name}: {len(exc.problems)} invalid answer(s); no report written:"]
            outputs[path.stem] = {"txt": "\n".join(lines + [f"  {p}" for p in exc.problems]) + "\n"}
    for name, texts in outputs.items():
        for fmt, text in texts.items():
            target = out / f"{name}.{fmt}"
            try:
                with atomic_write(target, "w", encoding="utf-8", newline="\n") as fh:
                    fh.write(text)
            except OSError as exc:
                print(f"error: {cannot_write(target, exc)}", file=sys.stderr)
                return 2
        print(f"wrote {out / name}.{{{','.join(texts)}}}")
    return 0
