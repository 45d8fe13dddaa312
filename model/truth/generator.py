"""Synthetic quiz answers with known true odds, drawn from the guide's claims as named assumptions.

No real outcome data exists, so the model learns from rows drawn here. Every
number comes from ``assumptions.toml`` (value, plausible range, source), so a
reviewer reads the assumptions in one place and can ask "what if" by
overriding any of them. Because each row carries its true probability
(``p_true``), the model can be scored against the exact truth.

The truth is a sum of named terms on the log-odds scale (``logit_terms``),
each a smooth shape the guide describes, plus an intercept solved so that the
population's mean probability equals the target overall rate. One ceiling
caps the guide's "pretty unlikely" case (furious, wronged, blocked
everywhere). ``safety_concern`` is drawn but never enters the odds.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.errors import UsageError
from model.io import atomic_path
from model.numeric import expit as _sigmoid
from model.numeric import logit as _logit
from model.quiz.definition import QUIZ
from model.truth import SAMPLE_COMMAND, SAMPLE_ROWS, SAMPLE_SEED
from model.truth.assumptions import (
    TERMS,
    Assumption,
    Assumptions,
    assumption_values,
    assumptions_hash,
    load_assumptions,
    sample_assumptions,
)

__all__ = [
    "OUTCOME_COLUMNS",
    "OUTCOME_DAYS",
    "SAMPLE_COMMAND",
    "TERMS",
    "Assumption",
    "Assumptions",
    "assumption_values",
    "assumptions_hash",
    "data_dictionary",
    "generate",
    "load_assumptions",
    "logit_terms",
    "render_readme",
    "sample_assumptions",
    "solved_intercept",
    "true_logit",
    "true_probability",
    "write_synthetic",
]

#: The outcome the generator draws: back together within this many days of answering the quiz (our
#: definition; assumptions.toml reads the base rate as this share, and a report names the horizon).
OUTCOME_DAYS = 180

#: Columns after the quiz answers.
OUTCOME_COLUMNS: dict[str, tuple[str, str, str]] = {
    "reconciled": (
        "int64",
        f"1 if this synthetic person got back together within {OUTCOME_DAYS} days (drawn from p_true)",
        "0 or 1",
    ),
    "p_true": (
        "float64",
        "the true probability the generator assumed for these answers (what a perfect model predicts)",
        "0 to 1",
    ),
}


# The intercept is solved on a fixed reference population, so it never depends on the seed or size
# of a generated set. These are numerical settings, not assumptions about people.
_REFERENCE_ROWS = 100_000
_REFERENCE_SEED = 20_260_101
_DAYS_PER_YEAR = 365.25


# ------------------------------------------------------------------------------------------------
# Drawing answers
# ------------------------------------------------------------------------------------------------


def _code(qid: str, value: str) -> int:
    return QUIZ[qid].values.index(value)


def _lognormal_days(
    rng: np.random.Generator, median: float, spread: float, shift: np.ndarray | float, n: int
) -> np.ndarray:
    return np.exp(math.log(median) + shift + spread * rng.standard_normal(n))


def _ordered(latent: np.ndarray, cuts: list[float]) -> np.ndarray:
    """Ordered-logistic level 0..len(cuts) of a latent score.

    Levels are codes in the quiz's choice order, which for ``anger`` and
    ``blocked`` runs from least to most (as ``features.py`` reads them too).
    """
    level = np.zeros(latent.shape, dtype=np.int8)
    for c in cuts:
        level += latent > c
    return level


def _draw_answers(rng: np.random.Generator, n: int, p: Mapping[str, float]) -> dict[str, np.ndarray]:
    """Correlated answers as arrays: floats for numbers (NaN = blank), QUIZ codes for choices.

    Order of draws is fixed (it is part of "same seed, same rows"). A hidden
    urge to pursue the ex scales ignored attempts, emotional messages and
    short silences together; anger, requests to stop and blocks follow from
    what happened; every row respects the quiz's own consistency rules.
    """
    since = np.floor(_lognormal_days(rng, p["breakup_days_median"], p["breakup_days_spread"], 0.0, n))
    since = np.clip(since, 0.0, np.floor(p["breakup_days_max"]))

    spread = p["pursuit_spread"]
    pursuit = spread * rng.standard_normal(n)
    push = np.exp(pursuit - 0.5 * spread * spread)  # mean 1: scales means without moving them

    wronged = rng.random(n) < p["wronged_share"]
    bad = rng.random(n) < _sigmoid(_logit(p["bad_blood_share"]) + p["bad_blood_wronged_log_odds"] * wronged)
    ignored = rng.poisson(p["ignored_attempts_mean"] * push).astype(np.float64)
    emotional = rng.poisson(
        p["emotional_messages_mean"] * push * np.exp(p["emotional_messages_bad_blood"] * bad)
    ).astype(np.float64)

    told = rng.random(n) < _sigmoid(
        _logit(p["told_no_contact_share"])
        + p["told_no_contact_ignored"] * np.log1p(ignored)
        + p["told_no_contact_emotional"] * np.log1p(emotional)
        + p["told_no_contact_wronged"] * wronged
        + p["told_no_contact_bad_blood"] * bad
    )
    anger = _ordered(
        p["anger_wronged"] * wronged
        + p["anger_bad_blood"] * bad
        + p["anger_told"] * told
        + p["anger_ignored"] * np.log1p(ignored)
        + rng.logistic(size=n),
        [p["anger_cut_annoyed"], p["anger_cut_angry"], p["anger_cut_furious"]],
    )
    blocked = _ordered(
        p["blocked_anger"] * anger
        + p["blocked_told"] * told
        + p["blocked_ignored"] * np.log1p(ignored)
        + rng.logistic(size=n),
        [p["blocked_cut_some"], p["blocked_cut_everywhere"]],
    )
    share = rng.beta(1.0, p["days_blocked_recent_skew"], size=n)
    days_blocked = np.where(blocked > 0, np.minimum(np.floor(share * (since + 1.0)), since), np.nan)

    apologized = rng.random(n) < np.where(wronged, p["apologized_share_wronged"], p["apologized_share_other"])

    silent = np.floor(
        _lognormal_days(
            rng,
            p["silence_days_median"],
            p["silence_days_spread"],
            -pursuit
            + p["silence_breakup_elasticity"] * np.log((since + 1.0) / (p["breakup_days_median"] + 1.0))
            + p["silence_blocked_everywhere"] * (blocked == _code("blocked", "everywhere"))
            + p["silence_told"] * told,
            n,
        )
    )
    silent = np.minimum(silent, since)
    last_week = np.where(silent < 7, 1.0 + rng.poisson(p["attempts_last_week_extra_mean"] * push), 0.0)

    # Last reply tone, a multinomial logit by the Gumbel-max trick, in the quiz's choice order.
    utility = {
        "positive": p["reply_positive_base"] - p["reply_anger"] * anger,
        "neutral": np.zeros(n),
        "cold": p["reply_cold_base"] + p["reply_anger"] * anger,
        "never_replied": p["reply_never_base"] + p["reply_never_blocked"] * blocked,
    }
    gumbel = rng.gumbel(size=(len(utility), n))
    names = list(utility)
    tone_index = np.argmax(np.stack([utility[k] for k in names]) + gumbel, axis=0)
    tone = np.array([_code("last_reply_tone", k) for k in names], dtype=np.int8)[tone_index]
    never = tone == _code("last_reply_tone", "never_replied")
    positive = tone == _code("last_reply_tone", "positive")
    # Never replied, yet contacted since the breakup: at least that attempt went unanswered.
    ignored = np.where(never & (silent < since), np.maximum(ignored, 1.0), ignored)
    # ... and every attempt of the past 7 days went unanswered too (validation refuses fewer)
    ignored = np.where(never, np.maximum(ignored, last_week), ignored)

    reached = rng.random(n) < _sigmoid(
        _logit(p["ex_reached_out_share"])
        - p["ex_reached_out_anger"] * anger
        + p["ex_reached_out_positive"] * positive
        - p["ex_reached_out_never_replied"] * never
    )

    u = rng.random(n)
    prefer = p["safety_prefer_not_share"]
    concern = _sigmoid(_logit(p["safety_concern_share"]) + p["safety_concern_bad_blood"] * bad)
    safety = np.full(n, _code("safety_concern", "no"), dtype=np.int8)
    safety[u < prefer + (1.0 - prefer) * concern] = _code("safety_concern", "yes")
    safety[u < prefer] = _code("safety_concern", "prefer_not_to_say")

    def yes_no(qid: str, flag: np.ndarray) -> np.ndarray:
        return np.where(flag, _code(qid, "yes"), _code(qid, "no")).astype(np.int8)

    return {
        "days_since_breakup": since,
        "days_silent": silent,
        "attempts_ignored": ignored,
        "attempts_last_week": last_week,
        "blocked": blocked,
        "days_blocked": days_blocked,
        "told_no_contact": yes_no("told_no_contact", told),
        "anger": anger,
        "wronged_them": yes_no("wronged_them", wronged),
        "apologized": yes_no("apologized", apologized),
        "bad_blood": yes_no("bad_blood", bad),
        "last_reply_tone": tone,
        "ex_reached_out": yes_no("ex_reached_out", reached),
        "emotional_messages": emotional,
        "safety_concern": safety,
    }


# ------------------------------------------------------------------------------------------------
# The truth
# ------------------------------------------------------------------------------------------------


def _terms(a: Mapping[str, np.ndarray], p: Mapping[str, float]) -> dict[str, np.ndarray]:
    """Each named term of the true log-odds (no intercept, no ceiling) for answer arrays.

    The shapes follow the guide's words (see assumptions.toml for each line):
    thresholds and diminishing steps as log1p of the excess, build-up and
    fading as exponentials in days, a soft step for the wait a request to stop
    calls for, and levels for anger, blocks and reply tone.
    """
    silent = a["days_silent"]
    ignored = a["attempts_ignored"]
    blocked = a["blocked"]
    anger_code = a["anger"]
    is_yes = {
        qid: a[qid] == _code(qid, "yes")
        for qid in ("told_no_contact", "wronged_them", "apologized", "bad_blood", "ex_reached_out")
    }

    unanswered_last_week = np.minimum(a["attempts_last_week"], ignored)
    block_level = np.zeros(len(QUIZ["blocked"].values))
    block_level[_code("blocked", "some")] = p["block_some_harm"]
    block_level[_code("blocked", "everywhere")] = p["block_some_harm"] + p["block_everywhere_extra_harm"]
    days_blocked = np.nan_to_num(a["days_blocked"], nan=0.0)
    block_fade = p["block_lasting_share"] + (1.0 - p["block_lasting_share"]) * np.exp2(
        -days_blocked / p["block_half_life_days"]
    )
    steps = {
        "none": 0.0,
        "annoyed": p["anger_annoyed_harm"],
        "angry": p["anger_annoyed_harm"] + p["anger_angry_extra_harm"],
        "furious": p["anger_annoyed_harm"] + p["anger_angry_extra_harm"] + p["anger_furious_extra_harm"],
    }
    anger_harm = np.array([steps[v] for v in QUIZ["anger"].values])
    tone_effect = {
        "positive": p["reply_positive_boost"],
        "neutral": 0.0,
        "cold": -p["reply_cold_harm"],
        "never_replied": -p["never_replied_harm"],
    }
    tone_table = np.array([tone_effect[v] for v in QUIZ["last_reply_tone"].values])
    told = is_yes["told_no_contact"]
    early = _sigmoid((p["told_no_contact_respect_days"] - silent) / p["told_no_contact_respect_width_days"])
    wronged = is_yes["wronged_them"]
    return {
        "ignored_attempts": -p["ignored_attempts_harm"]
        * np.log1p(np.maximum(ignored - p["ignored_attempts_threshold"], 0.0)),
        # "more than once in the past week" (line 50): the first unanswered attempt is free by definition
        "recent_pressure": -p["recent_pressure_harm"]
        * np.log1p(np.maximum(unanswered_last_week - 1.0, 0.0))
        * np.exp2(-silent / p["recent_pressure_half_life_days"]),
        # 1 - exp(-3) = 0.95: the 3 is how "95% built by no_contact_days" is defined, not a separate assumption
        "silence": p["silence_benefit"] * -np.expm1(-3.0 * silent / p["no_contact_days"]),
        "long_silence": p["long_silence_harm"]
        * np.expm1(-np.maximum(silent - p["long_silence_onset_days"], 0.0) / p["long_silence_scale_days"]),
        "block": -block_level[blocked] * block_fade,
        "told_no_contact": np.where(told, -(p["told_no_contact_harm"] + p["told_no_contact_early_harm"] * early), 0.0),
        "anger": -anger_harm[anger_code],
        "wronged": np.where(wronged, -p["wronged_harm"] * (1.0 - p["apology_softening"] * is_yes["apologized"]), 0.0),
        "furious_wronged_blocked": -p["furious_wronged_blocked_harm"] * _hopeless(a),
        "last_reply": tone_table[a["last_reply_tone"]],
        "ex_reached_out": p["ex_reached_out_boost"] * is_yes["ex_reached_out"],
        "emotional_messages": -p["emotional_message_harm"] * np.log1p(a["emotional_messages"]),
        "bad_blood": -p["bad_blood_harm"] * is_yes["bad_blood"],
        "time_since_breakup": -p["time_since_breakup_harm"] * np.log1p(a["days_since_breakup"] / _DAYS_PER_YEAR),
    }


def _hopeless(a: Mapping[str, np.ndarray]) -> np.ndarray:
    """The guide's 'pretty unlikely' case (line 138): furious, wronged, blocked everywhere."""
    hopeless: np.ndarray = (
        (a["anger"] == _code("anger", "furious"))
        & (a["wronged_them"] == _code("wronged_them", "yes"))
        & (a["blocked"] == _code("blocked", "everywhere"))
    )
    return hopeless


