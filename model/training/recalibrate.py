"""The small fits behind ``exodds update``: logistic recalibration with an offset, and a revision of
each question's weight, shrunk towards a common slope, under the model's sign constraints.

Why its own module: ``model.training.update`` is the procedure (which candidate, which test, what to
write); these are the numerics it calls, each checked on its own (``revise`` against SciPy's bounded
L-BFGS-B in the tests). Pure NumPy/SciPy: no scikit-learn, so an update starts fast.

Everything works on the model's final log-odds ``lp`` (after its calibration map: logit of the odds a
quiz taker is told), and every update stays linear in the shared basis, so an updated model is
stored in the same arrays as a trained one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg  # type: ignore[import-untyped]  # (no scipy-stubs installed)

from model.errors import UsageError
from model.numeric import expit
from model.odds.basis import basis_matrix, column_owners
from model.odds.features import features_from_clean
from model.odds.runtime import OddsModel

__all__ = [
    "K_FOLDS",
    "LAMBDAS",
    "GLMFit",
    "QuestionDesign",
    "RevisionFit",
    "basis_of",
    "choose_lambda",
    "fit_question_ml",
    "fit_question_shrunk",
    "glm_offset",
    "laml",
    "linear_map",
    "loglik",
    "question_design",
    "revise",
    "shipped_logit",
    "shrink_to_common",
    "stratified_folds",
]

K_FOLDS = 5
#: Shrinkage strengths tried, strongest first when fitting: a penalty on the summed log-likelihood
#: (so the same lambda weighs less as outcomes accumulate) of the spread of the questions' multipliers.
LAMBDAS = tuple(float(v) for v in np.logspace(-0.5, 3.5, 17))


# ------------------------------------------------------------------------------------------------
# What the model says
# ------------------------------------------------------------------------------------------------


def basis_of(clean: pd.DataFrame) -> np.ndarray:
    """The model's basis for validated answers (``validate_frame(...).clean``), C-ordered."""
    feats = features_from_clean(clean)
    X = basis_matrix({c: feats[c].to_numpy() for c in feats.columns}, len(feats))
    return np.ascontiguousarray(X)


def linear_map(model: OddsModel) -> tuple[float, float]:
    """(slope, offset) of the model's calibration map on its logistic log-odds.

    An isotonic map is not linear, so no update can be folded into the basis weights: refused with
    a plain reason (``UsageError``) rather than approximated.
    """
    c = model.calibration
    card = getattr(model, "card", None) or {}
    if isinstance(card.get("crossfit"), dict):
        raise UsageError(
            "this model was trained on a file (exodds train --data), not on the guide's assumptions: exodds "
            "update corrects the guide's model with outcomes, and its words say so; retrain this one with "
            "`exodds train --data` on the old rows and the new outcomes together"
        )
    if model.terms:
        raise UsageError(
            "this model was trained on a file and chose interaction terms beyond the guide's basis "
            f"({len(model.terms)} of them, such as {model.terms[0].name}): exodds update updates "
            "the guide's basis only; retrain it with `exodds train --data` on the old rows and the new outcomes"
        )
    if c.link != "logit" or c.kind == "piecewise":
        raise UsageError(
            f"this model maps its linear predictor through a {c.link} link and a '{c.kind}' calibration, which "
            "is not linear on the log-odds: exodds update can only update a model with the logit link and a "
            "'none' or 'sigmoid' calibration; retrain it with `exodds train --data` instead"
        )
    if c.kind == "isotonic":
        raise UsageError(
            "this model maps its log-odds through an isotonic calibration curve, which is not linear: "
            "exodds update can only update a model whose calibration is 'none' or 'sigmoid' (the built-in "
            "model's is 'none'; see calibration.chosen in the model card)"
        )
    return (1.0, 0.0) if c.kind == "none" else (float(c.slope), float(c.offset))


def shipped_logit(model: OddsModel, X: np.ndarray) -> np.ndarray:
    """The model's final log-odds (after its calibration map): logit of ``reversal_odds``."""
    return model.calibration.logit(X @ model.coef + model.intercept)


# ------------------------------------------------------------------------------------------------
# Maximum-likelihood logistic regression with an offset
# ------------------------------------------------------------------------------------------------


def loglik(y: np.ndarray, eta: np.ndarray) -> float:
    """Bernoulli log-likelihood of outcomes ``y`` at log-odds ``eta``."""
    return float(np.sum(y * eta - np.logaddexp(0.0, eta)))


@dataclass
class GLMFit:
    beta: np.ndarray
    cov: np.ndarray  # inverse Fisher information at beta
    loglik: float


