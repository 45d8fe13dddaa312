"""The generator's assumptions (``assumptions.toml``): each number with its plausible range and source.

Why a module of its own: the assumptions are what a reviewer reads and what a notebook changes;
the generator only uses them. A file that breaks its own rules (a value outside its range, no
source) is refused when read (``ConfigError``), and an impossible override (a probability of 1.5)
when given (``UsageError``).
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from model.errors import ConfigError, UsageError

__all__ = [
    "GROUPS",
    "SAMPLED_GROUPS",
    "TERMS",
    "Assumption",
    "Assumptions",
    "assumption_values",
    "assumptions_hash",
    "load_assumptions",
    "sample_assumptions",
    "stale_assumptions_warning",
]

GROUPS = ("target", "effects", "shapes", "answers")
#: Groups the assumption ensemble draws from; answer-distribution parameters stay fixed.
SAMPLED_GROUPS = ("target", "effects", "shapes")

#: unit -> (lowest allowed, highest allowed, open interval?). Values outside these are impossible,
#: not merely implausible: an override outside [low, high] but inside these is a valid "what if".
_UNIT_LIMITS: dict[str, tuple[float, float, bool]] = {
    "log-odds": (-math.inf, math.inf, True),
    "log-scale": (-math.inf, math.inf, True),
    "probability": (0.0, 1.0, True),
    "fraction": (0.0, 1.0, False),
    "days": (0.0, math.inf, True),
    "ratio": (0.0, math.inf, True),
    "attempts": (0.0, math.inf, False),
    "messages": (0.0, math.inf, False),
}

#: Terms of the true log-odds, in the order ``logit_terms`` returns them. "intercept" is solved from
#: the target rate; "hopeless_ceiling" is the (non-positive) adjustment that enforces the ceiling.
TERMS: tuple[str, ...] = (
    "intercept",
    "ignored_attempts",
    "recent_pressure",
    "silence",
    "long_silence",
    "block",
    "told_no_contact",
    "anger",
    "wronged",
    "furious_wronged_blocked",
    "last_reply",
    "ex_reached_out",
    "emotional_messages",
    "bad_blood",
    "time_since_breakup",
    "hopeless_ceiling",
)
_KNOWN_TERMS = frozenset(TERMS) | {"answers"}


# ------------------------------------------------------------------------------------------------
# Assumptions
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assumption:
    """One named number of the generator, with its plausible range and where it comes from."""

    name: str
    value: float
    low: float
    high: float
    source: str
    meaning: str
    group: str = "effects"
    unit: str = "log-odds"
    term: str = "answers"

    def check(self, value: float) -> None:
        """Raise ``UsageError`` when ``value`` is impossible for this assumption's unit."""
        lo, hi, open_ = _UNIT_LIMITS[self.unit]
        if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool):
            raise UsageError(f"assumption {self.name}: {value!r} is not a number")
        v = float(value)
        if not math.isfinite(v):
            raise UsageError(f"assumption {self.name}: {value!r} is not a finite number")
        bad = (v <= lo or v >= hi) if open_ else (v < lo or v > hi)
        if bad:
            bracket = ("(", ")") if open_ else ("[", "]")
            hi_text = "inf" if math.isinf(hi) else f"{hi:g}"
            raise UsageError(
                f"assumption {self.name} = {v:g} is impossible for its unit ({self.unit}): expected a value in "
                f"{bracket[0]}{lo:g}, {hi_text}{bracket[1]} (plausible range {self.low:g} to {self.high:g})"
            )


class Assumptions(Mapping[str, Assumption]):
    """Immutable mapping name -> Assumption, in file order."""

    def __init__(self, items: Mapping[str, Assumption]):
        self._items = dict(items)

    def __getitem__(self, name: str) -> Assumption:
        try:
            return self._items[name]
        except KeyError:
            raise KeyError(_unknown(name, self._items)) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Assumptions({len(self)} names: {', '.join(self._items)})"

    def defaults(self) -> dict[str, float]:
        """Every assumption at its reviewed value."""
        return {k: a.value for k, a in self._items.items()}

    def names(self, group: str | None = None, term: str | None = None) -> tuple[str, ...]:
        """Names in file order, optionally only one group or one term."""
        return tuple(
            k
            for k, a in self._items.items()
            if (group is None or a.group == group) and (term is None or a.term == term)
        )


def _unknown(name: str, valid: Mapping[str, Any]) -> str:
    return f"unknown assumption {name!r}; valid names: {', '.join(valid)}"


_FIELDS = ("value", "low", "high", "unit", "term", "source", "meaning")


