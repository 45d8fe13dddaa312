"""``exodds train``: fit the odds model on a file or on fresh synthetic data."""

from __future__ import annotations

import argparse
import shlex
import sys

from model.training.settings import TrainConfig


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "train",
        help="train the odds model (on a file, or on fresh synthetic data)",
        description=__doc__
        + " Writes model.joblib, weights.npz and model_card.json. Without --data the range around each prediction "
        "comes from an ensemble over the generator's assumptions (the plausible range). With --data every row is "
        "used: the penalty, the link, interaction terms and the calibration map are chosen by cross-fitting, the "
        "final fit uses all rows, and the range is the spread of refits to bootstrap resamples (the sampling range).",
    )
    p.add_argument("--data", help="CSV/Parquet of quiz answers plus 'reconciled' (p_true ignored)")
    p.add_argument("--rows", type=int, default=TrainConfig.rows, help="synthetic rows when no --data (%(default)s)")
    p.add_argument("--seed", type=int, default=TrainConfig.seed, help="seed for data, splits and ensemble")
    p.add_argument("--members", type=int, default=TrainConfig.members, help="ensemble size (%(default)s)")
    p.add_argument(
        "--portable",
        action="store_true",
        help="with --data: choose only what export-sql and export-model can carry (the logit link; no "
        "piecewise calibration map); interaction terms are kept",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--out", default="models/latest", help="output directory (%(default)s)")
    where.add_argument("--default", action="store_true", help="rebuild the built-in default model in place")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from model.errors import InputError
    from model.odds.artifacts import default_model_dir
    from model.training.train import save_model, train_model

    def log(msg: str) -> None:
        print(msg, file=sys.stderr)

    data = None
    if args.data:
        from model.io import read_table

        try:
            data = read_table(args.data)
        except InputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    config = TrainConfig(rows=args.rows, seed=args.seed, members=args.members)
    if args.portable:
        from dataclasses import replace

        config = replace(config, links=("logit",), calibrations=("none", "sigmoid", "isotonic"))
    try:
        model = train_model(data, config, source=args.data, log=log)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = default_model_dir() if args.default else args.out
    command = "exodds " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:] else None
    path = save_model(model, out, command=command)
    m = model.card["held_out_metrics"]
    summary = ", ".join(f"{k} {m[k]:.4f}" for k in ("brier", "log_loss", "ece", "auc", "mae_p_true") if k in m)
    held = "out-of-fold" if data is not None else "held-out"
    print(f"model written to {path} ({model.version}); {held} {summary}")
    return 0
