"""``exodds report ANSWERS.json``: the results report for one answer set, as Markdown, JSON or HTML."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from model.errors import AnswersError, InputError, UsageError, exit_code
from model.io import atomic_write, cannot_write, read_json_answers
from model.quiz.dates import parse_as_of
from model.report import FORMATS

EPILOG = """\
Format: --format, else the extension of --out (.md, .json, .html), else Markdown.
Output: --out FILE (written whole or not at all), else stdout.
Exit status: 0 report written; 2 the answers are invalid (each problem on its own line on
stderr, no file written) or the file cannot be read; 1 the model cannot be loaded.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "report",
        help="write the results report for one answer file",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("answers", help="JSON object of answers (question id -> answer); or a one-row CSV")
    add_output_arguments(p)
    p.set_defaults(func=run)


def add_output_arguments(p: argparse.ArgumentParser) -> None:
    """--as-of, --format, --out, --model: shared by `report` and `quiz`."""
    p.add_argument("--as-of", help="the day the answers were given (YYYY-MM-DD); default today")
    p.add_argument("--format", choices=FORMATS, help="md, json or html (default: by --out extension, else md)")
    p.add_argument("--out", help="output file (default: stdout)")
    p.add_argument("--model", help="a model directory written by `exodds train` (default: the shipped model)")


def read_answers(path: str) -> dict[str, Any]:
    """One answer set from a JSON object (or a list holding one), or a one-row CSV/Parquet file."""
    p = Path(path)
    if p.suffix.lower() == ".json" or not p.exists() or p.is_dir():
        records = read_json_answers(p)
        if len(records) != 1:
            raise InputError(
                f"{path}: expected one JSON object of answers (question id -> answer), got a list of "
                f"{len(records)} (use `exodds validate` or `exodds score` for many)"
            )
        return records[0]
    # A table is read as `exodds score` reads one (gzip, BOM, separators, Latin-1), and like it keeps
    # only the quiz's columns: an export's other columns (an email, a timestamp) are not answers.
    from model.batch.mapping import resolve_columns
    from model.batch.pipeline import unanswered_warnings
    from model.batch.readers import sample_input

    header, sample = sample_input(p, 2)
    if len(sample) != 1:
        raise InputError(
            f"{path}: expected exactly one readable answer set, found {len(sample)}"
            f"{' or more' if len(sample) > 1 else ''} (use `exodds score` for many)"
        )
    try:
        resolved = resolve_columns(header, require=False)
    except ValueError as exc:
        raise InputError(f"{path}: {exc}") from None
    by_quiz = resolved.by_quiz
    ignored = [h for h in header if h not in by_quiz.values()]
    if ignored:
        print(f"note: {path}: not quiz questions, ignored: {', '.join(ignored)}", file=sys.stderr)
    for warning in unanswered_warnings(resolved, fix="rename that header {qid}"):
        print(f"warning: {warning}", file=sys.stderr)
    row = sample.iloc[0]
    return {qid: (None if _blank(row[h]) else row[h]) for qid, h in by_quiz.items()}


def _blank(v: Any) -> bool:
    try:
        return v is None or (isinstance(v, float) and v != v)
    except TypeError:
        return False


def print_problems(problems: list[Any], where: str) -> None:
    print(f"error: {where}: {len(problems)} invalid answer(s); no report written:", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)


def emit(report: Mapping[str, Any], fmt: str | None, out: str | None, fallback: bool = False) -> int:
    """Render ``report`` and write it to ``out`` atomically (or to stdout); the exit code. When
    ``out`` cannot be written, say why (exit 2) and, with ``fallback``, print the report instead, so
    that answers typed in are not lost."""
    from model.report.render import format_for_path, render, unknown_extension

    odd = unknown_extension(out) if out and not fmt else None
    if odd:  # say so rather than write Markdown into report.pdf
        print(
            f"error: {out}: cannot write a {odd} report; name it .html, .md or .json, or give --format", file=sys.stderr
        )
        if not fallback:
            return 2
        print("the report follows here instead, as Markdown:", file=sys.stderr)
        out, fmt = None, "md"
    fmt = fmt or format_for_path(out, "md")
    text = render(report, fmt)
    code = 2 if odd else 0
    if out:
        try:
            with atomic_write(out, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
        except OSError as exc:
            print(f"error: {cannot_write(out, exc)}", file=sys.stderr)
            if not fallback:
                return 2
            print("the report follows here instead, as Markdown:", file=sys.stderr)
            text = render(report, "md")
            code = 2
        else:
            print(f"wrote {out}", file=sys.stderr)
            return 0
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()
    return code


def load(args: argparse.Namespace) -> Any:
    from model.odds.artifacts import load_model
    from model.truth.assumptions import stale_assumptions_warning

    model = load_model(args.model) if getattr(args, "model", None) else load_model()
    stale = stale_assumptions_warning(model)
    if stale:
        print(f"warning: {stale}", file=sys.stderr)
    return model


def as_of_option(text: str | None) -> Any:
    """--as-of, named in its own error (exit 2, as every usage error)."""
    try:
        return parse_as_of(text)
    except UsageError as exc:
        raise UsageError(f"--as-of: {exc}") from None


def run(args: argparse.Namespace) -> int:
    """An unreadable file, invalid answers or a model that cannot load go up to ``main`` as what they
    are (their class decides the exit code); invalid answers are said here, naming the file."""
    from model.report.build import build_report

    as_of = as_of_option(args.as_of)
    answers = read_answers(args.answers)
    model = load(args)
    try:
        report = build_report(answers, as_of, model)
    except AnswersError as exc:
        print_problems(exc.problems, args.answers)
        return exit_code(exc)
    return emit(report, args.format, args.out)
