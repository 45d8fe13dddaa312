"""Train the odds model: pipeline, calibration choice, ensemble range, model card.

Two paths. The default model (``exodds train --default``, data from the generator) is fitted on
most of the data, calibrated on a separate slice, and the calibration (none, sigmoid or isotonic)
is chosen by log loss on a third slice; fresh generated rows give the held-out metrics in the card.
Its range comes from members trained on data from the generator with assumptions drawn from their
plausible ranges (the "plausible range").

A model trained on a file (``exodds train --data``, ``_train_on_file``) uses every row: penalty,
link, interaction terms and calibration map are chosen by cross-fitting (``model.training.crossfit``),
the final fit uses all rows, and the card's metrics are out-of-fold. Its range is the spread of
refits to bootstrap resamples of the file (the "sampling range").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sklearn  # type: ignore[import-untyped]  # (scikit-learn ships no type hints)
from joblib import Parallel, delayed  # type: ignore[import-untyped]  # (joblib ships no type hints)
from sklearn.calibration import CalibratedClassifierCV  # type: ignore[import-untyped]
from sklearn.frozen import FrozenEstimator  # type: ignore[import-untyped]
from sklearn.pipeline import Pipeline  # type: ignore[import-untyped]

from model import __version__
from model.errors import InputError
from model.io import atomic_path, atomic_write
from model.odds.artifacts import ARTIFACT, CARD, WEIGHTS, format_version, model_weights, sha256_file
from model.odds.basis import TERMS, Term, basis_matrix, basis_signature, column_owners, column_signs
from model.odds.calibration import PERCENTILES, Calibration
from model.odds.features import features_from_clean
from model.odds.runtime import OddsModel
from model.quiz.definition import QUIZ
from model.quiz.validation import validate_frame
from model.training.estimators import FeatureExtractor, FittedOdds, GuideBasis
from model.training.logistic import SignConstrainedLogisticRegression
from model.training.metrics import score_predictions
from model.training.settings import HELD_OUT_ROWS, TrainConfig

__all__ = ["TrainConfig", "build_pipeline", "clean_training_data", "crossfit_pipeline", "save_model", "train_model"]

OUTCOME = "reconciled"
TRUTH = "p_true"


def build_pipeline(C: float = 1.0) -> Pipeline:
    """Answers -> variables -> guide basis -> sign-constrained logistic regression."""
    return Pipeline(
        [
            ("features", FeatureExtractor()),
            ("basis", GuideBasis()),
            ("logistic", SignConstrainedLogisticRegression(signs=column_signs(), C=C)),
        ]
    )


def clean_training_data(df: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
    """Validate a training table: (clean answers, outcome, p_true or None).

    Training refuses bad rows rather than skipping them, so a model never
    silently learns from part of a file.
    """
    if OUTCOME not in df.columns:
        raise InputError(f"training data needs a '{OUTCOME}' column of 0/1 outcomes")
    y_raw = pd.to_numeric(df[OUTCOME], errors="coerce")
    bad_y = ~y_raw.isin([0, 1])
    if bad_y.any():
        bad = df.loc[bad_y.to_numpy(), OUTCOME].head(10)
        shown = ", ".join(f"row {i}: {v!r}" for i, v in bad.items())
        raise InputError(f"'{OUTCOME}' must be 0 or 1; {int(bad_y.sum())} row(s) are not, for example {shown}")
    truth = pd.to_numeric(df[TRUTH], errors="coerce").to_numpy(float) if TRUTH in df.columns else None
    answers = df.drop(columns=[c for c in (OUTCOME, TRUTH) if c in df.columns])
    result = validate_frame(answers, extra="ignore")
    if result.n_rejected:
        first = "\n".join(f"  row {p.row}: {p.column} = {p.value!r}: {p.reason}" for p in result.problem_list()[:10])
        raise InputError(f"{result.n_rejected} training rows fail validation, for example:\n{first}")
    return result.clean, y_raw.to_numpy(int), truth


def split_rows(n: int, seed: int) -> dict[str, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    a, b, c = int(0.7 * n), int(0.8 * n), int(0.9 * n)
    return {"fit": order[:a], "calibrate": order[a:b], "select": order[b:c], "test": order[c:]}


def _calibration_of(est: Any) -> Calibration:
    if isinstance(est, Pipeline):
        return Calibration("none")
    cal = est.calibrated_classifiers_[0].calibrators[0]
    if est.method == "sigmoid":  # p = 1 / (1 + exp(a f + b))
        return Calibration("sigmoid", slope=-float(cal.a_), offset=-float(cal.b_))
    return Calibration("isotonic", x=np.asarray(cal.X_thresholds_), y=np.asarray(cal.y_thresholds_))


def _choose_calibration(
    candidates: dict[str, Any], clean: pd.DataFrame, y: np.ndarray
) -> tuple[str, dict[str, float], dict[str, float]]:
    """(chosen, mean log loss of each, each map's gain over none in paired standard errors).

    A map wins only by more than two standard errors of the per-row difference: on 20,000 rows a
    gain of 0.00006 (none against sigmoid for the default model) is noise, and a map chosen by noise
    would also change the scale of the explanations for nothing.
    """
    eps = 1e-15
    per_row = {}
    for name, est in candidates.items():
        p = np.clip(est.predict_proba(clean)[:, 1], eps, 1 - eps)
        per_row[name] = -(y * np.log(p) + (1 - y) * np.log1p(-p))
    losses = {name: float(v.mean()) for name, v in per_row.items()}
    margins, chosen = {}, "none"
    for name in candidates:
        if name == "none":
            continue
        gain = per_row["none"] - per_row[name]
        if len(gain) < 2:  # (no spread to judge by: a map never wins)
            margins[name] = 0.0
            continue
        se = float(gain.std(ddof=1) / np.sqrt(len(gain))) or 1e-300
        margins[name] = float(gain.mean() / se)
        if margins[name] > 2 and losses[name] < losses[chosen]:
            chosen = name
    return chosen, losses, margins


def explanation_reference(
    mean_row: np.ndarray, owners: np.ndarray | None = None, signs: np.ndarray | None = None
) -> np.ndarray:
    """The basis row explanations are measured from: the average training row, except that a
    question whose every column is sign-constrained (the guide says only that more of it hurts:
    ignored attempts, a block, anger, a request to stop...) is measured from its harmless answer,
    where those columns are 0. So such an answer can only lower the odds or leave them, never be
    listed as raising them because most people's answer hurt more. ``owners`` and ``signs`` default
    to those of ``TERMS`` (a model with chosen interaction terms passes its own)."""
    owners = column_owners() if owners is None else owners
    signs = column_signs() if signs is None else signs
    reference = np.asarray(mean_row, dtype=np.float64).copy()
    for owner in np.unique(owners):
        cols = owners == owner
        if (signs[cols] < 0).all():
            reference[cols] = 0.0
    return reference


def _fit_member(clean: pd.DataFrame, y: np.ndarray, C: float) -> tuple[np.ndarray, float]:
    feats = features_from_clean(clean)
    X = basis_matrix({c: feats[c].to_numpy() for c in feats.columns}, len(feats))
    lr = SignConstrainedLogisticRegression(signs=column_signs(), C=C).fit(X, y)
    return lr.coef_[0], float(lr.intercept_[0])


def _assumption_member(i: int, seed: int, rows: int, C: float) -> tuple[np.ndarray, float, dict[str, float]]:
    from model.truth.assumptions import sample_assumptions
    from model.truth.generator import generate

    rng = np.random.default_rng([seed, 7919, i])
    drawn = sample_assumptions(rng)
    data = generate(rows, seed=int(rng.integers(2**31)), overrides=drawn)
    clean, y, _ = clean_training_data(data)
    coef, intercept = _fit_member(clean, y, C)
    return coef, intercept, drawn


def train_model(
    data: pd.DataFrame | None = None,
    config: TrainConfig = TrainConfig(),
    *,
    source: str | None = None,
    log: Any = None,
) -> OddsModel:
    """Fit the whole model; ``data`` None means fresh data from the generator, a frame means a model
    of that file by cross-fitting (``_train_on_file``)."""
    say = log or (lambda msg: None)
    t0 = time.perf_counter()
    if data is not None:
        return _train_on_file(data, config, source or "dataframe", say, t0)
    from model.truth import generator as synthetic

    say(f"generating {config.rows:,} synthetic rows (seed {config.seed})")
    data = synthetic.generate(config.rows, seed=config.seed)
    range_kind, source = "assumptions", source or "generator"
    data_hash = _frame_hash(data)
    clean, y, _ = clean_training_data(data)
    parts = split_rows(len(y), config.seed)  # (the test slice is unused: fresh generated rows judge it)
    fit, cal, sel = (parts[k] for k in ("fit", "calibrate", "select"))

    say(f"fitting the pipeline on {len(fit):,} rows")
    pipe = build_pipeline(config.C).fit(clean.iloc[fit], y[fit])
    candidates: dict[str, Any] = {"none": pipe}
    for method in ("sigmoid", "isotonic"):
        candidates[method] = CalibratedClassifierCV(FrozenEstimator(pipe), method=method).fit(clean.iloc[cal], y[cal])
    chosen, losses, margins = _choose_calibration(candidates, clean.iloc[sel], y[sel])
    say(f"calibration by held-out log loss: {', '.join(f'{k} {v:.5f}' for k, v in losses.items())} -> {chosen}")

    lr = pipe.named_steps["logistic"]
    feats = features_from_clean(clean.iloc[fit])
    reference = explanation_reference(
        basis_matrix({c: feats[c].to_numpy() for c in feats.columns}, len(feats)).mean(axis=0)
    )

    say(f"training {config.members} ensemble members ({range_kind})")
    jobs = Parallel(n_jobs=config.n_jobs)
    results = jobs(
        delayed(_assumption_member)(i, config.seed, config.member_rows, config.C) for i in range(config.members)
    )
    member_draws = [r[2] for r in results]
    if not results:  # no ensemble asked for: the range collapses onto the model itself
        results = [(lr.coef_[0].copy(), float(lr.intercept_[0]))]
    model = OddsModel(
        pipeline=candidates[chosen],
        coef=lr.coef_[0].copy(),
        intercept=float(lr.intercept_[0]),
        calibration=_calibration_of(candidates[chosen]),
        member_coef=np.vstack([r[0] for r in results]),
        member_intercept=np.array([r[1] for r in results]),
        # members share the main model's calibration, so the range and the odds are on one scale
        member_calibration=[_calibration_of(candidates[chosen]) for _ in results],
        range_kind=range_kind,
        reference=reference,
    )
    # the generator can give a fresh held-out sample as large as we like: ECE on 20k rows is noisy
    held_seed = config.seed + 1
    held_clean, held_y, held_truth = clean_training_data(synthetic.generate(HELD_OUT_ROWS, seed=held_seed))
    held_out = f"{HELD_OUT_ROWS} fresh generated rows (seed {held_seed})"
    pred = model.predict_clean(held_clean)
    metrics: dict[str, float | str] = dict(score_predictions(held_y, pred["reversal_odds"].to_numpy(), held_truth))
    metrics["held_out"] = held_out
    raw = model.score_clean(held_clean, explain=False, widen=False)[0]
    outside = (raw["reversal_odds"] < raw["odds_low"]) | (raw["reversal_odds"] > raw["odds_high"])
    metrics["model_outside_member_range_share"] = float(outside.mean())
    metrics["range_width_mean"] = float((pred["odds_high"] - pred["odds_low"]).mean())
    model.card = {
        "exodds_version": __version__,
        "trained_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "source": source,
        "rows": len(y),
        "split": {k: len(v) for k, v in parts.items()},
        "data_sha256": data_hash,
        "seed": config.seed,
        "assumptions_sha256": _assumptions_hash(),
        "config": {k: getattr(config, k) for k in config.__dataclass_fields__},
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "calibration": {
            "chosen": chosen,
            "held_out_log_loss": losses,
            "gain_over_none_in_standard_errors": margins,
            "rule": "a calibration map is used only when it lowers the selection slice's log loss below "
            "none's by more than twice the paired standard error; otherwise the difference is noise",
        },
        "range": {
            "kind": range_kind,
            "name": "plausible range",
            "members": config.members,
            "percentiles": list(PERCENTILES),
            "meaning": (
                "no ensemble was trained: the range is the odds themselves"
                if config.members == 0
                else f"spread across models trained on {config.member_rows:,} rows each from the generator "
                "with every assumption drawn from its plausible range (so it also holds the sampling noise "
                "of rows that size), widened to include the model's own odds where they fall outside"
            ),
        },
        "basis_signature": basis_signature(),
        "constraints": {"columns": len(lr.coef_[0]), "active": int(lr.active_.sum()), "rounds": lr.n_rounds_},
        "held_out_metrics": metrics,
        # the largest number each question took in the training data, and the 99.5th percentile: a
        # report says when an answer lies past it (there the data are too thin for the model's curves)
        "answer_ranges": _answer_ranges(clean),
        "member_assumptions": member_draws,
        "train_seconds": round(time.perf_counter() - t0, 1),
    }
    say(f"done in {model.card['train_seconds']} s; held-out {json.dumps(metrics)}")
    return model


#: What a file-trained model's range is, for its card and report (measured coverage: README, "Training
#: on real data"; ``exodds evaluate`` measures it on any file with ``p_true``).
SAMPLING_RANGE_MEANING = (
    "spread across refits of the final model (same penalty, terms, link and calibration) to bootstrap "
    "resamples of the training file: how much the odds would move with another sample of this size. It "
    "does not include the model's own bias, so it holds the true odds less often than its percentiles "
    "say (on the benchmark truths about half to three quarters of the time for 10-90); widened to "
    "include the model's own odds where they fall outside"
)


def _train_on_file(data: pd.DataFrame, config: TrainConfig, source: str, say: Any, t0: float) -> OddsModel:
    """`exodds train --data`: cross-fitted choices, a final fit on every row, bootstrap members."""
    from model.training.crossfit import CrossFitSettings, bootstrap_members, cross_fit

    data_hash = _frame_hash(data)
    clean, y, truth = clean_training_data(data)
    if len(np.unique(y)) < 2:
        raise InputError(
            f"every one of the {len(y):,} outcomes in '{OUTCOME}' is {int(y[0]) if len(y) else 'missing'}: "
            "a model of the odds needs both outcomes"
        )
    feats = features_from_clean(clean)
    variables = {c: feats[c].to_numpy() for c in feats.columns}
    X = basis_matrix(variables, len(feats))
    settings = CrossFitSettings(
        folds=config.folds,
        C_grid=tuple(config.C_grid),
        links=tuple(config.links),
        max_terms=config.max_terms,
        margin_se=config.margin_se,
        calibrations=tuple(config.calibrations),
        seed=config.seed,
    )
    say(f"cross-fitting on all {len(y):,} rows")
    res = cross_fit(X, y, column_signs(), variables, settings, log=say)
    c = res.calibration
    cal = Calibration(c["kind"], float(c["slope"]), float(c["offset"]), c["x"], c["y"], link=res.link)
    say(f"training {config.members} bootstrap members")
    member_coef, member_intercept = bootstrap_members(res, y, config.members, config.seed, n_jobs=config.n_jobs)
    if not len(member_intercept):  # no ensemble asked for: the range collapses onto the model itself
        member_coef, member_intercept = res.coef[None, :].copy(), np.array([res.intercept])
    all_terms = TERMS + tuple(res.terms)
    assert res.X is not None  # (the final fit's design)
    reference = explanation_reference(res.X.mean(axis=0), column_owners(all_terms), column_signs(all_terms))
    model = OddsModel(
        pipeline=crossfit_pipeline(res.terms, res.coef, res.intercept, cal, clean, feats),
        coef=res.coef.copy(),
        intercept=float(res.intercept),
        calibration=cal,
        member_coef=member_coef,
        member_intercept=member_intercept,
        member_calibration=[cal for _ in member_intercept],
        range_kind="bootstrap",
        reference=reference,
        terms=tuple(res.terms),
    )
    metrics: dict[str, float | str] = dict(score_predictions(y, res.oof_p, truth))
    metrics["held_out"] = (
        f"out-of-fold predictions for all {len(y):,} rows ({res.card['folds']} folds; each row scored by a "
        "model fitted without it, calibration map included)"
    )
    odds = model.predict_clean(clean)
    metrics["range_width_mean"] = float((odds["odds_high"] - odds["odds_low"]).mean())
    model.card = {
        "exodds_version": __version__,
        "trained_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "source": source,
        "rows": len(y),
        "split": {"cross_fit_folds": res.card["folds"], "final_fit": len(y)},
        "data_sha256": data_hash,
        "seed": config.seed,
        "assumptions_sha256": None,
        "config": {k: getattr(config, k) for k in config.__dataclass_fields__},
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "calibration": {
            "chosen": res.calibration["kind"],
            "link": res.link,
            "held_out_log_loss": res.card["calibration"]["oof_log_loss"],
            "gain_over_none_in_standard_errors": res.card["calibration"]["gain_over_none_in_standard_errors"],
            "rule": "each map is fitted on the other folds' out-of-fold predictions and scored on its own fold; "
            "a map is used only when it lowers that log loss below none's by more than twice the paired "
            "standard error",
        },
        "crossfit": {k: res.card[k] for k in ("C", "link", "terms", "steps", "final_fit", "seconds")},
        "range": {
            "kind": "bootstrap",
            "name": "sampling range",
            "members": config.members,
            "percentiles": list(PERCENTILES),
            "meaning": (
                "no ensemble was trained: the range is the odds themselves"
                if config.members == 0
                else SAMPLING_RANGE_MEANING
            ),
        },
        "basis_signature": basis_signature(),
        "constraints": {
            "columns": len(res.coef),
            "active": int((res.coef != 0).sum()),
            "kkt_violation": res.card["final_fit"]["kkt_violation"],
        },
        "held_out_metrics": metrics,
        "answer_ranges": _answer_ranges(clean),
        "member_assumptions": [],
        "train_seconds": round(time.perf_counter() - t0, 1),
    }
    say(f"done in {model.card['train_seconds']} s; out-of-fold {json.dumps(metrics)}")
    return model


def crossfit_pipeline(
    terms: tuple[Term, ...],
    coef: np.ndarray,
    intercept: float,
    calibration: Calibration,
    clean: pd.DataFrame,
    feats: pd.DataFrame,
) -> Pipeline:
    """The scikit-learn face of a cross-fitted model (for sklearn-minded users and the tests that
    compare it with the fast path): answers -> variables -> basis (with the chosen terms) -> weights,
    link and calibration map."""
    return Pipeline(
        [
            ("features", FeatureExtractor().fit(clean)),
            ("basis", GuideBasis(terms=tuple(terms)).fit(feats)),
            ("odds", FittedOdds(coef=coef, intercept=intercept, calibration=calibration)),
        ]
    )


def _answer_ranges(clean: pd.DataFrame) -> dict[str, dict[str, int]]:
    out = {}
    for q in QUIZ:
        if q.is_numeric and q.id in clean.columns:
            values = pd.to_numeric(clean[q.id]).dropna().to_numpy()
            if len(values):
                out[q.id] = {"max": int(values.max()), "p995": int(np.percentile(values, 99.5))}
    return out


def _assumptions_hash() -> str:
    from model.truth.assumptions import assumptions_hash, load_assumptions

    return assumptions_hash({k: a.value for k, a in load_assumptions().items()})


def _frame_hash(df: pd.DataFrame) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([str(c) for c in df.columns]).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()


def save_model(model: OddsModel, out_dir: str | Path, command: str | None = None) -> Path:
    """Write ``weights.npz``, ``model.joblib`` and ``model_card.json`` (with both files' SHA-256),
    each atomically, the card last: a card never names files that are not there yet."""
    import joblib

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    card = dict(model.card)
    model.card = {}  # the card lives beside the artifact, not inside it
    try:
        with atomic_path(out / WEIGHTS) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, **model_weights(model))  # type: ignore[arg-type]  # (the stub checks **arrays against allow_pickle)
            card["weights_sha256"] = sha256_file(tmp)
        with atomic_path(out / ARTIFACT) as tmp:
            joblib.dump(model, tmp, compress=3)
            card["artifact_sha256"] = sha256_file(tmp)
            card["artifact_bytes"] = tmp.stat().st_size
        if command:
            card["command"] = command
        card["format_version"] = format_version(model)
        with atomic_write(out / CARD, "w", encoding="utf-8") as fh:
            json.dump(card, fh, indent=2, sort_keys=False)
            fh.write("\n")
    finally:
        model.card = card
    return out
