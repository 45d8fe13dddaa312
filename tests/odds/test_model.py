"""The odds model: learning the truth, explanations, ranges, directions, safe loading."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import shutil
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from conftest import assert_runs_without_scikit_learn, make_consistent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from model import load_model
from model.errors import ModelLoadError
from model.odds.artifacts import default_model_dir, model_from_weights, model_weights
from model.odds.artifacts import unpickle as unpickle
from model.odds.basis import column_owners, column_signs
from model.odds.calibration import Calibration
from model.quiz.definition import QUIZ
from model.training.estimators import GuideBasis
from model.training.evaluate import peers
from model.training.logistic import SignConstrainedLogisticRegression
from model.training.metrics import expected_calibration_error, score_predictions
from model.training.train import TrainConfig, build_pipeline, clean_training_data, save_model, train_model
from model.truth.generator import generate
from tests.alt_generator import alt_generate

AS_OF = "2026-11-26"


@pytest.fixture(scope="module")
def small_model():
    return train_model(generate(20_000, seed=11), TrainConfig(seed=11, members=3, n_jobs=1))


@pytest.fixture(scope="module")
def default():
    return load_model()


def base_answers() -> dict:
    return {
        "days_since_breakup": 60,
        "days_silent": 20,
        "attempts_ignored": 1,
        "attempts_last_week": 0,
        "blocked": "no",
        "told_no_contact": "no",
        "anger": "none",
        "wronged_them": "no",
        "apologized": "no",
        "bad_blood": "no",
        "last_reply_tone": "neutral",
        "ex_reached_out": "no",
        "emotional_messages": 0,
        "safety_concern": "no",
    }


@st.composite
def answer_sets(draw) -> dict:
    since = draw(st.integers(0, 2000))
    silent = draw(st.integers(0, since))
    blocked = draw(st.sampled_from(["no", "some", "everywhere"]))
    a = {
        "days_since_breakup": since,
        "days_silent": silent,
        "attempts_ignored": draw(st.integers(0, 60)),
        "attempts_last_week": draw(st.integers(0, 12)),
        "blocked": blocked,
        "told_no_contact": draw(st.sampled_from(["yes", "no"])),
        "anger": draw(st.sampled_from(QUIZ["anger"].values)),
        "wronged_them": draw(st.sampled_from(["yes", "no"])),
        "apologized": draw(st.sampled_from(["yes", "no"])),
        "bad_blood": draw(st.sampled_from(["yes", "no"])),
        "last_reply_tone": draw(st.sampled_from(QUIZ["last_reply_tone"].values)),
        "ex_reached_out": draw(st.sampled_from(["yes", "no"])),
        "emotional_messages": draw(st.integers(0, 40)),
        "safety_concern": draw(st.sampled_from(QUIZ["safety_concern"].values)),
    }
    if blocked != "no":
        a["days_blocked"] = draw(st.integers(0, since))
    return make_consistent(a)


def odds(model, answers: dict) -> float:
    return float(model.predict(pd.DataFrame([answers], dtype=object), AS_OF)["reversal_odds"].iloc[0])


# -- learning the truth ---------------------------------------------------------------------------


@pytest.mark.slow
def test_beats_both_peers_on_mae_to_truth():
    data = generate(40_000, seed=5)
    model = train_model(data, TrainConfig(seed=5, members=0, n_jobs=1))
    test_clean, test_y, truth = clean_training_data(generate(20_000, seed=6))
    train_clean, train_y, _ = clean_training_data(data)
    ours = score_predictions(test_y, model.predict_clean(test_clean)["reversal_odds"], truth)["mae_p_true"]
    for name, peer in peers(5).items():
        if name not in ("logistic_raw", "boosting"):  # (EBM is judged on truths of another structure: README)
            continue
        peer.fit(train_clean, train_y)
        theirs = score_predictions(test_y, peer.predict_proba(test_clean)[:, 1], truth)["mae_p_true"]
        assert ours < theirs, f"{name}: {theirs:.4f} <= ours {ours:.4f}"
    assert ours < 0.02


@pytest.mark.slow
def test_learns_a_generator_it_has_never_seen():
    """Other shapes of the guide's claims (tests/alt_generator.py): learn them, don't restate ours."""
    data = alt_generate(30_000, seed=21)
    model = train_model(data, TrainConfig(seed=21, members=0, n_jobs=1))
    test = alt_generate(20_000, seed=22)
    clean, y, truth = clean_training_data(test)
    p = model.predict_clean(clean)["reversal_odds"].to_numpy()
    train_clean, train_y, _ = clean_training_data(data)
    boost = peers(21)["boosting"].fit(train_clean, train_y).predict_proba(clean)[:, 1]
    ours, theirs = np.mean(np.abs(p - truth)), np.mean(np.abs(boost - truth))
    assert ours < theirs
    assert ours < 0.02
    assert expected_calibration_error(y, p) < 0.03


def test_default_model_card_records_targets(default):
    card = default.card
    m = card["held_out_metrics"]
    assert card["rows"] == 200_000 and card["range"]["kind"] == "assumptions"
    assert card["range"]["members"] >= 20
    assert m["mae_p_true"] <= 0.015
    # ECE at most 0.01 (issue 4), and no worse than the truth's own ECE on the same rows plus a little:
    # beyond that floor ECE only measures outcome noise, so the noise-free gap to the truth is checked too
    assert m["ece"] <= 0.01 and m["ece"] <= m["ece_of_truth"] + 0.002
    assert m["calibration_gap_to_truth"] <= 0.01
    assert "sampling noise" in card["range"]["meaning"] and "widened" in card["range"]["meaning"]
    for key in ("data_sha256", "assumptions_sha256", "sklearn_version", "artifact_sha256", "seed"):
        assert card[key]


def test_default_model_is_close_to_the_truth_on_rows_it_never_saw(default):
    """Recomputed here, not read from the card: a fresh seed used by neither training nor design."""
    clean, _, truth = clean_training_data(generate(20_000, seed=424242))
    p = default.predict_clean(clean)["reversal_odds"].to_numpy()
    assert np.mean(np.abs(p - truth)) <= 0.015
    assert abs(p.mean() - truth.mean()) < 0.01


# -- the pipeline and its parts -------------------------------------------------------------------


def test_pipeline_and_fast_path_agree(small_model):
    clean, _, _ = clean_training_data(generate(3000, seed=12))
    fast = small_model.predict_clean(clean)["reversal_odds"].to_numpy()
    slow = small_model.pipeline.predict_proba(clean)[:, 1]
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)


def test_same_seed_same_model():
    data = generate(6000, seed=3)
    a = train_model(data, TrainConfig(seed=3, members=2, n_jobs=1))
    b = train_model(data, TrainConfig(seed=3, members=2, n_jobs=1))
    np.testing.assert_array_equal(a.coef, b.coef)
    np.testing.assert_array_equal(a.member_coef, b.member_coef)
    assert a.card["held_out_metrics"] == b.card["held_out_metrics"]


def test_sign_constraints_hold(small_model):
    signs = column_signs()
    assert np.all(small_model.coef[signs < 0] <= 0)
    assert np.all(small_model.member_coef[:, signs < 0] <= 0)


def test_constrained_logistic_is_a_sklearn_classifier():
    rng = np.random.default_rng(0)
    X = rng.random((2000, 3))
    y = (rng.random(2000) < 1 / (1 + np.exp(-(2 * X[:, 0] - 1)))).astype(int)
    est = SignConstrainedLogisticRegression(signs=[-1, 0, 0])
    with pytest.raises(NotFittedError):
        est.predict_proba(X)
    fitted = clone(est).fit(X, y)
    assert fitted.coef_[0, 0] == 0.0  # the true effect is positive: the constraint pins it at zero
    assert fitted.predict_proba(X).shape == (2000, 2)
    with pytest.raises(ValueError, match="signs has 2 entries"):
        SignConstrainedLogisticRegression(signs=[-1, 0]).fit(X, y)
    with pytest.raises(ValueError, match="two outcome classes"):
        est.fit(X, np.zeros(2000))
    for params, message in (
        ({"signs": [0.5, 0, 0]}, r"signs\[0\] = 0.5: each sign must be -1, 0 or 1"),
        ({"max_iter": 0}, "max_iter = 0: expected a whole number >= 1"),
        ({"C": 0.0}, "C = 0.0: expected a positive number"),
    ):
        with pytest.raises(ValueError, match=message):
            clone(est).set_params(**params).fit(X, y)
    with pytest.raises(ValueError, match="X has 2 columns, but this model was fitted on 3"):
        fitted.predict_proba(X[:, :2])


def test_the_constrained_fit_is_the_constrained_optimum():
    """Against a general bounded solver on the same objective (0.5 |w|^2 + C x log loss, intercept
    free): the active set, with re-admission, reaches the same coefficients."""
    from scipy.optimize import minimize

    rng = np.random.default_rng(29)  # a case where dropping every wrong sign at once drops one too many
    n = 3000
    base = rng.random((n, 2))
    X = np.column_stack(
        [
            base[:, 0],
            base[:, 0] + 0.3 * rng.random(n),
            base[:, 1],
            0.5 * (base[:, 1] + base[:, 0]),
            rng.random(n),
            rng.random(n),
        ]
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ rng.normal(0, 2, 6))))).astype(int)
    signs = np.array([-1, -1, -1, -1, 0, 0])
    C = 1.0
    est = SignConstrainedLogisticRegression(signs=signs, C=C).fit(X, y)
    assert est.active_[2] and est.coef_[0, 2] < -0.01  # dropped in the first round, then re-admitted

    def objective(theta):
        w, b = theta[:-1], theta[-1]
        z = X @ w + b
        loss = np.logaddexp(0, z) - y * z
        p = 1 / (1 + np.exp(-z))
        grad = np.r_[C * X.T @ (p - y) + w, C * np.sum(p - y)]
        return 0.5 * w @ w + C * loss.sum(), grad

    bounds = [(None, 0) if s < 0 else (0, None) if s > 0 else (None, None) for s in signs] + [(None, None)]
    ref = minimize(
        objective,
        np.zeros(7),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 20_000},
    )
    assert np.allclose(est.coef_[0], ref.x[:-1], atol=1e-4) and np.isclose(est.intercept_[0], ref.x[-1], atol=1e-4)
    assert np.all(signs * est.coef_[0] >= 0)


def test_basis_rejects_what_it_cannot_use():
    with pytest.raises(TypeError, match="DataFrame"):
        GuideBasis().fit(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="lacks variables"):
        GuideBasis().fit(pd.DataFrame({"days_silent": [1.0]}))
    names = GuideBasis().fit(pd.DataFrame(columns=list(__import__("model").FEATURES))).get_feature_names_out()
    assert len(names) == len(column_owners()) == len(set(names))


def test_build_pipeline_is_plain_sklearn():
    pipe = build_pipeline()
    assert [name for name, _ in pipe.steps] == ["features", "basis", "logistic"]
    clone(pipe)


# -- explanations and ranges ----------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(answer_sets(), min_size=1, max_size=8))
def test_explanations_sum_to_log_odds_and_range_brackets(default, rows):
    df = pd.DataFrame(rows, dtype=object)
    pred = default.predict(df, AS_OF)
    expl = default.explain(df, AS_OF)
    p = pred["reversal_odds"].to_numpy()
    np.testing.assert_allclose(expl.sum(axis=1).to_numpy(), np.log(p / (1 - p)), atol=1e-9)
    assert set(QUIZ.ids) <= set(expl.columns)
    assert (expl["safety_concern"] == 0).all()  # safety drives advice, never the odds
    assert ((pred["odds_low"] >= 0) & (pred["odds_low"] <= pred["reversal_odds"])).all()
    assert ((pred["reversal_odds"] <= pred["odds_high"]) & (pred["odds_high"] <= 1)).all()


@pytest.mark.parametrize("which", ["default", "small_model"])
def test_batch_scoring_matches_the_explanation_path_exactly(which, request):
    """score_batch (what `exodds score` uses) gives score_clean's odds and the top factors of
    explain_clean, to the last bit, on generated answers and on answers beyond every table cap."""
    from model.odds.explain import top_factors
    from model.odds.lookup import random_clean as random_clean

    model = request.getfixturevalue(which)
    assert model._batch_tables() is not None  # the fast tables describe this model
    clean, _, _ = clean_training_data(generate(5000, seed=13))
    for frame in (clean, random_clean(5000, np.random.default_rng(14))):
        fast = model.score_batch(frame)
        odds, contrib = model.score_clean(frame, explain=True)
        for col in ("reversal_odds", "odds_low", "odds_high"):
            np.testing.assert_array_equal(fast[col].to_numpy(), odds[col].to_numpy())
        up, down = top_factors(contrib)
        assert (np.asarray(fast["top_factor_up"].astype(str)) == np.asarray(up.astype(str))).all()
        assert (np.asarray(fast["top_factor_down"].astype(str)) == np.asarray(down.astype(str))).all()
        assert fast.index.equals(frame.index)
    # a row's factors are real: the named question's contribution has the named sign
    first = contrib.iloc[0]
    if fast["top_factor_up"].iloc[0]:
        assert first[fast["top_factor_up"].iloc[0]] == first[list(QUIZ.ids)].max() > 0


def test_batch_scoring_falls_back_without_lookup_tables(default):
    import copy

    clean, _, _ = clean_training_data(generate(500, seed=15))
    model = copy.copy(default)
    model.__dict__ = {k: v for k, v in default.__dict__.items() if k not in ("_batch",)}
    model.__dict__["_lookup"] = None  # as for a basis the groups do not describe
    got = model.score_batch(clean)
    want = default.score_batch(clean)
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)


def test_scoring_tables_that_no_longer_fit_the_basis_are_said_and_not_used(default, monkeypatch):
    """A cap below a knot (as after moving a knot in model/basis.py): a warning naming the place,
    and the same odds through the basis."""
    import copy

    from model.odds import lookup

    groups = list(lookup.LOOKUP_GROUPS)
    caps, terms = groups[1]
    groups[1] = ({q: 100 for q in caps}, terms)  # days_since_breakup has knots up to 1500
    monkeypatch.setattr(lookup, "LOOKUP_GROUPS", tuple(groups))
    model = copy.copy(default)
    model.__dict__ = {k: v for k, v in default.__dict__.items() if k not in ("_batch", "_lookup")}
    with pytest.warns(RuntimeWarning, match=r"LOOKUP_GROUPS in model/odds/lookup\.py"):
        assert model._lookups() is None
    clean, _, _ = clean_training_data(generate(300, seed=16))
    pd.testing.assert_frame_equal(model.score_batch(clean), default.score_batch(clean), check_exact=False, rtol=1e-12)


def test_bootstrap_range_for_a_given_file(small_model):
    assert small_model.range_kind == "bootstrap"
    assert small_model.card["range"]["kind"] == "bootstrap"
    assert "bootstrap" in small_model.card["range"]["meaning"]


# -- the guide's directions -----------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answer_sets(), st.integers(1, 30))
def test_more_ignored_attempts_never_raise_odds(default, a, extra):
    more = dict(a, attempts_ignored=a["attempts_ignored"] + extra)
    assert odds(default, more) <= odds(default, a)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answer_sets())
def test_a_block_never_raises_odds(default, a):
    a = dict(a, blocked="no")
    a.pop("days_blocked", None)
    some = dict(a, blocked="some", days_blocked=min(5, a["days_since_breakup"]))
    everywhere = dict(some, blocked="everywhere")
    assert odds(default, everywhere) <= odds(default, some) <= odds(default, a)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answer_sets())
def test_more_anger_never_raises_odds(default, a):
    levels = [odds(default, dict(a, anger=v)) for v in QUIZ["anger"].values]
    assert all(b <= a_ for a_, b in itertools.pairwise(levels))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answer_sets(), st.integers(1, 30))
def test_the_other_more_hurts_answers_never_raise_odds(default, a, extra):
    """A request to stop, bad blood, more emotional messages and more contact this week: each can only
    lower the odds, whatever else was answered (the README lists them with the block and anger)."""
    told, calm = dict(a, told_no_contact="yes"), dict(a, told_no_contact="no")
    assert odds(default, told) <= odds(default, calm)
    assert odds(default, dict(a, bad_blood="yes")) <= odds(default, dict(a, bad_blood="no"))
    assert odds(default, dict(a, emotional_messages=a["emotional_messages"] + extra)) <= odds(default, a)
    if a["days_silent"] < 7:
        more = make_consistent(dict(a, attempts_last_week=a["attempts_last_week"] + extra))  # (never replied:
        assert odds(default, more) <= odds(default, a)  # more unanswered too, which can only lower them further)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answer_sets(), st.sampled_from(["some", "everywhere"]), st.data())
def test_a_block_hurts_most_when_fresh(default, a, kind, data):
    """The README: "A block hurts most when fresh". More days since the block never lowers the odds."""
    since = a["days_since_breakup"]
    d1 = data.draw(st.integers(0, since))
    d2 = data.draw(st.integers(d1, since))
    fresh, older = dict(a, blocked=kind, days_blocked=d1), dict(a, blocked=kind, days_blocked=d2)
    assert odds(default, older) >= odds(default, fresh) - 1e-12


def _log_odds(p: float) -> float:
    return float(np.log(p) - np.log1p(-p))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answer_sets(), st.data())
def test_a_request_to_stop_weighs_most_in_its_first_weeks(default, a, data):
    """The README: reaching out soon after a request to stop hurts most. Its harm (in log-odds, the
    same whatever else was answered) never grows as the silence since gets longer."""
    since = a["days_since_breakup"]
    s1 = data.draw(st.integers(0, since))
    s2 = data.draw(st.integers(s1, since))

    def harm(silent: int) -> float:
        b = make_consistent(dict(a, days_silent=silent))
        return _log_odds(odds(default, dict(b, told_no_contact="no"))) - _log_odds(
            odds(default, dict(b, told_no_contact="yes"))
        )

    assert harm(s2) <= harm(s1) + 1e-9
    assert harm(s2) > 0  # and it never turns into a plus


HARM_ONLY = (
    "attempts_ignored",
    "attempts_last_week",
    "emotional_messages",
    "anger",
    "blocked",
    "told_no_contact",
    "bad_blood",
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(answer_sets(), min_size=1, max_size=6))
def test_a_more_hurts_answer_is_never_explained_as_raising_the_odds(default, rows):
    """Explanations measure these questions from their harmless answer, so a request to stop (or a
    block, or anger) is never listed as raising the odds, even where most people's answer hurt more."""
    contrib = default.explain(pd.DataFrame(rows, dtype=object), AS_OF)
    assert (contrib[list(HARM_ONLY)].to_numpy() <= 1e-12).all()
    harmless = dict(
        rows[0],
        attempts_ignored=0,
        attempts_last_week=0,
        emotional_messages=0,
        anger="none",
        blocked="no",
        told_no_contact="no",
        bad_blood="no",
    )
    # no contact this week: the last one is a week old at least (validation refuses less)
    harmless |= {
        "days_silent": max(7, harmless["days_silent"]),
        "days_since_breakup": max(7, harmless["days_since_breakup"], harmless["days_silent"]),
    }
    harmless.pop("days_blocked", None)
    none = default.explain(pd.DataFrame([harmless], dtype=object), AS_OF)
    assert np.allclose(none[list(HARM_ONLY)].to_numpy(), 0.0)


