"""Train the odds model: pipeline, calibration choice, ensemble range, model card.

The main model is fitted on most of the data, calibrated on a separate slice,
and the calibration (none, sigmoid or isotonic) is chosen by log loss on a
third slice; a fourth slice gives the held-out metrics in the card. The range
around each prediction comes from an ensemble: for the default model, members
trained on data from the generator with assumptions drawn from their plausible
ranges; for a given file, bootstrap resamples of it.
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
import sklearn
from joblib import Parallel, delayed
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline

from model import __version__
from model.errors import InputError
from model.io import atomic_path, atomic_write
from model.odds.artifacts import ARTIFACT, CARD, FORMAT_VERSION, WEIGHTS, model_weights, sha256_file
from model.odds.basis import basis_matrix, basis_signature, column_owners, column_signs
from model.odds.calibration import PERCENTILES, Calibration
from model.odds.features import features_from_clean
from model.odds.runtime import OddsModel
from model.quiz.definition import QUIZ
from model.quiz.validation import validate_frame
from model.training.estimators import FeatureExtractor, GuideBasis
from model.training.logistic import SignConstrainedLogisticRegression
from model.training.metrics import score_predictions
from model.training.settings import HELD_OUT_ROWS, TrainConfig

__all__ = ["TrainConfig", "build_pipeline", "clean_training_data", "save_model", "train_model"]

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


def explanation_reference(mean_row: np.ndarray) -> np.ndarray:
    """The basis row explanations are measured from: the average training row, except that a
    question whose every column is sign-constrained (the guide says only that more of it hurts:
    ignored attempts, a block, anger, a request to stop...) is measured from its harmless answer,
    where those columns are 0. So such an answer can only lower the odds or leave them, never be
    listed as raising them because most people's answer hurt more."""
    owners, signs = column_owners(), column_signs()
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


def _bootstrap_member(i: int, seed: int, clean: pd.DataFrame, y: np.ndarray, C: float) -> tuple[np.ndarray, float]:
    rng = np.random.default_rng([seed, 104729, i])
    idx = rng.integers(0, len(y), len(y))
    return _fit_member(clean.iloc[idx], y[idx], C)


def train_model(
    data: pd.DataFrame | None = None,
    config: TrainConfig = TrainConfig(),
    *,
    source: str | None = None,
    log: Any = None,
) -> OddsModel:
    """Fit the whole model; ``data`` None means fresh data from the generator."""
    say = log or (lambda msg: None)
    t0 = time.perf_counter()
    if data is None:
        from model.truth import generator as synthetic

        say(f"generating {config.rows:,} synthetic rows (seed {config.seed})")
        data = synthetic.generate(config.rows, seed=config.seed)
        range_kind, source = "assumptions", source or "generator"
    else:
        range_kind, source = "bootstrap", source or "dataframe"
    data_hash = _frame_hash(data)
    clean, y, truth = clean_training_data(data)
    parts = split_rows(len(y), config.seed)
    fit, cal, sel, test = (parts[k] for k in ("fit", "calibrate", "select", "test"))

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
    if range_kind == "assumptions":
        results = jobs(
            delayed(_assumption_member)(i, config.seed, config.member_rows, config.C) for i in range(config.members)
        )
        member_draws = [r[2] for r in results]
    else:
        results = jobs(
            delayed(_bootstrap_member)(i, config.seed, clean.iloc[fit], y[fit], config.C) for i in range(config.members)
        )
        member_draws = []
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
    if range_kind == "assumptions":
        # the generator can give a fresh held-out sample as large as we like: ECE on 20k rows is noisy
        held_seed = config.seed + 1
        held_clean, held_y, held_truth = clean_training_data(synthetic.generate(HELD_OUT_ROWS, seed=held_seed))
        held_out = f"{HELD_OUT_ROWS} fresh generated rows (seed {held_seed})"
    else:
        held_clean, held_y = clean.iloc[test], y[test]
        held_truth = None if truth is None else truth[test]
        held_out = f"the {len(test)}-row test split of the training data"
    pred = model.predict_clean(held_clean)
    metrics = score_predictions(held_y, pred["reversal_odds"].to_numpy(), held_truth)
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
        "assumptions_sha256": _assumptions_hash() if range_kind == "assumptions" else None,
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
            "members": config.members,
            "percentiles": list(PERCENTILES),
            "meaning": (
                "no ensemble was trained: the range is the odds themselves"
                if config.members == 0
                else f"spread across models trained on {config.member_rows:,} rows each from the generator "
                "with every assumption drawn from its plausible range (so it also holds the sampling noise "
                "of rows that size), widened to include the model's own odds where they fall outside"
                if range_kind == "assumptions"
                else "spread across models fitted to bootstrap resamples of the training file "
                "(sampling noise only: the assumptions behind the file cannot be varied), widened to include "
                "the model's own odds where they fall outside"
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
                np.savez(fh, **model_weights(model))
            card["weights_sha256"] = sha256_file(tmp)
        with atomic_path(out / ARTIFACT) as tmp:
            joblib.dump(model, tmp, compress=3)
            card["artifact_sha256"] = sha256_file(tmp)
            card["artifact_bytes"] = tmp.stat().st_size
        if command:
            card["command"] = command
        card["format_version"] = FORMAT_VERSION
        with atomic_write(out / CARD, "w", encoding="utf-8") as fh:
            json.dump(card, fh, indent=2, sort_keys=False)
            fh.write("\n")
    finally:
        model.card = card
    return out
