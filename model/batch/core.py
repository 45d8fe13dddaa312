"""The pure core of batch scoring: a DataFrame of raw answers in, score columns and problems out.

Why apart from the pipeline: ``score_frame`` does no I/O, never modifies its input and gives the same
output for the same input, so it runs unchanged inside a distributed engine's partitions (Dask,
Spark's ``mapInPandas``). The streaming pipeline (``model.batch.pipeline``) feeds it blocks.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from model.batch.mapping import ColumnMapping, Reads, Resolved, apply_mapping, check_reads, resolve_columns
from model.plan.decide import hides_factors
from model.quiz.validation import PROBLEM_COLUMNS, parse_as_of, validate_frame
from model.quiz.validation import as_of_days as validation_as_of_days

__all__ = [
    "Advice",
    "OddsModel",
    "ScoreResult",
    "blank_values",
    "categorical",
    "default_advice",
    "default_model",
    "judge",
    "score_clean",
    "score_frame",
    "text_dtype",
]


class OddsModel(Protocol):
    """What scoring needs from a model (``model.predict.OddsModel``).

    A model may also offer ``score_batch(clean)`` (odds and top factors in one pass) or
    ``score_clean(clean, explain=True)`` (odds and explanations in one pass); scoring uses the
    first it finds, and these two methods otherwise.
    """

    @property
    def version(self) -> str: ...

    def predict_clean(self, clean: pd.DataFrame) -> pd.DataFrame: ...

    def explain_clean(self, clean: pd.DataFrame) -> pd.DataFrame: ...


class Advice(Protocol):
    """What scoring needs from the advice: the plan (``model.plan.decide``) and the bands (``model.plan.rules``)."""

    def plan_frame(self, clean: pd.DataFrame, as_of: Any) -> pd.DataFrame: ...

    def bands(self, p: np.ndarray) -> np.ndarray: ...


def default_model() -> OddsModel:
    """The shipped model, loaded once (``model.predict.load_model``)."""
    from model.odds.artifacts import load_model

    return load_model()


def default_advice() -> Advice:
    """The shipped plan and bands (``model.advice.plan_frame``, ``model.rules.bands``)."""
    from types import SimpleNamespace

    from model.plan import decide as advice
    from model.plan import rules

    return SimpleNamespace(plan_frame=advice.plan_frame, bands=rules.bands)


@dataclass
class ScoreResult:
    """Scores for the valid rows and problems for the others, for one frame."""

    scored: pd.DataFrame  # index: labels of the accepted rows; columns SCORE_COLUMNS
    problems: pd.DataFrame  # row (input index label), column, value, reason
    valid: np.ndarray  # one bool per input row

    @property
    def n_rows(self) -> int:
        return int(self.valid.size)

    @property
    def n_scored(self) -> int:
        return int(self.valid.sum())

    @property
    def n_rejected(self) -> int:
        return self.n_rows - self.n_scored


def score_frame(
    df: pd.DataFrame,
    *,
    model: OddsModel | None = None,
    as_of: Any = None,
    mapping: ColumnMapping | None = None,
    advice: Advice | None = None,
    reads: Reads | None = None,
) -> ScoreResult:
    """Score raw answers: no I/O, ``df`` is never modified, same input gives the same output.

    ``as_of`` is a date or one date per row (default: the mapping's timestamp
    column if it names one, else today); an explicit ``as_of`` wins over the
    timestamps. Columns that are not quiz questions are ignored. Raises
    ``MissingColumnsError`` (naming all) when required columns are absent, and
    ``MappingError`` when a date layout of the mapping reads none of its column's
    values; with ``reads`` (one part of a larger input) the values read are
    counted there instead, for the caller to check once the input is done.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"score_frame expects a pandas DataFrame, got {type(df).__name__}")
    model = default_model() if model is None else model
    advice = default_advice() if advice is None else advice
    resolved = resolve_columns([str(c) for c in df.columns], mapping)
    tally = Reads() if reads is None else reads
    problems, valid, clean, as_of_days = judge(df, resolved, as_of, tally)
    if reads is None and mapping is not None:
        check_reads(tally, mapping.source)
    scored = score_clean(clean, as_of_days[valid], model, advice)
    return ScoreResult(scored=scored, problems=problems, valid=valid)


