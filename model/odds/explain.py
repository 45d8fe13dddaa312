"""Which answers move the odds most: the top factor up and down, one rule for the report and batch.

Why here: batch scoring picks a row's top factors from the scoring tables without building the
explanation frame, and the report lists factors from that frame; both must name the same
question, with the same least size worth a line (``MIN_LOG_ODDS``).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from model.quiz.definition import QUIZ

__all__ = ["MIN_LOG_ODDS", "factor_dtype", "pick", "top_factors"]

MIN_LOG_ODDS = 0.05  # smaller effects (under about 5% on the odds) are not worth a line


def pick(values: np.ndarray, questions: np.ndarray, none: int, raising: bool) -> np.ndarray:
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
def factor_dtype() -> pd.CategoricalDtype:
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
        empty = pd.Categorical.from_codes(np.full(n, none, np.int16), dtype=factor_dtype(), validate=False)
        return empty, empty
    values = contrib[names].to_numpy(dtype=np.float64)
    if not n:
        up = down = np.empty(0, np.int16)
    else:
        up = np.where(values.max(axis=1) >= MIN_LOG_ODDS, codes[values.argmax(axis=1)], none)
        down = np.where(values.min(axis=1) <= -MIN_LOG_ODDS, codes[values.argmin(axis=1)], none)
    return (
        pd.Categorical.from_codes(up.astype(np.int16), dtype=factor_dtype(), validate=False),
        pd.Categorical.from_codes(down.astype(np.int16), dtype=factor_dtype(), validate=False),
    )