def glm_offset(Z: np.ndarray, y: np.ndarray, offset: np.ndarray, max_iter: int = 100) -> GLMFit:
    """Maximum-likelihood logistic regression of ``y`` on columns ``Z`` with an offset (Newton with
    step halving). Needs at least one event and one non-event."""
    beta = np.zeros(Z.shape[1])
    ll = loglik(y, offset)
    for _ in range(max_iter):
        p = expit(offset + Z @ beta)
        g = Z.T @ (y - p)
        H = (Z * (p * (1 - p))[:, None]).T @ Z
        step = linalg.solve(H + 1e-12 * np.eye(len(beta)), g, assume_a="pos")
        t = 1.0
        while True:
            new = beta + t * step
            new_ll = loglik(y, offset + Z @ new)
            if new_ll >= ll - 1e-12 or t < 1e-8:
                break
            t *= 0.5
        beta, gain, ll = new, new_ll - ll, new_ll
        if np.max(np.abs(t * step)) < 1e-10 or abs(gain) < 1e-12:
            break
    p = expit(offset + Z @ beta)
    H = (Z * (p * (1 - p))[:, None]).T @ Z
    return GLMFit(beta, linalg.inv(H), ll)


# ------------------------------------------------------------------------------------------------
# Penalized logistic regression in a box: projected Newton
# ------------------------------------------------------------------------------------------------


@dataclass
class RevisionFit:
    intercept: float
    coef: np.ndarray
    loglik: float  # unpenalized
    edf: float  # effective number of parameters of (intercept, coef) at this penalty
    active: int  # parameters held at a bound
    iterations: int
    kkt: float  # largest projected gradient at the solution, per sqrt(row)


def revise(
    X: np.ndarray,
    y: np.ndarray,
    centre: np.ndarray,
    lam: float | np.ndarray,
    signs: np.ndarray | None = None,
    start: tuple[float, np.ndarray] | None = None,
    tol: float = 1e-7,
    max_iter: int = 200,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
) -> RevisionFit:
    """Minimise -loglik(c + X w) + 1/2 (w - centre)' P (w - centre) over lower <= w <= upper.

    ``signs`` (``model.odds.basis.column_signs``) adds the package's constraints: upper bound 0 where
    signs_j < 0. ``lam`` is P: one strength (P = lam I), one per weight (diagonal), or a positive
    semi-definite matrix (positive definite together with the data's information). The intercept c
    is free.

    Projected Newton with an epsilon-active set (Bertsekas, SIAM J Control Optim 1982;20:221-46): a
    weight at (or within epsilon of) a bound whose gradient pushes it outward stays there; the others
    take a Newton step, projected onto the box and backtracked (Armijo along the projection arc). The
    objective is convex, strictly in w when P is, so the KKT point it stops at is the constrained
    optimum (``kkt``: the largest projected gradient).
    """
    n, p = X.shape
    lo = np.full(p, -np.inf) if lower is None else np.asarray(lower, dtype=np.float64)
    hi = np.full(p, np.inf) if upper is None else np.asarray(upper, dtype=np.float64).copy()
    if signs is not None:
        hi = np.minimum(hi, np.where(np.asarray(signs) < 0, 0.0, np.inf))
    lam = np.asarray(lam, dtype=np.float64)
    P = lam if lam.ndim == 2 else np.diag(np.broadcast_to(lam, (p,)))
    if start is None:
        w = np.clip(centre, lo, hi)
        m = min(max(float(y.mean()), 1e-6), 1 - 1e-6)
        c = math.log(m / (1 - m)) - float(np.mean(X @ w))
    else:
        c, w = float(start[0]), np.clip(start[1], lo, hi)

    def value(c_: float, w_: np.ndarray) -> tuple[float, np.ndarray]:
        eta = c_ + X @ w_
        d = w_ - centre
        return -loglik(y, eta) + 0.5 * float(d @ P @ d), eta

    def blocked(w_: np.ndarray, g_: np.ndarray, eps: float) -> np.ndarray:
        """At (within eps of) a bound, with the descent direction -g pointing out of the box."""
        return ((w_ >= hi - eps) & (g_ < 0)) | ((w_ <= lo + eps) & (g_ > 0))

    f, eta = value(c, w)
    it, kkt = 0, np.inf
    for it in range(1, max_iter + 1):  # noqa: B007 (the count is reported)
        q = expit(eta)
        r = q - y
        g_c = float(r.sum())
        g_w = X.T @ r + P @ (w - centre)
        pg = np.where(blocked(w, g_w, 0.0), 0.0, g_w)
        kkt = max(abs(g_c), float(np.abs(pg).max(initial=0.0))) / math.sqrt(n)
        if kkt < tol:
            break
        eps = min(1e-6, float(np.abs(pg).max(initial=0.0)))
        fixed = blocked(w, g_w, eps)
        free = ~fixed
        v = q * (1 - q)
        Xf = X[:, free]
        k = int(free.sum())
        H = np.empty((1 + k, 1 + k))
        H[0, 0] = v.sum()
        H[0, 1:] = H[1:, 0] = Xf.T @ v
        H[1:, 1:] = (Xf * v[:, None]).T @ Xf + P[np.ix_(free, free)]
        g = np.concatenate([[g_c], g_w[free]])
        try:
            step = -linalg.solve(H, g, assume_a="pos")
        except (linalg.LinAlgError, ValueError):
            step = -g / (np.diag(H) + 1e-9)
        dc, dw = step[0], np.zeros(p)
        dw[free] = step[1:]
        t = 1.0
        while True:
            w_new = np.clip(w + t * dw, lo, hi)
            w_new[fixed] = w[fixed]
            c_new = c + t * dc
            f_new, eta_new = value(c_new, w_new)
            decrease = g_c * (c_new - c) + float(g_w @ (w_new - w))
            if f_new <= f + 1e-4 * decrease or t < 1e-10:
                break
            t *= 0.5
        if f_new > f:  # no progress possible along this direction: at the optimum to rounding
            break
        c, w, f, eta = c_new, w_new, f_new, eta_new
    q = expit(eta)
    v = q * (1 - q)
    at_bound = (w >= hi) | (w <= lo)
    free = ~at_bound
    Xf = np.column_stack([np.ones(n), X[:, free]])
    info = (Xf * v[:, None]).T @ Xf
    Pf = np.zeros_like(info)
    Pf[1:, 1:] = P[np.ix_(free, free)]
    edf = float(np.trace(linalg.solve(info + Pf, info, assume_a="pos")))
    return RevisionFit(c, w, loglik(y, eta), edf, int(at_bound.sum()), it, float(kkt))


