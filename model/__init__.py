"""exodds: odds that a breakup is reversed, as one guide's assumptions see them.

Heavy parts (the trained model, reports) load on first use, so importing the
package and running quick commands stays fast.
"""

from __future__ import annotations

from typing import Any

from model.features import FEATURES, FeatureExtractor
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
    "validate_answers",
    "validate_frame",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "load_model":
        from model.predict import load_model

        return load_model
    raise AttributeError(f"module 'model' has no attribute {name!r}")
