"""``exodds update``: how fast, and how close to the truth, on worlds we wrote that disagree with the guide.

    nice -n 5 .venv/bin/python benchmarks/bench_update.py timing                    # 2,000 and 50,000 outcomes
    nice -n 5 .venv/bin/python benchmarks/bench_update.py accuracy --seedset port   # the table (about 7 min)
    .venv/bin/python benchmarks/bench_update.py table --in update_accuracy_port.json

``timing``: one whole ``exodds update`` run, in process, on a CSV of quiz answers written as text with a
date column and three unusable rows: reading and validating the file, the four fits and the closed
test, the 25-member bootstrap range, writing the model directory. Best of ``--repeat``.

``accuracy``: for every world of ``benchmarks/worlds.py`` (one where the guide is right, four where it
is not) and 500 and 2,000 outcomes, on a seed set never used while designing: the mean absolute
difference to the world's true probability, on its fixed 20,000-row test set (a seed no update
sees), of the shipped model (keep), each candidate on its own, what the closed test chose, and a model
retrained from scratch on the outcomes alone (the package's sign-constrained logistic regression,
C = 1); how often each method was chosen; and how often the updated range holds the truth.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # small fits: threaded BLAS only fights the other process
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import worlds as W  # noqa: E402

SIZES = (500, 2000)
SEED_SETS = {
    "alpha": W.SEEDS_ALPHA,
    "levels": W.SEEDS_LEVELS,
    "report": W.SEEDS_REPORT,
    "confirm": W.SEEDS_CONFIRM,
    "port": W.SEEDS_PORT,
}
METHODS = ("keep", "intercept", "recalibration", "revision")


def _clean(frame):
    from model.quiz.validation import validate_frame

    return validate_frame(frame.drop(columns=["reconciled", "p_true"]), extra="ignore").clean


def _test(world: str):
    from model.training.recalibrate import basis_of

    test = W.test_set(world)
    clean = _clean(test)
    return clean, basis_of(clean), test["p_true"].to_numpy()


def run_one(task: tuple[str, int, int, str]) -> dict:
    world, n, seed, select = task
    from model.numeric import expit
    from model.odds.artifacts import load_model
    from model.odds.basis import column_signs
    from model.training import update as U
    from model.training.logistic import SignConstrainedLogisticRegression
    from model.training.recalibrate import basis_of

    model = load_model()
    tclean, Xt, truth = _test(world)

    def mae(intercept: float, coef: np.ndarray) -> float:
        return float(np.mean(np.abs(expit(intercept + Xt @ coef) - truth)))

    d = W.world(world, n, seed)
    clean = _clean(d)
    y = d["reconciled"].to_numpy(float)
    t0 = time.perf_counter()
    new, res = U.update_model(model, clean, y, seed=seed, select=select)
    out = {
        "world": world,
        "n": n,
        "seed": seed,
        "select": select,
        "events": int(y.sum()),
        "choice": res.method,
        "seconds": time.perf_counter() - t0,
    }
    for k, c in res.candidates.items():
        out[k] = mae(c.intercept, c.coef)
    pred = new.predict_clean(tclean)
    out["closed"] = float(np.mean(np.abs(pred["reversal_odds"].to_numpy() - truth)))
    out.setdefault("keep", float(np.mean(np.abs(model.predict_clean(tclean)["reversal_odds"].to_numpy() - truth))))
    out["range_cover"] = float(((pred["odds_low"] <= truth) & (truth <= pred["odds_high"])).mean())
    out["range_width"] = float((pred["odds_high"] - pred["odds_low"]).mean())
    lr = SignConstrainedLogisticRegression(signs=column_signs(), C=1.0).fit(basis_of(clean), y)
    out["retrain"] = mae(float(lr.intercept_[0]), lr.coef_[0])
    return out


def accuracy(seeds: int, jobs: int, path: Path, seedset: str, select: str) -> None:
    tasks = [(w, n, s, select) for w in W.WORLDS for n in SIZES for s in SEED_SETS[seedset][:seeds]]
    rows = []
    t0 = time.time()
    with ProcessPoolExecutor(jobs) as pool:
        for i, r in enumerate(pool.map(run_one, tasks, chunksize=4)):
            rows.append(r)
            if i % 25 == 0:
                print(f"{i + 1}/{len(tasks)} {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    path.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    print(table(rows))
    print(f"\n({len(tasks)} updates in {time.time() - t0:.0f} s; rows in {path})")


def table(rows: list[dict]) -> str:
    cols = ["keep", "intercept", "recalibration", "revision", "closed", "retrain"]
    seedsets = sorted({r["seed"] // 1000 for r in rows})
    head = (
        "| world | outcomes | runs | events (mean) | "
        + " | ".join("**closed test**" if c == "closed" else c for c in cols)
        + " | chose keep/intercept/recal./revision | closed − keep, worst run | range holds truth |"
    )
    lines = [
        f"MAE to the true probability (seeds {', '.join(f'{s}000s' for s in seedsets)}, select {rows[0]['select']}):",
        "",
        head,
        "|" + "---|" * (head.count("|") - 1),
    ]
    for w in W.WORLDS:
        for n in SIZES:
            rs = [r for r in rows if r["world"] == w and r["n"] == n]
            if not rs:
                continue
            mean = {c: np.mean([r.get(c, np.nan) for r in rs]) for c in cols}
            chose = "/".join(str(sum(r["choice"] == m for r in rs)) for m in METHODS)
            worst = max(r["closed"] - r["keep"] for r in rs)
            lines.append(
                f"| {w} | {n:,} | {len(rs)} | {np.mean([r['events'] for r in rs]):.0f} | "
                + " | ".join(f"**{mean[c]:.4f}**" if c == "closed" else f"{mean[c]:.4f}" for c in cols)
                + f" | {chose} | {worst:+.4f} | {np.mean([r['range_cover'] for r in rs]):.2f} |"
            )
    guide = [r for r in rows if r["world"] == "guide" and r["n"] == 2000]
    if guide:
        diff = np.array([r["closed"] - r["keep"] for r in guide])
        lines += [
            "",
            f"Guide is right, 2,000 outcomes: closed test − shipped, mean {diff.mean():+.4f}, worst "
            f"{diff.max():+.4f}; runs worse by more than 0.002: {int((diff > 0.002).sum())} of {len(diff)}.",
        ]
    for w, n, target in (("issue", 2000, 0.023), ("issue", 500, 0.029)):
        rs = [r["closed"] for r in rows if r["world"] == w and r["n"] == n]
        if rs:
            lines.append(f"Unlike the guide ({w}), {n:,} outcomes: {np.mean(rs):.4f} (target at most {target}).")
    return "\n".join(lines)


def _outcomes_csv(rows: int, path: Path) -> None:
    d = W.world("issue", rows, 4242).drop(columns=["p_true"])
    d["answered_on"] = (np.datetime64("2027-01-04") + (np.arange(rows) * 170 // rows)).astype(str)
    d = d.astype(str)
    d.loc[2, "reconciled"], d.loc[5, "anger"], d.loc[7, "answered_on"] = "maybe", "livid", ""
    d.to_csv(path, index=False)


def timing(repeat: int, sizes: tuple[int, ...]) -> None:
    from model.cli import main
    from model.odds.artifacts import load_model

    load_model()  # (loaded once, as any process would before its first command)
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            src = Path(tmp) / f"outcomes{n}.csv"
            _outcomes_csv(n, src)
            best, fits = np.inf, np.inf
            for _ in range(repeat):
                out = io.StringIO()
                t0 = time.perf_counter()
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                    code = main(
                        [
                            "update",
                            "--outcomes",
                            str(src),
                            "--as-of-column",
                            "answered_on",
                            "--out",
                            str(Path(tmp) / f"m{n}"),
                        ]
                    )
                took = time.perf_counter() - t0
                assert code == 3, out.getvalue()
                if took < best:
                    card = json.loads((Path(tmp) / f"m{n}" / "model_card.json").read_text())
                    best, fits = took, card["update_seconds"]
            decision = next(line for line in out.getvalue().splitlines() if line.startswith("decision:"))
            print(
                f"exodds update, {n:>6,} outcomes: {best:5.2f} s, of which the fits, the test and the range "
                f"{fits:.2f} s (decision: {decision.split(':')[1].strip()})"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["accuracy", "timing", "table"])
    ap.add_argument("--seeds", type=int, default=30, help="seeds per world and size (accuracy)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seedset", choices=sorted(SEED_SETS), default="port")
    ap.add_argument("--select", choices=["laml", "cv"], default="laml")
    ap.add_argument("--out", type=Path, help="where accuracy writes its rows (default: update_accuracy_SEEDSET.json)")
    ap.add_argument("--in", dest="inp", type=Path, default=Path("update_accuracy_port.json"))
    ap.add_argument("--repeat", type=int, default=3, help="runs per size (timing): the best is shown")
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 50_000], help="outcomes per run (timing)")
    a = ap.parse_args()
    if a.what == "accuracy":
        accuracy(a.seeds, a.jobs, a.out or Path(f"update_accuracy_{a.seedset}.json"), a.seedset, a.select)
    elif a.what == "timing":
        timing(a.repeat, tuple(a.sizes))
    else:
        print(table(json.loads(a.inp.read_text(encoding="utf-8"))))


if __name__ == "__main__":
    main()