def test_after_a_long_silence_a_request_to_stop_still_lowers_the_odds(default):
    """Its fading part ends at 150 days, so the lasting harm is learned from the many rows past that
    (with knots out to 1825 days it was fitted at 0, and the report called the request a plus)."""
    long = dict(base_answers(), days_since_breakup=1000, days_silent=800)
    assert odds(default, dict(long, told_no_contact="yes")) < odds(default, long) - 0.03
    from model.report.build import build_report

    report = build_report(dict(long, told_no_contact="yes"), AS_OF, default)
    assert "told_no_contact" in [f["question"] for f in report["factors"]["lowering"]]
    assert "told_no_contact" not in [f["question"] for f in report["factors"]["raising"]]


def test_very_long_silence_never_raises_the_odds(default):
    """Past a year the rows are few: the curve is held to never rising, instead of swinging."""
    base = dict(base_answers(), days_since_breakup=2000)
    curve = [odds(default, dict(base, days_silent=d)) for d in (365, 400, 540, 730, 1100, 1500, 1825, 2000)]
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(curve))


def test_guide_directions_on_a_plain_case(default):
    base = base_answers()
    assert odds(default, dict(base, told_no_contact="yes")) < odds(default, base)
    assert odds(default, dict(base, last_reply_tone="positive")) > odds(default, base)
    assert odds(default, dict(base, last_reply_tone="cold")) < odds(default, base)
    assert odds(default, dict(base, ex_reached_out="yes")) > odds(default, base)
    assert odds(default, dict(base, emotional_messages=5)) < odds(default, base)
    hopeless = dict(base, anger="furious", wronged_them="yes", blocked="everywhere", days_blocked=10)
    assert odds(default, hopeless) < 0.05
    # the "more hurts" answers do hurt here (the properties above only say they never help)
    assert odds(default, dict(base, attempts_ignored=6)) < odds(default, dict(base, attempts_ignored=2))
    assert odds(default, dict(base, bad_blood="yes")) < odds(default, base)
    assert odds(default, dict(base, blocked="some", days_blocked=3)) < odds(default, base)
    assert odds(default, dict(base, anger="angry")) < odds(default, dict(base, anger="annoyed"))
    recent = dict(base, days_silent=2, attempts_last_week=1)
    assert odds(default, dict(recent, attempts_last_week=4)) < odds(default, recent)


