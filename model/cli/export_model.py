"""``exodds export-model``: the model as one JSON document that a few lines of any language can score.

The document holds the model's tables (the basis times the weights, so a scorer only looks up and
adds), the calibrations, the range rule, the bands, the rule for top factors and the model card;
``how_to_score`` says in words how to read them, and the README shows a scorer in 20 lines of plain
Python. Nothing in it runs code when read.
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "export-model",
        help="write the model's tables and card as one JSON document",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--format", choices=["json"], required=True, help="the document's format")
    p.add_argument("--model", help="a model directory (default: the shipped model)")
    p.add_argument("--out", help="file to write (default: stdout)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from model.cli.export_sql import write_text
    from model.export.portable import model_document
    from model.odds.artifacts import load_model

    model = load_model(args.model) if args.model else load_model()
    text = json.dumps(model_document(model), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return write_text(text + "\n", args.out)
