"""Metrics for predictions judged on real outcomes, where no true probability is known.

What clinical prediction work reports for an external validation (Riley et al. 2021; Van Calster et
al., BMC Med 2019;17:230), in pure NumPy/SciPy, for ``exodds evaluate --data FILE``:

- calibration in the large: mean predicted minus observed rate (95% CI), the observed/expected ratio
  (95% CI) and the calibration intercept (logit(y) = a + lp, Wald 95% CI);
- calibration slope (logit(y) = a + b lp, Wald 95% CI);
- a smoothed calibration curve: logistic regression of y on a restricted cubic spline of lp (4 knots
  at the 5/35/65/95% quantiles, Harrell 2015 sec. 2.4.5) with a percentile bootstrap band, and its
  integrated calibration index (ICI, Austin & Steyerberg, Stat Med 2019;38:4051-65);
- smooth ECE (Blasiok & Nakkiran 2023, arXiv:2309.12236): reflected-Gaussian kernel smoothing of the
  residuals y - f on [0, 1], at the bandwidth sigma* where smECE equals sigma; a bias-shifted bootstrap
  95% interval, and what a perfectly calibrated model would score on these same predictions;
- binned ECE, with its bins stated (15 equal-width bins, as ``model.training.metrics``);
- the Brier score with its Murphy decomposition, extended so it is exact for continuous forecasts
  (Stephenson et al., Weather Forecast 2008;23:752-7): Brier = REL - RES + UNC + WBV - WBC;
- AUC with DeLong's 95% interval (DeLong et al., Biometrics 1988;44:837-45; Sun & Xu's fast algorithm,
  IEEE SPL 2014;21:1389-93), on the logit scale so it stays inside (0, 1), and the paired test of two.

``evaluate_real(y, {"before": p0, "after": p1})`` gives all of it for several models side by side,
with the number of events and a warning under 100.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy import linalg, optimize, stats  # type: ignore[import-untyped]  # (no scipy-stubs installed)

from model.errors import InputError
from model.numeric import expit, logit
from model.training.recalibrate import glm_offset

__all__ = [
    "ECE_BINS",
    "MIN_EVENTS",
    "auc_delong",
    "auc_difference",
    "binned_ece",
    "brier_decomposition",
    "calibration_curve",
    "calibration_in_the_large",
    "calibration_slope",
    "evaluate_real",
    "format_table",
    "smooth_ece",
    "smooth_ece_at",
    "smooth_ece_interval",
]

Z95 = float(stats.norm.ppf(0.975))
ECE_BINS = 15
MIN_EVENTS = 100


def _fit(Z: np.ndarray, y: np.ndarray, offset: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    g = glm_offset(Z, y, np.zeros(len(y)) if offset is None else offset)
    return g.beta, g.cov


# ------------------------------------------------------------------------------------------------
# Calibration
# ------------------------------------------------------------------------------------------------


def calibration_in_the_large(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    """Mean predicted - observed (95% CI from the residuals' spread), O/E (95% CI, Riley et al. 2021
    eq. 5: SE of ln O/E = sqrt((1 - phi)/(n phi))) and the calibration intercept (Wald 95% CI)."""
    n = len(y)
    diff = float(p.mean() - y.mean())
    se = float(np.std(y - p, ddof=1) / math.sqrt(n))
    o, e = float(y.mean()), float(p.mean())
    se_ln = math.sqrt((1 - o) / (n * o)) if 0 < o < 1 else float("nan")
    oe = o / e
    beta, cov = _fit(np.ones((n, 1)), y, logit(p))
    a, se_a = float(beta[0]), float(math.sqrt(cov[0, 0]))
    return {
        "mean_predicted_minus_observed": diff,
        "ci": [diff - Z95 * se, diff + Z95 * se],
        "observed_expected": oe,
        "oe_ci": [oe * math.exp(-Z95 * se_ln), oe * math.exp(Z95 * se_ln)],
        "intercept": a,
        "intercept_ci": [a - Z95 * se_a, a + Z95 * se_a],
    }


def calibration_slope(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    """logit P(y) = a + b logit(p): b with its Wald 95% CI (1 is ideal; below 1 the odds are too spread out)."""
    beta, cov = _fit(np.column_stack([np.ones(len(y)), logit(p)]), y)
    b, se = float(beta[1]), float(math.sqrt(cov[1, 1]))
    return {"slope": b, "ci": [b - Z95 * se, b + Z95 * se], "intercept_with_slope": float(beta[0])}


def _rcs(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Restricted cubic spline basis (Harrell): linear beyond the outer knots; x plus k - 2 columns."""
    t = knots
    norm = (t[-1] - t[0]) ** 2
    cols = [x]
    for j in range(len(t) - 2):
        c = (
            np.maximum(x - t[j], 0) ** 3
            - np.maximum(x - t[-2], 0) ** 3 * (t[-1] - t[j]) / (t[-1] - t[-2])
            + np.maximum(x - t[-1], 0) ** 3 * (t[-2] - t[j]) / (t[-1] - t[-2])
        )
        cols.append(c / norm)
    return np.column_stack(cols)


