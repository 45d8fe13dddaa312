"""``exodds update --outcomes FILE --out DIR``: update the model with real outcomes (the closed testing
procedure of Vergouwe et al. 2017) and write the updated model, which report, score, serve and
evaluate take with --model DIR."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

EPILOG = """\
FILE: the quiz answers as given at the time (read as `exodds score` reads an export: CSV or Parquet,
--mapping for a form export) plus a 'reconciled' column: yes/no, 1/0 or true/false, did this person
get back together? Rows that cannot be used go to the errors file (row, column, value, reason),
never guessed.

Method: keep the model, re-estimate its intercept, recalibrate it (intercept and slope), or revise
each question's weight shrunk towards the recalibration (signs kept), chosen by likelihood ratio
tests from the most to the least extensive update (alpha 0.01 to leave the model at all, then 0.05
between updates). It prints each test's statistic,
degrees of freedom and p-value, the decision and why, and what the number of outcomes and events
supports (Riley et al. 2021). The model directory holds weights.npz and model_card.json (no
pickle); its range comes from bootstrap resamples of the outcomes, and its card records where it
came from. Reports made with it say "the guide's assumptions, updated with N real outcomes
collected between ... and ...".

Exit status: 0 written, 3 written but some rows were rejected, 2 the input cannot be used (nothing
written but the errors file), 1 the model cannot be loaded.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "update",
        help="update the model with real outcomes (closed testing procedure)",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--outcomes",
        required=True,
        metavar="FILE",
        help="CSV/Parquet of quiz answers plus 'reconciled' (yes/no, 1/0, true/false)",
    )
    p.add_argument("--model", metavar="DIR", help="model directory to update (default: the built-in model)")
    p.add_argument("--mapping", metavar="MAP", help="JSON file mapping export headers and answers to the quiz")
    p.add_argument(
        "--as-of-column",
        metavar="COL",
        help="column holding the day each row's answers were given: day counts and dates are read as "
        "of it, and its span is when the outcomes were collected (the card and reports name it)",
    )
    p.add_argument(
        "--outcome-column",
        metavar="COL",
        default="reconciled",
        help="column holding the outcome (default: %(default)s)",
    )
    p.add_argument(
        "--horizon-days",
        type=int,
        metavar="N",
        help="the outcome is being back together within N days of answering (reports name it)",
    )
    p.add_argument("--errors", metavar="FILE", help="errors file (default: <outcomes stem>.errors.csv beside it)")
    p.add_argument(
        "--select",
        choices=["laml", "cv"],
        default="laml",
        help="how the revision's shrinkage is chosen: marginal likelihood or 5-fold "
        "cross-validation (default: %(default)s)",
    )
    p.add_argument(
        "--alpha-keep",
        type=float,
        metavar="A",
        help="level of the first test, the one that leaves the model at all; lower keeps it more often "
        "(default: 0.01)",
    )
    p.add_argument(
        "--alpha",
        type=float,
        metavar="A",
        help="level of the tests between updates once the model is left (default: 0.05)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="seed of the bootstrap range and CV folds (default: %(default)s)"
    )
    p.add_argument("--out", required=True, metavar="DIR", help="directory to write the updated model to")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from model.batch.mapping import load_mapping
    from model.batch.outcomes import read_outcome_file, write_errors
    from model.errors import InputError, UsageError
    from model.odds.artifacts import default_model_dir, load_model, save_weights
    from model.training import update as U

    for option, level in (("--alpha", args.alpha), ("--alpha-keep", args.alpha_keep)):
        if level is not None and not 0 < level < 1:
            raise UsageError(f"{option} {level:g}: expected a level between 0 and 1, such as 0.01")
    keep = U.ALPHA_KEEP if args.alpha_keep is None else args.alpha_keep
    between = U.ALPHA if args.alpha is None else args.alpha
    if keep > between:
        raise UsageError(
            f"--alpha-keep {keep:g} is above --alpha {between:g}: leaving the model must take at least the "
            "evidence that choosing between updates takes"
        )
    if args.horizon_days is not None and not 1 <= args.horizon_days <= 36500:
        raise UsageError(f"--horizon-days {args.horizon_days}: expected a whole number of days from 1 to 36500")
    source_dir = Path(args.model) if args.model else default_model_dir()
    out = Path(args.out)
    if _same(out, source_dir):
        raise UsageError(f"--out {args.out}: that is the model being updated; write the update to another directory")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {args.out}: is a file; name a directory to write the model to")
    model = load_model(args.model)
    mapping = load_mapping(args.mapping) if args.mapping else None
    got = read_outcome_file(
        args.outcomes, mapping=mapping, as_of_column=args.as_of_column, outcome_column=args.outcome_column
    )
    src = Path(args.outcomes)
    errors = Path(args.errors) if args.errors else src.with_name(src.name.split(".")[0] + ".errors.csv")
    if _same(errors, src):
        raise UsageError(f"--errors {args.errors}: that is the outcomes file")
    write_errors(got.problems, errors)
    print(f"read {got.n_read:,} rows of {src.name} against model {model.version}")
    for warning in got.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not len(got.y):
        raise InputError(f"{src}: no row could be used, so there is nothing to update with (why: {errors})")
    new, result = U.update_model(
        model,
        got.clean,
        got.y,
        dates=got.dates,
        seed=args.seed,
        select=args.select,
        alpha=U.ALPHA if args.alpha is None else args.alpha,
        alpha_keep=U.ALPHA_KEEP if args.alpha_keep is None else args.alpha_keep,
        outcomes={
            "file": src.name,
            "file_sha256": got.sha256,
            "read": got.n_read,
            "rejected": got.n_rejected,
            "horizon_days": args.horizon_days,
        },
        command=_command(args),
    )
    print(U.describe(result, new.card))
    save_weights(new, out, new.card)
    tail = f"; rejected rows and why: {errors} ({got.n_rejected:,})" if got.n_rejected else ""
    print(f"wrote {out}/ (load it with --model {out}){tail}")
    return 3 if got.n_rejected else 0


def _command(args: argparse.Namespace) -> str:
    """The command that wrote the model, from its options (the card records it)."""
    words = ["exodds", "update"]
    for option in (
        "outcomes",
        "model",
        "mapping",
        "as_of_column",
        "outcome_column",
        "horizon_days",
        "errors",
        "select",
        "alpha_keep",
        "alpha",
        "seed",
        "out",
    ):
        value = getattr(args, option)
        if value is not None:
            words += [f"--{option.replace('_', '-')}", str(value)]
    return " ".join(shlex.quote(w) for w in words)


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):
        return False
