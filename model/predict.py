"""The trained odds model: load it safely, predict, explain.

A model is a calibrated scikit-learn pipeline plus an ensemble whose spread
says how much the odds depend on the assumptions (or, for a model trained on
a given file, on the sample). Everything in it is linear in one shared basis,
so prediction computes the basis once and applies every member as one matrix
product: that is what keeps batch scoring near I/O speed.

joblib runs code when it loads a file, so ``load_model`` checks the file's
SHA-256 against its model card and the scikit-learn version before loading.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.basis import basis_matrix, basis_signature, column_owners
from model.features import features_from_clean
from model.quiz import QUIZ
from model.validation import AnswersError, validate_frame

__all__ = ["REBUILD_COMMAND", "ModelLoadError", "OddsModel", "default_model_dir", "load_model"]

ARTIFACT = "model.joblib"
CARD = "model_card.json"
REBUILD_COMMAND = "exodds train --default"
CHUNK = 16_384  # rows per basis block: small enough that memory is reused, not faulted in anew
PERCENTILES = (10, 90)


class ModelLoadError(RuntimeError):
    """A model file that is missing, damaged, tampered with or built for other software."""


@dataclass
class Calibration:
    """Map from the logistic model's log-odds to calibrated probabilities."""

    kind: str  # "none", "sigmoid" or "isotonic"
    slope: float = 1.0
    offset: float = 0.0
    x: np.ndarray | None = None
    y: np.ndarray | None = None

    def logit(self, z: np.ndarray) -> np.ndarray:
        if self.kind == "isotonic":
            p = np.clip(np.interp(z, self.x, self.y), 1e-6, 1 - 1e-6)
            return np.log(p) - np.log1p(-p)
        return self.slope * z + self.offset