def calibration_curve(
    y: np.ndarray, p: np.ndarray, n_boot: int = 200, seed: int = 0, points: int = 50
) -> dict[str, Any]:
    """The observed rate against the predicted probability, smoothed: logistic regression of y on a
    restricted cubic spline of logit(p) (knots at the 5/35/65/95% quantiles; a straight line when the
    predictions take too few values), on a grid from the 1st to the 99th percentile of p, with a 95%
    percentile bootstrap band (rows resampled, knots kept). Also the ICI: mean |smoothed - p| over the rows."""
    lp = logit(p)
    knots = np.quantile(lp, [0.05, 0.35, 0.65, 0.95])
    spline = len(np.unique(np.round(knots, 9))) == 4
    grid_p = np.quantile(p, np.linspace(0.01, 0.99, points))
    grid = logit(grid_p)

    def design(x: np.ndarray) -> np.ndarray:
        B = _rcs(x, knots) if spline else x[:, None]
        return np.column_stack([np.ones(len(x)), B])

    D, Dg = design(lp), design(grid)
    beta, _ = _fit(D, y)
    curve = expit(Dg @ beta)
    ici = float(np.mean(np.abs(expit(D @ beta) - p)))
    rng = np.random.default_rng(seed)
    boots = np.full((n_boot, points), np.nan)
    for b in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        if 0 < y[idx].sum() < len(idx):
            with contextlib.suppress(linalg.LinAlgError, ValueError):  # (a resample the spline cannot fit: left out)
                boots[b] = expit(Dg @ _fit(D[idx], y[idx])[0])
    lo, hi = np.nanpercentile(boots, [2.5, 97.5], axis=0)
    return {
        "predicted": grid_p.tolist(),
        "observed": curve.tolist(),
        "low": lo.tolist(),
        "high": hi.tolist(),
        "ici": ici,
        "method": (
            "logistic regression on a restricted cubic spline of logit(p), 4 knots at the 5/35/65/95% "
            if spline
            else "logistic regression on logit(p) (too few distinct predictions for a spline), "
        )
        + f"quantiles; 95% percentile bootstrap band ({n_boot} resamples)",
    }


# ------------------------------------------------------------------------------------------------
# Smooth ECE (Blasiok & Nakkiran 2023)
# ------------------------------------------------------------------------------------------------

_GRID = 2001  # predictions are spread onto this grid (linear interpolation) before smoothing


def _deposit(f: np.ndarray, w: np.ndarray, m: int = _GRID) -> np.ndarray:
    """Weights ``w`` at positions ``f`` in [0, 1], spread linearly onto m grid points."""
    x = np.clip(f, 0.0, 1.0) * (m - 1)
    i = np.minimum(x.astype(np.int64), m - 2)
    frac = x - i
    out = np.bincount(i, weights=w * (1 - frac), minlength=m)
    out += np.bincount(i + 1, weights=w * frac, minlength=m)
    return out


