"""Worlds to test `exodds update` on: who takes the quiz is drawn as ``model.truth.generator.generate``
draws it (the same answer distribution), but the truth behind the outcome differs from the guide's.

Every world returns the frame ``generate`` returns: the quiz answers, ``reconciled`` (0/1) and
``p_true`` (the probability the world assumed), so it can be fed to ``exodds update`` (drop p_true)
and scored against the truth.

Worlds (each returns ``WORLDS[name](rows, seed)``):

- ``guide``: ``generate()`` itself; the guide is right.
- ``issue``: the issue's example, written as overrides of the guide's own assumptions: a lower base
  rate (0.18 instead of 0.29), a block that hurts twice as much, a warm reply that helps half as much.
  In the guide's family: the shipped basis can represent it exactly.
- ``reweighted``: our own re-weighting of the guide's named terms (anger and silence matter less,
  an ex reaching out and a request to stop more, emotional messages not at all, time since the
  breakup twice as much), base rate 0.22. Still additive on the log-odds.
- ``cloglog``: structurally different. The complementary log-log link instead of the logit, plus two
  interactions the basis lacks (a warm reply's boost fades with days of silence since it; an ex who
  reached out while angry or furious helps much less), no "hopeless" ceiling, base rate 0.25.
- ``floor_ceiling``: structurally different. p = 0.04 + 0.70 * expit(1.3 * guide logit + c): nobody
  below 4 % or above 74 % (a logistic model cannot represent a floor or a ceiling), steeper in the
  middle, base rate 0.27.

Design decisions in model/training/update.py were made (in a prototype) on ``issue`` and ``reweighted``
with development seeds (SEEDS_DEV); the first report used other seeds (SEEDS_REPORT), the final design
was measured on SEEDS_CONFIRM, and the ported package on SEEDS_PORT, never used before. ``cloglog`` and
``floor_ceiling`` were never looked at while designing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache

import numpy as np
import pandas as pd

from model.truth import generator as synthetic

__all__ = [
    "SEEDS_ALPHA",
    "SEEDS_CONFIRM",
    "SEEDS_DEV",
    "SEEDS_LEVELS",
    "SEEDS_PORT",
    "SEEDS_REPORT",
    "TEST_ROWS",
    "WORLDS",
    "test_set",
    "world",
]

SEEDS_DEV = tuple(range(100, 130))
SEEDS_REPORT = tuple(range(1000, 1030))  # the first report run (design fixed on SEEDS_DEV)
SEEDS_CONFIRM = tuple(range(3000, 3030))  # fresh seeds for the change made after the first report run
SEEDS_PORT = tuple(range(5000, 5030))  # fresh again: the package's own update.py, once ported (never tuned on)
SEEDS_ALPHA = tuple(range(7000, 7030))  # fresh again: alpha 0.01 (chosen after the port run) against 0.05
SEEDS_LEVELS = tuple(range(9000, 9030))  # fresh again: the two levels (0.01 to leave the model, 0.05 after)
TEST_ROWS = 20_000  # rows of the fixed test set each world's MAE to the truth is measured on
_TEST_SEED = 777_777
_REF_ROWS, _REF_SEED = 100_000, 20_260_101  # the population a world's intercept is solved on
_OUTCOME_STREAM = 991  # the outcomes are drawn from their own stream: answers stay generate()'s

ISSUE_OVERRIDES = {
    "overall_reconciliation_rate": 0.18,
    "block_some_harm": 1.2,
    "block_everywhere_extra_harm": 1.2,
    "reply_positive_boost": 0.4,
}

REWEIGHT = {  # term of model.truth.generator.logit_terms -> multiplier
    "anger": 0.5,
    "silence": 0.4,
    "ex_reached_out": 1.8,
    "told_no_contact": 1.5,
    "emotional_messages": 0.0,
    "time_since_breakup": 2.0,
}


def _expit(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


def _answers(rows: int, seed: int) -> pd.DataFrame:
    return synthetic.generate(rows, seed=seed).drop(columns=["reconciled", "p_true"])


@lru_cache(maxsize=1)
def _reference() -> pd.DataFrame:
    return _answers(_REF_ROWS, _REF_SEED)


def _solve_shift(prob: Callable[[float], np.ndarray], target: float) -> float:
    """The constant c with mean(prob(c)) = target on the reference population (bisection)."""
    lo, hi = -20.0, 20.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if float(prob(mid).mean()) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _guide_score(answers: pd.DataFrame) -> np.ndarray:
    """The guide's true log-odds without its intercept (ceiling applied as the guide applies it)."""
    t = synthetic.logit_terms(answers)
    return (t.sum(axis=1) - t["intercept"]).to_numpy()


