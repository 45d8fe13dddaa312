"""Old module paths, importable for a while after the package moved to subpackages (issue 17).

Why: a model's ``model.joblib`` pickles its classes by the module they were defined in
(``model.estimators.FeatureExtractor``, ``model.predict.OddsModel``), and user code may import
the old paths. One table says where each went and until when the old path works, like
scikit-learn's ``deprecated_modules``; using an old path warns (``FutureWarning``) and names the
new one. Delete a row, and this comment's date with it, once its day has passed.
"""

from __future__ import annotations

import importlib
import sys
import types
import warnings
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from importlib.abc import Loader

__all__ = ["MOVED", "UNTIL", "install"]

#: The day the old paths stop working (every row was moved on the same day, 2026-12-07).
UNTIL = "2027-06-30"

#: old module -> (the module most of its names went to, {name: another module for that name}).
MOVED: dict[str, tuple[str, dict[str, str]]] = {
    "model.validation": ("model.quiz.validation", {}),
    "model.synthetic": ("model.truth.generator", {}),
    "model.features": (
        "model.odds.features",
        {
            "FeatureExtractor": "model.training.estimators",
            "FEATURES": "model.training.variables",
            "features_markdown": "model.training.variables",
        },
    ),
    "model.basis": ("model.odds.basis", {"GuideBasis": "model.training.estimators"}),
    "model.predict": (
        "model.odds.runtime",
        {
            **dict.fromkeys(
                (
                    "load_model",
                    "default_model_dir",
                    "model_weights",
                    "model_from_weights",
                    "sha256_file",
                    "ARTIFACT",
                    "CARD",
                    "WEIGHTS",
                    "REBUILD_COMMAND",
                ),
                "model.odds.artifacts",
            ),
            "Calibration": "model.odds.calibration",
            "PERCENTILES": "model.odds.calibration",
            "ModelLoadError": "model.errors",
            "top_factors": "model.odds.explain",
            "stale_assumptions_warning": "model.truth.assumptions",
        },
    ),
    "model.estimators": ("model.training.estimators", {}),
    "model.logistic": ("model.training.logistic", {}),
    "model.train": ("model.training.train", {}),
    "model.train_settings": ("model.training.settings", {}),
    "model.metrics": ("model.training.metrics", {}),
    "model.evaluate": ("model.training.evaluate", {}),
    "model.rules": ("model.plan.rules", {}),
    "model.advice": ("model.plan.decide", dict.fromkeys(("Plan", "make_plan", "block_where"), "model.plan.words")),
    "model.factors": ("model.report.factors", {}),
    "model.render": ("model.report.render", {}),
    "model.readers": ("model.batch.readers", {}),
    "model.blocks": ("model.batch.blocks", {}),
    "model.sinks": ("model.batch.sinks", {}),
    "model.mapping": ("model.batch.mapping", {}),
}


def _target(old: str, name: str) -> Any:
    module, names = MOVED[old]
    return getattr(importlib.import_module(names.get(name, module)), name)


class _Finder:
    """Answers an import of an old path with a small module whose names come from the new place (a
    meta path finder and loader by protocol: importing importlib.abc would cost every start 15 ms)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in MOVED:
            return None
        from importlib.machinery import ModuleSpec

        return ModuleSpec(fullname, cast("Loader", self))  # a loader by protocol, see the class docstring

    def create_module(self, spec: Any) -> types.ModuleType | None:
        return None  # the default module object; exec_module fills it

    def exec_module(self, module: types.ModuleType) -> None:
        old = module.__name__
        new = MOVED[old][0]
        warnings.warn(f"{old} has moved to {new} (the old name works until {UNTIL})", FutureWarning, stacklevel=2)
        module.__dict__["__getattr__"] = lambda name: _target(old, name)
        module.__doc__ = f"Moved to {new}; this name works until {UNTIL}."


def install() -> None:
    """Idempotent: one finder, at the end of ``sys.meta_path`` (real modules always win)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
