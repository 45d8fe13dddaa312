"""Logistic regression whose marked coefficients cannot take the wrong sign.

The guide only ever says that more ignored attempts, a block, more anger or a
request to stop *lower* the odds. With a basis of rising ramps (see
``model.odds.basis``) that claim is a sign constraint on coefficients. We keep
scikit-learn's ``LogisticRegression`` as the solver and enforce the signs by
an active set: fit, drop the columns whose coefficient has the wrong sign
(their effect is then exactly zero, the boundary of the constraint), refit,
until no coefficient is on the wrong side. Dropping a ramp merges two
neighbouring steps, the pool-adjacent idea of isotonic regression. A column
dropped early is re-admitted when the loss gradient then pulls it the allowed
way (once each), which in practice reaches the constrained optimum.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin  # type: ignore[import-untyped]  # (scikit-learn ships no type hints)
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.utils.validation import check_array, check_is_fitted, check_X_y  # type: ignore[import-untyped]

from model.numeric import expit

__all__ = ["SignConstrainedLogisticRegression"]


class SignConstrainedLogisticRegression(ClassifierMixin, BaseEstimator):  # type: ignore[misc]  # (scikit-learn's bases are untyped)
    """``LogisticRegression`` with ``signs[j] == -1`` forcing ``coef_[j] <= 0``.

    Parameters
    ----------
    signs : array of -1, 0 or +1 per column, or None for no constraint.
    C : inverse L2 strength, as in ``LogisticRegression``.
    """

    def __init__(self, signs: Any = None, C: float = 1.0, max_iter: int = 200, tol: float = 1e-6):
        self.signs = signs
        self.C = C
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> SignConstrainedLogisticRegression:
        X, y = check_X_y(X, y, dtype=np.float64)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(f"need two outcome classes to fit, got {self.classes_.tolist()}")
        n_cols = X.shape[1]
        self._check_params()
        signs = np.zeros(n_cols) if self.signs is None else np.asarray(self.signs, dtype=float)
        if signs.shape != (n_cols,):
            raise ValueError(f"signs has {signs.size} entries for {n_cols} columns")
        bad = np.flatnonzero(~np.isin(signs, (-1.0, 0.0, 1.0)))
        if bad.size:
            raise ValueError(f"signs[{bad[0]}] = {float(signs[bad[0]])!r}: each sign must be -1, 0 or 1")
        active = np.ones(n_cols, dtype=bool)
        # a column that is all zeros in the data carries no information: keep its effect at zero
        active &= np.abs(X).max(axis=0) > 0
        usable = active.copy()
        lr, coef, rounds = self._drop_wrong_signs(X, y, sample_weight, active, signs, 0)
        # A column dropped early may belong in the model once others are gone: re-admit the one whose
        # loss gradient most wants it to move the allowed way (one at a time, each at most once, so
        # this ends), until none does. On every problem tried (a test, and 70 random ones in review)
        # this reaches the constrained optimum; the once-each bound means it is not a proof of it.
        readmitted = np.zeros(n_cols, dtype=bool)
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        kkt_tol = 1e-6 * self.C * float(w.sum())  # (the loss term's scale)
        while True:
            p = expit(X @ coef + lr.intercept_[0])
            grad = self.C * (X.T @ (w * (p - (y == self.classes_[1])))) + coef
            want = usable & ~active & ~readmitted & (signs * grad < -kkt_tol)
            if not want.any():
                break
            j = int(np.argmin(np.where(want, signs * grad, np.inf)))
            readmitted[j] = active[j] = True
            lr, coef, rounds = self._drop_wrong_signs(X, y, sample_weight, active, signs, rounds)
        self.coef_ = coef[None, :]
        self.intercept_ = lr.intercept_.copy()
        self.active_ = active
        self.n_rounds_ = rounds
        self.n_features_in_ = n_cols
        return self

    def _drop_wrong_signs(
        self, X: np.ndarray, y: np.ndarray, sample_weight: Any, active: np.ndarray, signs: np.ndarray, rounds: int
    ) -> tuple[Any, np.ndarray, int]:
        """Fit on ``active`` (changed in place), dropping wrong-signed columns and refitting until none is
        left (each round drops one or more, so this ends); coef and intercept come from one fit."""
        while True:
            lr, coef = self._fit_active(X, y, sample_weight, active)
            rounds += 1
            wrong = active & (signs * coef < 0)
            if not wrong.any():
                return lr, coef, rounds
            active &= ~wrong

    def _check_params(self) -> None:
        for name, low in (("max_iter", 1),):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"{name} = {value!r}: expected a whole number >= {low}")
        if isinstance(self.C, bool) or not isinstance(self.C, (int, float)) or not np.isfinite(self.C) or self.C <= 0:
            raise ValueError(f"C = {self.C!r}: expected a positive number")

    def _fit_active(
        self, X: np.ndarray, y: np.ndarray, sample_weight: Any, active: np.ndarray
    ) -> tuple[Any, np.ndarray]:
        lr = LogisticRegression(C=self.C, solver="newton-cholesky", max_iter=self.max_iter, tol=self.tol)
        lr.fit(X[:, active], y, sample_weight=sample_weight)
        coef = np.zeros(X.shape[1])
        coef[active] = lr.coef_[0]
        return lr, coef

    def decision_function(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "coef_")
        X = check_array(X, dtype=np.float64)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} columns, but this model was fitted on {self.n_features_in_}")
        z: np.ndarray = X @ self.coef_[0] + self.intercept_[0]
        return z

    def predict_proba(self, X: Any) -> np.ndarray:
        z = self.decision_function(X)
        p = expit(z)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        label: np.ndarray = self.classes_[(self.decision_function(X) > 0).astype(int)]
        return label
