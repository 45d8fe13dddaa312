"""Evaluate the odds model against two peers and, on synthetic data, the truth.

Peers, fitted on the same rows and scored on the same held-out rows: plain
logistic regression on the raw variables (what a quick analysis would do)
and gradient boosting (a flexible model that knows nothing of the guide).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

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
            [
                ("features", FeatureExtractor()),
                ("scale", StandardScaler()),
                ("logistic", LogisticRegression(max_iter=2000)),
            ]
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
        setup = {
            "data": "synthetic",
            "train_rows": len(train_y),
            "held_out_rows": held_out_rows,
            "train_seed": train_seed,
            "held_out_seed": train_seed + 1,
        }
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
        "_reliability": {name: reliability_table(test_y, p) for name, p in predictions.items()},
        "_y": test_y,
        "_truth": test_truth,
    }
