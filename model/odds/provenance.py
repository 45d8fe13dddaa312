"""What a model's odds rest on, in words: the guide's assumptions, and for a model ``exodds update``
wrote, the real outcomes it was updated with (or only checked against).

Why in the odds layer: the report prints these words next to the odds, ``exodds update`` prints the
same words when it writes the model, and the evaluation page names them; all three read only the
model's card, so one function serves them and they can never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

__all__ = ["GUIDE_ONLY", "introduction", "odds_basis", "trained_on_file", "updated_with"]

#: What the odds of a model trained on the generator alone rest on.
GUIDE_ONLY = "one breakup guide's assumptions"


def updated_with(card: Mapping[str, Any]) -> dict[str, Any] | None:
    """The real outcomes a model was updated with, from its card (None for a model ``exodds update``
    did not write): how many, how many events, the days they were collected between (None when the
    outcomes were not dated), the follow-up horizon, the method the closed test chose and the
    version of the model that was updated."""
    if card.get("source") != "update":
        return None
    o = card.get("outcomes")
    if not isinstance(o, Mapping) or not isinstance(o.get("rows"), int):
        return None
    u: Mapping[str, Any] = card["update"] if isinstance(card.get("update"), Mapping) else {}
    before: Mapping[str, Any] = card["updated_from"] if isinstance(card.get("updated_from"), Mapping) else {}
    return {
        "outcomes": int(o["rows"]),
        "events": o.get("events"),
        "collected_from": o.get("collected_from"),
        "collected_to": o.get("collected_to"),
        "horizon_days": o.get("horizon_days"),
        "method": u.get("method"),
        "updated_from": before.get("version"),
    }


def trained_on_file(card: Mapping[str, Any]) -> dict[str, Any] | None:
    """The file a model ``exodds train --data`` wrote was trained on, from its card (None for the
    guide's model and for an update): how many answer sets with outcomes, and the file's name. Whether
    those outcomes are real, the card cannot say; the words never claim it."""
    if card.get("source") in (None, "generator", "update") or not isinstance(card.get("crossfit"), Mapping):
        return None
    split: Mapping[str, Any] = card["split"] if isinstance(card.get("split"), Mapping) else {}
    rows = split.get("final_fit", card.get("rows"))
    source = str(card.get("source") or "")
    name = source.replace("\\", "/").rsplit("/", 1)[-1] if source and source != "dataframe" else None
    return {"rows": int(rows) if isinstance(rows, int) else None, "file": name}


def odds_basis(card: Mapping[str, Any]) -> str:
    """The words a report puts next to the odds: ``GUIDE_ONLY`` for a model of the guide alone; "a model
    trained on 2,000 answer sets with their outcomes (followup.csv)" for one trained on a file; for an
    updated one, "the guide's assumptions, updated with N real outcomes collected between 4 January
    2027 and 22 June 2027" ("checked against" when the closed test kept the model unchanged, so the
    report never claims a correction that was not made)."""
    u = updated_with(card)
    t = trained_on_file(card)
    if t is not None:
        n = f"{t['rows']:,} answer sets with their outcomes" if t["rows"] else "answer sets with their outcomes"
        return f"a model trained on {n}" + (f" ({t['file']})" if t["file"] else "")
    if u is None:
        return GUIDE_ONLY
    verb = "checked against" if u["method"] == "keep" else "updated with"
    n = u["outcomes"]
    words = f"the guide's assumptions, {verb} {n:,} real outcome{'s' if n != 1 else ''}"
    first, last = _day(u["collected_from"]), _day(u["collected_to"])
    if first and last:
        return f"{words} collected between {first} and {last}" if first != last else f"{words} collected on {first}"
    return f"{words} (when they were collected was not recorded)"


def _day(iso: Any) -> str | None:
    try:
        d = dt.date.fromisoformat(str(iso)[:10])
    except (TypeError, ValueError):
        return None
    return f"{d.day} {d:%B %Y}"


def introduction(card: Mapping[str, Any]) -> str:
    """What the quiz says, before the first question, that its odds rest on (the web page and the
    terminal quiz): the guide's assumptions on synthetic data for the guide's model, else the words
    the report prints next to the odds."""
    if trained_on_file(card) is None and updated_with(card) is None:
        return (
            "Your answers give odds that you get back together and a next step, as one breakup guide's "
            "assumptions see them. The odds come from a model trained on synthetic (made-up) data, not from "
            "what happened to real couples."
        )
    return (
        "Your answers give odds that you get back together and a next step. The odds come from "
        f"{odds_basis(card)}: not a measured chance for you."
    )