def _parse_assumptions(raw: Mapping[str, Any], where: str) -> Assumptions:
    items: dict[str, Assumption] = {}
    for group, table in raw.items():
        if group not in GROUPS:
            raise ConfigError(f"{where}: unknown group [{group}]; expected one of {', '.join(GROUPS)}")
        for name, entry in table.items():
            label = f"{where}: [{group}.{name}]"
            if name in items:
                raise ConfigError(f"{label}: the name is already used in [{items[name].group}]")
            missing = [f for f in _FIELDS if f not in entry]
            extra = [f for f in entry if f not in _FIELDS]
            if missing or extra:
                raise ConfigError(f"{label}: missing fields {missing or 'none'}, unknown fields {extra or 'none'}")
            if entry["unit"] not in _UNIT_LIMITS:
                raise ConfigError(f"{label}: unit {entry['unit']!r} is not one of {', '.join(_UNIT_LIMITS)}")
            if entry["term"] not in _KNOWN_TERMS:
                known = ", ".join(sorted(_KNOWN_TERMS))
                raise ConfigError(f"{label}: term {entry['term']!r} is not one of {known}")
            if (group == "answers") != (entry["term"] == "answers"):
                raise ConfigError(f"{label}: only [answers] entries (and all of them) have term = 'answers'")
            for f in ("source", "meaning"):
                if not isinstance(entry[f], str) or not entry[f].strip():
                    raise ConfigError(f"{label}: {f} must be a non-empty string")
            a = Assumption(
                name=name,
                value=float(entry["value"]),
                low=float(entry["low"]),
                high=float(entry["high"]),
                source=entry["source"].strip(),
                meaning=entry["meaning"].strip(),
                group=group,
                unit=entry["unit"],
                term=entry["term"],
            )
            for f in ("value", "low", "high"):
                try:
                    a.check(getattr(a, f))
                except UsageError as exc:
                    raise ConfigError(f"{label}: {f}: {exc}") from None
            if not a.low <= a.value <= a.high or a.low == a.high:
                raise ConfigError(
                    f"{label}: expected low < high and low <= value <= high, got {a.low:g}, {a.value:g}, {a.high:g}"
                )
            items[name] = a
    return Assumptions(items)


@cache
def _default_assumptions() -> Assumptions:
    text = resources.files("model.truth").joinpath("assumptions.toml").read_text(encoding="utf-8")
    return _parse_assumptions(tomllib.loads(text), "model/truth/assumptions.toml")


def load_assumptions(path: str | Path | None = None) -> Assumptions:
    """The reviewed assumptions (``model/truth/assumptions.toml``), or another file of the same form.

    The file is checked on load: every entry has a value inside its own
    plausible range, a source, a meaning, a known unit and term.
    """
    if path is None:
        return _default_assumptions()
    p = Path(path)
    return _parse_assumptions(tomllib.loads(p.read_text(encoding="utf-8")), str(p))


def assumption_values(overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """Every assumption's value, with ``overrides`` applied (checked by name and unit).

    Values outside the plausible [low, high] range are allowed: overrides are
    "what if" questions. Impossible values (a half-life of 0 days, a
    probability of 1.5) and unknown names raise UsageError.
    """
    table = load_assumptions()
    values = table.defaults()
    for name, value in (overrides or {}).items():
        if name not in table:
            raise UsageError(_unknown(name, table))
        table[name].check(value)
        values[name] = float(value)
    return values


def assumptions_hash(values: Mapping[str, float]) -> str:
    """A stable sha256 of assumption values (canonical JSON), for model cards and caches."""
    canon = {str(k): float(v) for k, v in values.items()}
    text = json.dumps(canon, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sample_assumptions(rng: np.random.Generator) -> dict[str, float]:
    """One draw of the target, effect and shape assumptions from their plausible ranges.

    Each is drawn from a triangular distribution over [low, high] peaked at
    the reviewed value, so draws stay plausible and centre on the review.
    Answer-distribution parameters keep their values: the ensemble asks how
    much the odds depend on the guide's claims, not on who takes the quiz.
    Returns every assumption (so the dict can be hashed and passed as overrides).
    """
    table = load_assumptions()
    values = table.defaults()
    for name, a in table.items():
        if a.group in SAMPLED_GROUPS:
            values[name] = float(rng.triangular(a.low, a.value, a.high))
    return values


def stale_assumptions_warning(model: Any) -> str | None:
    """Why a model's odds may not follow ``model/truth/assumptions.toml`` any more (None when they do, or
    when the model was not trained on the generator): the file changed after it was trained."""
    card = getattr(model, "card", None) or {}
    trained = card.get("assumptions_sha256")
    before = card.get("updated_from") if card.get("source") == "update" else None
    if not trained and isinstance(before, dict) and before.get("assumptions_sha256"):
        trained = before["assumptions_sha256"]  # an updated model: what the model it came from followed
    if not trained:
        return None
    try:
        now = assumptions_hash({k: a.value for k, a in load_assumptions().items()})
    except (OSError, ValueError, KeyError):  # a broken assumptions file is reported where it is used
        return None
    if now == trained:
        return None
    if before is not None and not card.get("assumptions_sha256"):
        return (
            "model/truth/assumptions.toml has changed since the model this one was updated from was trained, so "
            "its odds start from the old assumptions: retrain that model (`exodds train --default`), then run "
            "`exodds update` on it again with the same outcomes"
        )
    return (
        "model/truth/assumptions.toml has changed since this model was trained, so its odds still follow the "
        "old assumptions: run `exodds train --default` (then `exodds examples` and `exodds notebooks`)"
    )
