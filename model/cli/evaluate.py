"""``exodds evaluate``: metrics, reliability diagram and an HTML page, beside two peer models."""

from __future__ import annotations

import argparse
import sys

from model.training.settings import HELD_OUT_ROWS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="evaluate the model against peers (and the truth, on synthetic data)",
                       description=__doc__)
    p.add_argument("--data", help="CSV/Parquet with answers and 'reconciled' (and p_true if known); "
                   "default: fresh synthetic held-out data for the default model")
    p.add_argument("--model", help="model directory written by `exodds train` (default: the built-in model)")
    p.add_argument("--out", default="reports/evaluation", help="output directory (%(default)s)")
    p.add_argument("--held-out-rows", type=int, default=HELD_OUT_ROWS,
                   help="fresh synthetic rows to score (%(default)s)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from model.odds.artifacts import load_model
    from model.report.evaluation import write_report
    from model.training.evaluate import evaluate

    def log(msg: str) -> None:
        print(msg, file=sys.stderr)

    model = load_model(args.model) if args.model else None  # (errors go to main, exit by their class)
    data = None
    if args.data:
        from model.io import read_table

        data = read_table(args.data)
    result = evaluate(data, model, held_out_rows=args.held_out_rows, log=log)
    out = write_report(result, args.out)
    print(f"{'model':<14}{'brier':>8}{'log_loss':>10}{'ece':>8}{'auc':>8}{'mae_p_true':>12}")
    for name, m in result["metrics"].items():
        mae = f"{m['mae_p_true']:>12.4f}" if "mae_p_true" in m else f"{'-':>12}"
        print(f"{name:<14}{m['brier']:>8.4f}{m['log_loss']:>10.4f}{m['ece']:>8.4f}{m['auc']:>8.4f}{mae}")
    print(f"report written to {out}/index.html")
    return 0