def judge(
    df: pd.DataFrame, resolved: Resolved, as_of: Any, reads: Reads | None = None
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]:
    """Map and validate raw answers: (problems, valid per row, clean answers of the valid rows
    indexed like ``df``, the as-of date of every row); ``reads`` counts the dates read."""
    quiz_df, row_as_of, map_problems, date_failed = apply_mapping(
        df, resolved, use_timestamp=as_of is None, reads=reads
    )
    n = len(df)
    if as_of is not None:
        as_of_days = validation_as_of_days(as_of, n)
    elif row_as_of is not None:
        as_of_days = row_as_of
    else:
        as_of_days = np.full(n, np.datetime64(parse_as_of(None), "D"))
    # Rows without a usable as-of date are rejected by the mapping; give validation a stand-in.
    judged_as_of = np.where(np.isnat(as_of_days), np.datetime64(parse_as_of(None), "D"), as_of_days)
    # Validation sees row positions (any index, even with repeated labels, maps back exactly).
    result = validate_frame(quiz_df.set_axis(pd.RangeIndex(n), axis=0), judged_as_of, extra="ignore")

    problems = merge_problems(df, resolved, result.problems, map_problems, date_failed)
    bad_map = np.zeros(n, dtype=bool)
    bad_map[map_problems["pos"].to_numpy(dtype=np.int64)] = True
    valid = result.valid & ~bad_map
    clean = result.clean[~bad_map[result.valid]] if bad_map.any() else result.clean
    clean = clean.set_axis(df.index[np.flatnonzero(valid)], axis=0)
    return problems, valid, clean, as_of_days


def merge_problems(
    df: pd.DataFrame,
    resolved: Resolved,
    found: pd.DataFrame,
    map_problems: pd.DataFrame,
    date_failed: dict[str, np.ndarray],
) -> pd.DataFrame:
    """Validation and mapping problems in row order, naming the input's own columns and values."""
    if not len(found) and not len(map_problems):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS})
    index = df.index
    vp = pd.DataFrame(
        {
            "pos": found["row"].to_numpy(dtype=np.int64),  # validation ran on positions
            "column": found["column"].to_numpy(dtype=object),
            "value": found["value"].to_numpy(dtype=object),
            "reason": found["reason"].to_numpy(dtype=object),
        }
    )
    if date_failed and len(vp):  # "missing" only because its date could not be read: said already
        drop = np.zeros(len(vp), dtype=bool)
        for qid, failed in date_failed.items():
            drop |= (
                (vp["column"] == qid).to_numpy()
                & failed[vp["pos"].to_numpy()]
                & vp["reason"].str.startswith("missing").to_numpy(dtype=bool)
            )
        vp = vp[~drop]
    if len(map_problems) and len(vp):  # the mapping said what is wrong with that answer already
        said = set(zip(map_problems["pos"].tolist(), map_problems["column"].tolist(), strict=True))
        header = vp["column"].map(lambda c: resolved.by_quiz.get(c, c))
        vp = vp[[(p, h) not in said for p, h in zip(vp["pos"].tolist(), header.tolist(), strict=True)]]
    if len(vp):
        source = resolved.by_quiz
        headers = vp["column"].map(lambda c: source.get(c, c))
        vp = vp.assign(column=headers.to_numpy(dtype=object))
        vp = raw_values(df, vp)
    parts = [p for p in (map_problems, vp) if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS})
    out = pd.concat(parts, ignore_index=True).sort_values("pos", kind="stable")
    rows = index[out["pos"].to_numpy(dtype=np.int64)]
    return pd.DataFrame(
        {
            "row": np.asarray(rows, dtype=object),
            "column": out["column"].to_numpy(dtype=object),
            "value": out["value"].to_numpy(dtype=object),
            "reason": out["reason"].to_numpy(dtype=object),
        }
    )


