"""Truths that disagree with the generator in structure, for benchmarking ``exodds train --data`` (issue 19).

(``model.truth.generator`` is called ``model.synthetic`` below, its name when these were written.
``benchmarks/worlds.py`` holds the worlds of ``exodds update``, issue 18: a different question.)

``model.synthetic`` writes the guide's claims as a sum of smooth terms on the log-odds (a logit link).
A model whose basis was designed with that generator in view can look good on it for the wrong reasons,
so the trainer is judged here on truths built differently on purpose:

- ``cloglog_truth`` (truth A): a complementary log-log link, p = 1 - exp(-exp(eta)), so the effects
  multiply the hazard exp(eta) rather than add to the log-odds, and probabilities saturate near the top;
  a hard step at 3 ignored attempts; a three-way interaction (blocked x told to stop x angry or furious);
  a block whose harm fades; base rate 0.22.
- ``probit_truth`` (truth B): a probit link, p = Phi(eta); silence acts through thresholds (14, 45 and
  365 days); the last reply's tone interacts with days of silence (a positive reply's benefit decays
  with silence, a cold reply hurts only while recent); the ex reaching out helps more soon after the
  breakup; having wronged the ex hurts more when the breakup was full of drama; a threshold at 3
  emotional messages; base rate 0.40.
- ``bounded_truth`` (truth C): a logistic curve squeezed between a floor and a ceiling,
  p = 0.03 + 0.62 * expit(eta) (no respondent is certain either way, which no logit model can follow at
  the ends); the ex reaching out interacts with reply tone; emotional messages hurt more with bad blood;
  a request to stop hurts twice as much when the person also pressed this week; base rate 0.30.

All three draw answers from ``draw_answers``, whose distributions (two latent traits, "conflict" and
"pursuit", and a mixture for days since the breakup) are written independently of both
``model.synthetic`` and ``tests/alt_generator.py``. Every truth respects the guide's directions (more
ignored attempts, anger, blocks, requests to stop, emotional messages or drama never raise the odds):
those are the model's sign constraints, a product decision these benchmarks do not question.

Each ``generate``-like function returns answers with the quiz's columns and value vocabularies (as a CSV
reader gives them: int64, nullable Int64 for ``days_blocked``, plain strings), which
``model.quiz.validation.validate_frame`` accepts, plus ``reconciled`` (0/1) and ``p_true``. The same
(rows, seed) always gives the same frame. The intercept of each truth is solved once, on a fixed
reference sample of 200,000 rows, so that the mean of ``p_true`` there is the truth's base rate.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import ndtr

from model.numeric import expit

__all__ = ["TRUTHS", "bounded_truth", "cloglog_truth", "draw_answers", "probit_truth"]

_ANGER = ("none", "annoyed", "angry", "furious")
_BLOCKED = ("no", "some", "everywhere")
_TONE = ("positive", "neutral", "cold", "never_replied")
_REFERENCE_ROWS, _REFERENCE_SEED = 200_000, 990_001


def draw_answers(rows: int, seed: int) -> dict[str, np.ndarray]:
    """Answers as arrays: numbers as int64 (``days_blocked`` -1 when not blocked), choices as codes in
    the quiz's order (``anger``: none..furious, ``blocked``: no..everywhere, ``last_reply_tone``:
    positive, neutral, cold, never_replied; yes/no questions as 0/1 for no/yes)."""
    rng = np.random.default_rng([seed, 4242])
    n = rows
    conflict = rng.standard_normal(n)  # how bitter the breakup was
    pursuit = rng.standard_normal(n)  # how hard the person chases the ex
    # days since the breakup: a recent-breakup bump and a long tail of older ones
    recent = rng.random(n) < 0.6
    since = np.where(
        recent, np.exp(np.log(40) + 0.9 * rng.standard_normal(n)), np.exp(np.log(300) + 0.8 * rng.standard_normal(n))
    )
    since = np.clip(np.floor(since), 0, 3650).astype(np.int64)
    silent = np.floor(np.exp(np.log(18) - 0.7 * pursuit + 1.1 * rng.standard_normal(n)))
    silent = np.minimum(silent, since).astype(np.int64)
    ignored = rng.negative_binomial(0.8, 0.8 / (0.8 + np.exp(0.4 + 0.8 * pursuit))).astype(np.int64)
    # a last contact inside the past 7 days is a contact in them (the quiz's consistency rule): at least 1
    last_week = np.where(silent < 7, 1 + rng.poisson(np.exp(0.1 + 0.6 * pursuit)), 0).astype(np.int64)
    wronged = rng.random(n) < expit(-1.1 + 0.6 * conflict)
    bad = rng.random(n) < expit(-0.9 + 1.0 * conflict)
    anger_latent = 1.2 * conflict + 0.9 * wronged + 0.35 * np.log1p(ignored) + rng.logistic(size=n)
    anger = np.digitize(anger_latent, [-0.3, 1.2, 2.6]).astype(np.int64)
    told = rng.random(n) < expit(-2.4 + 0.55 * anger + 0.45 * np.log1p(ignored))
    block_latent = 0.7 * anger + 1.1 * told + 0.25 * np.log1p(ignored) + rng.logistic(size=n)
    blocked = np.digitize(block_latent, [2.2, 3.6]).astype(np.int64)
    days_blocked = np.where(blocked > 0, np.minimum(rng.geometric(1 / 40, n) - 1, since), -1).astype(np.int64)
    apologized = rng.random(n) < np.where(wronged, 0.55, 0.2)
    u = rng.random(n)
    p_pos = np.clip(0.38 - 0.1 * anger - 0.08 * blocked, 0.03, None)
    p_never = np.clip(0.12 + 0.1 * blocked, 0, None)
    p_cold = np.clip(0.15 + 0.1 * anger, 0, None)
    tone = np.where(u < p_pos, 0, np.where(u < p_pos + p_never, 3, np.where(u < p_pos + p_never + p_cold, 2, 1)))
    # never replied: every attempt of the past week went unanswered too (the quiz's consistency rule)
    ignored = np.where(tone == 3, np.maximum(ignored, last_week), ignored)
    reached = rng.random(n) < expit(-1.6 + 0.9 * (tone == 0) - 0.35 * anger)
    emotional = rng.poisson(np.exp(-0.3 + 0.6 * pursuit + 0.4 * bad)).astype(np.int64)
    safety = rng.choice(3, size=n, p=[0.06, 0.86, 0.08])  # yes, no, prefer_not_to_say
    return {
        "days_since_breakup": since,
        "days_silent": silent,
        "attempts_ignored": ignored,
        "attempts_last_week": last_week,
        "blocked": blocked,
        "days_blocked": days_blocked,
        "told_no_contact": told.astype(np.int64),
        "anger": anger,
        "wronged_them": wronged.astype(np.int64),
        "apologized": apologized.astype(np.int64),
        "bad_blood": bad.astype(np.int64),
        "last_reply_tone": tone.astype(np.int64),
        "ex_reached_out": reached.astype(np.int64),
        "emotional_messages": emotional,
        "safety_concern": safety.astype(np.int64),
    }


def _frame(a: dict[str, np.ndarray]) -> pd.DataFrame:
    yes_no = np.array(["no", "yes"], dtype=object)
    blocked = a["days_blocked"] >= 0
    return pd.DataFrame(
        {
            "days_since_breakup": a["days_since_breakup"],
            "days_silent": a["days_silent"],
            "attempts_ignored": a["attempts_ignored"],
            "attempts_last_week": a["attempts_last_week"],
            "blocked": np.array(_BLOCKED, dtype=object)[a["blocked"]],
            "days_blocked": pd.arrays.IntegerArray(np.where(blocked, a["days_blocked"], 0), ~blocked),
            "told_no_contact": yes_no[a["told_no_contact"]],
            "anger": np.array(_ANGER, dtype=object)[a["anger"]],
            "wronged_them": yes_no[a["wronged_them"]],
            "apologized": yes_no[a["apologized"]],
            "bad_blood": yes_no[a["bad_blood"]],
            "last_reply_tone": np.array(_TONE, dtype=object)[a["last_reply_tone"]],
            "ex_reached_out": yes_no[a["ex_reached_out"]],
            "emotional_messages": a["emotional_messages"],
            "safety_concern": np.array(["yes", "no", "prefer_not_to_say"], dtype=object)[a["safety_concern"]],
        }
    )


# ------------------------------------------------------------------------------------------------
# The three truths: each a linear predictor (no intercept) and a link
# ------------------------------------------------------------------------------------------------


def _eta_cloglog(a: dict[str, np.ndarray]) -> np.ndarray:
    s, ign = a["days_silent"].astype(float), a["attempts_ignored"].astype(float)
    db = np.maximum(a["days_blocked"], 0).astype(float)
    blocked, anger, told = a["blocked"], a["anger"], a["told_no_contact"]
    eta = -0.9 * (ign >= 3) - 0.04 * np.minimum(ign, 25)  # a hard step at 3 ignored attempts
    eta += 0.8 * -np.expm1(-s / 25.0) - 0.5 * np.clip((s - 200) / 500, 0, 1)
    eta += -0.25 * np.log1p(a["days_since_breakup"] / 200.0)
    eta += -np.array([0.0, 0.25, 0.6, 1.0])[anger]
    eta += -np.array([0.0, 0.5, 0.9])[blocked] * (0.4 + 0.6 * np.exp(-db / 20.0))
    eta += -told * (0.5 + 0.6 * (s < 30))
    eta += -1.2 * ((blocked >= 1) & (told == 1) & (anger >= 2))  # the three-way cell
    eta += -0.45 * a["wronged_them"] + 0.3 * a["wronged_them"] * a["apologized"]
    eta += np.array([0.6, 0.0, -0.4, -0.5])[a["last_reply_tone"]]
    eta += 0.7 * a["ex_reached_out"]
    eta += -0.12 * np.minimum(a["emotional_messages"], 8)
    eta += -0.3 * a["bad_blood"]
    eta += -0.2 * np.sqrt(np.maximum(a["attempts_last_week"] - 1, 0))
    return eta


def _eta_probit(a: dict[str, np.ndarray]) -> np.ndarray:
    s, since = a["days_silent"].astype(float), a["days_since_breakup"].astype(float)
    tone = a["last_reply_tone"]
    eta = 0.35 * (s >= 14) + 0.25 * (s >= 45) - 0.3 * (s >= 365)  # thresholds on silence
    eta += np.where(tone == 0, 0.75 * np.exp(-s / 30.0), 0.0)  # a positive reply's benefit decays
    eta += np.where(tone == 2, -0.55 * (s < 10), 0.0)  # a cold reply hurts while it is recent
    eta += np.where(tone == 3, -0.35, 0.0)
    eta += a["ex_reached_out"] * np.where(since < 90, 0.6, 0.2)
    eta += -0.28 * np.log1p(a["attempts_ignored"])
    eta += -0.2 * a["anger"]
    eta += -np.array([0.0, 0.3, 0.7])[a["blocked"]]
    eta += -0.4 * a["told_no_contact"]
    eta += -0.15 * a["wronged_them"] - 0.45 * a["wronged_them"] * a["bad_blood"] - 0.1 * a["bad_blood"]
    eta += 0.15 * a["apologized"]
    eta += -0.4 * (a["emotional_messages"] >= 3)
    eta += -0.12 * np.minimum(a["attempts_last_week"], 5)
    eta += -0.15 * np.log1p(since / 365.0)
    return eta


def _eta_bounded(a: dict[str, np.ndarray]) -> np.ndarray:
    s, ign = a["days_silent"].astype(float), a["attempts_ignored"].astype(float)
    tone, reached, told = a["last_reply_tone"], a["ex_reached_out"], a["told_no_contact"]
    eta = 1.0 * -np.expm1(-s / 15.0) - 0.6 * np.clip((s - 120) / 300, 0, 1)
    eta += -0.6 * np.log1p(np.maximum(ign - 2, 0))
    eta += np.array([0.9, 0.0, -0.7, -0.6])[tone]
    eta += reached * np.array([0.4, 1.0, 1.2, 1.4])[tone]  # reaching out means most after a cold spell
    eta += -(0.15 + 0.25 * a["bad_blood"]) * np.log1p(a["emotional_messages"]) - 0.3 * a["bad_blood"]
    pressed = a["attempts_last_week"] >= 2
    eta += -told * (0.6 + 0.6 * pressed)
    eta += -np.array([0.0, 0.3, 0.7, 1.3])[a["anger"]]
    eta += -np.array([0.0, 0.6, 1.0])[a["blocked"]]
    eta += -0.5 * a["wronged_them"] * (1 - 0.5 * a["apologized"])
    eta += -0.3 * np.log1p(a["days_since_breakup"] / 100.0)
    return eta


def _cloglog(x: np.ndarray) -> np.ndarray:
    return -np.expm1(-np.exp(np.minimum(x, 30.0)))


def _bounded(x: np.ndarray) -> np.ndarray:
    return 0.03 + 0.62 * expit(x)


@cache
def _intercept(name: str) -> float:
    eta_fn, link, rate = _SPECS[name]
    eta = eta_fn(draw_answers(_REFERENCE_ROWS, _REFERENCE_SEED))
    return float(brentq(lambda b: float(link(b + eta).mean()) - rate, -20, 20, xtol=1e-12))


_SPECS: dict[str, tuple[Callable, Callable, float]] = {
    "cloglog": (_eta_cloglog, _cloglog, 0.22),
    "probit": (_eta_probit, ndtr, 0.40),
    "bounded": (_eta_bounded, _bounded, 0.30),
}


def true_probability(name: str, a: dict[str, np.ndarray]) -> np.ndarray:
    """``p_true`` of truth ``name`` for answer arrays from ``draw_answers``."""
    eta_fn, link, _ = _SPECS[name]
    return link(_intercept(name) + eta_fn(a))


def _generate(name: str, rows: int, seed: int) -> pd.DataFrame:
    a = draw_answers(rows, seed)
    p = true_probability(name, a)
    df = _frame(a)
    df["reconciled"] = (np.random.default_rng([seed, 77]).random(rows) < p).astype(np.int64)
    df["p_true"] = p
    return df


def cloglog_truth(rows: int, seed: int) -> pd.DataFrame:
    """Truth A: cloglog link (multiplicative effects on the hazard), hard step at 3 ignored attempts,
    blocked x told x (angry or furious), fading block, base rate 0.22."""
    return _generate("cloglog", rows, seed)


def probit_truth(rows: int, seed: int) -> pd.DataFrame:
    """Truth B: probit link, silence thresholds at 14/45/365 days, reply tone x days silent, reached out x
    days since the breakup, wronged x bad blood, a step at 3 emotional messages, base rate 0.40."""
    return _generate("probit", rows, seed)


def bounded_truth(rows: int, seed: int) -> pd.DataFrame:
    """Truth C: logistic squeezed into [0.03, 0.65], reached out x reply tone, emotional messages x bad
    blood, told x pressed this week, base rate 0.30."""
    return _generate("bounded", rows, seed)


TRUTHS: dict[str, Callable[[int, int], pd.DataFrame]] = {
    "cloglog": cloglog_truth,
    "probit": probit_truth,
    "bounded": bounded_truth,
}
