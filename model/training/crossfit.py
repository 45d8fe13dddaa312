"""Cross-fitted training of the odds model on a data file: every row is used, nothing is held out.

Before issue 19, ``exodds train --data`` fitted on 70% of the rows with C = 1, fitted calibration maps
on 10%, chose among them on 10% and reported metrics on the last 10%. On 2,000 rows that wasted 600
rows and left the penalty far too weak for 123 columns. Here instead (``cross_fit``):

1. The rows are split into ``folds`` stratified folds. For every C of a grid (log scale) the model is
   fitted on all folds but one and predicts the one left out: out-of-fold (OOF) linear predictors for
   every row. Fits are warm-started along the path of C (strongest penalty first), so the grid costs
   little more than one fit per fold. C = the grid's lowest OOF log loss.
2. Link (optional, ``links``): the same for each other link; a link other than the first (the logit)
   must beat it by more than ``margin_se`` paired standard errors of the per-row OOF log loss.
3. Interactions (optional, ``max_terms`` > 0): forward selection from
   ``model.odds.interactions.candidate_pool`` (every pair of questions, in ``TERMS`` style). Each
   step ranks the remaining candidates by a score test at the current full-data fit (no refit per
   candidate), then cross-fits the best one: it
   enters only if the OOF log loss falls by more than ``margin_se`` paired SEs. A chosen pair of choice
   questions adds its three-way products to the pool. Stops after ``patience`` rejections in a row;
   then (``refine_pass``) each fine-knot refinement not tried yet is cross-fitted once. A candidate
   whose scoring table would be too large (``model.odds.lookup.MAX_GROUP_ROWS``) is never tried.
4. C is chosen again over the grid with the chosen terms and link.
5. The calibration map (none, sigmoid, isotonic, piecewise) is chosen on the OOF predictions, each map
   itself cross-fitted, with the same margin rule; the chosen map is fitted on all OOF predictions.
6. The final model is fitted on every row: weights over the basis columns plus the chosen terms, an
   intercept, a link and a calibration map. The card's metrics are the OOF predictions' (cross-fitted
   calibration included): each row scored by a model that never saw it.

The range (``bootstrap_members``): models refitted on bootstrap resamples (multinomial row weights, no
copy of the basis) with the chosen penalty, terms, link and calibration, warm-started from the final fit.
It is the sampling spread of this fit only (the "sampling range"; the README gives its coverage of the
truth on the benchmark truths).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.linalg import cho_factor, cho_solve  # type: ignore[import-untyped]  # (no scipy-stubs installed)

from model.numeric import expit
from model.odds.basis import TERMS, Term
from model.odds.interactions import candidate_pool, term_signs, terms_matrix, triple_candidates
from model.odds.lookup import lookup_groups
from model.training.glm import fit_glm, link_mean, logit_of_link, loss_parts

__all__ = [
    "CrossFitResult",
    "CrossFitSettings",
    "bootstrap_members",
    "calibrate",
    "calibrated_p",
    "choose_calibration",
    "cross_fit",
    "stratified_folds",
]

_P_EPS = 1e-12


@dataclass(frozen=True)
class CrossFitSettings:
    folds: int = 0  # 0: 5 folds below 50,000 rows, else 3 (the OOF losses are precise enough, at half the cost)
    C_grid: tuple[float, ...] = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
    links: tuple[str, ...] = ("logit", "cloglog", "probit")  # the first is the default; others by the margin
    max_terms: int = 10  # candidate terms chosen at most (0: none tried)
    patience: int = 4  # rejected candidates in a row before the selection stops
    patience_C: int = 2  # the path over C stops once the OOF loss has risen this many times in a row
    screen_rows: int = 50_000  # the score test ranks candidates on at most this many rows (a fixed sample)
    # after the screened candidates, cross-fit each fine-knot refinement not tried yet (a refinement's
    # score is spread over many columns, so the screen may rank it below the point where patience stops)
    refine_pass: bool = True
    fine_multipliers: tuple[float, ...] = (16.0, 4.0, 1.0)  # penalty multipliers tried for fine knots
    # penalty multipliers tried for the answer-level columns (flags, anger levels) against the shapes
    # (ramps and fades of days and counts); () = one penalty for all
    level_multipliers: tuple[float, ...] = ()
    triples: bool = True  # a chosen pair of choice questions adds its three-way products to the pool
    calibrations: tuple[str, ...] = ("none", "sigmoid", "isotonic", "piecewise")
    margin_se: float = 2.0  # a more complex choice must win by this many paired standard errors
    seed: int = 1126


@dataclass
class CrossFitResult:
    coef: np.ndarray  # over the base columns, then the chosen terms' columns
    intercept: float
    link: str
    C: float
    terms: tuple[Term, ...]  # chosen interaction Terms, in order
    term_names: list[str]  # chosen candidates (pairs/triples of questions)
    calibration: dict[str, Any]  # {"kind", "slope", "offset", "x", "y", "link"}
    oof_eta: np.ndarray  # out-of-fold linear predictor of the final choice
    oof_p: np.ndarray  # out-of-fold probability, cross-fitted calibration included
    card: dict[str, Any] = field(default_factory=dict)
    penalty: np.ndarray | None = None  # per column of X, the L2 weight of the final fit
    X: np.ndarray | None = field(default=None, repr=False)  # the final fit's design
    signs: np.ndarray | None = None


def stratified_folds(y: np.ndarray, k: int, seed: int) -> np.ndarray:
    """A fold number per row, each fold with the same share of 1s (to within a row)."""
    rng = np.random.default_rng([seed, 31337])
    fold = np.empty(len(y), dtype=np.int64)
    for cls in (0, 1):
        idx = np.flatnonzero(y == cls)
        rng.shuffle(idx)
        fold[idx] = (np.arange(len(idx)) + rng.integers(k)) % k
    return fold


def _log_loss_rows(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _P_EPS, 1 - _P_EPS)
    loss: np.ndarray = -(y * np.log(p) + (1 - y) * np.log1p(-p))
    return loss


def _paired_margin(base: np.ndarray, other: np.ndarray) -> float:
    """Mean gain of ``other`` over ``base`` (per-row log loss) in paired standard errors."""
    gain = base - other
    if len(gain) < 2:
        return 0.0
    se = float(gain.std(ddof=1) / np.sqrt(len(gain))) or 1e-300
    return float(gain.mean() / se)


# ------------------------------------------------------------------------------------------------
# Calibration maps on the linear predictor
# ------------------------------------------------------------------------------------------------


def calibrate(kind: str, eta: np.ndarray, y: np.ndarray, link: str) -> dict[str, Any]:
    """Fit a calibration map from the linear predictor ``eta`` (under ``link``) to probabilities.

    - none: p = link_mean(eta)
    - sigmoid: logit p = slope * logit(link_mean(eta)) + offset (Platt scaling on the logit scale)
    - isotonic: p = interp(eta, x, y), a non-decreasing step curve (sklearn's IsotonicRegression)
    """
    if kind == "none":
        return {"kind": "none", "slope": 1.0, "offset": 0.0, "x": None, "y": None, "link": link}
    if kind == "sigmoid":
        z = logit_of_link(eta, link)[:, None]
        fit = fit_glm(z, y, np.zeros(1), 0.0)
        return {
            "kind": "sigmoid",
            "slope": float(fit.coef[0]),
            "offset": fit.intercept,
            "x": None,
            "y": None,
            "link": link,
        }
    if kind == "piecewise":
        # logit p = a monotone piecewise-linear function of the link's log-odds, knots at quantiles of
        # them, slopes >= 0 (straight lines past the outer knots, which may be flat: a floor or a ceiling)
        z = logit_of_link(eta, link)
        knots = np.unique(np.quantile(z, PIECEWISE_QUANTILES))
        fit = fit_glm(_segments(z, knots), y, np.ones(len(knots) + 1), 1e-6)
        far = 100.0
        xs = np.concatenate([[knots[0] - far], knots, [knots[-1] + far]])
        ys = _segments(xs, knots) @ fit.coef + fit.intercept
        return {"kind": "piecewise", "slope": 1.0, "offset": 0.0, "x": xs, "y": ys, "link": link}
    if kind == "isotonic":
        from sklearn.isotonic import IsotonicRegression  # type: ignore[import-untyped]  # (scikit-learn ships no type hints)

        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(eta, y)
        return {
            "kind": "isotonic",
            "slope": 1.0,
            "offset": 0.0,
            "x": np.asarray(iso.X_thresholds_),
            "y": np.asarray(iso.y_thresholds_),
            "link": link,
        }
    raise ValueError(f"unknown calibration {kind!r}")


PIECEWISE_QUANTILES = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)


def _segments(z: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Columns whose non-negative combination is a non-decreasing piecewise-linear function of z: the
    part below the first knot, each span between knots, the part above the last."""
    cols = [np.minimum(z - knots[0], 0.0)]
    cols += [np.clip(z - knots[i - 1], 0.0, knots[i] - knots[i - 1]) for i in range(1, len(knots))]
    cols.append(np.maximum(z - knots[-1], 0.0))
    return np.column_stack(cols)


def calibrated_logit(cal: dict[str, Any], eta: np.ndarray) -> np.ndarray:
    """log-odds after the link and the calibration map (``Calibration.logit`` in the package)."""
    z: np.ndarray
    if cal["kind"] == "piecewise":
        z = np.interp(logit_of_link(eta, cal["link"]), cal["x"], cal["y"])
        return z
    if cal["kind"] == "isotonic":
        p = np.clip(np.interp(eta, cal["x"], cal["y"]), 1e-6, 1 - 1e-6)
        z = np.log(p) - np.log1p(-p)
        return z
    z = cal["slope"] * logit_of_link(eta, cal["link"]) + cal["offset"]
    return z


def calibrated_p(cal: dict[str, Any], eta: np.ndarray) -> np.ndarray:
    out: np.ndarray = expit(calibrated_logit(cal, eta))
    return out


def choose_calibration(
    eta: np.ndarray, y: np.ndarray, fold: np.ndarray, link: str, kinds: tuple[str, ...], margin_se: float
) -> tuple[str, dict[str, float], dict[str, float], dict[str, np.ndarray]]:
    """(chosen, mean log loss of each, each map's gain over none in paired SEs, cross-fitted p of each).

    Each map is fitted on the other folds' OOF predictions and scores its own fold, so no map is judged
    on the rows it was fitted to. A map wins only by more than ``margin_se`` paired SEs over none.
    """
    preds: dict[str, np.ndarray] = {}
    for kind in kinds:
        p = np.empty(len(y))
        for f in np.unique(fold):
            held = fold == f
            cal = calibrate(kind, eta[~held], y[~held], link)
            p[held] = calibrated_p(cal, eta[held])
        preds[kind] = p
    rows = {k: _log_loss_rows(y, p) for k, p in preds.items()}
    losses = {k: float(v.mean()) for k, v in rows.items()}
    margins, chosen = {}, "none"
    for k in kinds:
        if k == "none":
            continue
        margins[k] = _paired_margin(rows["none"], rows[k])
        if margins[k] > margin_se and losses[k] < losses[chosen]:
            chosen = k
    return chosen, losses, margins, preds


# ------------------------------------------------------------------------------------------------
# Cross-fitting
# ------------------------------------------------------------------------------------------------


class _Folds:
    """The K training matrices, kept between steps (built once per design), and warm starts."""

    def __init__(self, X: np.ndarray, y: np.ndarray, fold: np.ndarray):
        self.k = int(fold.max()) + 1
        self.fold, self.y = fold, y
        self.X = X
        self.train = [np.flatnonzero(fold != f) for f in range(self.k)]
        self.held = [np.flatnonzero(fold == f) for f in range(self.k)]
        self.Xt = [X[idx] for idx in self.train]

    def add_columns(self, A: np.ndarray) -> None:
        self.X = np.column_stack([self.X, A])
        self.Xt = [np.column_stack([Xt, A[idx]]) for Xt, idx in zip(self.Xt, self.train, strict=True)]

    def path(
        self,
        signs: np.ndarray,
        Cs: list[float],
        link: str,
        starts: list[tuple[np.ndarray, float]] | None = None,
        patience: int | None = None,
        mult: Any = 1.0,
    ) -> tuple[np.ndarray, list[list[tuple[np.ndarray, float]]]]:
        """OOF linear predictors (rows x len(Cs)) and each fold's fits, warm-started along ``Cs`` in order.

        ``mult`` is the per-column penalty multiplier (or a list of them, one per entry of ``Cs``).
        With ``patience``, the path stops once the OOF log loss has risen ``patience`` times in a row
        past its best (the remaining columns of the result are NaN)."""
        eta = np.full((len(self.y), len(Cs)), np.nan)
        fits: list[list[tuple[np.ndarray, float]]] = [[] for _ in range(self.k)]
        prev: list[tuple[np.ndarray, float] | None] = list(starts) if starts is not None else [None] * self.k
        best, worse = np.inf, 0
        for j, C in enumerate(Cs):
            for f in range(self.k):
                pen = (mult[j] if isinstance(mult, list) else mult) / C
                r = fit_glm(self.Xt[f], self.y[self.train[f]], signs, pen, link=link, start=prev[f])
                fitted = (r.coef, r.intercept)
                prev[f] = fitted
                fits[f].append(fitted)
                eta[self.held[f], j] = self.X[self.held[f]] @ r.coef + r.intercept
            loss = float(_log_loss_rows(self.y, link_mean(eta[:, j], link)).mean())
            if loss < best:
                best, worse = loss, 0
            else:
                worse += 1
                if patience is not None and worse >= patience:
                    break
        return eta, fits


def _score_screen(
    X: np.ndarray,
    y: np.ndarray,
    coef: np.ndarray,
    intercept: float,
    link: str,
    C: float,
    blocks: dict[str, np.ndarray],
) -> dict[str, float]:
    """A z-score per block of candidate columns: how much adding it would lower the loss at the fit
    (coef, intercept), by a score test.

    The candidate's columns are first residualised on the model's non-zero columns and intercept
    (weighted by the fit's Hessian weights), and directions the model already spans are dropped: a
    candidate that repeats a basis term (anger x wronged is one) has nothing left to test. On what is
    left, g' (V + I/C)^-1 g with g the loss gradient and V the residual information is about
    chi-squared with as many degrees of freedom as directions kept; it is returned as a
    Wilson-Hilferty z (comparable across degrees of freedom, no underflow for huge statistics).
    """
    eta = X @ coef + intercept
    _, g, h = loss_parts(eta, y, np.ones(len(y)), link)
    on = np.flatnonzero(coef != 0)
    Xc = np.column_stack([X[:, on], np.ones(len(y))])
    XcW = Xc * h[:, None]
    H = Xc.T @ XcW
    H[np.diag_indices(len(H))] += 1e-8 * float(np.trace(H)) / len(H)
    cf = cho_factor(H)
    out = {}
    for name, T in blocks.items():
        B = cho_solve(cf, XcW.T @ T)  # weighted regression of T on the model's columns
        R = T - Xc @ B
        V = R.T @ (R * h[:, None])
        scale = float(np.max(np.einsum("ij,ij->j", T, T * h[:, None]))) or 1.0
        e, U = np.linalg.eigh(V)
        keep = e > 1e-6 * scale
        if not keep.any():
            out[name] = -np.inf
            continue
        gr = U[:, keep].T @ (R.T @ g)
        stat = float(np.sum(gr * gr / (e[keep] + 1.0 / C)))
        df = int(keep.sum())
        a = 2.0 / (9.0 * df)
        out[name] = float(((stat / df) ** (1.0 / 3.0) - (1.0 - a)) / np.sqrt(a))
    return out


def cross_fit(
    X: np.ndarray,
    y: np.ndarray,
    signs: np.ndarray,
    variables: dict[str, np.ndarray] | None = None,
    settings: CrossFitSettings = CrossFitSettings(),
    *,
    log: Any = None,
) -> CrossFitResult:
    """Choose penalty, link, interaction terms and calibration by cross-fitting; fit on every row.

    ``X`` is the base basis (``basis_matrix``), ``signs`` its sign vector, ``variables`` the feature
    variables (FeatureExtractor's columns as arrays; needed only when ``max_terms`` > 0).
    """
    say = log or (lambda msg: None)
    t0 = time.perf_counter()
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    k = settings.folds or (5 if n < 50_000 else 3)
    fold = stratified_folds(y.astype(int), k, settings.seed)
    Cs = sorted(settings.C_grid)  # smallest C (strongest penalty) first: warm starts go one way
    folds = _Folds(X, y, fold)
    card: dict[str, Any] = {"folds": k, "steps": []}

    def best_of(eta: np.ndarray, link: str) -> tuple[int, np.ndarray, list[float]]:
        done = [j for j in range(eta.shape[1]) if not np.isnan(eta[0, j])]
        losses = {j: _log_loss_rows(y, link_mean(eta[:, j], link)) for j in done}
        means = [float(losses[j].mean()) if j in losses else float("nan") for j in range(eta.shape[1])]
        j = min(done, key=lambda i: means[i])
        return j, losses[j], means

    # 1-2. C for each link; the first link unless another wins by the margin
    per_link: dict[str, tuple[int, np.ndarray, np.ndarray, list[tuple[np.ndarray, float]]]] = {}
    for i, link in enumerate(settings.links):
        # the first link walks the whole grid (until the loss has risen twice); the others only the
        # chosen C's neighbours (the best C hardly depends on the link), warm-started from the first's fits
        if i == 0:
            grid, starts0 = Cs, None
        else:
            j0 = per_link[settings.links[0]][0]
            grid = Cs[max(j0 - 1, 0) : j0 + 2]
            starts0 = None
        eta, fits = folds.path(signs, grid, link, starts=starts0, patience=settings.patience_C)
        j, rows_loss, means = best_of(eta, link)
        per_link[link] = (Cs.index(grid[j]), rows_loss, eta[:, j], [fits[f][j] for f in range(folds.k)])
        card["steps"].append(
            {"step": f"C path, link {link}", "oof_log_loss": dict(zip(map(str, grid), means, strict=True))}
        )
        say(f"link {link}: OOF log loss by C " + ", ".join(f"{C:g} {m:.5f}" for C, m in zip(grid, means, strict=True)))
    link = settings.links[0]
    margins = {}
    for other in settings.links[1:]:
        margins[other] = _paired_margin(per_link[link][1], per_link[other][1])
    for other, m in margins.items():
        if m > settings.margin_se and per_link[other][1].mean() < per_link[link][1].mean():
            link = other
    card["link"] = {"chosen": link, "gain_over_logit_in_standard_errors": margins}
    j, loss_rows, eta_oof, starts = per_link[link]
    C = Cs[j]

    # 3. interaction terms, forward
    chosen_terms: tuple[Term, ...] = ()
    chosen_names: list[str] = []
    cur_signs = signs
    mult = np.ones(X.shape[1])  # per column, the multiplier of the penalty 1/C
    if settings.level_multipliers:
        level = np.concatenate(
            [np.full(len(t.column_names()), t.kind == "flag" or t.feature == "anger") for t in TERMS]
        )  # (level_multipliers: tried, off by default)
        tries = [1.0] + [m for m in settings.level_multipliers if m != 1.0]
        mults = [np.where(level, m, 1.0) for m in tries]
        eta, fits = folds.path(signs, [C] * len(tries), link, starts=starts, mult=mults)
        jm, rows_m, means = best_of(eta, link)
        card["steps"].append(
            {"step": "level multiplier", "oof_log_loss": dict(zip(map(str, tries), means, strict=True))}
        )
        mult = mults[jm]
        loss_rows, eta_oof = rows_m, eta[:, jm]
        starts = [fits[f][jm] for f in range(folds.k)]
    if settings.max_terms > 0:
        if variables is None:
            raise ValueError("interaction terms need the feature variables")
        pool = dict(candidate_pool())
        full = fit_glm(folds.X, y, cur_signs, 1.0 / C, link=link)
        rejected_in_row = 0
        tried: set[str] = set()
        sub = np.sort(np.random.default_rng([settings.seed, 17]).permutation(n)[: settings.screen_rows])
        sub_vars = {k_: v[sub] for k_, v in variables.items()}
        cache: dict[str, np.ndarray] = {}

        def fits_tables(ts: tuple[Term, ...]) -> bool:
            """Whether scoring tables can hold the chosen terms and these (else the model would score
            through its basis, several times slower)."""
            try:
                lookup_groups(chosen_terms + ts)
            except ValueError:
                return False
            return True

        def candidates() -> Iterator[tuple[str, float]]:
            """The next candidate to cross-fit: the best by the score test, until ``patience``
            rejections in a row; then (``refine_pass``) each refinement not tried yet."""
            while len(chosen_names) < settings.max_terms and rejected_in_row < settings.patience:
                for name, ts in pool.items():
                    if name not in cache:
                        cache[name] = terms_matrix(ts, sub_vars, len(sub))
                blocks = {
                    k_: v
                    for k_, v in cache.items()
                    if k_ not in tried and np.abs(v).max() > 0 and fits_tables(pool[k_])
                }
                if not blocks:
                    break
                # the full-data fit, scored on the sample's rows (the sample's share of the penalty)
                scores = _score_screen(folds.X[sub], y[sub], full.coef, full.intercept, link, C * n / len(sub), blocks)
                name = max(scores, key=scores.__getitem__)
                tried.add(name)
                yield name, scores[name]
            if settings.refine_pass:
                for name in [k_ for k_ in pool if k_.endswith(" fine") and k_ not in tried and fits_tables(pool[k_])]:
                    if len(chosen_names) >= settings.max_terms:
                        break
                    tried.add(name)
                    yield name, float("nan")

        for name, score in candidates():
            scores = {name: score}
            A = terms_matrix(pool[name], variables, n)
            trial_signs = np.concatenate([cur_signs, term_signs(pool[name])])
            trial = _Folds.__new__(_Folds)
            trial.__dict__.update(folds.__dict__)
            trial.add_columns(A)
            warm = [(np.concatenate([c, np.zeros(A.shape[1])]), b) for c, b in starts]
            # a refinement (fine knots) is tried with a stronger penalty on its own columns too
            tries = list(settings.fine_multipliers) if name.endswith(" fine") else [1.0]
            mults = [np.concatenate([mult, np.full(A.shape[1], m)]) for m in tries]
            eta, fits = trial.path(trial_signs, [C] * len(tries), link, starts=warm, mult=mults)
            jm, rows_new, _ = best_of(eta, link)
            eta = eta[:, [jm]]
            fits = [[fl[jm]] for fl in fits]
            m = _paired_margin(loss_rows, rows_new)
            ok = m > settings.margin_se
            card["steps"].append(
                {
                    "step": f"term {name}",
                    "score_z": scores[name],
                    "gain_se": m,
                    "penalty_multiplier": tries[jm],
                    "oof_log_loss": float(rows_new.mean()),
                    "accepted": ok,
                }
            )
            say(f"term {name}: score z {scores[name]:.1f}, OOF gain {m:.2f} SE -> {'in' if ok else 'out'}")
            if not ok:
                rejected_in_row += 1
                continue
            rejected_in_row = 0
            folds = trial
            cur_signs = trial_signs
            mult = mults[jm]
            chosen_terms += pool[name]
            chosen_names.append(name)
            loss_rows, eta_oof = rows_new, eta[:, 0]
            starts = [fits[f][0] for f in range(folds.k)]
            full = fit_glm(
                folds.X,
                y,
                cur_signs,
                mult / C,
                link=link,
                start=(np.concatenate([full.coef, np.zeros(A.shape[1])]), full.intercept),
            )
            if settings.triples:
                pool.update({k: v for k, v in triple_candidates(name, pool).items() if k not in pool})
        # 4. C again, with the chosen terms
        if chosen_names:
            j0 = Cs.index(C)
            grid = Cs[max(j0 - 1, 0) : j0 + 2]
            eta, fits = folds.path(cur_signs, grid, link, starts=starts, mult=mult)
            j, loss_rows, means = best_of(eta, link)
            C, eta_oof = grid[j], eta[:, j]
            card["steps"].append(
                {"step": "C with terms", "oof_log_loss": dict(zip(map(str, grid), means, strict=True))}
            )
    card["terms"] = chosen_names
    card["C"] = C

    # 5. calibration
    cal_kind, cal_losses, cal_margins, cal_preds = choose_calibration(
        eta_oof, y, fold, link, settings.calibrations, settings.margin_se
    )
    cal = calibrate(cal_kind, eta_oof, y, link)
    card["calibration"] = {
        "chosen": cal_kind,
        "oof_log_loss": cal_losses,
        "gain_over_none_in_standard_errors": cal_margins,
    }
    # 6. the final fit on every row
    final = fit_glm(folds.X, y, cur_signs, mult / C, link=link)
    card["final_fit"] = {
        "iterations": final.iterations,
        "kkt_violation": final.kkt,
        "columns": int(folds.X.shape[1]),
        "nonzero": int((final.coef != 0).sum()),
    }
    card["seconds"] = round(time.perf_counter() - t0, 2)
    say(f"chose C {C:g}, link {link}, terms {chosen_names}, calibration {cal_kind}; {card['seconds']} s")
    res = CrossFitResult(
        coef=final.coef,
        intercept=final.intercept,
        link=link,
        C=C,
        terms=chosen_terms,
        term_names=chosen_names,
        calibration=cal,
        oof_eta=eta_oof,
        oof_p=cal_preds[cal_kind],
        card=card,
    )
    res.penalty = mult / C
    res.X = folds.X  # the design of the final fit (base basis, then the chosen terms), for the members
    res.signs = cur_signs
    return res


def design(res: CrossFitResult, X: np.ndarray, variables: dict[str, np.ndarray] | None) -> np.ndarray:
    """Base basis plus the chosen terms' columns, for new rows."""
    if not res.terms:
        return X
    if variables is None:
        raise ValueError("interaction terms need the feature variables")
    return np.column_stack([X, terms_matrix(res.terms, variables, len(X))])


def _member(
    X: np.ndarray,
    y: np.ndarray,
    signs: np.ndarray,
    penalty: np.ndarray,
    link: str,
    start: tuple[np.ndarray, float],
    seed: int,
    i: int,
) -> tuple[np.ndarray, float]:
    n = len(y)
    rng = np.random.default_rng([seed, 104729, i])
    w = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
    r = fit_glm(X, y, signs, penalty, link=link, sample_weight=w, start=start)
    return r.coef, r.intercept


def bootstrap_members(
    res: CrossFitResult, y: np.ndarray, members: int, seed: int, n_jobs: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """(coef per member, intercept per member): the final fit redone on bootstrap resamples (row weights
    drawn from a multinomial, so the basis is never copied), same penalty, terms and link,
    warm-started from the final fit."""
    if members == 0:
        return np.zeros((0, len(res.coef))), np.zeros(0)
    from joblib import Parallel, delayed  # type: ignore[import-untyped]  # (joblib ships no type hints)

    y = np.asarray(y, dtype=np.float64)
    out = Parallel(n_jobs=n_jobs)(
        delayed(_member)(res.X, y, res.signs, res.penalty, res.link, (res.coef, res.intercept), seed, i)
        for i in range(members)
    )
    return np.vstack([c for c, _ in out]), np.array([b for _, b in out])
