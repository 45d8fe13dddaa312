"""Turn clean quiz answers into the variables the odds model reads.

The variables are the answers themselves in numbers (so the model and a reader see the same
things), plus two derived ones that need no rule of the plan. ``VARIABLES`` documents each; the
guide's own flags, which use the plan's thresholds, live with the plan (``model.plan.flags``), and
``model.training.variables`` puts both together for ``FeatureExtractor`` and the README.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.quiz.definition import QUIZ
from model.quiz.validation import check_clean, is_choice

__all__ = ["VARIABLES", "features_from_clean"]

# name -> (meaning, range). Order is the output column order.
VARIABLES: dict[str, tuple[str, str]] = {
    "days_since_breakup": ("days since the breakup", "0 to 36500"),
    "days_silent": ("days since the person last contacted the ex", "0 to 36500"),
    "attempts_ignored": ("unanswered attempts since the ex's last reply", "0 to 10000"),
    "attempts_last_week": ("attempts to reach the ex in the past 7 days", "0 to 10000"),
    "blocked": ("0 not blocked, 1 blocked on some apps or the number, 2 everywhere", "0, 1, 2"),
    "days_blocked": ("days since the block; 0 when not blocked", "0 to 36500"),
    "told_no_contact": ("1 if the ex asked not to be contacted", "0, 1"),
    "anger": ("the ex's anger: 0 none, 1 annoyed, 2 angry, 3 furious", "0 to 3"),
    "wronged_them": ("1 if the breakup followed something the person did that badly hurt the ex", "0, 1"),
    "apologized": ("1 if the person sincerely apologized", "0, 1"),
    "bad_blood": ("1 if the breakup was full of drama and fights", "0, 1"),
    "reply_positive": ("1 if the ex's last reply was positive", "0, 1"),
    "reply_cold": ("1 if the ex's last reply was cold", "0, 1"),
    "never_replied": ("1 if the ex never replied (neutral last reply is the baseline)", "0, 1"),
    "ex_reached_out": ("1 if the ex contacted the person on their own", "0, 1"),
    "emotional_messages": ("emotional, late-night or drunk messages sent since the breakup", "0 to 10000"),
    "safety_concern": (
        "1 if violence, threats or control were reported; drives advice, never the odds",
        "0, 1",
    ),
    "safety_undisclosed": ("1 if the person preferred not to answer the safety question", "0, 1"),
    "unanswered_last_week": (
        "attempts in the past 7 days that are still unanswered: the smaller of the two counts (guide line 50)",
        "0 to 10000",
    ),
    "furious_wronged_blocked": (
        "1 if furious, wronged and blocked everywhere: the guide's 'pretty unlikely' case (line 138)",
        "0, 1",
    ),
}


def features_from_clean(clean: pd.DataFrame) -> pd.DataFrame:
    """Variables for answers that already passed ``validate_frame`` (its ``clean``)."""
    check_clean(clean)
    code = {q.id: np.asarray(clean[q.id].cat.codes) for q in QUIZ if not q.is_numeric}
    num = {q.id: clean[q.id].to_numpy(dtype=np.float64, na_value=0.0) for q in QUIZ if q.is_numeric}
    blocked = code["blocked"].astype(np.float64)  # choices are ordered no, some, everywhere
    anger = code["anger"].astype(np.float64)  # none, annoyed, angry, furious
    told = is_choice(code["told_no_contact"], "told_no_contact", "yes")
    wronged = is_choice(code["wronged_them"], "wronged_them", "yes")
    out = {
        "days_since_breakup": num["days_since_breakup"],
        "days_silent": num["days_silent"],
        "attempts_ignored": num["attempts_ignored"],
        "attempts_last_week": num["attempts_last_week"],
        "blocked": blocked,
        "days_blocked": np.where(blocked > 0, num["days_blocked"], 0.0),
        "told_no_contact": told,
        "anger": anger,
        "wronged_them": wronged,
        "apologized": is_choice(code["apologized"], "apologized", "yes"),
        "bad_blood": is_choice(code["bad_blood"], "bad_blood", "yes"),
        "reply_positive": is_choice(code["last_reply_tone"], "last_reply_tone", "positive"),
        "reply_cold": is_choice(code["last_reply_tone"], "last_reply_tone", "cold"),
        "never_replied": is_choice(code["last_reply_tone"], "last_reply_tone", "never_replied"),
        "ex_reached_out": is_choice(code["ex_reached_out"], "ex_reached_out", "yes"),
        "emotional_messages": num["emotional_messages"],
        "safety_concern": is_choice(code["safety_concern"], "safety_concern", "yes"),
        "safety_undisclosed": is_choice(code["safety_concern"], "safety_concern", "prefer_not_to_say"),
        "unanswered_last_week": np.minimum(num["attempts_last_week"], num["attempts_ignored"]),
        "furious_wronged_blocked": (
            is_choice(code["anger"], "anger", "furious") * wronged * is_choice(code["blocked"], "blocked", "everywhere")
        ),
    }
    matrix = np.zeros((len(clean), len(VARIABLES)), dtype=np.float64, order="F")
    for j, name in enumerate(VARIABLES):
        matrix[:, j] = out[name]
    return pd.DataFrame(matrix, index=clean.index, columns=list(VARIABLES), copy=False)
