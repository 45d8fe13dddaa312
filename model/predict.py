"""The trained odds model: load it safely, predict, explain.

A model is a calibrated scikit-learn pipeline plus an ensemble whose spread
says how much the odds depend on the assumptions (or, for a model trained on
a given file, on the sample). Everything in it is linear in one shared basis,
so prediction computes the basis once and applies every member as one matrix
product: that is what keeps batch scoring near I/O speed.

``load_model`` checks the model's files against its card, then reads the
weights (``weights.npz``, plain arrays) without importing scikit-learn; the
pickled pipeline (joblib runs code when it loads a file) waits until
``model.pipeline`` is used.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.basis import N_COLUMNS, TERMS, basis_matrix, basis_signature, column_owners
from model.factors import MIN_LOG_ODDS
from model.features import features_from_clean
from model.quiz import QUIZ
from model.validation import AnswersError, validate_frame

__all__ = ["REBUILD_COMMAND", "ModelLoadError", "OddsModel", "default_model_dir", "load_model", "top_factors"]

ARTIFACT = "model.joblib"
CARD = "model_card.json"
WEIGHTS = "weights.npz"  # the numbers scoring reads, so loading needs neither joblib nor scikit-learn
_PIPELINE_LOCK = threading.Lock()
REBUILD_COMMAND = "exodds train --default"
CHUNK = 16_384  # rows per basis block: small enough that memory is reused, not faulted in anew
PERCENTILES = (10, 90)
BATCH_BLOCK = 4096  # rows per block in score_batch: its gathered table rows stay in the CPU cache

# Every basis term reads the answers of a few questions only, so the product of the basis with the
# weights is a sum, over these groups, of a small table indexed by the group's answers: scoring
# gathers a few table rows per respondent instead of building ~130 basis columns. Numbers are
# clipped at ``cap`` (every term of the group is flat beyond it). ``_lookups`` checks the tables
# against the basis on random answers and the model falls back to the basis if they differ.
LOOKUP_GROUPS: tuple[tuple[dict[str, int | None], tuple[str, ...]], ...] = (
    ({"days_silent": 1825, "told_no_contact": None}, ("days_silent", "days_silent_tail", "told_no_contact")),
    ({"days_since_breakup": 1500}, ("days_since_breakup",)),
    (
        {"attempts_ignored": 80, "attempts_last_week": 80},
        ("attempts_ignored", "attempts_last_week", "unanswered_last_week"),
    ),
    ({"emotional_messages": 80}, ("emotional_messages",)),
    ({"blocked": None, "days_blocked": 365}, ("blocked", "blocked_everywhere")),
    (
        {q: None for q in ("anger", "wronged_them", "blocked", "bad_blood", "apologized", "last_reply_tone",
                           "ex_reached_out")},
        ("anger", "anger|wronged", "blocked|bad_blood", "furious_wronged_blocked", "bad_blood", "wronged_them",
         "apologized", "apologized|wronged", "reply_positive", "reply_cold", "never_replied", "ex_reached_out"),
    ),
)


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
        isotonic = self.calibration.kind == "isotonic"
        odds = np.empty((n, 3), order="F")  # column-major: each column is one pandas column, no copy
        n_expl = len(owners) + (2 if isotonic else 1)
        expl = np.empty((n, n_expl), order="F") if explain else None
        base = self.intercept + float(self.reference @ self.coef)
        scale = 1.0 if isotonic else self.calibration.slope
        lookups = self._lookups()
        indices = _lookup_indices(lookups, clean) if lookups is not None else None
        for start in range(0, n, CHUNK):
            stop = min(start + CHUNK, n)
            if indices is not None:
                Z = _lookup_sum(lookups, [idx[start:stop] for idx in indices])
            else:
                Z = self._basis(clean.iloc[start:stop]) @ W
            z = Z[:, 0] + self.intercept
            logit = self.calibration.logit(z)
            main = _expit(logit)
            lo, hi = self._member_range(Z[:, 1 : 1 + n_members] + self.member_intercept)
            odds[start:stop, 0] = main
            if widen:
                np.minimum(lo, main, out=odds[start:stop, 1])
                np.maximum(hi, main, out=odds[start:stop, 2])
            else:
                odds[start:stop, 1], odds[start:stop, 2] = lo, hi
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
        tables = self._batch_tables()
        if tables is None:
            odds, contrib = self.score_clean(clean, explain=True)
            up, down = top_factors(contrib)
            return odds.assign(top_factor_up=up, top_factor_down=down)
        indices = _lookup_indices(self._lookups(), clean)
        n = len(clean)
        none = len(QUIZ.ids)  # code of "" (no question raises, or lowers, the odds)
        odds, up, down = self._score_blocks(tables, indices, n, none)
        dtype = _factor_dtype()
        return pd.DataFrame(
            {
                "reversal_odds": odds[:, 0],
                "odds_low": odds[:, 1],
                "odds_high": odds[:, 2],
                "top_factor_up": pd.Categorical.from_codes(up, dtype=dtype, validate=False),
                "top_factor_down": pd.Categorical.from_codes(down, dtype=dtype, validate=False),
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
            main = _expit(self.calibration.logit(z))
            lo, hi = self._member_range(Z[:, 1:] + self.member_intercept)
            odds[start:stop, 0] = main
            np.minimum(lo, main, out=odds[start:stop, 1])
            np.maximum(hi, main, out=odds[start:stop, 2])
            up[start:stop] = _pick(ext[:, :, 0], ext[:, :, 1], none, raising=True)
            down[start:stop] = _pick(ext[:, :, 2], ext[:, :, 3], none, raising=False)
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
                isotonic = self.calibration.kind == "isotonic"
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
        return self.__dict__["_batch"]

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
        source = self.__dict__.get("_pipeline_from")
        if name != "pipeline" or source is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        with _PIPELINE_LOCK:  # one unpickling, whichever thread asks first
            if "pipeline" not in self.__dict__:
                self.__dict__["pipeline"] = _unpickle(*source).pipeline
        return self.__dict__["pipeline"]

    def _lookups(self) -> list[_Lookup] | None:
        """Per group of questions, basis @ weights for every combination of its answers (or None:
        the groups do not describe this basis, score through the basis itself)."""
        if "_lookup" not in self.__dict__:
            W = self._weights()[0]
            lookups = _build_lookups(W)
            if lookups is not None:
                sample = _random_clean(4096, np.random.default_rng(0))
                exact = self._basis(sample) @ W
                fast = _lookup_sum(lookups, _lookup_indices(lookups, sample))
                if not np.allclose(fast, exact, rtol=0, atol=1e-10):
                    lookups = None
            if lookups is None:  # same odds, several times slower: say so, where to mend it
                warnings.warn(
                    "the scoring tables (LOOKUP_GROUPS in model/predict.py) no longer describe the "
                    "model's basis (model/basis.py: a term or a knot past a group's cap changed): scoring "
                    "gives the same odds through the basis, several times slower, until they are updated",
                    RuntimeWarning,
                    stacklevel=2,
                )
            self.__dict__["_lookup"] = lookups
        return self.__dict__["_lookup"]

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


@dataclass
class _Lookup:
    questions: list[str]
    sizes: list[int]  # values per question (numbers: 0..cap)
    caps: list[int | None]
    table: np.ndarray  # (prod(sizes), weight columns), C order: rows in mixed radix of the answers


def _codes_of(clean: pd.DataFrame, qid: str, cap: int | None) -> np.ndarray:
    col = clean[qid]
    if cap is None:
        return np.asarray(col.cat.codes, dtype=np.int32)
    return np.clip(col.to_numpy(dtype=np.int64, na_value=0), 0, cap).astype(np.int32)


def _lookup_indices(lookups: list[_Lookup], clean: pd.DataFrame) -> list[np.ndarray]:
    """Per group, each row's table row (the mixed-radix number of its answers)."""
    codes: dict[tuple[str, int | None], np.ndarray] = {}
    out = []
    for lk in lookups:
        idx = None
        for qid, size, cap in zip(lk.questions, lk.sizes, lk.caps, strict=True):
            c = codes.get((qid, cap))
            if c is None:
                c = codes[(qid, cap)] = _codes_of(clean, qid, cap)
            idx = c.copy() if idx is None else idx * size + c
        out.append(idx)
    return out