def _expit(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


@dataclass
class OddsModel:
    """Calibrated logistic odds with an ensemble range and per-question explanations."""

    pipeline: Any  # the calibrated scikit-learn estimator, for sklearn-minded users
    coef: np.ndarray
    intercept: float
    calibration: Calibration
    member_coef: np.ndarray  # (members, columns)
    member_intercept: np.ndarray
    member_calibration: list[Calibration]
    range_kind: str  # "assumptions" or "bootstrap"
    reference: np.ndarray  # mean basis row of the training data: explanations are relative to it
    card: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        sha = self.card.get("artifact_sha256", "unsaved")
        return f"exodds-{self.card.get('exodds_version', '0')}+{sha[:12]}"

    # -- prediction ---------------------------------------------------------
    def predict(self, answers: pd.DataFrame, as_of: Any = None) -> pd.DataFrame:
        """Odds for raw answers; raises ``AnswersError`` listing every problem."""
        return self.predict_clean(self._clean(answers, as_of))

    def predict_clean(self, clean: pd.DataFrame) -> pd.DataFrame:
        """Odds for answers that passed ``validate_frame``: reversal_odds, odds_low, odds_high."""
        return self.score_clean(clean, explain=False)[0]

    def explain(self, answers: pd.DataFrame, as_of: Any = None) -> pd.DataFrame:
        """Per question, its contribution to the log-odds (see ``explain_clean``)."""
        return self.explain_clean(self._clean(answers, as_of))

    def explain_clean(self, clean: pd.DataFrame) -> pd.DataFrame:
        """One column per quiz question plus ``intercept`` (and ``calibration`` for isotonic).

        Contributions are on the calibrated log-odds scale, relative to the
        average training respondent; positive raises the odds. Each basis
        column counts under one question (``model.basis.TERMS`` says which),
        and the row sums to the log-odds of ``reversal_odds`` exactly.
        """
        return self.score_clean(clean, explain=True)[1]

    def score_clean(self, clean: pd.DataFrame, explain: bool = True) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """Odds and (optionally) explanations in one pass over the basis.

        The basis is built in blocks of ``CHUNK`` rows and multiplied once by
        every weight vector at the same time: the main model, each ensemble
        member and, for explanations, one column per question.
        """
        W, n_members, owners = self._weights()
        n = len(clean)
        odds = np.empty((n, 3))
        expl = np.empty((n, len(owners) + 2)) if explain else None
        base = self.intercept + float(self.reference @ self.coef)
        scale = 1.0 if self.calibration.kind == "isotonic" else self.calibration.slope
        for start in range(0, n, CHUNK):
            stop = min(start + CHUNK, n)
            Z = self._basis(clean.iloc[start:stop]) @ W
            z = Z[:, 0] + self.intercept
            logit = self.calibration.logit(z)
            main = _expit(logit)
            lo, hi = self._member_range(np.ascontiguousarray(Z[:, 1 : 1 + n_members]) + self.member_intercept)
            odds[start:stop] = np.column_stack([main, np.minimum(lo, main), np.maximum(hi, main)])
            if explain:
                contrib = (Z[:, 1 + n_members :] - self._reference_contrib) * scale
                expl[start:stop, : len(owners)] = contrib
                if self.calibration.kind == "isotonic":
                    expl[start:stop, -2] = base
                    expl[start:stop, -1] = logit - z
                else:
                    expl[start:stop, -2] = base * scale + self.calibration.offset
                    expl[start:stop, -1] = 0.0
        odds_df = pd.DataFrame(odds, index=clean.index, columns=["reversal_odds", "odds_low", "odds_high"])
        if not explain:
            return odds_df, None
        cols = [*owners, "intercept", "calibration"]
        expl_df = pd.DataFrame(expl, index=clean.index, columns=cols)
        if self.calibration.kind != "isotonic":
            expl_df = expl_df.drop(columns="calibration")
        return odds_df, expl_df

    def _member_range(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """10th and 90th percentiles across members, as ``np.percentile`` (linear) gives them.

        Calibration maps are increasing, so order statistics of the log-odds
        are those of the probabilities: a partial sort on four ranks suffices.
        """
        m = Z.shape[1]
        if m == 1:
            p = _expit(self.member_calibration[0].logit(Z[:, 0]))
            return p, p
        if any(c.kind != "none" for c in self.member_calibration):
            P = np.column_stack([_expit(c.logit(Z[:, i])) for i, c in enumerate(self.member_calibration)])
        else:
            P = Z
        srt = np.sort(P, axis=1)  # a full sort of a C-ordered block beats np.partition here
        out = []
        for q in PERCENTILES:
            pos = (m - 1) * q / 100.0
            k = int(np.floor(pos))
            frac = pos - k
            lo_v, hi_v = srt[:, k], srt[:, min(k + 1, m - 1)]
            if P is Z:
                lo_v, hi_v = _expit(lo_v), _expit(hi_v)
            out.append(lo_v + frac * (hi_v - lo_v))
        return out[0], out[1]

    # -- helpers ------------------------------------------------------------
    def _weights(self) -> tuple[np.ndarray, int, list[str]]:
        """[main | members | per-question] weights, built once per loaded model."""
        cached = self.__dict__.get("_cache")
        if cached is None:
            owners = column_owners()
            questions = list(QUIZ.ids)
            G = np.zeros((len(self.coef), len(questions)))
            for k, q in enumerate(questions):
                sel = owners == q
                G[sel, k] = self.coef[sel]
            W = np.column_stack([self.coef, self.member_coef.T, G])
            self.__dict__["_reference_contrib"] = self.reference @ G
            cached = (W, len(self.member_coef), questions)
            self.__dict__["_cache"] = cached
        return cached

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_cache", "_reference_contrib")}

    def _basis(self, clean: pd.DataFrame) -> np.ndarray:
        feats = features_from_clean(clean)
        return basis_matrix({c: feats[c].to_numpy() for c in feats.columns}, len(feats))

    @staticmethod
    def _clean(answers: pd.DataFrame, as_of: Any) -> pd.DataFrame:
        if isinstance(answers, dict):
            answers = pd.DataFrame([answers], dtype=object)
        result = validate_frame(answers, as_of, extra="ignore")
        if result.n_rejected:
            raise AnswersError(result.problem_list())
        return result.clean


def default_model_dir() -> Path:
    return Path(str(resources.files("model").joinpath("artifacts")))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _paths(path: str | Path | None) -> tuple[Path, Path]:
    p = default_model_dir() if path is None else Path(path)
    if p.is_dir() or p.suffix != ".joblib":
        return p / ARTIFACT, p / CARD
    return p, p.with_name(CARD)


def load_model(path: str | Path | None = None) -> OddsModel:
    """The default model (``path=None``) or one written by ``exodds train``.

    ``path`` is the directory ``exodds train --out`` wrote, or its ``model.joblib``.
    """
    if path is None:
        return _load_default()
    return _load(*_paths(path))


@lru_cache(maxsize=1)
def _load_default() -> OddsModel:
    return _load(*_paths(None))


def _load(artifact: Path, card_path: Path) -> OddsModel:
    import joblib
    import sklearn

    if not artifact.exists():
        raise ModelLoadError(f"no model file at {artifact}; build one with `{REBUILD_COMMAND}`")
    if not card_path.exists():
        raise ModelLoadError(f"{artifact}: its model card {card_path.name} is missing; refusing to load")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{card_path}: not a readable model card ({exc})") from None
    expected = card.get("artifact_sha256")
    actual = sha256_file(artifact)
    if actual != expected:
        raise ModelLoadError(
            f"{artifact}: SHA-256 {actual[:16]}… does not match its model card ({str(expected)[:16]}…). "
            "The file is damaged, truncated or was changed; refusing to load it "
            f"(loading runs code). Rebuild with `{REBUILD_COMMAND}`."
        )
    built_with = card.get("sklearn_version")
    if built_with != sklearn.__version__:
        raise ModelLoadError(
            f"{artifact} was built with scikit-learn {built_with}, this environment has "
            f"{sklearn.__version__}; refusing to load it. Rebuild it with `{REBUILD_COMMAND}` "
            "(or for your own model, rerun the `exodds train` command recorded in its card)."
        )
    if card.get("basis_signature") != basis_signature():
        raise ModelLoadError(
            f"{artifact} was trained on another version of the model's basis (model/basis.py changed "
            f"since); refusing to use its weights. Rebuild it with `{REBUILD_COMMAND}`."
        )
    try:
        model = joblib.load(artifact)
    except Exception as exc:  # a file that matched its hash but still fails: say so plainly
        raise ModelLoadError(f"{artifact}: could not be loaded ({type(exc).__name__}: {exc})") from None
    if not isinstance(model, OddsModel):
        raise ModelLoadError(f"{artifact}: holds a {type(model).__name__}, not an exodds model")
    model.card = card
    return model
