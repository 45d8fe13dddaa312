"""Scores for probabilistic predictions, including distance to the known truth.

Synthetic data knows each respondent's true probability, so besides the usual
Brier score, log loss, ECE and AUC we report how far predictions are from
``p_true`` — the one check real data could never give.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score  # type: ignore[import-untyped]  # (scikit-learn ships no type hints)

__all__ = ["calibration_gap", "expected_calibration_error", "reliability_table", "score_predictions"]

ECE_BINS = 15


def reliability_table(y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS) -> dict[str, np.ndarray]:
    """Per equal-width bin: count, mean prediction, observed rate."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    idx = np.minimum((p * bins).astype(int), bins - 1)
    count = np.bincount(idx, minlength=bins).astype(float)
    sum_p = np.bincount(idx, weights=p, minlength=bins)
    sum_y = np.bincount(idx, weights=y, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "lower": np.arange(bins) / bins,
            "upper": np.arange(1, bins + 1) / bins,
            "count": count,
            "mean_predicted": sum_p / count,
            "observed": sum_y / count,
        }


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS) -> float:
    """ECE with ``bins`` equal-width bins, weighted by the share of rows in each."""
    t = reliability_table(y, p, bins)
    used = t["count"] > 0
    gap = np.abs(t["mean_predicted"][used] - t["observed"][used])
    return float(np.sum(gap * t["count"][used]) / np.sum(t["count"][used]))


def score_predictions(y: np.ndarray, p: np.ndarray, p_true: np.ndarray | None = None) -> dict[str, float]:
    """Brier, log loss, ECE (15 bins), AUC; MAE and Brier gap to the truth when it is known."""
    y = np.asarray(y, dtype=int)
    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    out = {
        "rows": len(y),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "ece": expected_calibration_error(y, p),
        "auc": float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else float("nan"),
    }
    if p_true is not None:
        p_true = np.asarray(p_true, dtype=float)
        out["mae_p_true"] = float(np.mean(np.abs(p - p_true)))
        out["brier_gap_to_truth"] = out["brier"] - float(brier_score_loss(y, np.clip(p_true, 0, 1)))
        # ECE measures noise too: the truth itself scores this on the same outcomes (the floor)
        out["ece_of_truth"] = expected_calibration_error(y, np.clip(p_true, 0, 1))
        out["calibration_gap_to_truth"] = calibration_gap(p, p_true)
    return out


def calibration_gap(p: np.ndarray, p_true: np.ndarray, bins: int = ECE_BINS) -> float:
    """ECE with the true probabilities in place of outcomes: per bin of predictions, the gap between
    their mean and the mean true probability, weighted by the bin's rows. No outcome noise, so unlike
    ECE it falls to 0 for a perfectly calibrated model (only synthetic data can give it)."""
    t = reliability_table(np.asarray(p_true, dtype=float), np.asarray(p, dtype=float), bins)
    used = t["count"] > 0
    gap = np.abs(t["mean_predicted"][used] - t["observed"][used])
    return float(np.sum(gap * t["count"][used]) / np.sum(t["count"][used]))