def smooth_ece_at(f: np.ndarray, y: np.ndarray, sigma: float) -> float:
    """smECE_sigma = int_0^1 |(1/n) sum_i K_sigma(t, f_i) (y_i - f_i)| dt, K the Gaussian reflected at 0
    and 1: K(t, s) = sum_k phi_sigma(t - s - 2k) + phi_sigma(t + s - 2k).

    The residuals are spread onto a grid; reflected at 0 and 1 they make a measure of period 2, so the
    sum over k is a circular convolution with the Gaussian wrapped on that period (one FFT). The
    integral is the trapezoidal rule on the grid.
    """
    n = len(f)
    res = _deposit(f, (y - f) / n)
    m = len(res)
    period = np.concatenate([res, res[-2:0:-1]])  # [0, 1], then its mirror image on (1, 2)
    L = len(period)
    h = 1.0 / (m - 1)
    d = np.minimum(np.arange(L), L - np.arange(L)) * h  # distance on the circle of length 2
    g = np.zeros(L)
    for k in range(-2, 3):  # the Gaussian wrapped on the circle (enough for sigma <= 1)
        g += np.exp(-0.5 * ((d + 2 * k) / sigma) ** 2)
    g /= sigma * math.sqrt(2 * math.pi)
    r = np.fft.irfft(np.fft.rfft(period) * np.fft.rfft(g), n=L)[:m]
    a = np.abs(r)
    return float(h * (a.sum() - 0.5 * (a[0] + a[-1])))


def smooth_ece(f: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(smECE, sigma*): smECE at the bandwidth where it equals the bandwidth (it falls as sigma grows,
    so the fixed point is unique)."""
    f = np.asarray(f, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)

    def gap(s: float) -> float:
        return smooth_ece_at(f, y, s) - s

    lo, hi = 1e-3, 1.0  # (below 0.001 the kernel is narrower than the grid the predictions are on)
    if gap(lo) <= 0:
        return smooth_ece_at(f, y, lo), lo
    if gap(hi) >= 0:
        return smooth_ece_at(f, y, hi), hi
    sigma = optimize.brentq(gap, lo, hi, xtol=1e-6)
    return smooth_ece_at(f, y, sigma), sigma


def smooth_ece_interval(f: np.ndarray, y: np.ndarray, n_boot: int = 200, seed: int = 0) -> dict[str, Any]:
    """smECE with a 95% bootstrap interval, and what perfect calibration gives on these predictions.

    A resample repeats rows, which adds noise, and noise inflates smECE: the bootstrap values sit above
    the estimate (often entirely). The interval is therefore the bootstrap percentiles shifted by the
    bootstrap's estimate of that bias, mean(boot) - value (Efron & Tibshirani 1993, sec. 10.6),
    clipped at 0. ``if_calibrated`` is the median smECE of outcomes drawn from the predictions
    themselves: the noise floor a perfectly calibrated model would still show here.
    """
    value, sigma = smooth_ece(f, y)
    rng = np.random.default_rng(seed)
    boot, null = np.empty(n_boot), np.empty(n_boot)
    for b in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        boot[b] = smooth_ece(f[idx], y[idx])[0]
        null[b] = smooth_ece(f, (rng.random(len(f)) < f).astype(float))[0]
    bias = float(boot.mean() - value)
    lo, hi = np.percentile(boot - bias, [2.5, 97.5])
    return {
        "smece": value,
        "sigma": sigma,
        "ci": [max(0.0, float(lo)), max(0.0, float(hi))],
        "bootstrap_bias": bias,
        "if_calibrated": float(np.median(null)),
        "if_calibrated_95": float(np.percentile(null, 95)),
    }


# ------------------------------------------------------------------------------------------------
# Binned ECE, Brier decomposition, AUC
# ------------------------------------------------------------------------------------------------


def _bins(p: np.ndarray, bins: int) -> np.ndarray:
    return np.minimum((p * bins).astype(np.int64), bins - 1)


def binned_ece(y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS) -> dict[str, Any]:
    """ECE with ``bins`` equal-width bins on [0, 1], weighted by rows; the bins used listed with their rows."""
    idx = _bins(p, bins)
    count = np.bincount(idx, minlength=bins).astype(float)
    sp = np.bincount(idx, weights=p, minlength=bins)
    sy = np.bincount(idx, weights=y, minlength=bins)
    used = count > 0
    ece = float(np.sum(np.abs(sp[used] - sy[used])) / len(y))
    table = [
        {
            "from": i / bins,
            "to": (i + 1) / bins,
            "rows": int(count[i]),
            "mean_predicted": float(sp[i] / count[i]),
            "observed": float(sy[i] / count[i]),
        }
        for i in range(bins)
        if used[i]
    ]
    return {
        "ece": ece,
        "bins": f"{bins} equal-width bins of predicted probability ({int(used.sum())} used)",
        "table": table,
    }


def brier_decomposition(y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS) -> dict[str, float]:
    """Brier = REL - RES + UNC + WBV - WBC over ``bins`` equal-width bins (an exact identity; Stephenson
    et al. 2008). REL: reliability (lower is better), RES: resolution (higher is better), UNC:
    uncertainty o(1 - o); WBV, WBC: within-bin variance of the forecasts and their covariance with outcomes."""
    n = len(y)
    idx = _bins(p, bins)
    count = np.bincount(idx, minlength=bins).astype(float)
    used = count > 0
    mean_in = np.zeros(bins)
    obs_in = np.zeros(bins)
    mean_in[used] = np.bincount(idx, weights=p, minlength=bins)[used] / count[used]
    obs_in[used] = np.bincount(idx, weights=y, minlength=bins)[used] / count[used]
    c = count[used]
    obar = float(y.mean())
    rel = float(np.sum(c * (mean_in[used] - obs_in[used]) ** 2) / n)
    res = float(np.sum(c * (obs_in[used] - obar) ** 2) / n)
    unc = obar * (1 - obar)
    wbv = float(np.sum((p - mean_in[idx]) ** 2) / n)
    wbc = float(2 * np.sum((y - obs_in[idx]) * (p - mean_in[idx])) / n)
    brier = float(np.mean((p - y) ** 2))
    return {
        "brier": brier,
        "reliability": rel,
        "resolution": res,
        "uncertainty": unc,
        "within_bin_variance": wbv,
        "within_bin_covariance": wbc,
        "identity_error": brier - (rel - res + unc + wbv - wbc),
    }


def _placements(y: np.ndarray, p: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """AUC and DeLong's structural components (Sun & Xu's midrank algorithm)."""
    pos, neg = p[y == 1], p[y == 0]
    m, n = len(pos), len(neg)
    allr = stats.rankdata(np.concatenate([pos, neg]))
    v10 = (allr[:m] - stats.rankdata(pos)) / n
    v01 = 1.0 - (allr[m:] - stats.rankdata(neg)) / m
    return float(v10.mean()), v10, v01


def auc_delong(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    """AUC with DeLong's standard error and a 95% CI on the logit scale."""
    m, n = int(np.sum(y == 1)), int(np.sum(y == 0))
    if m == 0 or n == 0:
        return {"auc": None, "se": None, "ci": [None, None]}
    auc, v10, v01 = _placements(y, p)
    se = math.sqrt(np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / n) if m > 1 and n > 1 else float("nan")
    if 0 < auc < 1 and math.isfinite(se):
        lg, sl = math.log(auc / (1 - auc)), se / (auc * (1 - auc))
        ci = [float(expit(np.float64(lg - Z95 * sl))), float(expit(np.float64(lg + Z95 * sl)))]
    else:
        ci = [auc, auc]
    return {"auc": auc, "se": se, "ci": ci}