# ------------------------------------------------------------------------------------------------
# The revision by question: each question's weights scaled by its own multiplier
# ------------------------------------------------------------------------------------------------


@dataclass
class QuestionDesign:
    """``Z[:, g]``: the model's log-odds contribution of question g (its basis columns times s * coef)."""

    groups: list[str]
    Z: np.ndarray
    w0: np.ndarray  # s * coef: the model's weights on its final log-odds scale

    def weights(self, m: np.ndarray) -> np.ndarray:
        """Basis weights for multipliers ``m`` (one per group): m_g * w0 on group g's columns. A
        non-negative multiple of a weight that obeys its sign constraint obeys it too."""
        owners = column_owners()
        w = np.zeros_like(self.w0)
        for k, g in enumerate(self.groups):
            sel = owners == g
            w[sel] = m[k] * self.w0[sel]
        return w


def question_design(model: OddsModel, X: np.ndarray) -> QuestionDesign:
    """One column per question with a non-zero weight: the share of the log-odds the model gives it."""
    s, _ = linear_map(model)
    w0 = s * np.asarray(model.coef, dtype=np.float64)
    owners = column_owners()
    groups = [str(g) for g in dict.fromkeys(owners) if np.any(w0[owners == g] != 0)]
    G = np.zeros((len(w0), len(groups)))
    for k, g in enumerate(groups):
        sel = owners == g
        G[sel, k] = w0[sel]
    return QuestionDesign(groups, X @ G, w0)  # (one product: no copy of the basis a question)


def shrink_to_common(G: int, lam: float) -> np.ndarray:
    """lam * sum_g (m_g - mu)^2 as a quadratic form in theta = (mu, m_1..m_G)."""
    P = np.zeros((G + 1, G + 1))
    P[0, 0] = G
    P[0, 1:] = P[1:, 0] = -1.0
    P[1:, 1:] = np.eye(G)
    return lam * P


def fit_question_ml(q: QuestionDesign, y: np.ndarray) -> RevisionFit:
    """Every question's multiplier free (m_g >= 0), intercept free: the maximum-likelihood revision the
    closed test's likelihood ratio tests use (a ridge of 1e-8 only keeps the Newton steps defined
    where a question has no rows)."""
    G = len(q.groups)
    return revise(q.Z, y, np.ones(G), 1e-8, lower=np.zeros(G))