def _total(terms: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    total = np.zeros(n)
    for v in terms.values():
        total += v
    return total


def _cap(logit: np.ndarray, hopeless: np.ndarray, ceiling: float) -> np.ndarray:
    return np.where(hopeless, np.minimum(logit, _logit(ceiling)), logit)


def _answer_key(p: Mapping[str, float]) -> tuple[tuple[str, float], ...]:
    table = load_assumptions()
    return tuple((k, p[k]) for k in table.names(group="answers"))


@lru_cache(maxsize=8)
def _reference(answer_key: tuple[tuple[str, float], ...]) -> dict[str, np.ndarray]:
    """The fixed reference population the intercept is solved on (one per answer distribution)."""
    rng = np.random.default_rng(_REFERENCE_SEED)
    return _draw_answers(rng, _REFERENCE_ROWS, dict(answer_key))


@lru_cache(maxsize=512)  # one sensitivity pass solves about 65 (each low/high end that moves it)
def _intercept_for(key: tuple[tuple[str, float], ...]) -> float:
    p = dict(key)
    ref = _reference(_answer_key(p))
    score = _total(_terms(ref, p), _REFERENCE_ROWS)
    hopeless = _hopeless(ref)
    target = p["overall_reconciliation_rate"]

    def rate(b: float) -> float:
        return float(_sigmoid(_cap(b + score, hopeless, p["hopeless_ceiling"])).mean())

    lo, hi = -60.0, 60.0
    if not rate(lo) <= target <= rate(hi):
        raise ValueError(
            f"overall_reconciliation_rate = {target:g} cannot be reached with these assumptions "
            f"(reachable: {rate(lo):.4f} to {rate(hi):.4f})"
        )
    # Newton's method kept inside a shrinking bracket (the rate rises with the intercept).
    b: float = _logit(target) - float(np.median(score))
    for _ in range(200):
        p_ref = _sigmoid(_cap(b + score, hopeless, p["hopeless_ceiling"]))
        gap = float(p_ref.mean()) - target
        if abs(gap) < 1e-13:
            break
        if gap < 0:
            lo = b
        else:
            hi = b
        free = ~(hopeless & (b + score >= _logit(p["hopeless_ceiling"])))  # capped rows do not move
        slope = float((p_ref * (1.0 - p_ref) * free).mean())
        step = b - gap / slope if slope > 0 else lo - 1.0
        b = step if lo < step < hi else 0.5 * (lo + hi)
        if hi - lo < 1e-12:
            break
    return b


def solved_intercept(overrides: Mapping[str, float] | None = None) -> float:
    """The intercept that puts the reference population's mean true probability on the target rate.

    Solved again for any overrides, so "what if blocking hurt twice as much"
    moves odds between people while the overall rate stays where the
    base rate puts it.
    """
    p = assumption_values(overrides)
    return _intercept_for(tuple(sorted(p.items())))


def _arrays_from_frame(answers: pd.DataFrame) -> dict[str, np.ndarray]:
    """Clean answers (as ``generate`` or ``validate_frame(...).clean`` give them) -> arrays."""
    if not isinstance(answers, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame of clean quiz answers, got {type(answers).__name__}")
    absent = [q.id for q in QUIZ if q.id not in answers.columns and q.required]
    if absent:
        raise ValueError(f"answers lack the quiz columns {', '.join(absent)}")
    out: dict[str, np.ndarray] = {}
    for q in QUIZ:
        if q.id not in answers.columns:  # an optional question: its default, as validation does
            assert q.default is not None  # (the quiz's optional questions have defaults)
            out[q.id] = np.full(len(answers), _code(q.id, q.default), dtype=np.int8)
            continue
        col = answers[q.id]
        if q.is_numeric:
            values = col.to_numpy(dtype=np.float64, na_value=np.nan)
            if not q.ask_if and np.isnan(values).any():
                raise ValueError(f"{q.id}: blank answers; pass clean answers (validate_frame(...).clean)")
            out[q.id] = values
        else:
            if isinstance(col.dtype, pd.CategoricalDtype) and list(col.cat.categories) == list(q.values):
                codes = np.asarray(col.cat.codes)
            else:
                codes = pd.Index(list(q.values)).get_indexer(pd.Index(col.to_numpy(dtype=object)))
            if (codes < 0).any():
                bad = sorted({str(v) for v in col[codes < 0].unique()})[:5]
                raise ValueError(
                    f"{q.id}: values {', '.join(bad)} are not clean answers: expected {q.expected()} "
                    "(pass validate_frame(...).clean for raw answers)"
                )
            out[q.id] = codes.astype(np.int8)
    return out


def logit_terms(answers: pd.DataFrame, overrides: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The true log-odds split into its named terms (columns ``TERMS``); rows sum to ``true_logit``.

    For notebooks ("how much does the block cost this person?") and for
    tests that check an override moves only the term it names.
    """
    p = assumption_values(overrides)
    a = _arrays_from_frame(answers)
    n = len(answers)
    terms = _terms(a, p)
    intercept = _intercept_for(tuple(sorted(p.items())))
    raw = intercept + _total(terms, n)
    capped = _cap(raw, _hopeless(a), p["hopeless_ceiling"])
    cols = {"intercept": np.full(n, intercept), **terms, "hopeless_ceiling": capped - raw}
    return pd.DataFrame({t: cols[t] for t in TERMS}, index=answers.index)


def _logit_from_arrays(a: Mapping[str, np.ndarray], p: Mapping[str, float]) -> np.ndarray:
    intercept = _intercept_for(tuple(sorted(p.items())))
    n = len(a["days_silent"])
    return _cap(intercept + _total(_terms(a, p), n), _hopeless(a), p["hopeless_ceiling"])


def true_logit(answers: pd.DataFrame, overrides: Mapping[str, float] | None = None) -> np.ndarray:
    """True log-odds of getting back together for each row of clean answers.

    A function of the answers alone, so a notebook can hold everything else
    fixed and vary one answer to draw the curve the generator assumes.
    """
    return _logit_from_arrays(_arrays_from_frame(answers), assumption_values(overrides))


def true_probability(answers: pd.DataFrame, overrides: Mapping[str, float] | None = None) -> np.ndarray:
    """True probability of getting back together for each row of clean answers (``p_true``)."""
    p_true: np.ndarray = _sigmoid(true_logit(answers, overrides))
    return p_true


# ------------------------------------------------------------------------------------------------
# Generating and writing
# ------------------------------------------------------------------------------------------------


def _string_column(values: tuple[str, ...], codes: np.ndarray) -> pd.Series:
    """Choice codes -> a plain string column, built in Arrow (several times faster than objects)."""
    import pyarrow as pa  # type: ignore[import-untyped]  # (no type hints: pyarrow ships no stubs)

    dictionary = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(list(values)))
    return pd.Series(dictionary.cast(pa.large_string()).to_pandas(), copy=False).astype("str")


def generate(rows: int, seed: int = 0, overrides: Mapping[str, float] | None = None) -> pd.DataFrame:
    """``rows`` synthetic respondents: the quiz answers, ``reconciled`` (0/1) and ``p_true``.

    Columns come as a CSV reader gives them: whole numbers int64,
    ``days_blocked`` nullable Int64 (NA when not blocked), choices plain
    lowercase strings. The same seed and overrides always give the same frame.
    """
    if isinstance(rows, bool) or not isinstance(rows, (int, np.integer)) or rows < 0:
        raise UsageError(f"rows must be a whole number 0 or more, got {rows!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise UsageError(f"seed must be a whole number 0 or more, got {seed!r}")
    rows = int(rows)
    p = assumption_values(overrides)
    rng = np.random.default_rng(int(seed))
    a = _draw_answers(rng, rows, p)
    p_true = _sigmoid(_logit_from_arrays(a, p))
    reconciled = (rng.random(rows) < p_true).astype(np.int64)

    data: dict[str, Any] = {}
    for q in QUIZ:
        if q.is_numeric and q.ask_if:
            v = a[q.id]
            data[q.id] = pd.arrays.IntegerArray(np.nan_to_num(v, nan=0.0).astype(np.int64), np.isnan(v))
        elif q.is_numeric:
            data[q.id] = a[q.id].astype(np.int64)
        else:
            data[q.id] = _string_column(q.values, a[q.id])
    data["reconciled"] = reconciled
    data["p_true"] = p_true
    return pd.DataFrame(data)


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for s in (".csv.gz", ".csv", ".parquet"):
        if name.endswith(s):
            return s
    raise UsageError(f"{path}: unknown output type: expected a name ending in .csv, .csv.gz or .parquet")


def write_synthetic(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a generated frame to CSV, gzipped CSV or Parquet (by extension), atomically.

    CSV is written by Arrow (fast; floats in shortest round-trip form, blanks
    for NA, no quoting: the values never contain commas), and gzip without a
    time stamp, so the same frame always gives the same bytes.
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    target = Path(path)
    kind = _suffix(target)
    table = pa.Table.from_pandas(df, preserve_index=False)
    with atomic_path(target) as tmp:
        if kind == ".parquet":
            pq.write_table(table, tmp)
            return target
        header = (",".join(map(str, df.columns)) + "\n").encode("utf-8")
        options = pcsv.WriteOptions(include_header=False, quoting_style="none")
        with open(tmp, "wb") as raw:
            if kind == ".csv.gz":
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz:
                    gz.write(header)
                    pcsv.write_csv(table, gz, options)
            else:
                raw.write(header)
                pcsv.write_csv(table, raw, options)
    return target


# ------------------------------------------------------------------------------------------------
# Documentation rendered from the definitions (the committed README is tested against it)
# ------------------------------------------------------------------------------------------------


def data_dictionary() -> str:
    """The Markdown table of every output column: type, meaning, range (questions from QUIZ)."""
    p = load_assumptions().defaults()
    lines = ["| column | type | meaning | values |", "|---|---|---|---|"]
    for q in QUIZ:
        if q.is_numeric:
            dtype = "Int64 (blank when not asked)" if q.ask_if else "int64"
            values = f"{q.min} to {q.max} {q.unit}"
        else:
            dtype = "str"
            values = ", ".join(f"`{v}`" for v in q.values)
        notes = {
            "days_since_breakup": f"; generated up to {int(p['breakup_days_max'])}",
            "days_silent": "; never more than days_since_breakup",
            "attempts_last_week": "; 0 whenever days_silent is 7 or more, at least 1 when it is less",
            "attempts_ignored": "; at least attempts_last_week when last_reply_tone is `never_replied`",
            "days_blocked": "; blank when blocked is `no`, never more than days_since_breakup",
            "safety_concern": "; no effect on p_true",
        }
        lines.append(f"| `{q.id}` | {dtype} | {q.text} | {values}{notes.get(q.id, '')} |")
    for name, (dtype, meaning, values) in OUTCOME_COLUMNS.items():
        lines.append(f"| `{name}` | {dtype} | {meaning} | {values} |")
    return "\n".join(lines)


def assumptions_table() -> str:
    """The Markdown table of the assumptions (name, value, plausible range, unit, term)."""
    lines = ["| name | value | plausible range | unit | term |", "|---|---|---|---|---|"]
    for name, a in load_assumptions().items():
        lines.append(f"| `{name}` | {a.value:g} | {a.low:g} to {a.high:g} | {a.unit} | {a.term} |")
    return "\n".join(lines)


def render_readme() -> str:
    """The text of ``data/synthetic/README.md``: how the sample was made and what each column means."""
    sample = generate(SAMPLE_ROWS, seed=SAMPLE_SEED)
    table = load_assumptions()
    return "\n".join(
        [
            "# Synthetic quiz responses",
            "",
            "<!-- Generated by `exodds synth --readme > data/synthetic/README.md`; do not edit by hand. -->",
            "",
            "No real outcome data exists for exodds. These rows are drawn by `model/truth/generator.py` from the",
            "guide's claims written as named, sourced assumptions in `model/truth/assumptions.toml`. Each row",
            "carries the probability the generator assumed (`p_true`) and an outcome drawn from it",
            "(`reconciled`). They show what the guide's assumptions imply, not what happens to real people.",
            "",
            "## What the generator encodes, and what it cannot know",
            "",
            "It encodes the guide's claims as shapes on the log-odds: ignored attempts are neutral up to",
            "2 or 3 and then hurt by less with each one; unanswered attempts this week hurt and fade with",
            "space; silence helps up to about 30 days, then flattens, and very long silence slowly hurts;",
            "a block hurts most when fresh, more when everywhere; reaching out within 4 to 6 weeks of a",
            "request to stop hurts strongly and the request weighs after; anger lowers the odds step by",
            "step; furious, wronged and blocked everywhere stays under a small ceiling; an apology softens",
            "the wronged case; a positive reply or an ex who reached out raises the odds, a cold reply,",
            "emotional messages and drama lower them. The answers are drawn with realistic links between",
            "them (more ignored attempts go with more requests to stop and blocks; having wronged the ex",
            "goes with more anger). `safety_concern` is drawn but never changes the odds.",
            "",
            "It cannot know whether any of this is true. No study measures these effects; the sizes are",
            "guesses with plausible ranges, and only the overall rate leans on published figures. A model",
            "trained on these rows learns the guide's assumptions, not how real breakups end.",
            "",
            "## How the sample was made",
            "",
            "```",
            SAMPLE_COMMAND,
            "```",
            "",
            f"{len(sample):,} rows, seed {SAMPLE_SEED}, every assumption at its reviewed value",
            f"(assumptions hash `{assumptions_hash(table.defaults())[:16]}`).",
            f"Reconciled rate in the sample {sample['reconciled'].mean():.3f}, mean `p_true`"
            f" {sample['p_true'].mean():.3f}; the target overall rate is",
            f"{table['overall_reconciliation_rate'].value:g} (`../shared/reference/base-rates.md`).",
            "",
            "Larger sets are generated, not committed (`data/synthetic/*.parquet` is ignored by git):",
            "",
            "```",
            "exodds synth --rows 1000000 --seed 1 --out data/synthetic/train.parquet",
            "exodds synth --rows 200000 --seed 2 --out big.csv.gz --set block_some_harm=1.2",
            "```",
            "",
            "The same seed and assumptions always give the same bytes. The answer columns of every row",
            "pass the quiz's own validation (`model.quiz.validation.validate_frame`).",
            "",
            "## Columns",
            "",
            data_dictionary(),
            "",
            "## Assumptions",
            "",
            "Sources and one-line meanings are in `model/truth/assumptions.toml`; change a value there (reviewed),",
            "or try one without editing with `--set name=value` or `generate(..., overrides={...})`.",
            "Terms are the parts of the true log-odds (`model.truth.generator.logit_terms`); `answers` entries shape",
            "who is in the data, not anyone's odds.",
            "",
            assumptions_table(),
            "",
        ]
    )