def auc_difference(y: np.ndarray, p1: np.ndarray, p2: np.ndarray) -> dict[str, float | list[float]]:
    """Paired DeLong test of AUC(p2) - AUC(p1) on the same outcomes."""
    a1, v10a, v01a = _placements(y, p1)
    a2, v10b, v01b = _placements(y, p2)
    m, n = len(v10a), len(v01a)
    S = np.cov(np.vstack([v10a, v10b])) / m + np.cov(np.vstack([v01a, v01b])) / n
    d = a2 - a1
    se = math.sqrt(max(float(S[0, 0] + S[1, 1] - 2 * S[0, 1]), 0.0))
    z = d / se if se > 0 else 0.0
    return {"difference": d, "ci": [d - Z95 * se, d + Z95 * se], "p_value": float(2 * stats.norm.sf(abs(z)))}


# ------------------------------------------------------------------------------------------------
# Everything, side by side
# ------------------------------------------------------------------------------------------------


def evaluate_real(
    y: np.ndarray, predictions: Mapping[str, np.ndarray], n_boot: int = 200, seed: int = 0
) -> dict[str, Any]:
    """Every metric above for each model's predictions on the same outcomes (JSON-ready), with the
    number of events, a warning under ``MIN_EVENTS`` of the rarer outcome, and for two models the
    paired AUC difference (the second minus the first)."""
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    events = int(y.sum())
    rarer = min(events, n - events)
    out: dict[str, Any] = {"outcomes": n, "events": events, "non_events": n - events, "models": {}}
    if rarer == 0:
        raise InputError("every outcome is the same (all reconciled or none): calibration cannot be measured")
    if rarer < MIN_EVENTS:
        kind = "events" if events <= n - events else "non-events"
        out["warning"] = (
            f"only {rarer} {kind} (fewer than {MIN_EVENTS}): every calibration figure has a wide "
            "interval; read the intervals, not the point values"
        )
    clipped = {k: np.clip(np.asarray(v, dtype=np.float64), 1e-9, 1 - 1e-9) for k, v in predictions.items()}
    for name, p in clipped.items():
        out["models"][name] = {
            "calibration_in_the_large": calibration_in_the_large(y, p),
            "calibration_slope": calibration_slope(y, p),
            "calibration_curve": calibration_curve(y, p, n_boot=n_boot, seed=seed),
            "smooth_ece": smooth_ece_interval(p, y, n_boot=n_boot, seed=seed),
            "binned_ece": binned_ece(y, p),
            "brier": brier_decomposition(y, p),
            "auc": auc_delong(y, p),
        }
    names = list(clipped)
    if len(names) == 2:
        out["auc_difference"] = {
            "of": f"{names[1]} - {names[0]}",
            **auc_difference(y, clipped[names[0]], clipped[names[1]]),
        }
    return out


