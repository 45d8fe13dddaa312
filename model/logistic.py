"""Logistic regression whose marked coefficients cannot take the wrong sign.

The guide only ever says that more ignored attempts, a block, more anger or a
request to stop *lower* the odds. With a basis of rising ramps (see
``model.basis``) that claim is a sign constraint on coefficients. We keep
scikit-learn's ``LogisticRegression`` as the solver and enforce the signs by
an active set: fit, drop the columns whose coefficient has the wrong sign
(their effect is then exactly zero, the boundary of the constraint), refit,
until no coefficient is on the wrong side. Dropping a ramp merges two
neighbouring steps, the pool-adjacent idea of isotonic regression.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_array, check_is_fitted, check_X_y

__all__ = ["SignConstrainedLogisticRegression"]


class SignConstrainedLogisticRegression(ClassifierMixin, BaseEstimator):
    """``LogisticRegression`` with ``signs[j] == -1`` forcing ``coef_[j] <= 0``.

    Parameters
    ----------
    signs : array of -1, 0 or +1 per column, or None for no constraint.
    C : inverse L2 strength, as in ``LogisticRegression``.
    max_rounds : refits that drop one batch of wrong-signed columns each; past them, the rest are
        dropped the same way until none is left (``n_rounds_`` counts every fit).
    """

    def __init__(self, signs: Any = None, C: float = 1.0, max_iter: int = 200, max_rounds: int = 30,
                 tol: float = 1e-6):
        self.signs = signs
        self.C = C
        self.max_iter = max_iter
        self.max_rounds = max_rounds
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
        coef = np.zeros(n_cols)
        rounds = 0
        for rounds in range(1, self.max_rounds + 1):  # noqa: B007 (kept for n_rounds_)
            lr, coef = self._fit_active(X, y, sample_weight, active)
            wrong = active & (signs * coef < 0)
            if not wrong.any():
                break
            active &= ~wrong
        else:  # out of rounds: keep dropping and refitting (each drop removes a column, so this ends),
            # so that coef_ and intercept_ always come from one fit with no wrong sign
            while wrong.any():
                lr, coef = self._fit_active(X, y, sample_weight, active)
                rounds += 1
                wrong = active & (signs * coef < 0)
                active &= ~wrong
        self.coef_ = coef[None, :]
        self.intercept_ = lr.intercept_.copy()
        self.active_ = active
        self.n_rounds_ = rounds
        self.n_features_in_ = n_cols
        return self

    def _check_params(self) -> None:
        for name, low in (("max_rounds", 1), ("max_iter", 1)):
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
        return X @ self.coef_[0] + self.intercept_[0]

    def predict_proba(self, X: Any) -> np.ndarray:
        z = self.decision_function(X)
        p = 1.0 / (1.0 + np.exp(-z))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[(self.decision_function(X) > 0).astype(int)]
