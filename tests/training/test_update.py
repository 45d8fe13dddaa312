"""``exodds update``'s procedure: the fits against SciPy's optimisers, the closed test's statistics and its
decisions on worlds we wrote (one where the guide is right, two where it is not), the sign constraints,
explanations, the range, the card and the sample-size statements. Fits are small: the accuracy targets
live in benchmarks/bench_update.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_consistent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from model import load_model
from model.errors import InputError, UsageError
from model.odds.basis import column_signs
from model.odds.calibration import Calibration
from model.odds.provenance import GUIDE_ONLY, odds_basis
from model.quiz.validation import validate_frame
from model.training import update as U
from model.training.recalibrate import (
    basis_of,
    choose_lambda,
    expit,
    fit_question_ml,
    fit_question_shrunk,
    glm_offset,
    loglik,
    question_design,
    revise,
    shipped_logit,
    shrink_to_common,
)
from tests.worlds import world


@pytest.fixture(scope="module")
def shipped():
    return load_model()


def _data(name: str, rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    d = world(name, rows, seed)
    clean = validate_frame(d.drop(columns=["reconciled", "p_true"]), extra="ignore").clean
    return clean, d["reconciled"].to_numpy(float), d["p_true"].to_numpy()


@pytest.fixture(scope="module")
def issue_update(shipped):
    """The shipped model updated with 1,500 outcomes of a world unlike the guide (12 members: small)."""
    clean, y, _ = _data("issue", 1_500, 11)
    dates = np.datetime64("2027-01-04") + (np.arange(len(y)) % 170).astype("timedelta64[D]")
    new, result = U.update_model(
        shipped,
        clean,
        y,
        dates=dates,
        members=12,
        seed=3,
        outcomes={"file": "follow-up.csv", "file_sha256": "ab" * 32, "read": 1_503, "rejected": 3, "horizon_days": 180},
    )
    return new, result, clean, y


# ------------------------------------------------------------------------------------------------
# The fits, against SciPy
# ------------------------------------------------------------------------------------------------


def _objective(theta: np.ndarray, Z: np.ndarray, y: np.ndarray, centre: np.ndarray, P: np.ndarray):
    c, w = theta[0], theta[1:]
    eta = c + Z @ w
    q = expit(eta)
    d = w - centre
    return -loglik(y, eta) + 0.5 * d @ P @ d, np.concatenate([[np.sum(q - y)], Z.T @ (q - y) + P @ d])


def _lbfgsb(Z, y, centre, P, lower, upper):
    bounds = [(None, None)] + [
        (None if not np.isfinite(lo) else lo, None if not np.isfinite(hi) else hi)
        for lo, hi in zip(lower, upper, strict=True)
    ]
    x0 = np.concatenate([[0.0], np.clip(centre, lower, upper)])
    return optimize.minimize(
        _objective,
        x0,
        args=(Z, y, centre, P),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 50_000, "ftol": 1e-15, "gtol": 1e-10},
    )


def test_revise_reaches_the_constrained_optimum_scipy_finds(shipped):
    clean, y, _ = _data("issue", 800, 1)
    X = basis_of(clean)
    signs = column_signs()
    lower, upper = np.full(len(signs), -np.inf), np.where(signs < 0, 0.0, np.inf)
    ours = revise(X, y, shipped.coef, 5.0, signs=signs)
    ref = _lbfgsb(X, y, shipped.coef, 5.0 * np.eye(len(signs)), lower, upper)
    f_ours = _objective(np.concatenate([[ours.intercept], ours.coef]), X, y, shipped.coef, 5.0 * np.eye(len(signs)))[0]
    assert f_ours <= ref.fun + 1e-6
    assert np.abs(ours.coef - ref.x[1:]).max() < 1e-3 and ours.kkt < 1e-6
    assert (ours.coef[signs < 0] <= 0).all()

    q = question_design(shipped, X)
    G = len(q.groups)
    Zaug = np.column_stack([np.zeros(len(y)), q.Z])
    lo = np.concatenate([[-np.inf], np.zeros(G)])
    for lam in (0.3, 30.0):
        fit = fit_question_shrunk(q, y, lam)
        P = shrink_to_common(G, lam)
        ref = _lbfgsb(Zaug, y, np.zeros(G + 1), P, lo, np.full(G + 1, np.inf))
        mine = _objective(np.concatenate([[fit.intercept], fit.coef]), Zaug, y, np.zeros(G + 1), P)[0]
        assert mine <= ref.fun + 1e-6, lam
        assert (fit.coef[1:] >= 0).all()


def test_glm_offset_is_the_maximum_likelihood_fit(shipped):
    clean, y, _ = _data("reweighted", 700, 2)
    lp = shipped_logit(shipped, basis_of(clean))
    Z = np.column_stack([np.ones(len(y)), lp])
    ours = glm_offset(Z, y, np.zeros(len(y)))
    ref = optimize.minimize(
        lambda b: -loglik(y, Z @ b),
        np.zeros(2),
        method="Nelder-Mead",
        options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 20_000},
    )
    np.testing.assert_allclose(ours.beta, ref.x, atol=1e-4)
    assert ours.loglik >= -ref.fun - 1e-9
    # the covariance is the inverse information: compare with a finite-difference Hessian
    eps = 1e-4
    H = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            e_i, e_j = np.eye(2)[i] * eps, np.eye(2)[j] * eps
            b = ours.beta
            H[i, j] = (
                loglik(y, Z @ (b + e_i + e_j))
                - loglik(y, Z @ (b + e_i - e_j))
                - loglik(y, Z @ (b - e_i + e_j))
                + loglik(y, Z @ (b - e_i - e_j))
            ) / (4 * eps * eps)
    np.testing.assert_allclose(ours.cov, np.linalg.inv(-H), rtol=1e-3)


def test_the_likelihood_ratio_tests_match_an_independent_computation(shipped):
    """Each test's statistic, df and p-value, recomputed with SciPy's optimisers and chi-square."""
    clean, y, _ = _data("issue", 1_000, 4)
    X = basis_of(clean)
    cands = U.fit_candidates(shipped, X, y)
    method, tests, reason = U.closed_test(cands)
    lp = shipped_logit(shipped, X)
    ll = {"keep": loglik(y, lp)}
    a = optimize.minimize_scalar(
        lambda a: -loglik(y, a + lp), bounds=(-5, 5), method="bounded", options={"xatol": 1e-10}
    ).x
    ll["intercept"] = loglik(y, a + lp)
    ab = optimize.minimize(lambda t: -loglik(y, t[0] + t[1] * lp), [0.0, 1.0], method="BFGS", options={"gtol": 1e-9}).x
    ll["recalibration"] = loglik(y, ab[0] + ab[1] * lp)
    q = question_design(shipped, X)
    G = len(q.groups)
    ref = _lbfgsb(q.Z, y, np.ones(G), 1e-8 * np.eye(G), np.zeros(G), np.full(G, np.inf))
    ll_rev = loglik(y, ref.x[0] + q.Z @ ref.x[1:])
    assert cands["revision"].df == G + 1 == 14  # the 13 questions with weights, and the intercept
    for k in ll:
        assert cands[k].loglik == pytest.approx(ll[k], abs=1e-5), k
    expected_df = {"keep": 14, "intercept": 13, "recalibration": 12}
    for t in tests:
        other = t.compared.removeprefix("revision vs ")
        stat = 2 * (ll_rev - ll[other])
        assert t.statistic == pytest.approx(stat, abs=1e-3)
        assert t.df == expected_df[other]
        assert t.p_value == pytest.approx(stats.chi2.sf(stat, expected_df[other]), rel=1e-3, abs=1e-12)
        level = U.ALPHA_KEEP if other == "keep" else U.ALPHA
        assert t.significant == (t.p_value < level)
    assert [t.compared for t in tests] == ["revision vs keep", "revision vs intercept", "revision vs recalibration"][
        : len(tests)
    ]
    assert method in U.METHODS and method.split()[0] in reason


def test_the_tests_stop_at_the_first_that_is_not_significant_and_a_revision_adding_nothing_has_p_1():
    def cand(name, ll, df):
        return U.Candidate(name, ll, df, 0.0, np.zeros(1))

    cands = {
        "keep": cand("keep", -110.0, 0),
        "intercept": cand("intercept", -90.0, 1),
        "recalibration": cand("recalibration", -89.0, 2),
        "revision": cand("revision", -89.0, 14),
    }
    method, tests, reason = U.closed_test(cands)
    assert method == "intercept" and len(tests) == 2
    assert tests[0].significant and tests[0].statistic == pytest.approx(42.0)
    assert tests[1].p_value == pytest.approx(stats.chi2.sf(2.0, 13))
    assert "revision vs intercept is not significant" in reason
    cands["revision"] = cand("revision", -90.0, 14)  # no better than the intercept: statistic 0, p 1
    _, tests, _ = U.closed_test(cands)
    assert tests[1].statistic == 0 and tests[1].p_value == 1.0
    cands["revision"] = cand("revision", -70.0, 14)
    method, tests, reason = U.closed_test(cands)
    assert method == "revision" and len(tests) == 3 and reason.startswith("every test is significant")


def test_lambda_by_marginal_likelihood_and_by_cross_validation(shipped):
    clean, y, _ = _data("issue", 600, 5)
    q = question_design(shipped, basis_of(clean))
    for select in ("laml", "cv"):
        lam, crit = choose_lambda(q, y, select=select)
        assert lam in crit and len(crit) == 17
        best = (max if select == "laml" else min)(crit.values())
        assert crit[lam] == best
    with pytest.raises(UsageError, match="'laml'"):
        choose_lambda(q, y, select="aic")
    # the shrunk revision lies between the recalibration (lambda large) and the ML revision (lambda small)
    ml, strong = fit_question_ml(q, y), fit_question_shrunk(q, y, 1e6)
    assert np.ptp(strong.coef[1:]) < 1e-3 and ml.loglik >= fit_question_shrunk(q, y, 1.0).loglik - 1e-9


# ------------------------------------------------------------------------------------------------
# Decisions on worlds we wrote
# ------------------------------------------------------------------------------------------------


def test_the_closed_test_keeps_a_right_model_in_most_seeds(shipped):
    kept = 0
    for seed in range(10):
        clean, y, _ = _data("guide", 1_000, 500 + seed)
        method, _, _ = U.closed_test(U.fit_candidates(shipped, basis_of(clean), y))
        kept += method == "keep"
    assert kept >= 9  # alpha_keep 0.01, conservative p-values: a false update is rare


def test_leaving_the_model_takes_the_stricter_level_and_the_rest_the_usual_one():
    """A p-value between the two levels: against keep it keeps the model; between updates it moves on."""

    def cands(ll_rev, ll_keep, ll_int, ll_rec):
        fits = {"keep": (ll_keep, 0), "intercept": (ll_int, 1), "recalibration": (ll_rec, 2), "revision": (ll_rev, 15)}
        return {k: U.Candidate(k, ll, df, 0.0, np.zeros(1)) for k, (ll, df) in fits.items()}

    between = stats.chi2.isf(0.03, 15) / 2  # an LR statistic with p = 0.03 on 15 df
    method, tests, reason = U.closed_test(cands(0.0, -between, -1e3, -1e3))
    assert method == "keep" and not tests[0].significant and "not significant at 0.01" in reason
    method, tests, _ = U.closed_test(cands(0.0, -1e3, -1e3, -stats.chi2.isf(0.03, 13) / 2))
    assert method == "revision" and [t.significant for t in tests] == [True, True, True]
    method, _, _ = U.closed_test(cands(0.0, -between, -1e3, -1e3), alpha_keep=0.05)
    assert method == "revision"


@pytest.mark.parametrize("name", ["issue", "reweighted"])
def test_the_closed_test_updates_a_wrong_model_and_comes_closer_to_the_truth(shipped, name):
    clean, y, _ = _data(name, 2_000, 600)
    X = basis_of(clean)
    cands = U.fit_candidates(shipped, X, y)
    method, tests, _ = U.closed_test(cands)
    assert method != "keep" and tests[0].p_value < 1e-4
    test_clean, _, truth = _data(name, 4_000, 601)  # other people of the same world
    Xt = basis_of(test_clean)
    mae = {k: float(np.mean(np.abs(expit(c.intercept + Xt @ c.coef) - truth))) for k, c in cands.items()}
    assert mae[method] < 0.6 * mae["keep"]


def test_every_outcome_the_same_keeps_the_model_and_says_why(shipped):
    clean, _, _ = _data("guide", 200, 7)
    new, result = U.update_model(shipped, clean, np.zeros(len(clean)), members=3)
    assert result.method == "keep" and result.tests == [] and "every outcome is the same" in result.reason
    np.testing.assert_array_equal(new.coef, shipped.coef)
    assert "nothing" in result.sample["supports"][0]
    assert new.card["update"]["method"] == "keep" and "checked against 200 real outcomes" in odds_basis(new.card)


def test_bad_outcomes_and_an_isotonic_model_are_refused_plainly(shipped):
    clean, y, _ = _data("guide", 50, 8)
    with pytest.raises(InputError, match="one outcome a row"):
        U.update_model(shipped, clean, y[:-1])
    with pytest.raises(InputError, match=r"0 \(not reconciled\) or 1"):
        U.update_model(shipped, clean, y * 2)
    iso = U.member_model(shipped, 0)
    iso.calibration = Calibration("isotonic", x=np.array([-5.0, 5.0]), y=np.array([0.01, 0.99]))
    with pytest.raises(UsageError, match="isotonic"):
        U.update_model(iso, clean, y)


def test_few_events_still_give_a_decision_with_the_warning(shipped):
    clean, y, _ = _data("issue", 120, 9)
    new, result = U.update_model(shipped, clean, y, members=3)
    assert result.method in U.METHODS and np.isfinite(new.coef).all()
    s = result.sample
    assert s["events"] < 100 and "fewer than 100" in s["warning"] and "Riley" in s["warning"]
    assert f"{s['oe_ci_width']:.2f}" in s["warning"] and f"{s['slope_ci_width']:.2f}" in s["warning"]


# ------------------------------------------------------------------------------------------------
# The updated model
# ------------------------------------------------------------------------------------------------


def test_the_update_keeps_every_sign_constraint_in_the_model_and_its_range(issue_update):
    new, result, _, _ = issue_update
    neg = column_signs() < 0
    assert result.method != "keep"
    assert (new.coef[neg] <= 0).all() and (new.member_coef[:, neg] <= 0).all()
    assert new.member_coef.shape == (12, len(new.coef)) and new.range_kind == "bootstrap"


def test_explanations_of_an_updated_model_still_sum_to_its_log_odds(issue_update):
    new, _, clean, _ = issue_update
    odds, contrib = new.score_clean(clean.iloc[:300], explain=True)
    p = odds["reversal_odds"].to_numpy()
    np.testing.assert_allclose(contrib.sum(axis=1).to_numpy(), np.log(p) - np.log1p(-p), atol=1e-9)
    assert (odds["odds_low"] <= odds["reversal_odds"]).all() and (odds["reversal_odds"] <= odds["odds_high"]).all()


def test_the_updated_odds_are_the_chosen_candidate(issue_update, shipped):
    new, result, clean, _ = issue_update
    X = basis_of(clean.iloc[:200])
    c = result.candidates[result.method]
    np.testing.assert_allclose(
        new.predict_clean(clean.iloc[:200])["reversal_odds"], expit(c.intercept + X @ c.coef), atol=1e-12
    )
    if result.method in ("intercept", "recalibration"):  # a recalibration moves every log-odds the same way
        b = result.candidates[result.method].detail.get("b", 1.0)
        a = result.candidates[result.method].detail["a"]
        np.testing.assert_allclose(X @ c.coef + c.intercept, a + b * shipped_logit(shipped, X), atol=1e-9)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    answers=st.fixed_dictionaries(
        {
            "days_since_breakup": st.integers(60, 400),
            "days_silent": st.integers(8, 59),
            "attempts_ignored": st.integers(0, 30),
            "anger": st.sampled_from(["none", "annoyed", "angry", "furious"]),
            "blocked": st.sampled_from(["no", "some", "everywhere"]),
            "told_no_contact": st.sampled_from(["yes", "no"]),
        }
    ),
    more=st.integers(1, 50),
)
def test_more_ignored_attempts_never_raise_the_updated_odds(issue_update, answers, more):
    new = issue_update[0]
    base = {
        "attempts_last_week": 0,
        "wronged_them": "no",
        "apologized": "no",
        "bad_blood": "no",
        "last_reply_tone": "neutral",
        "ex_reached_out": "no",
        "emotional_messages": 0,
        **answers,
    }
    if base["blocked"] != "no":
        base["days_blocked"] = 5
    base = make_consistent(base)
    rows = pd.DataFrame([base, {**base, "attempts_ignored": base["attempts_ignored"] + more}], dtype=object)
    odds = new.predict(rows, as_of="2026-11-26")
    assert odds["reversal_odds"].iloc[1] <= odds["reversal_odds"].iloc[0] + 1e-12
    assert odds["odds_high"].iloc[1] <= odds["odds_high"].iloc[0] + 1e-12


def test_the_card_records_where_the_model_came_from(issue_update, shipped):
    new, result, _, y = issue_update
    card = new.card
    assert card["source"] == "update" and card["basis_signature"] == shipped.card["basis_signature"]
    assert card["updated_from"]["version"] == shipped.version
    assert card["updated_from"]["weights_sha256"] == shipped.card["weights_sha256"]
    o = card["outcomes"]
    assert (o["rows"], o["events"], o["read"], o["rejected"]) == (len(y), int(y.sum()), 1_503, 3)
    assert (o["collected_from"], o["collected_to"], o["horizon_days"]) == ("2027-01-04", "2027-06-22", 180)
    u = card["update"]
    assert u["method"] == result.method and "Vergouwe" in u["procedure"]
    assert [t["compared"] for t in u["tests"]] == [t.compared for t in result.tests]
    assert all({"statistic", "df", "p_value", "significant"} <= set(t) for t in u["tests"])
    assert u["sample_size"]["events"] == int(y.sum())
    assert card["range"]["kind"] == "bootstrap" and card["range"]["members"] == 12
    assert "assumptions_sha256" not in card  # (the stale-assumptions warning reads updated_from instead)
    assert card["updated_from"]["assumptions_sha256"] == shipped.card["assumptions_sha256"]


def test_describe_prints_every_test_the_decision_and_the_report_words(issue_update):
    new, result, _, _ = issue_update
    text = U.describe(result, new.card)
    for t in result.tests:
        assert f"LR = {t.statistic:8.2f}" in text and f"df = {t.df:3.0f}" in text
    assert f"decision: {result.method}: {result.reason}" in text
    assert "3 rejected" in text and "collected 2027-01-04 to 2027-06-22" in text
    assert (
        "the guide's assumptions, updated with 1,500 real outcomes collected between 4 January 2027 and 22 June 2027"
    ) in text


# ------------------------------------------------------------------------------------------------
# Sample size and the words
# ------------------------------------------------------------------------------------------------


def test_the_sample_size_figures_follow_riley_et_al():
    rng = np.random.default_rng(3)
    lp = rng.normal(-1.0, 1.2, 4_000)
    y = (rng.random(4_000) < expit(lp)).astype(float)
    s = U.sample_size(lp, y, parameters=14)
    phi = y.mean()
    assert s["oe_ci_width"] == pytest.approx(2 * np.sinh(1.96 * np.sqrt((1 - phi) / (len(y) * phi))))
    # the n it names for a width of 0.2 gives that width
    n = s["n_for_oe_width_0.2"]
    assert 2 * np.sinh(1.96 * np.sqrt((1 - phi) / (n * phi))) == pytest.approx(0.2, abs=1e-3)
    # the slope's width is what the slope's Wald interval on these outcomes gives, near enough
    fit = glm_offset(np.column_stack([np.ones(len(y)), lp]), y, np.zeros(len(y)))
    assert s["slope_ci_width"] == pytest.approx(2 * 1.96 * np.sqrt(fit.cov[1, 1]), rel=0.1)
    assert s["rarer_outcome_per_parameter"] == pytest.approx(min(y.sum(), len(y) - y.sum()) / 14)
    assert "warning" not in s and any("inside Riley" in line for line in s["supports"])
    small = U.sample_size(lp[:200], y[:200], parameters=14)
    assert "fewer than 100" in small["warning"] and any(
        "too few" in line or "few, so" in line for line in small["supports"]
    )


def test_the_words_beside_the_odds():
    assert odds_basis({}) == GUIDE_ONLY == "one breakup guide's assumptions"
    card = {
        "source": "update",
        "update": {"method": "revision"},
        "outcomes": {"rows": 1997, "collected_from": "2027-01-04", "collected_to": "2027-06-22"},
    }
    assert odds_basis(card) == (
        "the guide's assumptions, updated with 1,997 real outcomes collected between 4 January 2027 and 22 June 2027"
    )
    card["update"]["method"] = "keep"
    assert odds_basis(card).startswith("the guide's assumptions, checked against 1,997 real outcomes")
    card["outcomes"] = {"rows": 1, "collected_from": None, "collected_to": None}
    assert (
        odds_basis(card) == "the guide's assumptions, checked against 1 real outcome (when they were collected "
        "was not recorded)"
    )


def test_an_updated_model_is_stale_when_the_model_it_came_from_is(issue_update):
    from types import SimpleNamespace

    from model.truth.assumptions import stale_assumptions_warning

    new = issue_update[0]
    assert stale_assumptions_warning(new) is None  # updated from the current shipped model
    card = {**new.card, "updated_from": {**new.card["updated_from"], "assumptions_sha256": "0" * 64}}
    warning = stale_assumptions_warning(SimpleNamespace(card=card))
    assert "the model this one was updated from" in warning and "exodds update" in warning
