"""The scikit-learn faces of the features and the basis, for training and sklearn-minded users.

Kept apart from ``model.odds.features`` and ``model.odds.basis`` so that scoring, which
reads a model's weights and computes the same things with NumPy, starts
without importing scikit-learn (most of a second and about 80 MB).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin  # type: ignore[import-untyped]  # (scikit-learn ships no type hints)
from sklearn.utils.validation import check_is_fitted  # type: ignore[import-untyped]

from model.errors import AnswersError
from model.numeric import expit
from model.odds.basis import TERMS, basis_matrix, column_names
from model.odds.features import VARIABLES
from model.quiz.validation import Problem, validate_frame
from model.training.variables import FEATURES, variables_from_clean

__all__ = ["FeatureExtractor", "FittedOdds", "GuideBasis"]


class FeatureExtractor(TransformerMixin, BaseEstimator):  # type: ignore[misc]  # (scikit-learn's bases are untyped)
    """Quiz answers -> numeric variables, as a scikit-learn transformer.

    ``transform`` validates raw answers first (lenient about form-export
    spelling, strict about meaning) and raises ``AnswersError`` naming every
    bad value; pass ``validate=False`` for frames that are already clean.
    """

    def __init__(self, validate: bool = True, as_of: Any = None):
        self.validate = validate
        self.as_of = as_of

    def fit(self, X: pd.DataFrame, y: Any = None) -> FeatureExtractor:
        self._check_frame(X)
        self.feature_names_in_ = np.array([c for c in X.columns], dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "n_features_in_")
        self._check_frame(X)
        clean = X
        if self.validate:
            result = validate_frame(X, self.as_of, extra="ignore")
            if result.n_rejected:
                first = result.problems.head(50).itertuples(index=False, name=None)
                raise AnswersError([Problem(*t) for t in first], total=len(result.problems))
            clean = result.clean
        return variables_from_clean(clean)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array(list(FEATURES), dtype=object)

    @staticmethod
    def _check_frame(X: Any) -> None:
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"FeatureExtractor expects a pandas DataFrame of quiz answers, got {type(X).__name__}")


class GuideBasis(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Variables (``FeatureExtractor`` output) -> basis columns on fixed knots.

    Stateless apart from checking its input: fixed knots mean every model of
    an ensemble shares one basis, so batch scoring computes it once. ``terms`` are interaction terms
    chosen in training (``model.odds.interactions``), appended to ``TERMS``.
    """

    def __init__(self, terms: tuple[Any, ...] = ()):
        self.terms = terms

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A pickle from before interaction terms has no ``terms``: it had none (scikit-learn's
        ``get_params`` and ``repr`` read the attribute)."""
        self.__dict__.update({"terms": (), **state})

    def _terms(self) -> tuple[Any, ...]:
        return TERMS + tuple(self.terms)

    def fit(self, X: pd.DataFrame, y: Any = None) -> GuideBasis:
        self._check(X)
        self.n_features_in_ = X.shape[1]
        self.feature_names_in_ = np.asarray(list(X.columns), dtype=object)
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "n_features_in_")
        self._check(X)
        cols = {name: X[name].to_numpy(dtype=np.float64) for name in X.columns}
        return basis_matrix(cols, len(X), self._terms())

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(column_names(self._terms()), dtype=object)

    @staticmethod
    def _check(X: Any) -> None:
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"GuideBasis expects the FeatureExtractor's DataFrame, got {type(X).__name__}")
        missing = [c for c in VARIABLES if c not in X.columns]
        if missing:
            raise ValueError(f"GuideBasis input lacks variables: {', '.join(missing)}")


class FittedOdds(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Basis columns -> probabilities with fixed weights, intercept and calibration (link and map): the
    last step of a cross-fitted model's pipeline (``model.training.train.crossfit_pipeline``). Fitted
    already: its ``fit`` changes nothing, the weights come from ``model.training.crossfit``."""

    def __init__(self, coef: Any = None, intercept: float = 0.0, calibration: Any = None):
        self.coef = coef
        self.intercept = intercept
        self.calibration = calibration

    @property
    def classes_(self) -> np.ndarray:
        return np.array([0, 1])

    def __sklearn_is_fitted__(self) -> bool:
        return self.coef is not None

    def fit(self, X: Any = None, y: Any = None) -> FittedOdds:
        """Nothing to learn (scikit-learn asks for fit): the weights were chosen by cross-fitting."""
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        out: np.ndarray = self.calibration.logit(np.asarray(X, dtype=np.float64) @ self.coef + self.intercept)
        return out

    def predict_proba(self, X: Any) -> np.ndarray:
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        return (self.decision_function(X) > 0).astype(int)
