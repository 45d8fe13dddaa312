"""Scoring with a trained model: odds, their range and per-question explanations, from weights alone.

A model is a logistic model on one shared basis plus an ensemble whose spread says how much the
odds depend on the assumptions (or, for a model trained on a given file, on the sample). Every
part is linear in that basis, so scoring is a sum of small tables (``model.odds.lookup``) and
every member is applied at once: that is what keeps batch scoring near I/O speed. Loading and
saving live in ``model.odds.artifacts``; this module never reads a file.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from model.errors import AnswersError
from model.odds.basis import TERMS, Term, basis_matrix, column_owners
from model.odds.calibration import Calibration, odds_with_range
from model.odds.explain import factor_dtype, pick, top_factors
from model.odds.features import features_from_clean
from model.odds.lookup import Lookup, build_lookups, lookup_indices, lookup_sum, random_clean
from model.quiz.definition import QUIZ
from model.quiz.validation import validate_frame

__all__ = ["BATCH_BLOCK", "CHUNK", "OddsModel", "ScoringTables"]

CHUNK = 16_384  # rows per basis block: small enough that memory is reused, not faulted in anew
BATCH_BLOCK = 4096  # rows per block in score_batch: its gathered table rows stay in the CPU cache
PIPELINE_LOCK = threading.Lock()  # one unpickling of the pipeline, whichever thread asks first


@dataclass(frozen=True)
class ScoringTables:
    """What ``score_batch`` reads, for carrying the model elsewhere (``model.odds.tables``).

    Each lookup's columns are [main | members | one per quiz question]: log-odds without the
    intercepts, and each question's share of the main model's. A question's contribution, as
    explanations and top factors read it, is (its share - ``reference[q]``) * ``scale``.
    """

    lookups: list[Lookup]
    n_members: int
    questions: list[str]  # the per-question columns, in quiz order
    reference: np.ndarray  # one a question
    scale: float


@dataclass
class OddsModel:
    """Calibrated logistic odds with an ensemble range and per-question explanations."""

    # the calibrated scikit-learn estimator, for sklearn-minded users; for a model loaded from its
    # weights, unpickled on first use (so copying or pickling such a model loads it too)
    pipeline: Any = field(repr=False, compare=False)
    coef: np.ndarray
    intercept: float
    calibration: Calibration
    member_coef: np.ndarray  # (members, columns)
    member_intercept: np.ndarray
    member_calibration: list[Calibration]
    range_kind: str  # "assumptions" or "bootstrap"
    reference: np.ndarray  # mean basis row of the training data: explanations are relative to it
    # interaction terms chosen in training (``model.odds.interactions``): their columns follow TERMS'
    terms: tuple[Term, ...] = ()
    card: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        sha = self.card.get("artifact_sha256") or self.card.get("weights_sha256") or "unsaved"
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
        """One column per quiz question plus ``intercept`` (and ``calibration`` for a non-linear map or link).

        Contributions are on the calibrated log-odds scale, relative to the
        average training respondent; positive raises the odds. Each basis
        column counts under one question (``model.odds.basis.TERMS`` says which),
        and the row sums to the log-odds of ``reversal_odds`` exactly.
        """
        contrib = self.score_clean(clean, explain=True)[1]
        assert contrib is not None  # (asked for)
        return contrib

    def score_clean(
        self, clean: pd.DataFrame, explain: bool = True, widen: bool = True
    ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """Odds and (optionally) explanations in one pass over the basis.

        ``odds_low``/``odds_high`` are widened to include ``reversal_odds``;
        ``widen=False`` gives the members' percentiles as they are, to measure
        how often the main model falls outside them.

        The basis is built in blocks of ``CHUNK`` rows and multiplied once by
        every weight vector at the same time: the main model, each ensemble
        member and, for explanations, one column per question.
        """
        W, n_members, owners = self._weights()
        n = len(clean)
        isotonic = not self.calibration.linear  # (isotonic or piecewise map, or a link other than the logit)
        odds = np.empty((n, 3), order="F")  # column-major: each column is one pandas column, no copy
        n_expl = len(owners) + (2 if isotonic else 1)
        expl = np.empty((n, n_expl), order="F")  # (left unfilled when no explanation is asked for)
        base = self.intercept + float(self.reference @ self.coef)
        scale = 1.0 if isotonic else self.calibration.slope
        lookups = self._lookups()
        indices = lookup_indices(lookups, clean) if lookups is not None else None
        for start in range(0, n, CHUNK):
            stop = min(start + CHUNK, n)
            if lookups is not None and indices is not None:
                Z = lookup_sum(lookups, [idx[start:stop] for idx in indices])
            else:
                Z = self._basis(clean.iloc[start:stop]) @ W
            z = Z[:, 0] + self.intercept
            members = Z[:, 1 : 1 + n_members] + self.member_intercept
            logit = odds_with_range(z, self.calibration, members, self.member_calibration, odds[start:stop], widen)
            if explain:
                contrib = Z[:, 1 + n_members :]
                contrib -= self._reference_contrib
                if scale != 1.0:
                    contrib *= scale
                expl[start:stop, : len(owners)] = contrib
                if isotonic:
                    expl[start:stop, -2] = base
                    expl[start:stop, -1] = logit - z
                else:
                    expl[start:stop, -1] = base * scale + self.calibration.offset
        odds_df = pd.DataFrame(odds, index=clean.index, columns=["reversal_odds", "odds_low", "odds_high"], copy=False)
        if not explain:
            return odds_df, None
        cols = [*owners, "intercept", "calibration"][:n_expl]
        return odds_df, pd.DataFrame(expl, index=clean.index, columns=cols, copy=False)

    def score_batch(self, clean: pd.DataFrame) -> pd.DataFrame:
        """``score_clean``'s odds plus the question that raises and the one that lowers them most.

        What batch scoring writes, without the per-question explanation
        frame: each group of questions carries, beside its share of every
        member's log-odds, its own largest and smallest contribution, so a row
        costs one table row per group. Same numbers as ``score_clean`` and
        ``top_factors(explain_clean(...))``.
        """
        tables, lookups = self._batch_tables(), self._lookups()
        if tables is None or lookups is None:
            frame = self.score_clean(clean, explain=True)
            assert frame[1] is not None
            up, down = top_factors(frame[1])
            return frame[0].assign(top_factor_up=up, top_factor_down=down)
        indices = lookup_indices(lookups, clean)
        n = len(clean)
        none = len(QUIZ.ids)  # code of "" (no question raises, or lowers, the odds)
        odds, up_codes, down_codes = self._score_blocks(tables, indices, n, none)
        dtype = factor_dtype()
        return pd.DataFrame(
            {
                "reversal_odds": odds[:, 0],
                "odds_low": odds[:, 1],
                "odds_high": odds[:, 2],
                "top_factor_up": pd.Categorical.from_codes(up_codes, dtype=dtype, validate=False),
                "top_factor_down": pd.Categorical.from_codes(down_codes, dtype=dtype, validate=False),
            },
            index=clean.index,
        )

    def _score_blocks(
        self, tables: tuple[list[np.ndarray], list[np.ndarray]], indices: list[np.ndarray], n: int, none: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Gather and add the groups' table rows block by block (blocks that stay in the CPU cache)."""
        sums, extremes = tables
        g, width = len(sums), sums[0].shape[1]
        odds = np.empty((n, 3), order="F")
        up = np.empty(n, dtype=np.int16)
        down = np.empty(n, dtype=np.int16)
        Z = np.empty((BATCH_BLOCK, width))
        part = np.empty((BATCH_BLOCK, width))
        ext = np.empty((g, BATCH_BLOCK, 4))  # per group: max, its question, min, its question
        for start in range(0, n, BATCH_BLOCK):
            stop = min(start + BATCH_BLOCK, n)
            m = stop - start
            if m < BATCH_BLOCK:
                Z, part, ext = Z[:m], part[:m], ext[:, :m]
            for k in range(g):
                idx = indices[k][start:stop]
                if k == 0:
                    np.take(sums[k], idx, axis=0, out=Z, mode="clip")
                else:
                    np.take(sums[k], idx, axis=0, out=part, mode="clip")
                    Z += part
                np.take(extremes[k], idx, axis=0, out=ext[k], mode="clip")  # (clip: unbuffered)
            z = Z[:, 0] + self.intercept
            odds_with_range(
                z, self.calibration, Z[:, 1:] + self.member_intercept, self.member_calibration, odds[start:stop]
            )
            up[start:stop] = pick(ext[:, :, 0], ext[:, :, 1], none, raising=True)
            down[start:stop] = pick(ext[:, :, 2], ext[:, :, 3], none, raising=False)
        return odds, up, down

    def _batch_tables(self) -> tuple[list[np.ndarray], list[np.ndarray]] | None:
        """Per lookup group and answer combination: [main | members] log-odds, and the group's
        [largest contribution, its question, smallest, its question]."""
        if "_batch" not in self.__dict__:
            lookups = self._lookups()
            tables = None
            if lookups is not None:
                _, n_members, questions = self._weights()
                width = 1 + n_members
                isotonic = not self.calibration.linear
                scale = 1.0 if isotonic else self.calibration.slope
                sums, extremes = [], []
                for lk in lookups:
                    contrib = (lk.table[:, width:] - self._reference_contrib) * scale
                    own = np.flatnonzero(np.any(lk.table[:, width:] != 0, axis=0))
                    if not len(own):  # a group that moves no question: nothing to pick from it
                        own = np.array([len(questions)])
                        contrib = np.zeros((len(lk.table), len(questions) + 1))
                    part = contrib[:, own]  # questions in quiz order: argmax picks the first
                    extremes_g = np.column_stack(
                        [part.max(axis=1), own[part.argmax(axis=1)], part.min(axis=1), own[part.argmin(axis=1)]]
                    )
                    sums.append(np.ascontiguousarray(lk.table[:, :width]))
                    extremes.append(np.ascontiguousarray(extremes_g))
                tables = (sums, extremes)
                owned = np.zeros(len(questions), dtype=int)
                for lk in lookups:
                    owned += np.any(lk.table[:, width:] != 0, axis=0)
                if (owned > 1).any():  # a question spread over groups: its parts must be summed first
                    tables = None
            self.__dict__["_batch"] = tables
        cached: tuple[list[np.ndarray], list[np.ndarray]] | None = self.__dict__["_batch"]
        return cached

    def scoring_tables(self) -> ScoringTables | None:
        """The tables scoring reads (None when ``LOOKUP_GROUPS`` no longer describe the basis)."""
        lookups = self._lookups()
        if lookups is None:
            return None
        _, n_members, questions = self._weights()
        scale = 1.0 if self.calibration.kind == "isotonic" else float(self.calibration.slope)
        return ScoringTables(lookups, n_members, list(questions), self._reference_contrib.copy(), scale)

    # -- helpers ------------------------------------------------------------
    def _weights(self) -> tuple[np.ndarray, int, list[str]]:
        """[main | members | per-question] weights, built once per loaded model."""
        cached = self.__dict__.get("_cache")
        if cached is None:
            owners = column_owners(TERMS + tuple(self.terms))
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
        state = {
            k: v
            for k, v in self.__dict__.items()
            if k not in ("_cache", "_reference_contrib", "_lookup", "_batch", "_pipeline_from")
        }
        state["pipeline"] = self.pipeline  # (loaded first, when the model came from its weights)
        return state

    def __getattr__(self, name: str) -> Any:
        # Only reached for a missing attribute: the pipeline of a model loaded from its weights,
        # unpickled from model.joblib (importing scikit-learn) the first time it is asked for.
        source = self.__dict__.get("_pipeline_from")  # set by artifacts.load_model: () -> the full model
        if name != "pipeline" or source is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        with PIPELINE_LOCK:  # one unpickling, whichever thread asks first
            if "pipeline" not in self.__dict__:
                self.__dict__["pipeline"] = source().pipeline
        return self.__dict__["pipeline"]

    def _lookups(self) -> list[Lookup] | None:
        """Per group of questions, basis @ weights for every combination of its answers (or None:
        the groups do not describe this basis, score through the basis itself)."""
        if "_lookup" not in self.__dict__:
            W = self._weights()[0]
            lookups = build_lookups(W, tuple(self.terms))
            if lookups is not None:
                sample = random_clean(4096, np.random.default_rng(0))
                exact = self._basis(sample) @ W
                fast = lookup_sum(lookups, lookup_indices(lookups, sample))
                if not np.allclose(fast, exact, rtol=0, atol=1e-10):
                    lookups = None
            if lookups is None:  # same odds, several times slower: say so, where to mend it
                warnings.warn(
                    "the scoring tables (LOOKUP_GROUPS in model/odds/lookup.py) no longer describe the "
                    "model's basis (model/odds/basis.py: a term or a knot past a group's cap changed): scoring "
                    "gives the same odds through the basis, several times slower, until they are updated",
                    RuntimeWarning,
                    stacklevel=2,
                )
            self.__dict__["_lookup"] = lookups
        found: list[Lookup] | None = self.__dict__["_lookup"]
        return found

    def _basis(self, clean: pd.DataFrame) -> np.ndarray:
        feats = features_from_clean(clean)
        return basis_matrix({c: feats[c].to_numpy() for c in feats.columns}, len(feats), TERMS + tuple(self.terms))

    @staticmethod
    def _clean(answers: pd.DataFrame, as_of: Any) -> pd.DataFrame:
        if isinstance(answers, dict):
            answers = pd.DataFrame([answers], dtype=object)
        result = validate_frame(answers, as_of, extra="ignore")
        if result.n_rejected:
            raise AnswersError(result.problem_list())
        return result.clean
