"""Evaluate the odds model against its peers and, on synthetic data, the truth.

Peers, fitted on the same rows and scored on the same held-out rows: plain
logistic regression on the raw variables (what a quick analysis would do),
gradient boosting (a flexible model that knows nothing of the guide) and, when
``interpret`` is installed (the optional extra ``peers``), an explainable
boosting machine (EBM: an additive model with chosen pairwise interactions, the
closest peer in kind). Each model's fit time is reported; where the truth is
known (``p_true``), so is how often the model's range holds it.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier  # type: ignore[import-untyped]  # (scikit-learn ships no type hints)
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.pipeline import Pipeline  # type: ignore[import-untyped]
from sklearn.preprocessing import StandardScaler  # type: ignore[import-untyped]

from model.odds.artifacts import load_model
from model.odds.runtime import OddsModel
from model.training.estimators import FeatureExtractor
from model.training.metrics import reliability_table, score_predictions
from model.training.settings import HELD_OUT_ROWS
from model.training.train import TrainConfig, clean_training_data, split_rows, train_model

__all__ = ["evaluate", "peers", "range_coverage"]


def peers(seed: int) -> dict[str, Pipeline]:
    """The peers, unfitted: ``logistic_raw``, ``boosting`` and, with ``interpret`` installed, ``ebm``."""
    out = {
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
    try:
        from interpret.glassbox import ExplainableBoostingClassifier  # type: ignore[import-untyped]  # (interpret ships no type hints)
    except ImportError:  # the optional extra `peers` is not installed
        return out
    out["ebm"] = Pipeline(
        [("features", FeatureExtractor()), ("ebm", ExplainableBoostingClassifier(random_state=seed, n_jobs=2))]
    )
    return out


def range_coverage(odds: pd.DataFrame, truth: np.ndarray) -> dict[str, float]:
    """How often [odds_low, odds_high] holds the true probability, how it misses, and its mean width."""
    lo, hi = odds["odds_low"].to_numpy(), odds["odds_high"].to_numpy()
    return {
        "coverage": float(np.mean((lo <= truth) & (truth <= hi))),
        "truth_below": float(np.mean(truth < lo)),
        "truth_above": float(np.mean(truth > hi)),
        "width_mean": float(np.mean(hi - lo)),
    }


def evaluate(
    data: pd.DataFrame | None = None,
    model: OddsModel | None = None,
    *,
    seed: int = 2026,
    held_out_rows: int = HELD_OUT_ROWS,
    peer_names: tuple[str, ...] | None = None,
    log: Any = None,
) -> dict[str, Any]:
    """Metrics for the model and its peers on one held-out split.

    Without ``data``: the (default) model's own training rows are regenerated
    from its card for the peers, and a fresh synthetic sample is the held-out
    set. With ``data``: an 80/20 split of it; the model is retrained on the 80% (all of it, by
    cross-fitting), and the peers are fitted on those same rows. With ``p_true`` in the held-out
    rows, the model is trained with its range (25 members) and the result says how often it holds
    the truth (``model.range_coverage_of_p_true``). Every model gets its ``fit_seconds``.
    ``peer_names`` picks peers of ``peers()`` (None: all of them).
    """
    say = log or (lambda msg: None)
    from model.truth import generator as synthetic

    model_seconds: float | None
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
        members = TrainConfig.members if "p_true" in test_df.columns else 0  # (a range to check only then)
        t0 = time.perf_counter()
        model = train_model(train_df, TrainConfig(seed=seed, members=members), source="evaluation split")
        model_seconds = time.perf_counter() - t0
        train_clean, train_y, _ = clean_training_data(train_df)  # the peers learn from the same rows
        test_clean, test_y, test_truth = clean_training_data(test_df)
        setup = {"data": "file", "train_rows": len(train_y), "held_out_rows": len(test_y), "seed": seed}

    if data is None:
        model_seconds = model.card.get("train_seconds")
    odds = model.predict_clean(test_clean)
    predictions = {"model": odds["reversal_odds"].to_numpy()}
    seconds: dict[str, Any] = {"model": model_seconds}
    for name, peer in peers(seed).items():
        if peer_names is not None and name not in peer_names:
            continue
        say(f"fitting peer {name}")
        t0 = time.perf_counter()
        peer.fit(train_clean, train_y)
        seconds[name] = time.perf_counter() - t0
        predictions[name] = peer.predict_proba(test_clean)[:, 1]
    results: dict[str, dict[str, Any]] = {
        name: score_predictions(test_y, p, test_truth) for name, p in predictions.items()
    }
    for name, s in seconds.items():
        results[name]["fit_seconds"] = None if s is None else round(float(s), 2)
    info: dict[str, Any] = {
        "version": model.version,
        "calibration": model.card.get("calibration", {}).get("chosen"),
        "range_kind": model.range_kind,
        "range_name": (model.card.get("range") or {}).get("name"),
    }
    if test_truth is not None:
        info["range_coverage_of_p_true"] = range_coverage(odds, test_truth)
    return {
        "setup": setup,
        "model": info,
        "metrics": results,
        "_predictions": predictions,
        "_reliability": {name: reliability_table(test_y, p) for name, p in predictions.items()},
        "_y": test_y,
        "_truth": test_truth,
    }