def format_table(result: Mapping[str, Any]) -> str:
    """The side-by-side text ``exodds evaluate --data`` prints for real outcomes."""
    names = list(result["models"])
    w = 26
    lines = [f"{result['outcomes']:,} outcomes, {result['events']:,} events"]
    if "warning" in result:
        lines.append(f"warning: {result['warning']}")
    lines.append(f"{'':<34}" + "".join(f"{n:>{w}}" for n in names))

    def row(label: str, fn: Callable[[Mapping[str, Any]], str]) -> None:
        lines.append(f"{label:<34}" + "".join(f"{fn(result['models'][n]):>{w}}" for n in names))

    def ci(v: float, c: list[float], f: str = "{:.3f}") -> str:
        return f"{f.format(v)} ({f.format(c[0])} to {f.format(c[1])})"

    row(
        "mean predicted - observed",
        lambda m: ci(
            m["calibration_in_the_large"]["mean_predicted_minus_observed"],
            m["calibration_in_the_large"]["ci"],
            "{:+.3f}",
        ),
    )
    row(
        "observed / expected",
        lambda m: ci(
            m["calibration_in_the_large"]["observed_expected"], m["calibration_in_the_large"]["oe_ci"], "{:.2f}"
        ),
    )
    row(
        "calibration intercept (logit)",
        lambda m: ci(
            m["calibration_in_the_large"]["intercept"], m["calibration_in_the_large"]["intercept_ci"], "{:+.2f}"
        ),
    )
    row("calibration slope", lambda m: ci(m["calibration_slope"]["slope"], m["calibration_slope"]["ci"], "{:.2f}"))
    row("smooth ECE", lambda m: ci(m["smooth_ece"]["smece"], m["smooth_ece"]["ci"]))
    row("  if calibrated (noise floor)", lambda m: f"{m['smooth_ece']['if_calibrated']:.3f}")
    row("ICI (smoothed curve)", lambda m: f"{m['calibration_curve']['ici']:.3f}")
    row(f"binned ECE ({ECE_BINS} equal bins)", lambda m: f"{m['binned_ece']['ece']:.3f}")
    row("Brier", lambda m: f"{m['brier']['brier']:.4f}")
    row("  reliability (lower better)", lambda m: f"{m['brier']['reliability']:.4f}")
    row("  resolution (higher better)", lambda m: f"{m['brier']['resolution']:.4f}")
    row("  uncertainty", lambda m: f"{m['brier']['uncertainty']:.4f}")
    row(
        "  within-bin var - cov",
        lambda m: f"{m['brier']['within_bin_variance'] - m['brier']['within_bin_covariance']:+.4f}",
    )
    row("AUC (DeLong 95% CI)", lambda m: ci(m["auc"]["auc"], m["auc"]["ci"]))
    if "auc_difference" in result:
        d = result["auc_difference"]
        lines.append(
            f"AUC {d['of']}: {d['difference']:+.4f} ({d['ci'][0]:+.4f} to {d['ci'][1]:+.4f}), "
            f"paired DeLong p = {d['p_value']:.3g}"
        )
    return "\n".join(lines)
