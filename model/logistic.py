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
    max_rounds : refits allowed while dropping wrong-signed columns.
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
        signs = np.zeros(n_cols) if self.signs is None else np.asarray(self.signs, dtype=float)
        if signs.shape != (n_cols,):
            raise ValueError(f"signs has {signs.size} entries for {n_cols} columns")
        active = np.ones(n_cols, dtype=bool)
        # a column that is all zeros in the data carries no information: keep its effect at zero
        active &= np.abs(X).max(axis=0) > 0
        coef = np.zeros(n_cols)
        rounds = 0
        for rounds in range(1, self.max_rounds + 1):  # noqa: B007 (kept for n_rounds_)
            lr = LogisticRegression(C=self.C, solver="newton-cholesky", max_iter=self.max_iter, tol=self.tol)
            lr.fit(X[:, active], y, sample_weight=sample_weight)
            coef = np.zeros(n_cols)
            coef[active] = lr.coef_[0]
            wrong = active & (signs * coef < 0)
            if not wrong.any():
                break
            active &= ~wrong
        else:
            coef[signs * coef < 0] = 0.0
        self.coef_ = coef[None, :]
        self.intercept_ = lr.intercept_.copy()
        self.active_ = active
        self.n_rounds_ = rounds
        self.n_features_in_ = n_cols
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "coef_")
        X = check_array(X, dtype=np.float64)
        return X @ self.coef_[0] + self.intercept_[0]

    def predict_proba(self, X: Any) -> np.ndarray:
        z = self.decision_function(X)
        p = 1.0 / (1.0 + np.exp(-z))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[(self.decision_function(X) > 0).astype(int)]
