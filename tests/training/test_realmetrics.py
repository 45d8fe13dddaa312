"""Metrics on real outcomes, each checked against an independent computation: relplot's smooth ECE (values
stored), the kernel written out directly, scikit-learn's AUC and Brier, DeLong's variance from its
definition, and calibration figures on outcomes drawn from known probabilities."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import brier_score_loss, roc_auc_score

from model.errors import InputError
from model.numeric import expit
from model.training import realmetrics as R


def _golden(n: int = 1000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forecasts and two outcome sets with no random generator (a low-discrepancy sequence): the
    inputs relplot's values below were computed on."""
    k = np.arange(1, n + 1)
    u, v = (k * 0.6180339887498949) % 1.0, (k * 0.7548776662466927) % 1.0
    f = 0.05 + 0.9 * u
    return f, (v < f**1.6).astype(float), (v < f).astype(float)


def _draw(n: int, seed: int, distort=lambda z: z) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    z = rng.normal(-0.8, 1.3, n)
    y = (rng.random(n) < expit(z)).astype(float)
    return expit(distort(z)), y, expit(z)


def test_smooth_ece_matches_relplot():
    """relplot 0.1 (Blasiok and Nakkiran's own package): smECE 0.12787 and 0.015479 on these inputs; it
    reports the upper end of a bisection on the bandwidth, hence the small tolerance."""
    f, y_over, y_cal = _golden()
    assert R.smooth_ece(f, y_over)[0] == pytest.approx(0.12787079414534688, abs=5e-4)
    assert R.smooth_ece(f, y_cal)[0] == pytest.approx(0.015478760848423513, abs=5e-4)


def test_smooth_ece_is_the_reflected_kernel_written_out():
    f, y, _ = _golden(400)
    sigma = 0.07
    t = np.linspace(0, 1, 4001)
    K = np.zeros((len(t), len(f)))
    for k in range(-3, 4):  # the Gaussian reflected at 0 and 1, summed directly
        K += stats.norm.pdf(t[:, None] - f[None, :] - 2 * k, scale=sigma)
        K += stats.norm.pdf(t[:, None] + f[None, :] - 2 * k, scale=sigma)
    r = np.abs(K @ (y - f)) / len(f)
    direct = float(np.sum((r[1:] + r[:-1]) / 2) * (t[1] - t[0]))
    assert R.smooth_ece_at(f, y, sigma) == pytest.approx(direct, rel=2e-3)
    value, s = R.smooth_ece(f, y)
    assert value == pytest.approx(s, abs=1e-5)  # the fixed point: smECE at sigma* is sigma*


def test_smooth_ece_interval_holds_the_estimate_and_names_the_noise_floor():
    f, y, _ = _draw(1500, 1)
    out = R.smooth_ece_interval(f, y, n_boot=30)
    assert out["ci"][0] <= out["smece"] <= out["ci"][1]
    assert 0 < out["if_calibrated"] < 0.05  # calibrated forecasts still show some smECE on 1,500 rows
    biased = R.smooth_ece_interval(np.clip(f + 0.1, 0, 1), y, n_boot=30)
    assert biased["ci"][0] > out["if_calibrated_95"]


def test_auc_and_its_delong_interval_against_the_definition():
    f, y, _ = _draw(600, 2)
    a = R.auc_delong(y, f)
    assert a["auc"] == pytest.approx(roc_auc_score(y, f), abs=1e-12)
    # DeLong's variance from its definition: the placement of each event among the non-events and back
    pos, neg = f[y == 1], f[y == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    se = math.sqrt(v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg))
    assert a["se"] == pytest.approx(se, rel=1e-9)
    assert a["ci"][0] < a["auc"] < a["ci"][1] < 1
    same = R.auc_difference(y, f, f)
    assert same["difference"] == 0 and same["p_value"] == 1.0
    worse = R.auc_difference(y, f, np.clip(f + np.random.default_rng(0).normal(0, 0.3, len(f)), 0, 1))
    assert worse["difference"] < 0 and worse["p_value"] < 0.05


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(20, 400), bins=st.integers(2, 20))
def test_the_brier_decomposition_is_an_exact_identity(seed, n, bins):
    rng = np.random.default_rng(seed)
    p = rng.random(n)
    y = (rng.random(n) < p).astype(float)
    b = R.brier_decomposition(y, p, bins)
    assert b["brier"] == pytest.approx(brier_score_loss(y, p), abs=1e-12)
    assert abs(b["identity_error"]) < 1e-12
    assert b["reliability"] >= 0 and b["resolution"] >= 0


def test_binned_ece_states_its_bins():
    f, y, _ = _draw(800, 3)
    out = R.binned_ece(y, f)
    assert out["bins"].startswith("15 equal-width bins") and sum(b["rows"] for b in out["table"]) == 800
    gaps = sum(b["rows"] * abs(b["mean_predicted"] - b["observed"]) for b in out["table"]) / 800
    assert out["ece"] == pytest.approx(gaps)


def test_calibration_figures_find_what_was_done_to_the_odds():
    n = 20_000
    p, y, _ = _draw(n, 4)
    m = R.evaluate_real(y, {"calibrated": p}, n_boot=10)["models"]["calibrated"]
    assert m["calibration_slope"]["ci"][0] < 1 < m["calibration_slope"]["ci"][1]
    assert m["calibration_in_the_large"]["oe_ci"][0] < 1 < m["calibration_in_the_large"]["oe_ci"][1]
    p, y, _ = _draw(n, 4, distort=lambda z: 2 * z)  # odds twice as spread out: the slope is 1/2
    slope = R.calibration_slope(y, p)
    assert slope["slope"] == pytest.approx(0.5, abs=0.03)
    p, y, _ = _draw(n, 4, distort=lambda z: z + 0.7)  # too high everywhere: the intercept is -0.7
    citl = R.calibration_in_the_large(y, p)
    assert citl["intercept"] == pytest.approx(-0.7, abs=0.05) and citl["mean_predicted_minus_observed"] > 0.05
    assert citl["observed_expected"] < citl["oe_ci"][1] < 1


def test_the_smoothed_curve_follows_the_truth_inside_its_band():
    p, y, _ = _draw(5000, 5, distort=lambda z: 1.5 * z)
    c = R.calibration_curve(y, p, n_boot=40)
    grid = np.asarray(c["predicted"])
    truth = expit(np.log(grid / (1 - grid)) / 1.5)  # what the outcomes were drawn from at that prediction
    inside = (np.asarray(c["low"]) <= truth) & (truth <= np.asarray(c["high"]))
    assert inside.mean() > 0.85
    assert np.abs(np.asarray(c["observed"]) - truth).max() < 0.06
    assert c["ici"] > 0.02 and "restricted cubic spline" in c["method"]


def test_evaluate_real_side_by_side_with_events_and_a_warning_under_100():
    p, y, _ = _draw(200, 6)
    out = R.evaluate_real(y, {"before": np.clip(p + 0.1, 0, 1), "after": p}, n_boot=10)
    assert out["events"] == int(y.sum()) < 100 and "fewer than 100" in out["warning"]
    assert list(out["models"]) == ["before", "after"] and out["auc_difference"]["of"] == "after - before"
    text = R.format_table(out)
    assert f"200 outcomes, {int(y.sum())} events" in text and "warning:" in text and "smooth ECE" in text
    p, y, _ = _draw(2000, 7)
    many = R.evaluate_real(y, {"m": p}, n_boot=10)
    assert "warning" not in many
    with pytest.raises(InputError, match="every outcome is the same"):
        R.evaluate_real(np.zeros(50), {"m": np.full(50, 0.3)})