# -- loading safely ---------------------------------------------------------------------------------


@pytest.fixture
def model_copy(tmp_path):
    dst = tmp_path / "m"
    shutil.copytree(default_model_dir(), dst)
    return dst


def test_default_loads_without_arguments(default):
    assert default.version.startswith("exodds-")
    assert load_model() is default  # cached


@pytest.mark.parametrize("name", ["weights.npz", "model.joblib"])
def test_a_tampered_file_is_refused_when_it_is_read(model_copy, name):
    """Loading reads the card and the weights only: a changed weights file is refused at once, a
    changed pickle when the pipeline is first asked for (scoring never reads it)."""
    path = model_copy / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    if name == "weights.npz":
        with pytest.raises(ModelLoadError, match="does not match its model card"):
            load_model(model_copy)
        return
    model = load_model(model_copy)
    assert model.score_batch(clean_training_data(generate(50, seed=3))[0]) is not None
    with pytest.raises(ModelLoadError, match="does not match its model card"):
        model.pipeline  # noqa: B018


@pytest.mark.parametrize("name", ["weights.npz", "model.joblib"])
def test_a_truncated_file_is_refused_when_it_is_read(model_copy, name):
    path = model_copy / name
    path.write_bytes(path.read_bytes()[:1000])
    model = None
    with pytest.raises(ModelLoadError, match="damaged, truncated"):
        model = load_model(model_copy)
        model.pipeline  # noqa: B018


