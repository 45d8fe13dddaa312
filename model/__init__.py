"""exodds: odds that a breakup is reversed, as one guide's assumptions see them.

Why lazy: ``import model`` and ``exodds --help`` must stay instant, so the public names below are
looked up on first use (PEP 562) and nothing heavy (pandas, numpy, scikit-learn, pyarrow) is
imported until a name that needs it is. The subpackages, lowest layer first:

    errors, io          the exception tree; files in and out
    quiz                the questions, how they are shown, validation
    truth | odds | plan the synthetic generator | scoring a trained model | the guide's plan
    report | batch      one answer set's report | many rows through a file
    training            fitting and evaluating a model (the only place scikit-learn is imported)
    web | cli | explore the web quiz | the command line | what the notebooks share
"""

from __future__ import annotations

import importlib
from typing import Any

from model import moved

__version__ = "0.1.0"

#: public name -> the module that defines it
_PUBLIC: dict[str, str] = {
    "ExoddsError": "model.errors",
    "AnswersError": "model.errors",
    "QUIZ": "model.quiz.definition",
    "load_quiz": "model.quiz.definition",
    "Problem": "model.quiz.validation",
    "validate_answers": "model.quiz.validation",
    "validate_frame": "model.quiz.validation",
    "FEATURES": "model.training.variables",
    "load_model": "model.odds.artifacts",
    "build_report": "model.report.build",
    "render": "model.report.render",
    "score_frame": "model.batch.core",
    "score_file": "model.batch.pipeline",
    "FeatureExtractor": "model.training.estimators",
}

__all__ = sorted(_PUBLIC)

moved.install()


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value  # looked up once
        return value
    raise AttributeError(f"module 'model' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