def fit_question_shrunk(
    q: QuestionDesign, y: np.ndarray, lam: float, start: tuple[float, np.ndarray] | None = None
) -> RevisionFit:
    """theta = (mu, m): logit p = c + Z m, penalty lam * sum_g (m_g - mu)^2, mu free, m_g >= 0.
    lam -> infinity gives the recalibration (every m_g = mu = the slope), lam -> 0 the ML revision."""
    G = len(q.groups)
    Zaug = np.column_stack([np.zeros(len(y)), q.Z])
    lower = np.concatenate([[-np.inf], np.zeros(G)])
    if start is None:
        start = (0.0, np.ones(G + 1))
    return revise(Zaug, y, np.zeros(G + 1), shrink_to_common(G, lam), lower=lower, start=start)


def laml(Zaug: np.ndarray, y: np.ndarray, fit: RevisionFit, P: np.ndarray, lower: np.ndarray) -> float:
    """The Laplace approximation of the log marginal likelihood of the shrinkage (up to a constant):
    the Gaussian prior of precision P on theta (improper along P's null space: the common slope)
    integrated out (MacKay, Neural Comput 1992;4:415-47; Wood, JRSS-B 2011;73:3-36):
    loglik - theta'P theta / 2 + log|P|+ / 2 - log|H + P| / 2, over the parameters not at a bound."""
    th = fit.coef
    free = th > lower
    q = expit(fit.intercept + Zaug @ th)
    v = q * (1 - q)
    Zf = np.column_stack([np.ones(len(y)), Zaug[:, free]])
    H = (Zf * v[:, None]).T @ Zf
    Pf = np.zeros_like(H)
    Pf[1:, 1:] = P[np.ix_(free, free)]
    ev = np.linalg.eigvalsh(P[np.ix_(free, free)])
    logdet_p = float(np.sum(np.log(ev[ev > 1e-9 * max(float(ev.max()), 1e-300)])))
    logdet_hp = float(np.linalg.slogdet(H + Pf)[1])
    return fit.loglik - 0.5 * float(th @ P @ th) + 0.5 * logdet_p - 0.5 * logdet_hp


def stratified_folds(y: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Fold labels with events and non-events each spread evenly over the ``k`` folds."""
    rng = np.random.default_rng(seed)
    fold = np.empty(len(y), dtype=np.int64)
    for cls in (0, 1):
        idx = np.flatnonzero(y == cls)
        fold[rng.permutation(idx)] = np.arange(len(idx)) % k
    return fold


def choose_lambda(
    q: QuestionDesign,
    y: np.ndarray,
    seed: int = 0,
    select: str = "laml",
    lambdas: tuple[float, ...] = LAMBDAS,
    k: int = K_FOLDS,
) -> tuple[float, dict[float, Any]]:
    """The shrinkage strength, and the criterion at each strength tried (strongest first, each fit
    starting from the previous one):

    - ``select="laml"`` (the default): the largest Laplace-approximate marginal likelihood (empirical
      Bayes; one fit per strength on all the outcomes). On the development worlds it was as good as
      cross-validation or better at every size, five times faster, and it shrank false alarms more.
    - ``select="cv"``: the lowest k-fold cross-validated deviance (stratified folds), as issue 18 proposed.
    """
    G = len(q.groups)
    order = np.argsort(lambdas)[::-1]
    crit = np.zeros(len(lambdas))
    Zaug = np.column_stack([np.zeros(len(y)), q.Z])
    if select == "laml":
        lower = np.concatenate([[-np.inf], np.zeros(G)])
        start = None
        for i in order:
            fit = fit_question_shrunk(q, y, lambdas[i], start=start)
            start = (fit.intercept, fit.coef)
            crit[i] = laml(Zaug, y, fit, shrink_to_common(G, lambdas[i]), lower)
        best = int(np.argmax(crit))
    elif select == "cv":
        fold = stratified_folds(y, k, seed)
        for f in range(k):
            tr, te = fold != f, fold == f
            sub = QuestionDesign(q.groups, q.Z[tr], q.w0)
            start = None
            for i in order:
                fit = fit_question_shrunk(sub, y[tr], lambdas[i], start=start)
                start = (fit.intercept, fit.coef)
                crit[i] += -2 * loglik(y[te], fit.intercept + Zaug[te] @ fit.coef)
        best = int(np.argmin(crit))
    else:
        raise UsageError(f"select = {select!r}: expected 'laml' (marginal likelihood) or 'cv' (cross-validation)")
    return float(lambdas[best]), dict(zip(map(float, lambdas), map(float, crit), strict=True))
