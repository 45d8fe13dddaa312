"""``exodds update``: the model updated with real outcomes, by the closed testing procedure.

Four candidate updates of a model, written on its final log-odds ``lp`` (logit of the odds a quiz
taker is told, after the calibration map: what real outcomes can contradict):

- ``keep``: the model as it is (0 parameters).
- ``intercept``: logit p = a + lp (recalibration in the large: an offset logistic regression; 1).
- ``recalibration``: logit p = a + b lp (logistic recalibration; 2).
- ``revision``: every question's weight re-estimated. Question g keeps the shape the guide gave it
  (its basis columns times the model's weights, z_g) and gets its own multiplier m_g:
  logit p = c + sum_g m_g z_g, the multipliers shrunk towards a common one mu (so the revision is
  shrunk towards the recalibrated model: a penalty centred on the prior), lambda sum_g (m_g - mu)^2,
  with mu and c free and m_g >= 0 (a non-negative multiple of a weight that obeys its sign
  constraint obeys it too). lambda by the Laplace-approximate marginal likelihood, or 5-fold
  cross-validated deviance (``select="cv"``).

The choice is the closed testing procedure of Vergouwe et al. (Stat Med 2017;36:4529-39):
likelihood ratio tests of the most extensive update against each less extensive one, in order:
revision vs keep (not significant: keep), revision vs intercept (not: intercept), revision vs
recalibration (not: recalibration; else revision). As in the paper the tests use the
maximum-likelihood revision (every multiplier free: G + 1 parameters for G questions); the update
applied when the revision wins is the shrunk one. With the multipliers bounded at 0 the true null
distribution is a chi-bar-square mixture, stochastically smaller than chi-square: the p-values are
conservative.

The updated model is stored in the arrays of any model (``model.odds.artifacts.save_weights``): the
calibration folded into the weights (kind "none"), and its range from 25 members, each one of the
model's own ensemble members updated the same way on a bootstrap resample of the outcomes.

Why this design, and how it was measured (worlds unlike the guide, seeds never used while
designing): README, "Updating with real outcomes"; ``benchmarks/bench_update.py`` reruns it.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats  # type: ignore[import-untyped]  # (no scipy-stubs installed)

from model.errors import InputError
from model.numeric import expit
from model.odds.basis import N_COLUMNS, column_signs
from model.odds.calibration import PERCENTILES, Calibration
from model.odds.provenance import odds_basis
from model.odds.runtime import OddsModel
from model.training.recalibrate import (
    GLMFit,
    QuestionDesign,
    basis_of,
    choose_lambda,
    fit_question_ml,
    fit_question_shrunk,
    glm_offset,
    linear_map,
    loglik,
    question_design,
    shipped_logit,
)

__all__ = [
    "ALPHA",
    "ALPHA_KEEP",
    "MEMBERS",
    "METHODS",
    "MIN_EVENTS",
    "Candidate",
    "Test",
    "UpdateResult",
    "closed_test",
    "describe",
    "fit_candidates",
    "sample_size",
    "update_card",
    "update_model",
]

#: The level of the tests between updates (Vergouwe et al. 2017 use 0.05).
ALPHA = 0.05
#: The level of the first test, the one that leaves the shipped model at all. Stricter than ALPHA
#: (ours, measured): at 0.05 about 1 run in 30 from a world where the guide is right changed the
#: model by chance, and a chance update moved its odds by 0.01 on average; at 0.01 none of 60 did,
#: while worlds unlike the guide contradict it far beyond either level, and once the model is left
#: the choice between updates is the same as at 0.05 (README, "How close to the truth").
ALPHA_KEEP = 0.01
METHODS = ("keep", "intercept", "recalibration", "revision")
MEMBERS = 25
#: Under this many events (or non-events) calibration figures are imprecise (Riley et al. 2021;
#: Collins et al., Stat Med 2016;35:214-26 ask for at least 100 for an external validation).
MIN_EVENTS = 100
PROCEDURE = (
    "closed testing procedure (Vergouwe et al., Stat Med 2017;36:4529-39): likelihood ratio tests of the "
    "revision against keep, intercept and recalibration in turn, stopping at the first that is not significant; "
    "the test against keep at the stricter level alpha_keep"
)


# ------------------------------------------------------------------------------------------------
# The four candidates
# ------------------------------------------------------------------------------------------------


@dataclass
class Candidate:
    method: str
    loglik: float  # on the outcomes (for the revision: the maximum-likelihood fit the tests use)
    df: float  # parameters estimated
    intercept: float  # the updated model's weights (calibration folded in: kind "none")
    coef: np.ndarray
    detail: dict[str, Any] = field(default_factory=dict)


def _folded(model: OddsModel, a: float, b: float) -> tuple[float, np.ndarray]:
    """Weights of logit p = a + b * (s * (X coef + intercept) + o)."""
    s, o = linear_map(model)
    return a + b * (s * model.intercept + o), b * s * np.asarray(model.coef, dtype=np.float64)


def fit_candidates(
    model: OddsModel,
    X: np.ndarray,
    y: np.ndarray,
    *,
    lam: float | None = None,
    seed: int = 0,
    with_revision: bool = True,
    select: str = "laml",
    tests: bool = True,
) -> dict[str, Candidate]:
    """Keep, intercept, recalibration and (``with_revision``) the revision, fitted on outcomes ``y`` of
    basis rows ``X``. ``lam`` fixes the revision's shrinkage (else chosen by ``select``); ``tests=False``
    skips the maximum-likelihood revision only the tests need (a bootstrap member's refit)."""
    n = len(y)
    lp = shipped_logit(model, X)
    out: dict[str, Candidate] = {}
    intercept, coef = _folded(model, 0.0, 1.0)
    out["keep"] = Candidate("keep", loglik(y, lp), 0.0, intercept, coef)
    ci = glm_offset(np.ones((n, 1)), y, lp)
    a = float(ci.beta[0])
    intercept, coef = _folded(model, a, 1.0)
    out["intercept"] = Candidate(
        "intercept", ci.loglik, 1.0, intercept, coef, {"a": a, "se_a": float(np.sqrt(ci.cov[0, 0]))}
    )
    rc: GLMFit = glm_offset(np.column_stack([np.ones(n), lp]), y, np.zeros(n))
    a, b = (float(v) for v in rc.beta)
    intercept, coef = _folded(model, a, b)
    out["recalibration"] = Candidate(
        "recalibration",
        rc.loglik,
        2.0,
        intercept,
        coef,
        {"a": a, "b": b, "se_a": float(np.sqrt(rc.cov[0, 0])), "se_b": float(np.sqrt(rc.cov[1, 1]))},
    )
    if with_revision:
        q = question_design(model, X)
        ml = fit_question_ml(q, y) if tests else None
        criterion = None
        if lam is None:
            lam, criterion = choose_lambda(q, y, seed=seed, select=select)
        fit = fit_question_shrunk(q, y, lam)
        mult = fit.coef[1:]
        out["revision"] = Candidate(
            "revision",
            ml.loglik if ml is not None else fit.loglik,
            float(len(q.groups) + 1),
            fit.intercept,
            q.weights(mult),
            {
                "lambda": lam,
                "select": select,
                "edf": fit.edf,
                "common_slope": float(fit.coef[0]),
                "shrunk_loglik": fit.loglik,
                "questions": len(q.groups),
                "multipliers": dict(zip(q.groups, map(float, mult), strict=True)),
                "ml_multipliers": None if ml is None else dict(zip(q.groups, map(float, ml.coef), strict=True)),
                "kkt": fit.kkt if ml is None else max(fit.kkt, ml.kkt),
                "criterion": criterion,
            },
        )
    return out


# ------------------------------------------------------------------------------------------------
# The closed test
# ------------------------------------------------------------------------------------------------


@dataclass
class Test:
    compared: str  # "revision vs keep"
    statistic: float  # 2 (loglik of the revision - loglik of the other)
    df: float
    p_value: float
    significant: bool


def closed_test(
    cands: Mapping[str, Candidate], alpha: float = ALPHA, alpha_keep: float = ALPHA_KEEP
) -> tuple[str, list[Test], str]:
    """Vergouwe et al. 2017: the revision against keep (at ``alpha_keep``), then against intercept,
    then against recalibration (at ``alpha``), stopping at the first test that is not significant.
    Returns (method, tests, reason)."""
    top = cands["revision"]
    tests: list[Test] = []
    for name in ("keep", "intercept", "recalibration"):
        other = cands[name]
        stat = max(0.0, 2.0 * (top.loglik - other.loglik))
        df = top.df - other.df
        # a revision that adds nothing to the other model (same fit) has p = 1
        p = float(stats.chi2.sf(stat, df)) if df > 1e-3 and stat > 1e-6 else 1.0
        level = alpha_keep if name == "keep" else alpha
        tests.append(Test(f"revision vs {name}", stat, df, p, p < level))
        if p >= level:
            return name, tests, _reason(name, tests, level)
    return "revision", tests, _reason("revision", tests, alpha)


_WHAT = {
    "keep": "the outcomes do not contradict the model",
    "intercept": "the outcomes say the overall rate differs from the model's, not how the answers matter",
    "recalibration": "the outcomes say the overall rate and how far apart the odds are differ from the "
    "model's, but not how each answer matters relative to the others",
    "revision": "the outcomes say how much some questions matter, relative to the others, differs from the model",
}


def _reason(method: str, tests: list[Test], alpha: float) -> str:
    last = tests[-1]
    if method == "revision":
        return (
            f"every test is significant at {alpha:g} (the last: {last.compared}, p = {p_text(last.p_value)}): "
            f"{_WHAT[method]}; each question's weight is re-estimated, shrunk towards a common recalibration"
        )
    less = {"keep": "no update", "intercept": "a new intercept", "recalibration": "a new intercept and slope"}[method]
    return (
        f"{last.compared} is not significant at {alpha:g} (p = {p_text(last.p_value)}): re-weighting every "
        f"question explains the outcomes no better than {less}, so {method} is chosen; {_WHAT[method]}"
    )


def p_text(p: float) -> str:
    return "< 0.0001" if p < 1e-4 else f"{p:.4f}"


# ------------------------------------------------------------------------------------------------
# Sample size (Riley et al. 2021)
# ------------------------------------------------------------------------------------------------


def sample_size(lp: np.ndarray, y: np.ndarray, parameters: int | None = None) -> dict[str, Any]:
    """What these outcomes support, after Riley et al., Stat Med 2021;40:4230-51 ("Minimum sample
    size for external validation of a clinical prediction model with a binary outcome").

    The expected 95% interval widths at this n, if the model were calibrated here (p = expit(lp)):
    - O/E: SE(ln O/E) = sqrt((1 - phi) / (n phi)) (their eq. 5), width 2 sinh(1.96 SE) at O/E = 1;
    - calibration slope: var = I_a / (n (I_a I_b - I_ab^2)), I_a = E[p(1-p)], I_ab = E[lp p(1-p)],
      I_b = E[lp^2 p(1-p)] over the outcomes' lp (the Fisher information of (a, b), their eq. 9);
    - C-statistic: Newcombe's SE at the model's C on these outcomes (their eq. 10);
    and the n each needs for Riley's targets (width 0.2 for O/E and slope), the rarer outcome per
    parameter of the revision (``parameters``), and ``supports``: the same in words.
    """
    n = len(y)
    events = int(np.sum(y))
    rarer = min(events, n - events)
    phi = events / n if n else float("nan")
    out: dict[str, Any] = {"outcomes": n, "events": events, "non_events": n - events, "event_share": phi}
    if rarer == 0:
        out["supports"] = [
            "nothing: every outcome is the same (all reconciled or none), so no calibration and "
            "no update can be estimated"
        ]
        out["warning"] = out["supports"][0]
        return out
    se_lnoe = math.sqrt((1 - phi) / (n * phi))
    out["oe_ci_width"] = 2 * math.sinh(1.96 * se_lnoe)
    se_target = math.asinh(0.1) / 1.96
    out["n_for_oe_width_0.2"] = math.ceil((1 - phi) / (phi * se_target**2))
    p = expit(lp)
    v = p * (1 - p)
    Ia, Iab, Ib = float(v.mean()), float((lp * v).mean()), float((lp * lp * v).mean())
    det = Ia * Ib - Iab**2
    if det > 1e-12:
        out["slope_ci_width"] = 2 * 1.96 * math.sqrt(Ia / (n * det))
        out["n_for_slope_width_0.2"] = math.ceil(Ia / (det * (0.2 / (2 * 1.96)) ** 2))
    c = _auc(lp, y)
    half = n / 2
    se_c = math.sqrt(
        max(0.0, c * (1 - c) * (1 + (half - 1) * (1 - c) / (2 - c) + (half - 1) * c / (1 + c)))
        / (n * n * phi * (1 - phi))
    )
    out["c_statistic"] = c
    out["c_ci_width"] = 2 * 1.96 * se_c
    if parameters:
        out["revision_parameters"] = int(parameters)
        out["rarer_outcome_per_parameter"] = rarer / parameters
    out["supports"] = _supports(out, rarer)
    if rarer < MIN_EVENTS:
        kind = "events" if events <= n - events else "non-events"
        out["warning"] = (
            f"only {rarer} {kind} (fewer than {MIN_EVENTS}): calibration figures are imprecise: the 95% interval "
            f"of the observed/expected ratio spans about {out['oe_ci_width']:.2f}"
            + (
                f" and that of the calibration slope about {out['slope_ci_width']:.2f}"
                if "slope_ci_width" in out
                else ""
            )
            + " (Riley et al. 2021 ask for 0.2 each); the tests below will often miss a real difference"
        )
    return out


def _supports(s: Mapping[str, Any], rarer: int) -> list[str]:
    """What the outcomes support, in words: one line per figure an update rests on."""
    lines = []
    oe = s["oe_ci_width"]
    lines.append(
        f"the overall rate (a new intercept): the observed/expected ratio to within a 95% interval about {oe:.2f} "
        + (
            "wide, inside Riley et al.'s 0.2"
            if oe <= 0.2
            else f"wide, wider than Riley et al.'s 0.2 (that needs about {s['n_for_oe_width_0.2']:,} outcomes)"
        )
    )
    if "slope_ci_width" in s:
        w = s["slope_ci_width"]
        lines.append(
            f"the spread of the odds (a recalibration): the calibration slope to within about {w:.2f} "
            + ("(inside 0.2)" if w <= 0.2 else f"(0.2 needs about {s['n_for_slope_width_0.2']:,} outcomes)")
        )
    lines.append(f"ranking (the C-statistic, {s['c_statistic']:.3f} here) to within about {s['c_ci_width']:.3f}")
    if "rarer_outcome_per_parameter" in s:
        per = s["rarer_outcome_per_parameter"]
        lines.append(
            f"re-weighting each question (the revision, {s['revision_parameters']} parameters): {per:.0f} of the "
            "rarer outcome per parameter; "
            + (
                "enough for the test to see a real difference in how the questions weigh"
                if per >= 20
                else "few, so the test will seldom choose it, and when it does its shrinkage keeps it near the "
                "recalibration"
                if per >= 5
                else "too few to tell how the questions weigh: the test can hardly choose it"
            )
        )
    if rarer < MIN_EVENTS:
        lines.append(f"fewer than {MIN_EVENTS} of the rarer outcome: read every calibration figure by its interval")
    return lines


def _auc(score: np.ndarray, y: np.ndarray) -> float:
    r = stats.rankdata(score)
    n1 = float(np.sum(y))
    n0 = len(y) - n1
    return float((r[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


# ------------------------------------------------------------------------------------------------
# The updated model: weights, bootstrap range, card
# ------------------------------------------------------------------------------------------------


@dataclass
class UpdateResult:
    method: str
    tests: list[Test]
    reason: str
    candidates: dict[str, Candidate]
    sample: dict[str, Any]
    seconds: float = 0.0


def member_model(model: OddsModel, i: int) -> OddsModel:
    """Ensemble member ``i`` of ``model`` as a model of its own (its weights and calibration)."""
    return OddsModel(
        pipeline=None,
        coef=model.member_coef[i],
        intercept=float(model.member_intercept[i]),
        calibration=model.member_calibration[i],
        member_coef=model.member_coef[i : i + 1],
        member_intercept=model.member_intercept[i : i + 1],
        member_calibration=[model.member_calibration[i]],
        range_kind=model.range_kind,
        reference=model.reference,
    )


def bootstrap_members(
    method: str,
    model: OddsModel,
    X: np.ndarray,
    y: np.ndarray,
    lam: float | None,
    members: int = MEMBERS,
    seed: int = 0,
    range_from: str = "members",
) -> tuple[np.ndarray, np.ndarray]:
    """(member_coef, member_intercept) of the updated model's range: the chosen update refitted on a
    bootstrap resample of the outcomes (events and non-events resampled separately, so every resample
    has both; lambda held at the chosen one), starting from

    - ``range_from="members"``: the model's own member i (cycling over them), so the range holds the
      outcomes' sampling noise and what they leave of the guide's assumption uncertainty;
    - ``range_from="main"``: the model itself (sampling noise only).
    """
    coefs, intercepts = [], []
    ev, ne = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    k = len(model.member_coef)
    for i in range(members):
        rng = np.random.default_rng([seed, 104729, i])
        idx = np.concatenate([rng.choice(ev, len(ev)), rng.choice(ne, len(ne))])
        start = model if range_from == "main" or k == 0 else member_model(model, i % k)
        intercept, coef = _refit(method, start, X, idx, y, lam)
        coefs.append(coef)
        intercepts.append(intercept)
    return np.vstack(coefs), np.asarray(intercepts)


def _refit(
    method: str, model: OddsModel, X: np.ndarray, idx: np.ndarray, y: np.ndarray, lam: float | None
) -> tuple[float, np.ndarray]:
    """The chosen update alone, of ``model``, on the resampled rows ``idx`` (what ``fit_candidates`` gives
    for it on ``X[idx]``, without copying the basis: the model's log-odds or question shares are
    computed once and resampled)."""
    yb = y[idx]
    if method == "revision":
        assert lam is not None  # (a revision always has its lambda)
        q = question_design(model, X)
        fit = fit_question_shrunk(QuestionDesign(q.groups, q.Z[idx], q.w0), yb, float(lam))
        return fit.intercept, q.weights(fit.coef[1:])
    lp = shipped_logit(model, X)[idx]
    n = len(idx)
    if method == "intercept":
        return _folded(model, float(glm_offset(np.ones((n, 1)), yb, lp).beta[0]), 1.0)
    a, b = glm_offset(np.column_stack([np.ones(n), lp]), yb, np.zeros(n)).beta
    return _folded(model, float(a), float(b))


def update_model(
    model: OddsModel,
    clean: pd.DataFrame,
    y: np.ndarray,
    *,
    dates: np.ndarray | None = None,
    outcomes: Mapping[str, Any] | None = None,
    alpha: float = ALPHA,
    alpha_keep: float = ALPHA_KEEP,
    members: int = MEMBERS,
    seed: int = 0,
    range_from: str = "members",
    select: str = "laml",
    command: str | None = None,
) -> tuple[OddsModel, UpdateResult]:
    """``model`` updated with outcomes ``y`` (0/1) of the validated answers ``clean``.

    ``dates``: the day each row's answers were given (the card records their span); ``outcomes``:
    more facts about the outcomes for the card (file, file_sha256, read, rejected, horizon_days).
    Returns the updated model, its card filled in (``model.odds.artifacts.save_weights`` writes it),
    and the decision. When the closed test keeps the model, the model returned has the same weights
    and range, and a card saying it was checked against the outcomes.
    """
    t0 = time.perf_counter()
    y = np.asarray(y, dtype=np.float64)
    if len(y) != len(clean):
        raise InputError(f"{len(y)} outcomes for {len(clean)} answer sets: one outcome a row is needed")
    if not np.isin(y, (0.0, 1.0)).all():
        raise InputError("outcomes must be 0 (not reconciled) or 1 (reconciled)")
    linear_map(model)  # (an isotonic map cannot be updated: refused now, before any fit)
    X = basis_of(clean)
    lp = shipped_logit(model, X)
    groups = len(question_design(model, X[:1]).groups) if len(X) else 0
    sample = sample_size(lp, y, parameters=groups + 1)
    tests: list[Test]
    if min(sample["events"], sample["non_events"]) == 0:
        method, tests, cands = "keep", [], {}
        reason = "every outcome is the same (all reconciled or none): nothing can be estimated, so the model is kept"
    else:
        cands = fit_candidates(model, X, y, seed=seed, select=select)
        method, tests, reason = closed_test(cands, alpha, alpha_keep)
    result = UpdateResult(method, tests, reason, cands, sample)
    if method == "keep":
        new = OddsModel(
            pipeline=None,
            coef=model.coef.copy(),
            intercept=float(model.intercept),
            calibration=model.calibration,
            member_coef=model.member_coef.copy(),
            member_intercept=model.member_intercept.copy(),
            member_calibration=list(model.member_calibration),
            range_kind=model.range_kind,
            reference=model.reference.copy(),
        )
    else:
        chosen = cands[method]
        member_coef, member_intercept = bootstrap_members(
            method, model, X, y, chosen.detail.get("lambda"), members, seed, range_from
        )
        new = OddsModel(
            pipeline=None,
            coef=np.asarray(chosen.coef, dtype=np.float64),
            intercept=float(chosen.intercept),
            calibration=Calibration("none"),
            member_coef=member_coef,
            member_intercept=member_intercept,
            member_calibration=[Calibration("none") for _ in range(members)],
            range_kind="bootstrap",
            reference=np.asarray(model.reference, dtype=np.float64),
        )
    result.seconds = time.perf_counter() - t0
    new.card = update_card(model, result, dates, outcomes, members, range_from, alpha, command, alpha_keep)
    return new, result


def date_span(dates: np.ndarray | None) -> tuple[str, str] | None:
    """(first, last) ISO day of ``dates`` (None when there are none)."""
    if dates is None:
        return None
    d = np.asarray(dates, dtype="datetime64[D]")
    d = d[~np.isnat(d)]
    if not len(d):
        return None
    return str(d.min()), str(d.max())


def _plain(value: Any) -> Any:
    """JSON-ready: NumPy numbers as Python ones, arrays as lists, mappings and lists walked."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def update_card(
    model: OddsModel,
    result: UpdateResult,
    dates: np.ndarray | None,
    outcomes: Mapping[str, Any] | None,
    members: int,
    range_from: str = "members",
    alpha: float = ALPHA,
    command: str | None = None,
    alpha_keep: float = ALPHA_KEEP,
) -> dict[str, Any]:
    """The updated model's card: the basis facts of the model updated, and the update's provenance
    (the model it came from, the outcomes, the method chosen and every test)."""
    from model import __version__

    old = dict(getattr(model, "card", {}) or {})
    span = date_span(dates)
    s = result.sample
    given = dict(outcomes or {})
    card: dict[str, Any] = {
        "exodds_version": __version__,
        "trained_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "source": "update",
        "basis_signature": old.get("basis_signature"),
        "answer_ranges": old.get("answer_ranges"),
        "updated_from": {
            "version": model.version,
            "weights_sha256": old.get("weights_sha256"),
            "artifact_sha256": old.get("artifact_sha256"),
            "source": old.get("source"),
            "assumptions_sha256": old.get("assumptions_sha256")
            or (old.get("updated_from") or {}).get("assumptions_sha256"),
            "trained_at": old.get("trained_at"),
        },
        "outcomes": {
            "file": given.get("file"),
            "file_sha256": given.get("file_sha256"),
            "read": given.get("read", s["outcomes"]),
            "rejected": given.get("rejected", 0),
            "rows": s["outcomes"],
            "events": s["events"],
            "non_events": s["non_events"],
            "collected_from": span[0] if span else None,
            "collected_to": span[1] if span else None,
            "horizon_days": given.get("horizon_days"),
        },
        "update": {
            "method": result.method,
            "alpha": alpha,
            "alpha_keep": alpha_keep,
            "procedure": PROCEDURE,
            "tests": [asdict(t) for t in result.tests],
            "reason": result.reason,
            "candidates": {
                k: {"loglik": c.loglik, "df": c.df, **{kk: vv for kk, vv in c.detail.items() if kk != "criterion"}}
                for k, c in result.candidates.items()
            },
            "sample_size": s,
        },
        "range": (
            dict(old.get("range", {}), note="kept: the update changed nothing, so the range is the model's own")
            if result.method == "keep"
            else {
                "kind": "bootstrap",
                "members": members,
                "percentiles": list(PERCENTILES),
                "source": range_from,
                "meaning": (
                    f"spread across {members} models, each one of the original model's ensemble members updated "
                    f"the same way ({result.method}) on a bootstrap resample of the {s['outcomes']:,} outcomes: the "
                    "outcomes' sampling noise and what they leave of the guide's assumption uncertainty; widened to "
                    "include the model's own odds where they fall outside"
                    if range_from == "members" and len(model.member_coef)
                    else f"spread across the {result.method} refitted to {members} bootstrap resamples of the "
                    f"{s['outcomes']:,} outcomes (their sampling noise only), widened to include the model's own "
                    "odds where they fall outside"
                ),
            }
        ),
        "calibration": (
            old.get("calibration", {"chosen": model.calibration.kind})
            if result.method == "keep"
            else {"chosen": "none", "note": "the update's intercept and slope are folded into the weights"}
        ),
        "update_seconds": round(result.seconds, 2),
    }
    if result.method != "keep":
        coef = result.candidates[result.method].coef
        card["constraints"] = {"columns": N_COLUMNS, "held_at_zero": int(np.sum((column_signs() < 0) & (coef >= 0)))}
    if command:
        card["command"] = command
    plain: dict[str, Any] = _plain(card)
    return plain


# ------------------------------------------------------------------------------------------------
# What `exodds update` prints
# ------------------------------------------------------------------------------------------------


def describe(result: UpdateResult, card: Mapping[str, Any]) -> str:
    """The decision in words: the outcomes and what they support, each candidate, each test with its
    statistic, degrees of freedom and p-value, the decision and why, and the words reports will print."""
    s = result.sample
    o = card["outcomes"]
    rejected = int(o.get("rejected") or 0)
    lines = []
    span = (
        f", collected {o['collected_from']} to {o['collected_to']}"
        if o.get("collected_from")
        else ", collection dates not given (--as-of-column names the column that dates each row)"
    )
    lines.append(
        f"outcomes: {s['outcomes']:,} accepted"
        + (f" ({rejected:,} rejected: see the errors file)" if rejected else "")
        + span
    )
    lines.append(f"  {s['events']:,} reconciled, {s['non_events']:,} not ({s['event_share']:.1%})")
    if s.get("supports"):
        lines.append("  what they support (Riley et al. 2021; 95% intervals if the model were calibrated here):")
        lines += [f"    - {line}" for line in s["supports"]]
    if "warning" in s:
        lines.append(f"  warning: {s['warning']}")
    c = result.candidates
    if c:
        lines.append("candidates (log-likelihood on the outcomes, parameters):")
        for name in METHODS:
            if name not in c:
                continue
            d = c[name].detail
            extra = ""
            if name == "intercept":
                extra = f"  a = {d['a']:+.3f} (SE {d['se_a']:.3f})"
            elif name == "recalibration":
                extra = f"  a = {d['a']:+.3f}, slope = {d['b']:.3f} (SE {d['se_b']:.3f})"
            elif name == "revision":
                how = "marginal likelihood" if d.get("select") == "laml" else "5-fold cross-validation"
                extra = (
                    f"  maximum likelihood, {d['questions']} questions re-weighted; applied shrunk: "
                    f"lambda = {d['lambda']:.3g} by {how}, {d['edf']:.1f} effective parameters, common slope "
                    f"{d['common_slope']:.2f}, log-likelihood {d['shrunk_loglik']:.2f}"
                )
            lines.append(f"  {name:<14}{c[name].loglik:>12.2f}{c[name].df:>6.0f}{extra}")
        alpha = card.get("update", {}).get("alpha", ALPHA)
        keep = card.get("update", {}).get("alpha_keep", alpha)  # (cards before alpha_keep used one level)
        lines.append(
            f"closed test (Vergouwe et al. 2017), alpha {keep:g} against keeping the model, {alpha:g} between updates:"
        )
        for t in result.tests:
            lines.append(
                f"  {t.compared:<26} LR = {t.statistic:8.2f}  df = {t.df:3.0f}  p = {p_text(t.p_value):>8}  "
                f"{'significant' if t.significant else 'not significant'}"
            )
    lines.append(f"decision: {result.method}: {result.reason}")
    if result.method == "revision":
        mult = c["revision"].detail["multipliers"]
        lines.append(
            "  each question's weight, times the shipped one: " + ", ".join(f"{q} {m:.2f}" for q, m in mult.items())
        )
    lines.append(f'reports made with this model say: "{odds_basis(card)}"')
    return "\n".join(lines)