def _lookup_sum(lookups: list[_Lookup], indices: list[np.ndarray]) -> np.ndarray:
    """basis @ W as a sum of table rows."""
    Z = lookups[0].table.take(indices[0], axis=0)
    for lk, idx in zip(lookups[1:], indices[1:], strict=True):
        Z += lk.table.take(idx, axis=0)
    return Z


def _pick(values: np.ndarray, questions: np.ndarray, none: int, raising: bool) -> np.ndarray:
    """Per row, the question of the best group extreme (ties: first in quiz order); ``none`` unless
    it raises (``raising``) or lowers the log-odds by ``MIN_LOG_ODDS`` or more, the least a report
    lists."""
    if raising:
        best = values.max(axis=0)
        big = best >= MIN_LOG_ODDS
    else:
        best = values.min(axis=0)
        big = best <= -MIN_LOG_ODDS
    chosen = np.where(values == best, questions, np.inf).min(axis=0)
    return np.where(big, chosen, none).astype(np.int16)


@lru_cache(maxsize=1)
def _factor_dtype() -> pd.CategoricalDtype:
    return pd.CategoricalDtype([*QUIZ.ids, ""])


def top_factors(contrib: pd.DataFrame) -> tuple[pd.Categorical, pd.Categorical]:
    """Per row, the question with the largest positive and the most negative contribution ("" if none
    reaches ``MIN_LOG_ODDS``, the least a report lists, so a row names what its report would).

    ``contrib`` is ``explain_clean``'s frame; ties go to the question first in quiz order.
    """
    names = [str(c) for c in contrib.columns if c in QUIZ.ids]  # not intercept, calibration
    codes = np.array([QUIZ.ids.index(c) for c in names], dtype=np.int16)
    n, none = len(contrib), len(QUIZ.ids)
    if not names:
        empty = pd.Categorical.from_codes(np.full(n, none, np.int16), dtype=_factor_dtype(), validate=False)
        return empty, empty
    values = contrib[names].to_numpy(dtype=np.float64)
    if not n:
        up = down = np.empty(0, np.int16)
    else:
        up = np.where(values.max(axis=1) >= MIN_LOG_ODDS, codes[values.argmax(axis=1)], none)
        down = np.where(values.min(axis=1) <= -MIN_LOG_ODDS, codes[values.argmin(axis=1)], none)
    return (
        pd.Categorical.from_codes(up.astype(np.int16), dtype=_factor_dtype(), validate=False),
        pd.Categorical.from_codes(down.astype(np.int16), dtype=_factor_dtype(), validate=False),
    )