def test_scoring_needs_no_pickle_and_never_reads_one(model_copy, monkeypatch):
    """A directory with only the card and the weights scores, reports and serves like the shipped one;
    and loading never opens model.joblib, let alone unpickles it."""
    import builtins

    opened = []
    real_open = builtins.open
    monkeypatch.setattr(builtins, "open", lambda f, *a, **k: (opened.append(str(f)), real_open(f, *a, **k))[1])
    model = load_model(model_copy)
    clean, _, _ = clean_training_data(generate(300, seed=21))
    got = model.score_batch(clean)
    assert not any(name.endswith(".joblib") for name in opened)
    monkeypatch.undo()
    (model_copy / "model.joblib").unlink()
    weights_only = load_model(model_copy)
    pd.testing.assert_frame_equal(weights_only.score_batch(clean), got, check_exact=True)
    with pytest.raises(ModelLoadError, match="cannot read it"):  # (asked for: the card names a pickle)
        weights_only.pipeline  # noqa: B018


def test_other_sklearn_version_is_refused_with_the_rebuild_command(model_copy):
    """Scoring reads only the weights, so it goes on; the pickled pipeline is refused."""
    card_path = model_copy / "model_card.json"
    card = json.loads(card_path.read_text())
    card["sklearn_version"] = "0.99.0"
    card_path.write_text(json.dumps(card))
    model = load_model(model_copy)
    clean, _, _ = clean_training_data(generate(200, seed=24))
    pd.testing.assert_frame_equal(model.score_batch(clean), load_model().score_batch(clean), check_exact=True)
    with pytest.raises(ModelLoadError, match=r"built with scikit-learn 0\.99\.0.*exodds train --default"):
        model.pipeline  # noqa: B018
    del card["weights_sha256"]  # a model saved before weights files: nothing to score with but the pickle
    card_path.write_text(json.dumps(card))
    with pytest.raises(ModelLoadError, match="exodds train --default"):
        load_model(model_copy)


