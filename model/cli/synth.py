"""``exodds synth``: write synthetic quiz responses with their true odds, from the reviewed assumptions."""

from __future__ import annotations

import argparse
import sys

from model.errors import UsageError
from model.truth import SAMPLE_COMMAND


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "synth",
        help="generate synthetic responses (answers, reconciled, p_true) from the guide's assumptions",
        description=(
            __doc__ + " The output type follows the extension: .csv, .csv.gz or .parquet. The same seed and"
            " assumptions always give the same bytes. Example: " + SAMPLE_COMMAND
        ),
    )
    p.add_argument("--rows", type=int, default=10_000, help="number of rows (default 10000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", help="output file: .csv, .csv.gz or .parquet")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        dest="overrides",
        help="override one assumption for this run (repeatable); see --list for the names",
    )
    p.add_argument("--list", action="store_true", help="list the assumptions with value, range and meaning")
    p.add_argument("--readme", action="store_true", help="print data/synthetic/README.md as it should read")
    p.set_defaults(func=run)


def _parse_overrides(items: list[str]) -> dict[str, float]:
    from model.truth.assumptions import assumption_values

    out: dict[str, float] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--set {item!r}: expected NAME=VALUE, for example --set block_some_harm=1.2")
        try:
            out[name] = float(text)
        except ValueError:
            raise UsageError(f"--set {item!r}: {text.strip()!r} is not a number") from None
    assumption_values(out)  # unknown names and impossible values fail here, before any work
    return out


def _list() -> None:
    from model.truth.assumptions import load_assumptions

    for name, a in load_assumptions().items():
        print(f"{name} = {a.value:g}  [{a.low:g} to {a.high:g}] {a.unit}, {a.group}: {a.meaning}")


def run(args: argparse.Namespace) -> int:
    from model.truth.assumptions import assumption_values, assumptions_hash
    from model.truth.generator import generate, render_readme, write_synthetic

    if args.list:
        _list()
        return 0
    if args.readme:
        sys.stdout.write(render_readme())
        return 0
    if not args.out:
        print("error: --out PATH is required (a .csv, .csv.gz or .parquet file)", file=sys.stderr)
        return 2
    if args.rows < 0 or args.seed < 0:
        print(f"error: --rows and --seed must be 0 or more, got {args.rows} and {args.seed}", file=sys.stderr)
        return 2
    try:
        overrides = _parse_overrides(args.overrides)
        df = generate(args.rows, seed=args.seed, overrides=overrides)
        path = write_synthetic(df, args.out)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    rate = df["reconciled"].mean() if len(df) else float("nan")
    digest = assumptions_hash(assumption_values(overrides))[:12]
    note = f", {len(overrides)} override(s), assumptions {digest}"
    print(f"wrote {len(df)} rows to {path}: reconciled rate {rate:.3f}, seed {args.seed}{note}")
    return 0
