"""The advice rules file (``advice_rules.toml``), parsed and checked once, and the odds bands it sets.

Every number the plan uses lives in that file with its source; this module refuses a file whose
entries lack a value, a source or a meaning, so a change there is reviewed, not guessed at.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

__all__ = ["WAIT_REASONS", "Rule", "Rules", "band", "band_meaning", "bands", "load_rules"]

# wait_reason code -> plain words for a report. The codes are the [waits] tables of the rules
# file, "told_to_stop" (a request to stop: no date at all, deviations.request_to_stop) and "none"
# (no wait rule: the safety plan). "{span}" is the wait's length in words, from the rules file.
WAIT_REASONS: dict[str, str] = {
    "told_to_stop": "they asked you to stop contacting them",
    "blocked": "they have blocked you",
    "many_ignored": "many of your attempts went unanswered",
    "angry": "they are angry with you",
    "pressing": "you reached out several times in the past week",
    "ignored": "your last attempts went unanswered",
    "cold": "their last reply was cold, or they seem annoyed",
    "no_contact_30": "a full {span} without contact are complete",
    "after_positive_reply": "{span} of space after a warm reply",
    "recent_contact": "about {span} of space after any contact",
    "rebuild_spacing": "{span} between messages while you are talking again",
    "none": "no wait applies",
}
_LINE_REF = re.compile(r"^(line \d+|base-rates\.md|our assumption)")


# --------------------------------------------------------------------------------------------
# Rules file
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One entry of the rules file: a number, where it comes from, what it means."""

    name: str
    value: float
    source: str
    meaning: str
    counted_from: str | None = None


@dataclass(frozen=True)
class Rules:
    """The parsed rules file. ``waits`` keeps file order, which is the tie-break priority."""

    waits: dict[str, Rule]
    thresholds: dict[str, Rule]
    base_rate: Rule
    stayed_together: Rule
    band_labels: tuple[str, ...]
    band_edges: np.ndarray  # upper ends, one fewer than labels
    band_meanings: tuple[str, ...]
    band_sources: tuple[str, ...]
    deviations: dict[str, dict[str, str]]
    plans: dict[str, dict[str, str]]

    def wait(self, name: str) -> int:
        return int(self.waits[name].value)

    def threshold(self, name: str) -> int:
        return int(self.thresholds[name].value)

    def table(self) -> list[tuple[str, float | str, str]]:
        """(name, value, source) for every number, in file order: the README table."""
        rows = [(f"waits.{k}", r.value, r.source) for k, r in self.waits.items()]
        rows += [(f"thresholds.{k}", r.value, r.source) for k, r in self.thresholds.items()]
        rows.append(("base_rate", self.base_rate.value, self.base_rate.source))
        rows.append(("stayed_together", self.stayed_together.value, self.stayed_together.source))
        ends = [f"below {e:g}" for e in self.band_edges] + [f"from {self.band_edges[-1]:g}"]
        rows += [
            (f"bands.{label}", end, src)
            for label, end, src in zip(self.band_labels, ends, self.band_sources, strict=True)
        ]
        return rows


_WAIT_NAMES = tuple(c for c in WAIT_REASONS if c not in ("none", "told_to_stop"))  # (no wait: no date)
_THRESHOLD_NAMES = (
    "ignored_min",
    "pressing_last_week",
    "many_ignored",
    "harassment_last_week",
    "told_to_stop_days",
    "reopen_window",
    "rebuild_recent_days",
)


def _rule(name: str, raw: Mapping[str, Any], where: str) -> Rule:
    for key in ("value", "source", "meaning"):
        if key not in raw:
            raise ValueError(f"advice rules: {where}.{name} has no '{key}'")
    value = raw["value"]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"advice rules: {where}.{name}.value = {value!r}: expected a number >= 0")
    if not _LINE_REF.match(raw["source"]):
        raise ValueError(
            f"advice rules: {where}.{name}.source = {raw['source']!r}: expected 'line N: ...', "
            "'base-rates.md: ...' or 'our assumption: ...'"
        )
    return Rule(name, value, raw["source"], raw["meaning"], raw.get("from"))