def test_model_for_another_basis_is_refused(model_copy):
    card_path = model_copy / "model_card.json"
    card = json.loads(card_path.read_text())
    card["basis_signature"] = "0" * 16
    card_path.write_text(json.dumps(card))
    with pytest.raises(ModelLoadError, match="another version of the model's basis"):
        load_model(model_copy)


def test_missing_files_get_clear_errors(tmp_path, model_copy):
    with pytest.raises(ModelLoadError, match="no model file"):
        load_model(tmp_path / "nothing")
    (model_copy / "model_card.json").unlink()
    with pytest.raises(ModelLoadError, match="model card"):
        load_model(model_copy)


def test_save_and_load_round_trip(small_model, tmp_path):
    save_model(small_model, tmp_path / "out")
    loaded = load_model(tmp_path / "out")
    clean, _, _ = clean_training_data(generate(500, seed=13))
    pd.testing.assert_frame_equal(loaded.predict_clean(clean), small_model.predict_clean(clean))
    assert loaded.card["artifact_sha256"] == small_model.card["artifact_sha256"]
    assert not list((tmp_path / "out").glob("*.part"))


def test_weights_load_without_scikit_learn_and_score_as_the_pickle_does(model_copy):
    """``weights.npz`` holds every number scoring reads: the model loaded from it gives the unpickled
    model's odds, ranges and explanations bit for bit, and unpickles its pipeline only when asked."""
    loaded = load_model(model_copy)
    assert "pipeline" not in loaded.__dict__
    full = unpickle(model_copy / "model.joblib", json.loads((model_copy / "model_card.json").read_text()))
    clean, _, _ = clean_training_data(generate(3000, seed=21))
    for a, b in zip(loaded.score_clean(clean), full.score_clean(clean), strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    pd.testing.assert_frame_equal(loaded.score_batch(clean), full.score_batch(clean), check_exact=True)
    assert loaded.version == load_model().version
    slow = loaded.pipeline.predict_proba(clean)[:, 1]  # unpickled now
    np.testing.assert_allclose(loaded.predict_clean(clean)["reversal_odds"].to_numpy(), slow, rtol=1e-9, atol=1e-12)


def test_loading_and_scoring_never_import_scikit_learn(model_copy):
    assert_runs_without_scikit_learn(
        "import numpy as np; from model.odds.artifacts import load_model; from model.odds.lookup import random_clean; "
        f"m = load_model({str(model_copy)!r}); m.score_batch(random_clean(100, np.random.default_rng(0)))"
    )


def test_the_pipeline_unpickled_later_is_the_one_the_model_was_loaded_with(model_copy, small_model):
    loaded = load_model(model_copy)
    assert "pipeline" not in repr(loaded) and "pipeline" not in loaded.__dict__  # repr loads nothing
    save_model(small_model, model_copy)  # another model written over it while this one is in use
    with pytest.raises(ModelLoadError, match="does not match its model card"):
        loaded.pipeline  # noqa: B018
    (model_copy / "model.joblib").unlink()
    with pytest.raises(ModelLoadError, match="cannot read it"):
        loaded.pipeline  # noqa: B018


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda a: a.update(coef=a["coef"][:-1]), "coef: expected float64 of shape"),
        (lambda a: a.update(member_coef=a["member_coef"].T.copy()), "member_coef: expected float64"),
        (lambda a: a.update(intercept=np.array([1.0, 2.0])), "intercept: expected float64 of shape ()"),
        (lambda a: a.update(calibration_kind=np.array("none")), "calibration_kind: expected text"),
        (lambda a: a["calibration_kind"].__setitem__(0, "oops"), "oops is not one of"),
        (lambda a: a.update(coef=a["coef"].astype(np.int64)), "coef: expected float64"),
        (lambda a: a["coef"].__setitem__(0, np.nan), "not finite, such as nan at index (0,)"),
        (lambda a: a.pop("reference"), "missing array"),
        (lambda a: a.update(extra=np.zeros(2)), "unknown array"),
    ],
)
def test_weights_that_are_not_a_models_are_refused_by_name(model_copy, change, reason):
    """Even with a card that vouches for them (its hash updated), the arrays must fit the basis."""
    with np.load(model_copy / "weights.npz") as npz:
        arrays = {k: v.copy() for k, v in npz.items()}
    change(arrays)
    with open(model_copy / "weights.npz", "wb") as fh:
        np.savez(fh, **arrays)
    card_path = model_copy / "model_card.json"
    card = json.loads(card_path.read_text())
    card["weights_sha256"] = hashlib.sha256((model_copy / "weights.npz").read_bytes()).hexdigest()
    card_path.write_text(json.dumps(card))
    with pytest.raises(ModelLoadError, match=re.escape(reason)):
        load_model(model_copy)


