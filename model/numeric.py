"""The logistic function and its inverse, once: the generator's truth, the model's calibration and the
report's factor sizes all turn log-odds into probabilities with these two.

Why ``tanh``: exact at both ends and free of overflow warnings far into either tail, where ``1 / (1 +
exp(-z))`` overflows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["expit", "logit"]


def expit(z: Any) -> Any:
    """Log-odds to probability: an array for an array, a float for a number."""
    out = 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))
    return float(out) if np.ndim(out) == 0 else out


def logit(p: Any, eps: float = 1e-12) -> Any:
    """Probability to log-odds, ``p`` kept ``eps`` inside (0, 1) so the ends stay finite."""
    q = np.clip(np.asarray(p, dtype=np.float64), eps, 1.0 - eps)
    out = np.log(q) - np.log1p(-q)
    return float(out) if np.ndim(out) == 0 else out
