"""Training on a file (issue 19): the projected-Newton solver, interaction terms, links and calibration
maps, and what a model with them must keep: sign constraints, explanations that sum to the log-odds,
scoring tables equal to the basis, and a pickle-free round trip through its weights."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from benchmarks.worlds_train import TRUTHS
from model.numeric import logit
from model.odds.artifacts import WEIGHTS, load_model, model_weights, save_weights
from model.odds.basis import TERMS, basis_matrix, basis_signature, column_signs
from model.odds.calibration import Calibration
from model.odds.features import features_from_clean
from model.odds.interactions import candidate_pool, term_by_name, terms_named, triple_candidates
from model.odds.lookup import build_lookups, lookup_indices, lookup_sum, random_clean
from model.odds.runtime import OddsModel
from model.quiz.definition import QUIZ
from model.training.glm import fit_glm, kkt_violation, loss_parts

# --------------------------------------------------------------------------------------------
# the solver
# --------------------------------------------------------------------------------------------


def _problem(seed: int, n: int = 400, p: int = 8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.random((n, p))
    signs = rng.choice([-1, 0, 1], size=p)
    eta = X @ rng.normal(0, 1.5, p) - 0.3
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    return X, y, signs.astype(float)


@pytest.mark.parametrize("link", ["logit", "cloglog", "probit"])
@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000), C=st.sampled_from([0.05, 1.0, 20.0]))
def test_projected_newton_reaches_the_constrained_optimum_that_l_bfgs_b_finds(link, seed, C):
    X, y, signs = _problem(seed)
    fit = fit_glm(X, y, signs, 1.0 / C, link=link)
    assert np.all(fit.coef[signs < 0] <= 0) and np.all(fit.coef[signs > 0] >= 0)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        coef, b = theta[:-1], theta[-1]
        loss, g_eta, _ = loss_parts(X @ coef + b, y, np.ones(len(y)), link)
        grad = np.append(X.T @ g_eta + coef / C, g_eta.sum())
        return loss + 0.5 * float(coef @ coef) / C, grad

    bounds = [(None, 0.0) if s < 0 else (0.0, None) if s > 0 else (None, None) for s in signs] + [(None, None)]
    ref = minimize(
        objective,
        np.zeros(len(signs) + 1),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 5000},
    )
    # never worse than L-BFGS-B's optimum, and at the same point (the objective is strictly convex)
    assert fit.objective <= ref.fun + 1e-7 * abs(ref.fun)
    assert np.allclose(fit.coef, ref.x[:-1], atol=1e-3) and abs(fit.intercept - ref.x[-1]) < 1e-3
    _, g_eta, _ = loss_parts(X @ fit.coef + fit.intercept, y, np.ones(len(y)), link)
    assert kkt_violation(X.T @ g_eta + fit.coef / C, fit.coef, signs).max() < 1e-5 * len(y) and fit.kkt < 1e-4


# --------------------------------------------------------------------------------------------
# a model with chosen terms, a link and a non-linear map, built by hand (no training: fast)
# --------------------------------------------------------------------------------------------

#: one pair of choices, its triple, a number x choice pair and a fine-knot refinement
CHOSEN = (
    "blocked x told_no_contact",
    "blocked x told_no_contact x anger",
    "days_silent x last_reply_tone",
    "attempts_ignored fine",
)

CALIBRATIONS = {
    "logit, sigmoid": lambda: Calibration("sigmoid", slope=0.8, offset=0.1),
    "logit, isotonic": lambda: Calibration("isotonic", x=np.array([-3.0, 0.0, 2.0]), y=np.array([0.05, 0.4, 0.8])),
    "cloglog, none": lambda: Calibration("none", link="cloglog"),
    "probit, sigmoid": lambda: Calibration("sigmoid", slope=1.1, offset=-0.2, link="probit"),
    "logit, piecewise": lambda: Calibration(
        "piecewise", x=np.array([-103.0, -3.0, 0.0, 2.0, 102.0]), y=np.array([-3.5, -3.5, -0.2, 1.1, 1.1])
    ),
    "cloglog, piecewise": lambda: Calibration(
        "piecewise", x=np.array([-100.0, -1.0, 1.0, 100.0]), y=np.array([-40.0, -1.5, 0.5, 50.0]), link="cloglog"
    ),
}


def _weights(terms: tuple, rng: np.random.Generator, scale: float = 0.4) -> np.ndarray:
    signs = column_signs(TERMS + terms)
    w = rng.normal(0, scale, len(signs))
    return np.where(signs < 0, -np.abs(w), w)


def _model(calibration: Calibration, seed: int = 0, members: int = 4) -> OddsModel:
    rng = np.random.default_rng(seed)
    terms = terms_named(list(CHOSEN))
    coef = _weights(terms, rng, 0.08)
    member_coef = np.vstack(
        [coef + _weights(terms, rng, 0.05) * (column_signs(TERMS + terms) == 0) for _ in range(members)]
    )
    feats = features_from_clean(random_clean(2000, rng))
    X = basis_matrix({c: feats[c].to_numpy() for c in feats.columns}, len(feats), TERMS + terms)
    return OddsModel(
        pipeline=None,
        coef=coef,
        intercept=-0.4,
        calibration=calibration,
        member_coef=member_coef,
        member_intercept=np.full(members, -0.4),
        member_calibration=[calibration] * members,
        range_kind="bootstrap",
        reference=X.mean(axis=0),
        terms=terms,
    )


def _answers(n: int, seed: int) -> pd.DataFrame:
    return random_clean(n, np.random.default_rng(seed))


def test_every_candidate_term_has_its_own_name_and_is_rebuilt_from_it():
    pool = dict(candidate_pool())
    for a, b in [("blocked", "told_no_contact"), ("anger", "last_reply_tone")]:
        pool.update(triple_candidates(f"{a} x {b}", pool))
    terms = [t for ts in pool.values() for t in ts]
    assert len({t.name for t in terms}) == len(terms)
    assert all(term_by_name(t.name) == t for t in terms)
    with pytest.raises(ValueError, match="unknown interaction term"):
        terms_named(["anger x the moon"])


@pytest.mark.parametrize("name", list(CALIBRATIONS))
def test_explanations_sum_to_the_log_odds_for_every_link_and_map(name):
    model = _model(CALIBRATIONS[name]())
    clean = _answers(3000, 1)
    odds, contrib = model.score_clean(clean)
    assert contrib is not None
    assert ("calibration" in contrib.columns) == (not model.calibration.linear)
    log_odds = logit(odds["reversal_odds"].to_numpy())
    exact = np.abs(log_odds) < 15  # (beyond, a probability in float64 no longer tells its log-odds to 1e-9)
    assert exact.mean() > 0.5
    assert np.abs(contrib.sum(axis=1).to_numpy() - log_odds)[exact].max() < 1e-9
    low, high = odds["odds_low"].to_numpy(), odds["odds_high"].to_numpy()
    assert np.all(low <= odds["reversal_odds"].to_numpy()) and np.all(odds["reversal_odds"].to_numpy() <= high)


@pytest.mark.parametrize("name", ["logit, sigmoid", "cloglog, piecewise"])
def test_scoring_tables_with_chosen_terms_equal_the_basis_times_the_weights(name):
    model = _model(CALIBRATIONS[name]())
    clean = _answers(5000, 2)
    W = model._weights()[0]
    lookups = build_lookups(W, model.terms)
    assert lookups is not None  # (every chosen term joined the group of its owner)
    feats = features_from_clean(clean)
    exact = basis_matrix({c: feats[c].to_numpy() for c in feats.columns}, len(feats), TERMS + model.terms) @ W
    assert np.abs(lookup_sum(lookups, lookup_indices(lookups, clean)) - exact).max() < 1e-10
    # the batch fast path names the same top factors and gives the same odds as the explanations
    batch = model.score_batch(clean)
    odds, _ = model.score_clean(clean)
    assert model._batch_tables() is not None
    assert np.abs(batch["reversal_odds"].to_numpy() - odds["reversal_odds"].to_numpy()).max() < 1e-12
    from model.odds.explain import top_factors

    up, down = top_factors(model.explain_clean(clean))
    assert (batch["top_factor_up"].astype(str).to_numpy() == np.asarray(up).astype(str)).all()
    assert (batch["top_factor_down"].astype(str).to_numpy() == np.asarray(down).astype(str)).all()


def test_a_model_with_terms_a_link_and_a_map_round_trips_through_its_weights_without_a_pickle(tmp_path):
    model = _model(CALIBRATIONS["cloglog, piecewise"]())
    card = {"basis_signature": basis_signature(), "exodds_version": "test", "range": {"kind": "bootstrap"}}
    save_weights(model, tmp_path, card)
    assert not (tmp_path / "model.joblib").exists()
    assert json.loads((tmp_path / "model_card.json").read_text())["format_version"] == 3
    with np.load(tmp_path / WEIGHTS, allow_pickle=False) as arrays:  # names only, plain text
        assert [str(t) for t in arrays["terms"]] == [t.name for t in model.terms]
    loaded = load_model(tmp_path)
    assert loaded.terms == model.terms and loaded.calibration.link == "cloglog"
    clean = _answers(2000, 3)
    a, b = model.score_clean(clean), loaded.score_clean(clean)
    pd.testing.assert_frame_equal(a[0], b[0], rtol=0, atol=1e-14)
    pd.testing.assert_frame_equal(a[1], b[1], rtol=0, atol=1e-12)


def test_a_plain_model_keeps_the_format_older_exodds_reads(tmp_path):
    plain = _model(Calibration("sigmoid", slope=0.9))
    plain.terms = ()
    plain.coef = plain.coef[: len(column_signs())]
    plain.member_coef = plain.member_coef[:, : len(column_signs())]
    plain.reference = plain.reference[: len(column_signs())]
    assert not {"terms", "calibration_link"} & set(model_weights(plain))
    save_weights(plain, tmp_path, {"basis_signature": basis_signature()})
    assert json.loads((tmp_path / "model_card.json").read_text())["format_version"] == 2
    assert load_model(tmp_path).terms == ()


# --------------------------------------------------------------------------------------------
# directions: with any chosen terms, more of what the guide says hurts never raises the odds
# --------------------------------------------------------------------------------------------

_HARMFUL_NUMBERS = ("attempts_ignored", "attempts_last_week", "emotional_messages")
#: choice -> codes from harmless to harmful (QUIZ order: yes is code 0, no code 1)
_HARMFUL_CHOICES = {"blocked": (0, 1, 2), "anger": (0, 1, 2, 3), "told_no_contact": (1, 0), "bad_blood": (1, 0)}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), picks=st.lists(st.integers(0, 10_000), min_size=1, max_size=5))
def test_with_chosen_terms_more_of_a_harmful_answer_never_raises_the_odds(seed, picks):
    pool = dict(candidate_pool())
    names = list(pool)
    chosen = list(dict.fromkeys(names[i % len(names)] for i in picks))
    first = chosen[0]
    pool.update(triple_candidates(first, pool))
    chosen += [n for n in pool if n not in names][:1]  # a triple too, when the first is a pair of choices
    terms = terms_named(chosen)
    rng = np.random.default_rng(seed)
    w = _weights(terms, rng, 1.0)
    clean = _answers(400, seed)

    def z(frame: pd.DataFrame) -> np.ndarray:
        f = features_from_clean(frame)
        out: np.ndarray = basis_matrix({c: f[c].to_numpy() for c in f.columns}, len(f), TERMS + terms) @ w
        return out

    base = z(clean)
    for q in _HARMFUL_NUMBERS:
        more = clean.copy()
        more[q] = more[q] + rng.integers(1, 30, len(more))
        assert np.all(z(more) <= base + 1e-9), q
    for q, order in _HARMFUL_CHOICES.items():
        codes = np.asarray(clean[q].cat.codes)
        rank = np.array([order.index(c) for c in codes])
        up = np.array([order[min(r + 1, len(order) - 1)] for r in rank])
        more = clean.copy()
        more[q] = pd.Categorical.from_codes(up, categories=list(QUIZ[q].values))
        assert np.all(z(more) <= base + 1e-9), q


# --------------------------------------------------------------------------------------------
# training on a small file, and evaluate
# --------------------------------------------------------------------------------------------


def test_cross_fitting_2000_rows_of_another_truth_beats_plain_logistic_regression():
    """On 2,000 rows of the bounded truth (a floor and a ceiling no logit model has, interactions the
    basis lacks), the cross-fitted model is closer to p_true than the plain logistic regression of
    ``exodds evaluate`` fitted on the same rows, and it keeps the constrained optimum and its signs."""
    from model.training.evaluate import peers
    from model.training.train import TrainConfig, clean_training_data, train_model

    data = TRUTHS["bounded"](2000, 5)
    model = train_model(data, TrainConfig(seed=5, members=3))
    test_clean, _, p_true = clean_training_data(TRUTHS["bounded"](20_000, 6))
    clean, y, _ = clean_training_data(data)
    lr = peers(5)["logistic_raw"].fit(clean, y)
    mae_model = np.mean(np.abs(model.predict_clean(test_clean)["reversal_odds"].to_numpy() - p_true))
    mae_lr = np.mean(np.abs(lr.predict_proba(test_clean)[:, 1] - p_true))
    assert mae_model < mae_lr
    card = model.card
    assert card["range"]["name"] == "sampling range" and card["split"] == {"cross_fit_folds": 5, "final_fit": 2000}
    assert card["constraints"]["kkt_violation"] < 1e-6
    signs = column_signs(TERMS + model.terms)
    assert np.all(model.coef[signs < 0] <= 0) and np.all(model.member_coef[:, signs < 0] <= 0)
    assert model.card["crossfit"]["C"] in TrainConfig().C_grid


def test_evaluate_adds_ebm_each_models_fit_time_and_the_ranges_coverage_of_the_truth():
    """The model is cross-fitted on all of the 80%, the peers (EBM too: the test command installs the
    extra ``peers``) fit the same rows; every model has its fit time, and with p_true in the file the
    model's range is checked against it."""
    from model.training.evaluate import evaluate
    from model.truth.generator import generate

    data = generate(2_000, seed=21)
    result = evaluate(data, seed=4)
    train_rows = int(0.8 * len(data))
    assert result["setup"] == {
        "data": "file",
        "train_rows": train_rows,
        "held_out_rows": len(data) - train_rows,
        "seed": 4,
    }
    assert set(result["metrics"]) == {"model", "logistic_raw", "boosting", "ebm"}
    for m in result["metrics"].values():
        assert 0 < m["brier"] < 0.25 and 0.5 < m["auc"] <= 1 and "calibration_gap_to_truth" in m
        assert m["fit_seconds"] is not None and m["fit_seconds"] >= 0
    assert result["model"]["range_name"] == "sampling range"
    cover = result["model"]["range_coverage_of_p_true"]
    assert 0.2 < cover["coverage"] <= 1 and cover["width_mean"] > 0
    assert abs(cover["coverage"] + cover["truth_below"] + cover["truth_above"] - 1) < 1e-12


