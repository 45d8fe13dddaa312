"""Evaluate the odds model against two peers and, on synthetic data, the truth.

Peers, fitted on the same rows and scored on the same held-out rows: plain
logistic regression on the raw variables (what a quick analysis would do)
and gradient boosting (a flexible model that knows nothing of the guide).
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from model.io import atomic_path, atomic_write
from model.odds.artifacts import load_model
from model.odds.runtime import OddsModel
from model.training.estimators import FeatureExtractor
from model.training.metrics import reliability_table, score_predictions
from model.training.settings import HELD_OUT_ROWS
from model.training.train import TrainConfig, clean_training_data, split_rows, train_model

__all__ = ["evaluate", "peers"]



def peers(seed: int) -> dict[str, Pipeline]:
    return {
        "logistic_raw": Pipeline(
            [("features", FeatureExtractor()), ("scale", StandardScaler()),
             ("logistic", LogisticRegression(max_iter=2000))]
        ),
        "boosting": Pipeline(
            [("features", FeatureExtractor()), ("hgb", HistGradientBoostingClassifier(random_state=seed))]
        ),
    }


def evaluate(
    data: pd.DataFrame | None = None,
    model: OddsModel | None = None,
    *,
    seed: int = 2026,
    held_out_rows: int = HELD_OUT_ROWS,
    log: Any = None,
) -> dict[str, Any]:
    """Metrics for the model and its peers on one held-out split.

    Without ``data``: the (default) model's own training rows are regenerated
    from its card for the peers, and a fresh synthetic sample is the held-out
    set. With ``data``: an 80/20 split of it; the model is retrained on the 80% (fitted on 70% of
    it, the rest calibrates and chooses), and the peers are fitted on those same rows.
    """
    say = log or (lambda msg: None)
    from model.truth import generator as synthetic

    if data is None:
        model = model or load_model()
        card = model.card
        rows, train_seed = int(card["rows"]), int(card["seed"])
        say(f"regenerating the model's {rows:,} training rows (seed {train_seed}) for the peers")
        train_clean, train_y, _ = clean_training_data(synthetic.generate(rows, seed=train_seed))
        fit = split_rows(rows, train_seed)["fit"]
        train_clean, train_y = train_clean.iloc[fit], train_y[fit]
        say(f"generating {held_out_rows:,} fresh held-out rows (seed {train_seed + 1})")
        test_clean, test_y, test_truth = clean_training_data(synthetic.generate(held_out_rows, seed=train_seed + 1))
        setup = {"data": "synthetic", "train_rows": len(train_y), "held_out_rows": held_out_rows,
                 "train_seed": train_seed, "held_out_seed": train_seed + 1}
    else:
        order = np.random.default_rng(seed).permutation(len(data))
        cut = int(0.8 * len(data))
        train_df, test_df = data.iloc[order[:cut]], data.iloc[order[cut:]]
        say(f"training the model on {len(train_df):,} rows of the file")
        model = train_model(train_df, TrainConfig(seed=seed, members=0), source="evaluation split")
        train_clean, train_y, _ = clean_training_data(train_df)
        fit = split_rows(len(train_y), seed)["fit"]  # the peers learn from the rows the model was fitted on
        train_clean, train_y = train_clean.iloc[fit], train_y[fit]
        test_clean, test_y, test_truth = clean_training_data(test_df)
        setup = {"data": "file", "train_rows": len(train_y), "held_out_rows": len(test_y), "seed": seed}

    predictions = {"model": model.predict_clean(test_clean)["reversal_odds"].to_numpy()}
    for name, peer in peers(seed).items():
        say(f"fitting peer {name}")
        peer.fit(train_clean, train_y)
        predictions[name] = peer.predict_proba(test_clean)[:, 1]
    results = {name: score_predictions(test_y, p, test_truth) for name, p in predictions.items()}
    return {
        "setup": setup,
        "model": {"version": model.version, "calibration": model.card.get("calibration", {}).get("chosen")},
        "metrics": results,
        "_predictions": predictions,
        "_y": test_y,
        "_truth": test_truth,
    }


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()


def reliability_figure(y: np.ndarray, predictions: dict[str, np.ndarray]) -> Any:
    import matplotlib.pyplot as plt  # no backend forced: headless runs get Agg anyway, notebooks keep inline plots

    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], color="#999", lw=1, ls="--", label="perfectly calibrated")
    for name, p in predictions.items():
        t = reliability_table(y, p)
        used = t["count"] > 0
        ax.plot(t["mean_predicted"][used], t["observed"][used], marker="o", ms=3, label=name)
    ax.set(xlabel="predicted probability of reconciling (0 to 1)", ylabel="observed rate in held-out data (0 to 1)",
           title="Reliability (15 equal-width bins)", xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="upper left", fontsize=8)
    return fig


def truth_figure(truth: np.ndarray, predictions: dict[str, np.ndarray]) -> Any:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(predictions), figsize=(4 * len(predictions), 4), sharey=True)
    for ax, (name, p) in zip(np.atleast_1d(axes), predictions.items(), strict=True):
        ax.hexbin(truth, p, gridsize=40, bins="log", cmap="Blues", extent=(0, 1, 0, 1))
        ax.plot([0, 1], [0, 1], color="#c33", lw=1)
        ax.set(title=name, xlabel="true probability, p_true (0 to 1)", xlim=(0, 1), ylim=(0, 1))
    np.atleast_1d(axes)[0].set_ylabel("predicted probability (0 to 1)")
    fig.suptitle("Predictions against the generator's truth")
    return fig


def write_report(result: dict[str, Any], out_dir: str | Path) -> Path:
    """metrics.json, reliability.png, truth.png (when known) and index.html, each written atomically."""
    import matplotlib.pyplot as plt

    from model.report.render import static_page

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    public = {k: v for k, v in result.items() if not k.startswith("_")}
    with atomic_write(out / "metrics.json", "w", encoding="utf-8") as fh:
        json.dump(public, fh, indent=2)
        fh.write("\n")
    figures = {"reliability.png": reliability_figure(result["_y"], result["_predictions"])}
    if result["_truth"] is not None:
        figures["truth.png"] = truth_figure(result["_truth"], result["_predictions"])
    images = {}
    for name, fig in figures.items():
        data = _png(fig)
        plt.close(fig)
        with atomic_path(out / name) as tmp:
            tmp.write_bytes(data)
        images[name] = base64.b64encode(data).decode()
    html = static_page("evaluation.html.j2").render(
        setup=public["setup"], model=public["model"], metrics=public["metrics"], images=images,
        columns=[c for c in ("brier", "log_loss", "ece", "ece_of_truth", "calibration_gap_to_truth", "auc",
                             "mae_p_true", "brier_gap_to_truth")
                 if any(c in m for m in public["metrics"].values())],
        alts={
            "reliability.png": "Reliability diagram: observed rate against predicted probability for each model",
            "truth.png": "Predicted against true probability for each model",
        },
    )
    with atomic_write(out / "index.html", "w", encoding="utf-8") as fh:
        fh.write(html)
    return out