def raw_values(df: pd.DataFrame, problems: pd.DataFrame) -> pd.DataFrame:
    """Show each problem's value as it is in the input (not as translated for validation)."""
    values = problems["value"].to_numpy(dtype=object).copy()
    for column, idx in problems.groupby("column", sort=False).indices.items():
        if column in df.columns and not isinstance(df[column], pd.DataFrame):
            raw = df[column].to_numpy(dtype=object)[problems["pos"].to_numpy()[idx]]
            values[idx] = np.where(blank_values(raw), values[idx], raw)
    return problems.assign(value=values)


def blank_values(values: np.ndarray) -> np.ndarray:
    """Missing or only white space: there the value validation shows (say, from a date) is kept."""
    return np.array(
        [
            v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip())
            for v in values
        ],
        dtype=bool,
    )


def score_clean(clean: pd.DataFrame, as_of: np.ndarray, model: OddsModel, advice: Advice) -> pd.DataFrame:
    """The score columns for validated rows (vectorised; index kept)."""
    if len(clean) == 0:
        return pd.DataFrame(
            {
                "reversal_odds": pd.Series(dtype=np.float64),
                "odds_low": pd.Series(dtype=np.float64),
                "odds_high": pd.Series(dtype=np.float64),
                "band": pd.Series(dtype=object),
                "stage": pd.Series(dtype=np.int64),
                "earliest_contact": pd.Series(dtype="datetime64[s]"),
                "top_factor_up": pd.Series(dtype=object),
                "top_factor_down": pd.Series(dtype=object),
                "model_version": pd.Series(dtype=object),
            },
            index=clean.index,
        )
    fast = getattr(model, "score_batch", None)  # odds and top factors in one pass, when offered
    if fast is not None:
        odds = fast(clean)
        up, down = odds["top_factor_up"].array, odds["top_factor_down"].array
    else:
        from model.odds.explain import top_factors  # (not at import: `exodds validate` never loads the model)

        both = getattr(model, "score_clean", None)  # one pass for odds and explanations
        if both is not None:
            odds, contrib = both(clean, explain=True)
        else:
            odds, contrib = model.predict_clean(clean), model.explain_clean(clean)
        up, down = top_factors(contrib)
    p = odds["reversal_odds"].to_numpy(dtype=np.float64)
    plan = advice.plan_frame(clean, as_of)
    safety = hides_factors(plan["stage"].to_numpy())
    if safety.any():
        up, down = pd.Categorical(up, copy=True), pd.Categorical(down, copy=True)
        up[safety], down[safety] = "", ""
    return pd.DataFrame(
        {
            "reversal_odds": p,
            "odds_low": odds["odds_low"].to_numpy(dtype=np.float64),
            "odds_high": odds["odds_high"].to_numpy(dtype=np.float64),
            "band": categorical(advice.bands(p)),
            "stage": plan["stage"].to_numpy(),
            "earliest_contact": np.asarray(plan["earliest_contact"].to_numpy()).astype("datetime64[s]"),
            "top_factor_up": up,
            "top_factor_down": down,
            "model_version": pd.Categorical.from_codes(
                np.zeros(len(clean), np.int8), dtype=text_dtype((str(model.version),)), validate=False
            ),
        },
        index=clean.index,
    )


def categorical(values: Any) -> pd.Categorical:
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    # (pandas-stubs want an Index of categories; pandas takes any list-like, as model/odds/lookup.py does)
    out: pd.Categorical = pd.Categorical.from_codes(codes, [str(u) for u in uniques])  # type: ignore[call-overload]
    return out


def text_dtype(texts: tuple[str, ...]) -> pd.CategoricalDtype:
    """Categories for a chunk's distinct texts: chunks mostly repeat a few (choices, versions), and
    building them is not free; many texts (numbers written as decimals) are built anew, never kept."""
    return small_text_dtype(texts) if len(texts) <= 64 else pd.CategoricalDtype(list(texts))


@functools.lru_cache(maxsize=1024)
def small_text_dtype(texts: tuple[str, ...]) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(list(texts))
