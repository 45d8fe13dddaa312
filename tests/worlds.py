"""Small worlds for the tests of ``exodds update``: who answers the quiz is drawn as the generator draws
them, but the truth behind the outcome is, except in ``guide``, not the guide's.

Never measure the update only against the generator it was trained on: ``issue`` moves three of the
guide's own assumptions (a lower base rate, a block that hurts more, a warm reply that helps less);
``reweighted`` re-weights the guide's named terms and drops its ceiling. ``benchmarks/worlds.py`` has
the full set (a complementary log-log world, a floor and a ceiling) and the seeds the figures use.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from model.truth import generator

ISSUE = {
    "overall_reconciliation_rate": 0.18,
    "block_some_harm": 1.2,
    "block_everywhere_extra_harm": 1.2,
    "reply_positive_boost": 0.4,
}
REWEIGHT = {
    "anger": 0.5,
    "silence": 0.4,
    "ex_reached_out": 1.8,
    "told_no_contact": 1.5,
    "emotional_messages": 0.0,
    "time_since_breakup": 2.0,
}
WORLDS = ("guide", "issue", "reweighted")


def _answers(rows: int, seed: int) -> pd.DataFrame:
    return generator.generate(rows, seed=seed).drop(columns=["reconciled", "p_true"])


def _reweighted_score(answers: pd.DataFrame) -> np.ndarray:
    t = generator.logit_terms(answers).drop(columns=["intercept", "hopeless_ceiling"])
    for term, mult in REWEIGHT.items():
        t[term] = t[term] * mult
    return t.sum(axis=1).to_numpy()


@cache
def _reweighted_shift(rate: float = 0.22) -> float:
    s = _reweighted_score(_answers(20_000, 99))
    lo, hi = -20.0, 20.0
    for _ in range(60):  # the intercept that gives the population this overall rate
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if np.mean(1 / (1 + np.exp(-(s + mid)))) < rate else (lo, mid)
    return (lo + hi) / 2


def true_probability(name: str, answers: pd.DataFrame) -> np.ndarray:
    if name == "guide":
        return generator.true_probability(answers)
    if name == "issue":
        return generator.true_probability(answers, ISSUE)
    if name == "reweighted":
        return 1 / (1 + np.exp(-(_reweighted_score(answers) + _reweighted_shift())))
    raise ValueError(f"unknown world {name!r}; expected one of {', '.join(WORLDS)}")


def world(name: str, rows: int, seed: int) -> pd.DataFrame:
    """``rows`` quiz takers of world ``name``: the answers, ``reconciled`` (0/1) and ``p_true``."""
    answers = _answers(rows, seed)
    p = true_probability(name, answers)
    y = (np.random.default_rng([seed, 991]).random(rows) < p).astype(np.int64)
    return answers.assign(reconciled=y, p_true=p)