def test_tampered_or_missing_weights_are_refused(model_copy):
    path = model_copy / "weights.npz"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match=r"weights\.npz: SHA-256 .* does not match its model card"):
        load_model(model_copy)
    path.unlink()
    with pytest.raises(ModelLoadError, match=r"weights file weights\.npz is missing"):
        load_model(model_copy)


def test_a_model_saved_before_weights_files_still_loads(model_copy):
    card_path = model_copy / "model_card.json"
    card = json.loads(card_path.read_text())
    del card["weights_sha256"]
    card_path.write_text(json.dumps(card))
    (model_copy / "weights.npz").unlink()
    with pytest.raises(ModelLoadError, match="allow_pickle=True"):  # loading it would run code: only if asked
        load_model(model_copy)
    loaded = load_model(model_copy, allow_pickle=True)
    assert "pipeline" in loaded.__dict__  # unpickled whole
    clean, _, _ = clean_training_data(generate(500, seed=22))
    pd.testing.assert_frame_equal(loaded.score_batch(clean), load_model().score_batch(clean), check_exact=True)


def test_saved_weights_round_trip_every_calibration(small_model, tmp_path):
    """Isotonic and sigmoid calibrations (and members' own) survive ``weights.npz`` exactly."""
    iso = Calibration("isotonic", x=np.array([-3.0, 0.0, 2.5]), y=np.array([0.1, 0.4, 0.8]))
    model = replace(
        small_model,
        calibration=iso,
        member_calibration=[Calibration("sigmoid", 1.1, -0.2), *small_model.member_calibration[1:]],
    )
    model.card = dict(small_model.card)
    save_model(model, tmp_path / "out")
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"model.joblib", "model_card.json", "weights.npz"}
    save_model(model, tmp_path / "again")
    assert (tmp_path / "again" / "weights.npz").read_bytes() == (tmp_path / "out" / "weights.npz").read_bytes()
    loaded = load_model(tmp_path / "out")
    back = model_from_weights(model_weights(model))
    for other in (loaded, back):
        assert other.calibration.kind == "isotonic" and other.member_calibration[0].kind == "sigmoid"
        clean, _, _ = clean_training_data(generate(500, seed=23))
        for a, b in zip(other.score_clean(clean), model.score_clean(clean), strict=True):
            pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_training_refuses_bad_rows():
    data = generate(200, seed=1)
    data.loc[5, "anger"] = "livid"
    with pytest.raises(ValueError, match="fail validation"):
        train_model(data, TrainConfig(members=0, n_jobs=1))
    data = generate(200, seed=1)
    data.loc[3, "reconciled"] = 2
    with pytest.raises(ValueError, match=r"must be 0 or 1; 1 row\(s\) are not, for example row 3: 2"):
        clean_training_data(data)


