"""A second, independent generator with other plausible shapes of the guide's claims.

The model must learn the truth from data, not restate ``model.truth.generator``. This
generator shares only the answer columns: its answer distributions and its
effect shapes (exponential fades, logistic steps, a saturating count effect)
are written differently on purpose. Tests train the same pipeline on it and
compare with its truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _choice(rng, n, values, p):
    return np.asarray(values, dtype=object)[rng.choice(len(values), size=n, p=p)]


def alt_answers(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = rows
    since = np.round(rng.gamma(1.3, 60, n)).astype(np.int64) + 1
    silent = np.minimum(np.round(rng.exponential(25, n)).astype(np.int64), since)
    wronged = rng.random(n) < 0.3
    anger_level = np.clip(rng.poisson(0.8 + 1.2 * wronged), 0, 3)
    told = rng.random(n) < 0.1 + 0.08 * anger_level
    ignored = rng.negative_binomial(1.2, 0.35 + 0.2 * ~told, n)
    # a last contact in the past 7 days is at least one contact in them
    last_week = np.where(silent < 7, 1 + rng.poisson(0.3 + 0.3 * (ignored > 2)), 0)
    block_draw = rng.random(n)
    p_block = 0.08 + 0.1 * told + 0.05 * anger_level
    blocked = np.where(block_draw < p_block * 0.5, "everywhere", np.where(block_draw < p_block, "some", "no"))
    days_blocked = np.where(blocked != "no", np.minimum(rng.integers(0, 120, n), since), -1)
    tone = np.where(
        rng.random(n) < 0.2,
        "never_replied",
        np.where(
            anger_level >= 2,
            _choice(rng, n, ["cold", "neutral"], [0.7, 0.3]),
            _choice(rng, n, ["positive", "neutral", "cold"], [0.35, 0.45, 0.2]),
        ),
    )
    ignored = np.where(tone == "never_replied", np.maximum(ignored, last_week), ignored)  # none were answered
    df = pd.DataFrame(
        {
            "days_since_breakup": since,
            "days_silent": silent,
            "attempts_ignored": ignored,
            "attempts_last_week": last_week,
            "blocked": blocked,
            "days_blocked": pd.array(np.where(days_blocked >= 0, days_blocked, 0), dtype="Int64"),
            "told_no_contact": np.where(told, "yes", "no"),
            "anger": np.array(["none", "annoyed", "angry", "furious"], dtype=object)[anger_level],
            "wronged_them": np.where(wronged, "yes", "no"),
            "apologized": np.where(rng.random(n) < 0.3 + 0.4 * wronged, "yes", "no"),
            "bad_blood": np.where(rng.random(n) < 0.25 + 0.1 * anger_level, "yes", "no"),
            "last_reply_tone": tone,
            "ex_reached_out": np.where(rng.random(n) < 0.15 + 0.1 * (tone == "positive"), "yes", "no"),
            "emotional_messages": rng.poisson(0.7 + 0.5 * (ignored > 3), n),
            "safety_concern": _choice(rng, n, ["no", "yes", "prefer_not_to_say"], [0.88, 0.05, 0.07]),
        }
    )
    df.loc[days_blocked < 0, "days_blocked"] = pd.NA
    return df


def alt_truth(df: pd.DataFrame) -> np.ndarray:
    """Other shapes of the same claims: smooth fades and saturating harms."""
    s = df["days_silent"].to_numpy(float)
    ign = df["attempts_ignored"].to_numpy(float)
    wk = df["attempts_last_week"].to_numpy(float)
    anger = df["anger"].map({"none": 0, "annoyed": 1, "angry": 2, "furious": 3}).to_numpy(float)
    blocked = df["blocked"].map({"no": 0, "some": 1, "everywhere": 2}).to_numpy(float)
    db = df["days_blocked"].fillna(0).to_numpy(float)
    told = (df["told_no_contact"] == "yes").to_numpy(float)
    wronged = (df["wronged_them"] == "yes").to_numpy(float)
    apol = (df["apologized"] == "yes").to_numpy(float)
    tone = df["last_reply_tone"]
    z = -1.2
    z += 0.9 * (1 - np.exp(-s / 20)) - 0.4 * np.clip((s - 120) / 400, 0, 1)
    z += -1.1 / (1 + np.exp(-(ign - 3.0))) - 0.15 * np.log1p(np.maximum(ign - 3, 0))
    z += -0.35 * np.maximum(wk - 1, 0) ** 0.7
    z += -(0.5 * (blocked >= 1) + 0.5 * (blocked == 2)) * np.exp(-db / 15) - 0.3 * (blocked == 2)
    z += -told * (0.4 + 1.4 / (1 + np.exp((s - 35) / 5)))
    z += -np.array([0, 0.3, 0.8, 1.5])[anger.astype(int)]
    z += -0.5 * wronged + 0.4 * wronged * apol
    z += -1.5 * ((anger == 3) & (wronged == 1) & (blocked == 2))
    z += np.where(tone == "positive", 0.8, 0) + np.where(tone == "cold", -0.5, 0)
    z += np.where(tone == "never_replied", -0.3, 0)
    z += 1.0 * (df["ex_reached_out"] == "yes").to_numpy(float)
    z += -0.25 * np.minimum(df["emotional_messages"].to_numpy(float), 6)
    z += -0.35 * (df["bad_blood"] == "yes").to_numpy(float)
    return 1 / (1 + np.exp(-z))


def alt_generate(rows: int, seed: int) -> pd.DataFrame:
    df = alt_answers(rows, seed)
    p = alt_truth(df)
    df["reconciled"] = (np.random.default_rng(seed + 1).random(rows) < p).astype(np.int64)
    df["p_true"] = p
    return df
