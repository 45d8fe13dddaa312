"""Every variable ``FeatureExtractor`` gives: the odds model's own and the guide's flags, in one table.

Why here: the two come from different layers (``model.odds.features``, ``model.plan.flags``), and
training is the first layer that may read both. ``FEATURES`` documents each; the README's table is
generated from it (a test keeps them equal).
"""

from __future__ import annotations

import pandas as pd

from model.odds.features import VARIABLES, features_from_clean
from model.plan.flags import guide_flags, guide_flags_meaning

__all__ = ["FEATURES", "features_markdown", "variables_from_clean"]

# The column order FeatureExtractor has always had: the guide's flags sit among the derived ones.
_ORDER = (
    *[v for v in VARIABLES if v not in ("unanswered_last_week", "furious_wronged_blocked")],
    "no_contact_complete",
    "unanswered_last_week",
    "pressing_unanswered",
    "request_not_yet_respected",
    "furious_wronged_blocked",
)


def _features() -> dict[str, tuple[str, str]]:
    both = {**VARIABLES, **guide_flags_meaning()}
    return {name: both[name] for name in _ORDER}


FEATURES: dict[str, tuple[str, str]] = _features()


def variables_from_clean(clean: pd.DataFrame) -> pd.DataFrame:
    """All of ``FEATURES`` for answers that passed ``validate_frame`` (its ``clean``)."""
    frame = features_from_clean(clean)
    for name, values in guide_flags(clean).items():
        frame[name] = values
    return frame[list(FEATURES)]


def features_markdown() -> str:
    """The variables table for the README, from ``FEATURES``."""
    rows = ["| variable | meaning | range |", "|---|---|---|"]
    rows += [f"| `{name}` | {meaning} | {span} |" for name, (meaning, span) in FEATURES.items()]
    return "\n".join(rows)
