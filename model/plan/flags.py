"""The guide's own flags as variables: no contact complete, pressing unanswered, a request not yet respected.

Why with the plan: each uses one of the plan's thresholds (``advice_rules.toml``), so the number
lives in one place. The odds model does not read them; ``FeatureExtractor`` offers them beside
the model's variables (``model.training.variables``), for the comparison models and for analysts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from model.plan.rules import load_rules
from model.quiz.validation import check_clean, is_choice

__all__ = ["guide_flags", "guide_flags_meaning"]


def guide_flags_meaning() -> dict[str, tuple[str, str]]:
    """name -> (meaning, range), with the thresholds the rules file sets now."""
    r = load_rules()
    return {
        "no_contact_complete": (
            f"1 once {r.wait('no_contact_30')} days without contact are complete (guide line 54)",
            "0, 1",
        ),
        "pressing_unanswered": (
            f"1 if at least {r.threshold('pressing_last_week')} attempts in the past week and at least "
            f"{r.threshold('ignored_min')} unanswered (guide line 50)",
            "0, 1",
        ),
        "request_not_yet_respected": (
            f"1 if told to stop and fewer than {r.threshold('told_to_stop_days')} days of silence since "
            "(guide line 124: 4 to 6 weeks)",
            "0, 1",
        ),
    }


def guide_flags(clean: pd.DataFrame) -> dict[str, Any]:
    """The flags for answers that passed ``validate_frame``, as float arrays by name."""
    check_clean(clean)
    r = load_rules()
    silent = clean["days_silent"].to_numpy(dtype=np.float64)
    week = clean["attempts_last_week"].to_numpy(dtype=np.float64)
    ignored = clean["attempts_ignored"].to_numpy(dtype=np.float64)
    told = is_choice(np.asarray(clean["told_no_contact"].cat.codes), "told_no_contact", "yes")
    return {
        "no_contact_complete": (silent >= r.wait("no_contact_30")).astype(np.float64),
        "pressing_unanswered": (
            (week >= r.threshold("pressing_last_week")) & (ignored >= r.threshold("ignored_min"))
        ).astype(np.float64),
        "request_not_yet_respected": ((told > 0) & (silent < r.threshold("told_to_stop_days"))).astype(np.float64),
    }