def _reweighted_score(answers: pd.DataFrame) -> np.ndarray:
    t = synthetic.logit_terms(answers).drop(columns=["intercept", "hopeless_ceiling"])
    for term, mult in REWEIGHT.items():
        t[term] = t[term] * mult
    return t.sum(axis=1).to_numpy()


def _cloglog_score(answers: pd.DataFrame) -> np.ndarray:
    t = synthetic.logit_terms(answers).drop(columns=["intercept", "hopeless_ceiling"])
    score = t.sum(axis=1).to_numpy() - t["last_reply"].to_numpy()
    tone = answers["last_reply_tone"].astype(str).to_numpy()
    silent = answers["days_silent"].to_numpy(dtype=float)
    last_reply = np.select(
        [tone == "positive", tone == "cold", tone == "never_replied"],
        [1.2 * np.exp(-silent / 45.0), -0.5, -0.7],
        0.0,
    )
    angry = np.isin(answers["anger"].astype(str).to_numpy(), ["angry", "furious"])
    reached = answers["ex_reached_out"].astype(str).to_numpy() == "yes"
    return score + last_reply - 0.8 * (angry & reached)


def _cloglog(eta: np.ndarray) -> np.ndarray:
    return -np.expm1(-np.exp(np.minimum(eta, 30.0)))


def _floor_ceiling(eta: np.ndarray) -> np.ndarray:
    return 0.04 + 0.70 * _expit(eta)


@cache
def _shift(name: str) -> float:
    ref = _reference()
    kind = _KINDS[name]
    s = kind["score"](ref)
    link = kind["link"]
    return _solve_shift(lambda c: link(kind["scale"] * s + c), kind["rate"])


_KINDS: dict[str, dict] = {
    "reweighted": {"score": _reweighted_score, "link": _expit, "scale": 1.0, "rate": 0.22},
    "cloglog": {"score": _cloglog_score, "link": _cloglog, "scale": 1.0, "rate": 0.25},
    "floor_ceiling": {"score": _guide_score, "link": _floor_ceiling, "scale": 1.3, "rate": 0.27},
}


def true_probability(name: str, answers: pd.DataFrame) -> np.ndarray:
    """The world's true probability for answers (``generate``'s columns)."""
    if name == "guide":
        return synthetic.true_probability(answers)
    if name == "issue":
        return synthetic.true_probability(answers, ISSUE_OVERRIDES)
    kind = _KINDS[name]
    return kind["link"](kind["scale"] * kind["score"](answers) + _shift(name))


def world(name: str, rows: int, seed: int) -> pd.DataFrame:
    """``rows`` quiz takers of world ``name``: answers, reconciled, p_true (same seed, same rows)."""
    if name == "guide":
        return synthetic.generate(rows, seed=seed)
    answers = _answers(rows, seed)
    p = true_probability(name, answers)
    y = (np.random.default_rng([seed, _OUTCOME_STREAM]).random(rows) < p).astype(np.int64)
    return answers.assign(reconciled=y, p_true=p)


WORLDS = ("guide", "issue", "reweighted", "cloglog", "floor_ceiling")


@lru_cache(maxsize=8)
def test_set(name: str, rows: int = TEST_ROWS) -> pd.DataFrame:
    """The fixed set each world's MAE to the truth is measured on (a seed no update ever sees)."""
    return world(name, rows, _TEST_SEED)


if __name__ == "__main__":
    for name in WORLDS:
        d = world(name, 100_000, 1)
        p = d["p_true"]
        print(
            f"{name:<14} rate {d['reconciled'].mean():.3f}  mean p_true {p.mean():.3f}  "
            f"p_true 1/50/99%: {np.percentile(p, 1):.3f} {np.percentile(p, 50):.3f} {np.percentile(p, 99):.3f}"
        )
