"""exodds: odds that a breakup is reversed, as one guide's assumptions see them.

Heavy parts (the trained model, reports) load on first use, so importing the
package and running quick commands stays fast.
"""

from __future__ import annotations

from typing import Any

from model.quiz import QUIZ, load_quiz
from model.validation import AnswersError, Problem, validate_answers, validate_frame

__all__ = [
    "FEATURES",
    "QUIZ",
    "AnswersError",
    "FeatureExtractor",
    "Problem",
    "load_model",
    "load_quiz",
    "score_file",
    "score_frame",
    "validate_answers",
    "validate_frame",
]

__version__ = "0.1.0"


_LAZY = {
    "load_model": "model.predict",
    "FeatureExtractor": "model.estimators",
    "FEATURES": "model.features",
    "score_frame": "model.batch",
    "score_file": "model.batch",
}


def __getattr__(name: str) -> Any:
    """scikit-learn takes a second to import: load it when a command needs it, not for every command."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'model' has no attribute {name!r}")