def _grid_clean(values: dict[str, np.ndarray], n: int) -> pd.DataFrame:
    """A clean-like frame (as ``validate_frame`` gives) from answer codes/numbers; others at their first value."""
    data: dict[str, Any] = {}
    for q in QUIZ:
        v = values.get(q.id, np.zeros(n, dtype=np.int64))
        if q.is_numeric:
            data[q.id] = pd.array(v, dtype="Int64") if q.ask_if else np.asarray(v, dtype=np.int64)
        else:
            data[q.id] = pd.Categorical.from_codes(np.asarray(v, dtype=np.int16), categories=list(q.values))
    return pd.DataFrame(data)


def _build_lookups(W: np.ndarray) -> list[_Lookup] | None:
    names = [t.name for t in TERMS]
    assigned = [name for _, terms in LOOKUP_GROUPS for name in terms]
    if sorted(assigned) != sorted(names):
        return None
    first = np.cumsum([0] + [len(t.column_names()) for t in TERMS])
    lookups = []
    for caps, terms in LOOKUP_GROUPS:
        qids = list(caps)
        sizes = [len(QUIZ[q].values) if caps[q] is None else caps[q] + 1 for q in qids]
        grid = np.indices(sizes).reshape(len(sizes), -1)
        clean = _grid_clean(dict(zip(qids, grid, strict=True)), grid.shape[1])
        feats = features_from_clean(clean)
        B = basis_matrix({c: feats[c].to_numpy() for c in feats.columns}, len(feats))
        cols = np.concatenate([np.arange(first[i], first[i + 1]) for i, n in enumerate(names) if n in terms])
        table = np.ascontiguousarray(B[:, cols] @ W[cols])
        lookups.append(_Lookup(qids, sizes, [caps[q] for q in qids], table))
    return lookups


