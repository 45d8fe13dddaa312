"""From summed log-odds to what a report shows: the calibration map, and the ensemble's range.

Why one module: the main model's odds, the members' percentiles and the widening that keeps the
odds inside their own range are one step, used by ``score_clean`` and by the batch tables alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model import numeric

__all__ = ["PERCENTILES", "Calibration", "expit", "odds_with_range"]

PERCENTILES = (10, 90)  # the range: these percentiles of the ensemble members' odds


@dataclass
class Calibration:
    """Map from the logistic model's log-odds to calibrated probabilities."""

    kind: str  # "none", "sigmoid" or "isotonic"
    slope: float = 1.0
    offset: float = 0.0
    x: np.ndarray | None = None
    y: np.ndarray | None = None

    def logit(self, z: np.ndarray) -> np.ndarray:
        if self.kind == "isotonic":
            if self.x is None or self.y is None:
                raise ValueError("an isotonic calibration needs its curve (x and y)")
            p = np.clip(np.interp(z, self.x, self.y), 1e-6, 1 - 1e-6)
            return np.asarray(np.log(p) - np.log1p(-p))
        return np.asarray(self.slope * z + self.offset)


def expit(z: np.ndarray) -> np.ndarray:
    """``model.numeric.expit`` for arrays (the one logistic function), typed for this layer."""
    out: np.ndarray = numeric.expit(z)
    return out


def member_range(calibrations: list[Calibration], Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The PERCENTILES across members, as ``np.percentile`` (linear) gives them.

    Calibration maps are increasing, so order statistics of the log-odds are those of the
    probabilities: a sort of each row suffices.
    """
    m = Z.shape[1]
    if m == 1:
        p = expit(calibrations[0].logit(Z[:, 0]))
        return p, p
    if any(c.kind != "none" for c in calibrations):
        P = np.column_stack([expit(c.logit(Z[:, i])) for i, c in enumerate(calibrations)])
    else:
        P = Z
    srt = np.sort(P, axis=1)  # a full sort of a C-ordered block beats np.partition here
    out = []
    for q in PERCENTILES:
        pos = (m - 1) * q / 100.0
        k = int(np.floor(pos))
        frac = pos - k
        lo_v, hi_v = srt[:, k], srt[:, min(k + 1, m - 1)]
        if P is Z:
            lo_v, hi_v = expit(lo_v), expit(hi_v)
        out.append(lo_v + frac * (hi_v - lo_v))
    return out[0], out[1]


def odds_with_range(
    z: np.ndarray,
    calibration: Calibration,
    member_z: np.ndarray,
    member_calibration: list[Calibration],
    out: np.ndarray,
    widen: bool = True,
) -> np.ndarray:
    """Write [odds, low, high] for log-odds ``z`` (main) and ``member_z`` (one column a member) into
    ``out`` (n x 3); the range is widened to include the odds unless ``widen`` is False. Returns the
    main model's calibrated log-odds (explanations need them)."""
    logit = calibration.logit(z)
    main = expit(logit)
    lo, hi = member_range(member_calibration, member_z)
    out[:, 0] = main
    if widen:
        np.minimum(lo, main, out=out[:, 1])
        np.maximum(hi, main, out=out[:, 2])
    else:
        out[:, 1], out[:, 2] = lo, hi
    return logit
