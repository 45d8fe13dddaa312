"""``exodds evaluate``: how good the odds are. On synthetic data, the model beside two peers and the truth;
on real outcomes (``--data FILE`` without a p_true column, or with ``--model``/``--compare``), what clinical
prediction work reports for a validation, one model or two side by side, never retraining anything."""

from __future__ import annotations

import argparse
import sys

from model.training.settings import HELD_OUT_ROWS

EPILOG = """\
Three ways to run it:
  exodds evaluate                                   fresh synthetic rows: the built-in model, two peers
                                                    and the generator's truth
  exodds evaluate --data synthetic.csv              a file with p_true (from `exodds synth`): a model
                                                    trained on 80% of it, the peers, the truth
  exodds evaluate --data outcomes.csv [--model A] [--compare B]
                                                    real outcomes (no p_true, or a model named): each
                                                    model scores the file as it is. Calibration in the
                                                    large and slope with 95% intervals, a smoothed
                                                    calibration curve with a band, smooth ECE with an
                                                    interval, binned ECE with its bins, Brier with its
                                                    decomposition, AUC with an interval; the number of
                                                    events, and a warning under 100. A model from
                                                    `exodds update` is compared with the model it came
                                                    from when that is the built-in one (or --compare).
The outcomes file is read as `exodds update` reads it (answers plus 'reconciled'; --mapping,
--as-of-column); rejected rows go to the errors file. Exit status: 0, or 3 when some rows were rejected.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "evaluate",
        help="evaluate the model: against peers and the truth, or on real outcomes",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--data",
        metavar="FILE",
        help="CSV/Parquet with answers and 'reconciled' (and p_true if known); "
        "default: fresh synthetic held-out data for the default model",
    )
    p.add_argument(
        "--model",
        metavar="DIR",
        help="model directory (`exodds train --out`, `exodds update --out`); default: the built-in model",
    )
    p.add_argument(
        "--compare",
        metavar="DIR",
        help="a second model to score the same outcomes, side by side (with --data): say the model before an update",
    )
    p.add_argument("--mapping", metavar="MAP", help="JSON file mapping export headers and answers to the quiz")
    p.add_argument("--as-of-column", metavar="COL", help="column holding the day each row's answers were given")
    p.add_argument(
        "--outcome-column",
        metavar="COL",
        default="reconciled",
        help="column holding the outcome (default: %(default)s)",
    )
    p.add_argument(
        "--errors",
        metavar="FILE",
        help="errors file for rejected outcome rows (default: <data stem>.errors.csv beside it)",
    )
    p.add_argument(
        "--bootstrap",
        type=int,
        default=200,
        metavar="N",
        help="bootstrap resamples for the intervals of smooth ECE and the curve's band (default: %(default)s)",
    )
    p.add_argument("--out", default="reports/evaluation", help="output directory (%(default)s)")
    p.add_argument(
        "--held-out-rows", type=int, default=HELD_OUT_ROWS, help="fresh synthetic rows to score (%(default)s)"
    )
    p.set_defaults(func=run)


def log(msg: str) -> None:
    print(msg, file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    if args.data:
        from model.batch.pipeline import inspect_input

        synthetic = "p_true" in [str(h) for h in inspect_input(args.data).header]
        if not synthetic or args.model or args.compare or args.mapping or args.as_of_column:
            return run_real(args)
    elif args.compare:
        from model.errors import UsageError

        raise UsageError("--compare needs --data: the outcomes both models are scored on")
    from model.odds.artifacts import load_model
    from model.report.evaluation import write_report
    from model.training.evaluate import evaluate

    model = load_model(args.model) if args.model else None  # (errors go to main, exit by their class)
    data = None
    if args.data:
        from model.io import read_table

        data = read_table(args.data)
    result = evaluate(data, model, held_out_rows=args.held_out_rows, log=log)
    out = write_report(result, args.out)
    print(f"{'model':<14}{'brier':>8}{'log_loss':>10}{'ece':>8}{'auc':>8}{'mae_p_true':>12}{'fit_seconds':>13}")
    for name, m in result["metrics"].items():
        mae = f"{m['mae_p_true']:>12.4f}" if "mae_p_true" in m else f"{'-':>12}"
        secs = f"{m['fit_seconds']:>13.1f}" if m.get("fit_seconds") is not None else f"{'-':>13}"
        print(f"{name:<14}{m['brier']:>8.4f}{m['log_loss']:>10.4f}{m['ece']:>8.4f}{m['auc']:>8.4f}{mae}{secs}")
    cover = result["model"].get("range_coverage_of_p_true")
    if cover:
        name = result["model"].get("range_name") or "range"
        print(
            f"the model's {name} held p_true in {cover['coverage']:.0%} of held-out rows "
            f"(below it {cover['truth_below']:.0%}, above it {cover['truth_above']:.0%})"
        )
    print(f"report written to {out}/index.html")
    return 0


def run_real(args: argparse.Namespace) -> int:
    """Score real outcomes with one or two models as they are, and write the clinical validation page."""
    from pathlib import Path

    import numpy as np
    import pandas as pd

    from model.batch.mapping import load_mapping
    from model.batch.outcomes import read_outcome_file, write_errors
    from model.errors import InputError, UsageError
    from model.odds.artifacts import load_model
    from model.odds.provenance import odds_basis, updated_with
    from model.report.evaluation import write_real_report
    from model.training.realmetrics import evaluate_real, format_table

    if args.bootstrap < 10:
        raise UsageError(f"--bootstrap {args.bootstrap}: expected at least 10 resamples")
    model = load_model(args.model)
    compare, names = None, ("compared", "model")
    before = updated_with(model.card)
    if args.compare:
        compare = load_model(args.compare)
    elif before is not None:
        shipped = load_model()
        if shipped.card.get("weights_sha256") == (model.card.get("updated_from") or {}).get("weights_sha256"):
            compare = shipped
        else:
            log(
                "note: this model was updated from a model that is not the built-in one; --compare DIR scores "
                "that one beside it"
            )
    if (
        compare is not None
        and before is not None
        and (compare.card.get("weights_sha256") == (model.card.get("updated_from") or {}).get("weights_sha256"))
    ):
        names = ("before update", "after update")
    mapping = load_mapping(args.mapping) if args.mapping else None
    got = read_outcome_file(
        args.data,
        mapping=mapping,
        as_of_column=args.as_of_column,
        outcome_column=args.outcome_column,
        carry=("p_true",),
    )
    src = Path(args.data)
    errors = Path(args.errors) if args.errors else src.with_name(src.name.split(".")[0] + ".errors.csv")
    write_errors(got.problems, errors)
    for warning in got.warnings:
        log(f"warning: {warning}")
    if not len(got.y):
        raise InputError(f"{src}: no row could be used, so there is nothing to evaluate (why: {errors})")
    warnings = []
    for m in (model, compare):
        if m is not None and (m.card.get("outcomes") or {}).get("file_sha256") == got.sha256:
            warnings.append(
                f"{src.name} holds the very outcomes {m.version} was updated with: figures on them are optimistic "
                "(the update was fitted to them). Evaluate on outcomes collected afterwards."
            )
    models = {names[1]: model} if compare is None else {names[0]: compare, names[1]: model}
    predictions = {k: m.predict_clean(got.clean)["reversal_odds"].to_numpy() for k, m in models.items()}
    metrics = evaluate_real(got.y, predictions, n_boot=args.bootstrap)
    if "warning" in metrics:
        warnings.insert(0, metrics["warning"])
    setup = {
        "data": "real outcomes",
        "file": src.name,
        "file_sha256": got.sha256,
        "read": got.n_read,
        "rejected": got.n_rejected,
        "errors_file": str(errors),
        "bootstrap": args.bootstrap,
    }
    if "p_true" in got.carried:  # a simulated follow-up: the truth is known, so say how far each model is from it
        truth = pd.to_numeric(pd.Series(got.carried["p_true"]), errors="coerce").to_numpy(dtype=float)
        if np.isfinite(truth).all():
            setup["mae_p_true"] = {k: float(np.mean(np.abs(p - truth))) for k, p in predictions.items()}
    result = {
        "setup": setup,
        "models": {k: {"version": m.version, "odds_basis": odds_basis(m.card)} for k, m in models.items()},
        "metrics": metrics,
        "warnings": warnings,
        "_predictions": predictions,
    }
    out = write_real_report(result, args.out)
    print(f"read {got.n_read:,} rows of {src.name}: {len(got.y):,} scored, {got.n_rejected:,} rejected")
    for name, m in models.items():
        print(f"{name}: {m.version} ({odds_basis(m.card)})")
    print(format_table(metrics))
    if "mae_p_true" in setup:
        print(
            "mean |predicted - p_true| (known only for simulated data): "
            + ", ".join(f"{k} {v:.4f}" for k, v in setup["mae_p_true"].items())
        )
    for w in warnings[1 if "warning" in metrics else 0 :]:
        print(f"warning: {w}")
    print(f"report written to {out}/index.html" + (f"; rejected rows and why: {errors}" if got.n_rejected else ""))
    return 3 if got.n_rejected else 0