def _random_clean(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Answers across (and beyond) every cap, for checking the tables against the basis."""
    values: dict[str, np.ndarray] = {}
    for q in QUIZ:
        if q.is_numeric:
            values[q.id] = np.minimum(rng.integers(0, 4000, n), rng.integers(0, 4000, n) // rng.integers(1, 60, n))
        else:
            values[q.id] = rng.integers(0, len(q.values), n)
    return _grid_clean(values, n)


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


def stale_assumptions_warning(model: Any) -> str | None:
    """Why a model's odds may not follow ``model/assumptions.toml`` any more (None when they do, or
    when the model was not trained on the generator): the file changed after it was trained."""
    trained = (getattr(model, "card", None) or {}).get("assumptions_sha256")
    if not trained:
        return None
    from model import synthetic

    try:
        now = synthetic.assumptions_hash({k: a.value for k, a in synthetic.load_assumptions().items()})
    except (OSError, ValueError, KeyError):  # a broken assumptions file is reported where it is used
        return None
    if now == trained:
        return None
    return (
        "model/assumptions.toml has changed since this model was trained, so its odds still follow the "
        "old assumptions: run `exodds train --default` (then `exodds examples` and `exodds notebooks`)"
    )


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
    """Check the model's files against its card, then read its weights (``weights.npz``: plain
    arrays, nothing runs) or, for a model saved without them, unpickle ``model.joblib``."""
    if not artifact.exists():
        raise ModelLoadError(f"no model file at {artifact}; build one with `{REBUILD_COMMAND}`")
    if not card_path.exists():
        raise ModelLoadError(f"{artifact}: its model card {card_path.name} is missing; refusing to load")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
        raise ModelLoadError(f"{card_path}: not a readable model card ({exc})") from None
    if not isinstance(card, dict):
        raise ModelLoadError(f"{card_path}: not a readable model card (not a JSON object)")
    if card.get("basis_signature") != basis_signature():
        raise ModelLoadError(
            f"{artifact} was trained on another version of the model's basis (model/basis.py changed "
            f"since); refusing to use its weights. Rebuild it with `{REBUILD_COMMAND}`."
        )
    if "weights_sha256" not in card:  # saved before weights.npz existed
        model = _unpickle(artifact, card)
    else:
        _check_bytes(artifact, _read(artifact), card.get("artifact_sha256"), " (loading runs code)")
        weights = artifact.with_name(WEIGHTS)
        if not weights.exists():
            raise ModelLoadError(f"{artifact}: its weights file {WEIGHTS} is missing; refusing to load")
        data = _read(weights)
        _check_bytes(weights, data, card["weights_sha256"], "")
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
                model = model_from_weights(dict(arrays))
        except (ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
            raise ModelLoadError(f"{weights}: not a model's weights ({type(exc).__name__}: {exc})") from None
        del model.__dict__["pipeline"]  # ``__getattr__`` unpickles it when first asked for
        model.__dict__["_pipeline_from"] = (artifact, card)
    model.card = card
    return model


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ModelLoadError(f"{path}: cannot read it ({exc.strerror or exc}); refusing to load") from None


def _check_bytes(path: Path, data: bytes, expected: Any, why: str) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ModelLoadError(
            f"{path}: SHA-256 {actual[:16]}… does not match its model card ({str(expected)[:16]}…). "
            f"The file is damaged, truncated or was changed; refusing to load it{why}. "
            f"Rebuild with `{REBUILD_COMMAND}`."
        )


def _sklearn_version() -> str | None:
    """The installed scikit-learn's version, read without importing it (that takes most of a second)."""
    from importlib import metadata

    try:
        return metadata.version("scikit-learn")
    except metadata.PackageNotFoundError:  # pragma: no cover (a dependency)
        return None


def _unpickle(artifact: Path, card: dict[str, Any]) -> OddsModel:
    """The whole model, scikit-learn pipeline included, from ``model.joblib``: the bytes hashed are
    the bytes loaded, and they must be those ``card`` (read when the model was loaded) names, with
    the scikit-learn version that wrote them (unpickling runs code)."""
    built_with, installed = card.get("sklearn_version"), _sklearn_version()
    if built_with != installed:
        raise ModelLoadError(
            f"{artifact} was built with scikit-learn {built_with}, this environment has "
            f"{installed or 'none installed'}; refusing to unpickle it. Rebuild it with `{REBUILD_COMMAND}` "
            "(or for your own model, rerun the `exodds train` command recorded in its card)."
        )
    data = _read(artifact)
    _check_bytes(artifact, data, card.get("artifact_sha256"), " (loading runs code)")
    import joblib

    try:
        model = joblib.load(io.BytesIO(data))
    except Exception as exc:  # a file that matched its hash but still fails: say so plainly
        raise ModelLoadError(f"{artifact}: could not be loaded ({type(exc).__name__}: {exc})") from None
    if not isinstance(model, OddsModel):
        raise ModelLoadError(f"{artifact}: holds a {type(model).__name__}, not an exodds model")
    return model


