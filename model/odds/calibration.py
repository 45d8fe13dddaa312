"""From summed log-odds to what a report shows: the calibration map, and the ensemble's range.

Why one module: the main model's odds, the members' percentiles and the widening that keeps the
odds inside their own range are one step, used by ``score_clean`` and by the batch tables alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model import numeric

__all__ = ["LINKS", "PERCENTILES", "Calibration", "expit", "link_logit", "odds_with_range"]

PERCENTILES = (10, 90)  # the range: these percentiles of the ensemble members' odds
#: Links of a fitted model's linear predictor z: p = expit(z) ("logit"), 1 - exp(-exp(z)) ("cloglog"),
#: Phi(z) ("probit"). The generator's model is always logit; a model trained on a file may choose another.
LINKS = ("logit", "cloglog", "probit")


@dataclass
class Calibration:
    """Map from the model's linear predictor to calibrated log-odds: the link, then a map.

    ``kind``: "none", "sigmoid" (slope and offset on the link's log-odds), "isotonic" (a step curve of
    probabilities over z itself) or "piecewise" (a non-decreasing broken line of log-odds over the
    link's log-odds, knots ``x``, values ``y``, flat or straight beyond them).
    """

    kind: str  # "none", "sigmoid", "isotonic" or "piecewise"
    slope: float = 1.0
    offset: float = 0.0
    x: np.ndarray | None = None
    y: np.ndarray | None = None
    link: str = "logit"  # see LINKS

    @property
    def linear(self) -> bool:
        """Log-odds = slope * z + offset. Explanations are then scaled by the slope; otherwise (a
        non-linear map or a link other than the logit) a ``calibration`` column holds the difference
        between the log-odds and z, so each row still sums to its log-odds."""
        return self.link == "logit" and self.kind in ("none", "sigmoid")

    def logit(self, z: np.ndarray) -> np.ndarray:
        if self.kind in ("isotonic", "piecewise") and (self.x is None or self.y is None):
            raise ValueError(f"a {self.kind} calibration needs its curve (x and y)")
        if self.kind == "isotonic":
            assert self.x is not None and self.y is not None  # (checked above)
            p = np.clip(np.interp(z, self.x, self.y), 1e-6, 1 - 1e-6)
            return np.asarray(np.log(p) - np.log1p(-p))
        t = link_logit(z, self.link)
        if self.kind == "piecewise":
            assert self.x is not None and self.y is not None  # (checked above)
            return np.asarray(np.interp(t, self.x, self.y))
        return np.asarray(self.slope * t + self.offset)


def link_logit(z: np.ndarray, link: str) -> np.ndarray:
    """log(p / (1 - p)) for the probability ``link`` gives the linear predictor z, accurate in both tails."""
    z = np.asarray(z, dtype=np.float64)
    if link == "logit":
        return z
    if link == "cloglog":  # p = 1 - exp(-e^z): log p = log(-expm1(-e^z)), log(1 - p) = -e^z
        e = np.exp(np.minimum(z, 30.0))
        return np.asarray(np.log(-np.expm1(-np.maximum(e, 1e-300))) + e)
    if link == "probit":
        from scipy.special import log_ndtr  # type: ignore[import-untyped]  # (only probit models pay for it)

        return np.asarray(log_ndtr(z) - log_ndtr(-z))
    raise ValueError(f"unknown link {link!r}: expected one of {', '.join(LINKS)}")


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
    if any(not (c.kind == "none" and c.link == "logit") for c in calibrations):
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