def test_update_refuses_a_model_with_terms_or_another_link_rather_than_dropping_them():
    from model.errors import UsageError
    from model.training.recalibrate import linear_map

    with pytest.raises(UsageError, match="interaction terms"):
        linear_map(_model(Calibration("none")))
    plain = _model(Calibration("sigmoid", link="probit"))
    plain.terms = ()
    with pytest.raises(UsageError, match="probit link"):
        linear_map(plain)


def test_a_file_whose_outcomes_are_all_the_same_is_refused():
    from model.errors import InputError
    from model.training.train import TrainConfig, train_model

    data = TRUTHS["bounded"](60, 3).assign(reconciled=0)
    with pytest.raises(InputError, match="needs both outcomes"):
        train_model(data, TrainConfig(seed=1, members=0))


# --------------------------------------------------------------------------------------------
# a model trained on a file, carried to SQL and JSON (issue 22's exports)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["logit, sigmoid", "logit, isotonic"])
def test_a_model_with_chosen_terms_exports_and_the_readme_scorer_reads_it_to_its_odds(name):
    import re
    from pathlib import Path

    from model.export.portable import model_document
    from model.quiz.validation import clean_records

    model = _model(CALIBRATIONS[name]())
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    [code] = [b for b in re.findall(r"```python\n(.*?)```", readme, flags=re.S) if "def score(model, answers)" in b]
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    document = json.loads(json.dumps(model_document(model)))
    clean = _answers(800, 4)
    got = [namespace["score"](document, a) for a in clean_records(clean)]
    expected = model.predict_clean(clean)
    for column in ("reversal_odds", "odds_low", "odds_high"):
        np.testing.assert_allclose([g[column] for g in got], expected[column].to_numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", ["cloglog, none", "probit, sigmoid", "logit, piecewise", "cloglog, piecewise"])
def test_a_link_or_map_with_no_portable_form_is_refused_by_both_exports_naming_it(name):
    from model.errors import ConfigError
    from model.export.portable import model_document
    from model.export.sql import score_query

    model = _model(CALIBRATIONS[name]())
    cal = model.calibration
    words = f"link {cal.link!r}, map {cal.kind!r}"
    for export in (model_document, score_query):
        with pytest.raises(ConfigError, match=re.escape(words) + ".*again with --portable"):
            export(model)


def test_training_for_a_portable_model_keeps_the_logit_link_and_no_piecewise_map(tmp_path, capsys):
    from model.cli import main

    data = TRUTHS["cloglog"](2000, 8)  # (a truth whose own link is not the logit)
    data.to_csv(tmp_path / "data.csv", index=False)
    out = tmp_path / "portable"
    assert main(["train", "--data", str(tmp_path / "data.csv"), "--members", "2", "--portable", "--out", str(out)]) == 0
    card = json.loads((out / "model_card.json").read_text())
    assert card["config"]["links"] == ["logit"] and "piecewise" not in card["config"]["calibrations"]
    model = load_model(out)
    assert model.calibration.link == "logit" and model.calibration.kind != "piecewise"
    assert main(["export-sql", "--dialect", "sqlite", "--model", str(out), "--out", str(tmp_path / "q.sql")]) == 0


def test_a_report_from_a_model_trained_on_a_file_says_so_and_never_calls_it_the_guides(tmp_path):
    """Its odds come from the file, not from the guide's assumptions on synthetic data: every format
    names the model and the file beside the odds, and the JSON matches the schema."""
    import jsonschema

    from model.odds.artifacts import save_weights
    from model.report.build import build_report
    from model.report.render import render
    from model.report.schema import report_schema
    from model.training.train import TrainConfig, train_model

    data = TRUTHS["bounded"](1500, 9)
    model = train_model(data, TrainConfig(seed=9, members=2), source=str(tmp_path / "followup.csv"))
    save_weights(model, tmp_path / "m", model.card)
    model = load_model(tmp_path / "m")
    answers = json.loads((Path(__file__).resolve().parents[2] / "examples" / "good.json").read_text())
    report = build_report(answers, as_of="2026-11-26", model=model)
    jsonschema.validate(report, report_schema())
    basis = "a model trained on 1,500 answer sets with their outcomes (followup.csv)"
    assert report["model"]["odds_basis"] == basis
    assert report["model"]["trained_on_file"] == {"rows": 1500, "file": "followup.csv"}
    assert report["disclaimer"].startswith(f"Odds from {basis};") and "synthetic" not in report["disclaimer"]
    assert "synthetic" not in report["factors"]["size_meaning"]
    for fmt in ("md", "html"):
        text = render(report, fmt)
        assert "followup.csv" in text and "sampling range" in text, fmt
        assert "guide's assumptions on synthetic data" not in text and "on held-out synthetic answers" not in text
        assert "as one breakup guide's assumptions see them" not in text


def test_update_refuses_a_model_trained_on_a_file_whatever_its_link_and_terms():
    """Its words would call it the guide's model; the way to add outcomes to it is to retrain."""
    from model.errors import UsageError
    from model.training.recalibrate import linear_map

    plain = _model(Calibration("none"))
    plain.terms = ()
    plain.card = {"source": "followup.csv", "crossfit": {"C": 0.1, "link": "logit", "terms": []}}
    with pytest.raises(UsageError, match=r"trained on a file \(exodds train --data\)"):
        linear_map(plain)