def _parse_rules(raw: Mapping[str, Any]) -> Rules:
    waits = {k: _rule(k, v, "waits") for k, v in raw.get("waits", {}).items()}
    if set(waits) != set(_WAIT_NAMES):
        raise ValueError(f"advice rules: waits must be exactly {sorted(_WAIT_NAMES)}, got {sorted(waits)}")
    for r in waits.values():
        if r.counted_from not in ("last_contact", "block"):
            raise ValueError(
                f"advice rules: waits.{r.name}.from = {r.counted_from!r}: expected last_contact or block"
            )
    thresholds = {k: _rule(k, v, "thresholds") for k, v in raw.get("thresholds", {}).items()}
    if set(thresholds) != set(_THRESHOLD_NAMES):
        raise ValueError(
            f"advice rules: thresholds must be exactly {sorted(_THRESHOLD_NAMES)}, got {sorted(thresholds)}"
        )
    base = _rule("base_rate", raw["base_rate"], "")
    stayed = _rule("stayed_together", raw["stayed_together"], "")
    if not stayed.value < base.value <= 1:
        raise ValueError(
            f"advice rules: stayed_together ({stayed.value!r}) must be below base_rate ({base.value!r}), and "
            "base_rate at most 1 (staying together is the rarer outcome)"
        )
    plans = dict(raw.get("plans", {}))
    if set(plans) != {"move_on"} or any(not _LINE_REF.match(p.get("source", "")) for p in plans.values()):
        raise ValueError(f"advice rules: plans must be exactly ['move_on'], each with a source, got {sorted(plans)}")
    raw_bands = raw.get("bands", [])
    if len(raw_bands) < 2 or "below" in raw_bands[-1] or any("below" not in b for b in raw_bands[:-1]):
        labels = [b.get("label") for b in raw_bands]
        raise ValueError(
            f"advice rules: bands {labels} need an upper end ('below') on every band but the last, "
            "and none on the last"
        )
    edges = np.array([b["below"] for b in raw_bands[:-1]], dtype=np.float64)
    if not (np.all(np.diff(edges) > 0) and edges[0] > 0 and edges[-1] < 1):
        raise ValueError(f"advice rules: band ends {edges.tolist()} must rise strictly inside (0, 1)")
    for b in raw_bands:
        if not _LINE_REF.match(b.get("source", "")):
            raise ValueError(f"advice rules: band {b.get('label')!r} needs a source")
    return Rules(
        waits=waits,
        thresholds=thresholds,
        base_rate=base,
        stayed_together=stayed,
        band_labels=tuple(b["label"] for b in raw_bands),
        band_edges=edges,
        band_meanings=tuple(b["meaning"] for b in raw_bands),
        band_sources=tuple(b["source"] for b in raw_bands),
        deviations=dict(raw.get("deviations", {})),
        plans=plans,
    )


@cache
def load_rules() -> Rules:
    """The rules file, parsed and checked once per process."""
    text = resources.files("model").joinpath("advice_rules.toml").read_text(encoding="utf-8")
    return _parse_rules(tomllib.loads(text))


# --------------------------------------------------------------------------------------------
# Bands
# --------------------------------------------------------------------------------------------


def bands(p: Any) -> np.ndarray:
    """Plain-words band for each probability (vectorised); relative to the base rate, never a promise.
    A band is that of the whole percentage shown (``render.pct`` rounds the same way)."""
    arr = np.asarray(p, dtype=np.float64)
    bad = ~np.isfinite(arr) | (arr < 0) | (arr > 1)
    if bad.any():
        first = arr.reshape(-1)[np.flatnonzero(bad.reshape(-1))[0]]
        raise ValueError(
            f"odds must be probabilities from 0 to 1: got {first!r} ({int(bad.sum())} value(s) out of range)"
        )
    rules = load_rules()
    labels = np.array(rules.band_labels, dtype=object)
    # banded as the whole percentage a report shows (38% is one band, whether 0.3798 or 0.3805)
    shown = np.round(arr * 100)
    return labels[np.searchsorted(np.round(rules.band_edges * 100), shown, side="right")]


def band(p: float) -> str:
    """Plain-words band for one probability."""
    return str(bands(np.array([p]))[0])


def band_meaning(label: str) -> str:
    """One sentence saying what a band means against the base rate."""
    rules = load_rules()
    return rules.band_meanings[rules.band_labels.index(label)]