def model_weights(model: OddsModel) -> dict[str, np.ndarray]:
    """Every number scoring reads, as plain arrays (``weights.npz``; ``model_from_weights`` reverses it)."""
    cals = [model.calibration, *model.member_calibration]
    arrays: dict[str, np.ndarray] = {
        "coef": np.asarray(model.coef, dtype=np.float64),
        "intercept": np.asarray(model.intercept, dtype=np.float64),
        "member_coef": np.asarray(model.member_coef, dtype=np.float64),
        "member_intercept": np.asarray(model.member_intercept, dtype=np.float64),
        "reference": np.asarray(model.reference, dtype=np.float64),
        "range_kind": np.asarray(model.range_kind),
        # calibration 0 is the model's, 1.. its members'
        "calibration_kind": np.asarray([c.kind for c in cals]),
        "calibration_slope": np.asarray([c.slope for c in cals], dtype=np.float64),
        "calibration_offset": np.asarray([c.offset for c in cals], dtype=np.float64),
    }
    for i, c in enumerate(cals):
        if c.x is not None:
            arrays[f"calibration_{i}_x"] = np.asarray(c.x, dtype=np.float64)
            arrays[f"calibration_{i}_y"] = np.asarray(c.y, dtype=np.float64)
    return arrays


def model_from_weights(arrays: dict[str, np.ndarray]) -> OddsModel:
    """The model ``model_weights`` describes; its scikit-learn pipeline is None (``load_model``
    unpickles it from ``model.joblib`` on first use). Raises ``ValueError`` naming the first array
    that is not what a model of this basis holds."""
    k = (np.shape(arrays.get("member_intercept", ()))[:1] or (0,))[0]  # members
    known = {"coef", "intercept", "member_coef", "member_intercept", "reference", "range_kind",
             "calibration_kind", "calibration_slope", "calibration_offset"}
    curves = {f"calibration_{i}_{xy}" for i in range(k + 1) for xy in "xy"}
    if missing := sorted(known - set(arrays)):
        raise ValueError(f"missing array(s): {', '.join(missing)}")
    if unknown := sorted(set(arrays) - known - curves):
        raise ValueError(f"unknown array(s): {', '.join(unknown)}")

    def numbers(key: str, shape: tuple[int, ...]) -> np.ndarray:
        a = arrays[key]
        if a.dtype != np.float64 or a.shape != shape:
            raise ValueError(f"{key}: expected float64 of shape {shape}, got {a.dtype} of shape {a.shape}")
        if not np.isfinite(a).all():
            where = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
            raise ValueError(f"{key}: holds values that are not finite, such as {float(a[where])!r} at index {where}")
        return a

    def texts(key: str, shape: tuple[int, ...], allowed: set[str]) -> list[str]:
        a = arrays[key]
        if a.dtype.kind != "U" or a.shape != shape:
            raise ValueError(f"{key}: expected text of shape {shape}, got {a.dtype} of shape {a.shape}")
        if bad := sorted({str(v) for v in a.ravel()} - allowed):
            raise ValueError(f"{key}: {', '.join(bad)} is not one of {', '.join(sorted(allowed))}")
        return [str(v) for v in a.ravel()]

    kinds = texts("calibration_kind", (k + 1,), {"none", "sigmoid", "isotonic"})
    slope, offset = numbers("calibration_slope", (k + 1,)), numbers("calibration_offset", (k + 1,))
    cals = []
    for i, kind in enumerate(kinds):
        x = y = None
        if kind == "isotonic":
            if f"calibration_{i}_x" not in arrays or f"calibration_{i}_y" not in arrays:
                raise ValueError(f"calibration {i} is isotonic but its calibration_{i}_x/_y are missing")
            n = arrays[f"calibration_{i}_x"].shape[:1] or (0,)
            x, y = numbers(f"calibration_{i}_x", n), numbers(f"calibration_{i}_y", n)
        elif f"calibration_{i}_x" in arrays or f"calibration_{i}_y" in arrays:
            raise ValueError(f"calibration {i} is {kind} but has an isotonic curve")
        cals.append(Calibration(kind, float(slope[i]), float(offset[i]), x, y))
    return OddsModel(
        pipeline=None,
        coef=numbers("coef", (N_COLUMNS,)),
        intercept=float(numbers("intercept", ())),
        calibration=cals[0],
        member_coef=numbers("member_coef", (k, N_COLUMNS)),
        member_intercept=numbers("member_intercept", (k,)),
        member_calibration=cals[1:],
        range_kind=texts("range_kind", (), {"assumptions", "bootstrap"})[0],
        reference=numbers("reference", (N_COLUMNS,)),
    )