def test_evaluation_page_is_self_contained_and_says_the_data_are_synthetic(tmp_path):
    from model.report.evaluation import write_report
    from model.training.metrics import reliability_table

    y = np.array([0, 1, 0, 1, 1, 0])
    p = np.array([0.2, 0.7, 0.4, 0.6, 0.9, 0.1])
    result = {
        "setup": {"data": "synthetic", "train_rows": 10, "held_out_rows": 6},
        "model": {"version": "v<1>", "calibration": "sigmoid"},
        "metrics": {"model": {"brier": 0.1, "auc": 0.9}},
        "_predictions": {"model": p},
        "_reliability": {"model": reliability_table(y, p)},
        "_y": y,
        "_truth": None,
    }
    page = (write_report(result, tmp_path) / "index.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and page.count("<head>") == 1
    import html

    assert "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'none'" in html.unescape(page)
    assert "Model v&lt;1&gt; (calibration: sigmoid)" in page and "<td>0.1000</td>" in page
    assert "not how well anyone" in page and 'src="data:image/png;base64,' in page
    assert (tmp_path / "metrics.json").exists() and not (tmp_path / "truth.png").exists()


def test_a_model_trained_before_the_assumptions_changed_is_flagged(model_copy, capsys, tmp_path):
    from model.truth.assumptions import stale_assumptions_warning

    assert stale_assumptions_warning(load_model()) is None  # the shipped model follows the file
    card_path = model_copy / "model_card.json"
    card = json.loads(card_path.read_text())
    card["assumptions_sha256"] = "0" * 64  # as if assumptions.toml had changed since
    card_path.write_text(json.dumps(card))
    stale = load_model(model_copy)
    assert "model/truth/assumptions.toml has changed since this model was trained" in stale_assumptions_warning(stale)
    from model.cli import main

    answers = tmp_path / "a.json"
    answers.write_text(json.dumps(base_answers()))
    assert main(["report", str(answers), "--model", str(model_copy), "--as-of", "2026-11-26", "--format", "json"]) == 0
    assert "warning: model/truth/assumptions.toml has changed" in capsys.readouterr().err
    # batch scoring says so too
    from model.batch import pipeline as batch

    table = tmp_path / "a.csv"
    pd.DataFrame([base_answers()]).to_csv(table, index=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(batch, "default_model", lambda: stale)
        assert main(["score", str(table), "--out", str(tmp_path / "s.csv"), "--as-of", "2026-11-26"]) == 0
    assert "warning: model/truth/assumptions.toml has changed" in capsys.readouterr().err


def test_score_exits_1_naming_the_reason_when_the_model_cannot_load(monkeypatch, capsys, tmp_path):
    from model.batch import pipeline as batch
    from model.cli import main

    def broken() -> None:
        raise ModelLoadError("model/artifacts/model.joblib is damaged, truncated or not a model")

    monkeypatch.setattr(batch, "default_model", broken)
    table = tmp_path / "a.csv"
    pd.DataFrame([base_answers()]).to_csv(table, index=False)
    code = main(["score", str(table), "--out", str(tmp_path / "s.csv"), "--as-of", "2026-11-26", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "error: model/artifacts/model.joblib is damaged" in err
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_an_exported_calibration_scores_as_scikit_learn_does(method):
    """The calibration the model keeps in its weights (``_calibration_of``) gives the probabilities
    scikit-learn's CalibratedClassifierCV gives, for both methods the training may choose."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    from model.odds.calibration import expit as expit
    from model.training.train import _calibration_of, build_pipeline

    data = generate(6_000, seed=11)
    clean, y, _ = clean_training_data(data)
    pipe = build_pipeline().fit(clean.iloc[:4000], y[:4000])
    calibrated = CalibratedClassifierCV(FrozenEstimator(pipe), method=method).fit(clean.iloc[4000:5000], y[4000:5000])
    exported = _calibration_of(calibrated)
    assert exported.kind == method
    held = clean.iloc[5000:]
    z = pipe.decision_function(held)
    ours = expit(exported.logit(z))
    theirs = calibrated.predict_proba(held)[:, 1]
    # isotonic is clipped to [1e-6, 1 - 1e-6] before the logit (a probability of 0 has no log-odds)
    assert np.allclose(ours, np.clip(theirs, 1e-6, 1 - 1e-6), atol=1e-9)


def test_a_calibration_map_must_beat_none_by_more_than_noise():
    """The default model's sigmoid "gain" of 0.00006 log loss is noise: the rule keeps none unless a
    map wins by more than two paired standard errors, and the card says by how much each did."""
    from model.training.train import _choose_calibration

    class Fixed:
        def __init__(self, p):
            self.p = p

        def predict_proba(self, clean):
            return np.column_stack([1 - self.p, self.p])

    rng = np.random.default_rng(0)
    truth = rng.uniform(0.1, 0.9, 20_000)
    y = (rng.random(20_000) < truth).astype(int)
    clean = pd.DataFrame(index=range(20_000))
    noisy = np.clip(truth + rng.normal(0, 0.002, 20_000), 0.01, 0.99)  # a tiny, random difference
    chosen, losses, margins = _choose_calibration({"none": Fixed(truth), "sigmoid": Fixed(noisy)}, clean, y)
    assert chosen == "none" and set(losses) == {"none", "sigmoid"}
    squashed = 0.5 + 0.5 * (truth - 0.5)  # badly calibrated "none": a real map wins clearly
    chosen, _, margins = _choose_calibration({"none": Fixed(squashed), "sigmoid": Fixed(truth)}, clean, y)
    assert chosen == "sigmoid" and margins["sigmoid"] > 2
    assert "rule" in load_model().card["calibration"]
