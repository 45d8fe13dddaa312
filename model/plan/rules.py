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

from model.errors import ConfigError

__all__ = [
    "NO_DATE_REASONS",
    "WAIT_REASONS",
    "Rule",
    "Rules",
    "SourcePart",
    "Support",
    "band",
    "band_meaning",
    "bands",
    "load_rules",
    "rules_markdown",
    "source_parts",
]

# wait_reason code -> plain words for a report. The codes are the [waits] tables of the rules
# file and the reasons for no date at all (NO_DATE_REASONS). "{span}" is the wait's length in
# words, from the rules file.
WAIT_REASONS: dict[str, str] = {
    "heavy_pursuit": "many of your messages went unanswered: their silence is their answer",
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
#: Reasons that give no date at all, whatever the wait since: after a "no" (heavy pursuit, a request
#: to stop, a block that stands) and on the safety plan ("none": no wait rule applies).
NO_DATE_REASONS: tuple[str, ...] = ("heavy_pursuit", "told_to_stop", "blocked", "none")
SUPPORT_WHEN = ("safety", "heavy_pursuit")

# A source is parts separated by "; ", each starting with one of these (see the rules file's head).
_KINDS = {
    "guide": r'line (\d+): "([^"]+)"$',
    "published": r"base-rates\.md: ",
    "assumption": r"our assumption: ",
    "beyond": r"our step beyond the guide",
}
_PART_START = re.compile(r'; (?=line \d+: "|base-rates\.md: |our assumption: |our step beyond the guide)')
_LINE = re.compile(r"\bline \d+")


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


@dataclass(frozen=True)
class SourcePart:
    """One part of a source: the guide's words on one line, a published figure, or ours."""

    kind: str  # "guide", "published", "assumption" or "beyond" (our step beyond the guide)
    text: str  # the part as written in the rules file
    line: int | None = None  # the guide's line, for kind "guide"
    quote: str | None = None  # the words on that line, for kind "guide"


def source_parts(source: str) -> list[SourcePart]:
    """A source split into its parts; refuses a part of no known kind, or one naming a line of the guide
    without quoting it unless it is marked as ours: a report must never cite a line for words it lacks."""
    parts = []
    for text in _PART_START.split(source):
        kind, m = next(((k, re.match(p, text)) for k, p in _KINDS.items() if re.match(p, text)), ("", None))
        if m is None:
            raise ConfigError(
                f"advice rules: source part {text!r} must start with 'line N: \"quote\"', 'base-rates.md: ', "
                "'our assumption: ' or 'our step beyond the guide'"
            )
        if kind == "published" and _LINE.search(text):
            raise ConfigError(f"advice rules: source part {text!r} names a line of the guide without quoting it")
        parts.append(SourcePart(kind, text, int(m.group(1)), m.group(2)) if kind == "guide" else SourcePart(kind, text))
    return parts


@dataclass(frozen=True)
class Support:
    """One place to turn to: who it is for and how to reach it (``when``: safety, heavy_pursuit)."""

    id: str
    when: tuple[str, ...]
    name: str
    for_: str
    how: str
    source: str
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "for": self.for_, "how": self.how, "url": self.url}


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
    support: tuple[Support, ...]

    def wait(self, name: str) -> int:
        return int(self.waits[name].value)

    def threshold(self, name: str) -> int:
        return int(self.thresholds[name].value)

    def support_for(self, *occasions: str) -> list[Support]:
        """The resources listed for any of ``occasions`` ("safety", "heavy_pursuit"), in file order."""
        return [s for s in self.support if set(s.when) & set(occasions)]

    def table(self) -> list[tuple[str, float | str, str]]:
        """(name, value, source) for every number, in file order: the README table."""
        rows: list[tuple[str, float | str, str]] = [(f"waits.{k}", r.value, r.source) for k, r in self.waits.items()]
        rows += [(f"thresholds.{k}", r.value, r.source) for k, r in self.thresholds.items()]
        rows.append(("base_rate", self.base_rate.value, self.base_rate.source))
        rows.append(("stayed_together", self.stayed_together.value, self.stayed_together.source))
        ends = [f"below {e:g}" for e in self.band_edges] + [f"from {self.band_edges[-1]:g}"]
        rows += [
            (f"bands.{label}", end, src)
            for label, end, src in zip(self.band_labels, ends, self.band_sources, strict=True)
        ]
        return rows


_WAIT_NAMES = tuple(c for c in WAIT_REASONS if c not in NO_DATE_REASONS)
_THRESHOLD_NAMES = (
    "ignored_min",
    "pressing_last_week",
    "many_ignored",
    "heavy_pursuit",
    "harassment_last_week",
    "told_to_stop_days",
    "reopen_window",
    "rebuild_recent_days",
)


def _rule(name: str, raw: Mapping[str, Any], where: str) -> Rule:
    for key in ("value", "source", "meaning"):
        if key not in raw:
            raise ConfigError(f"advice rules: {where}.{name} has no '{key}'")
    value = raw["value"]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f"advice rules: {where}.{name}.value = {value!r}: expected a number >= 0")
    _check_source(raw["source"], f"{where}.{name}")
    return Rule(name, value, raw["source"], raw["meaning"])


def _check_source(source: Any, where: str) -> None:
    if not isinstance(source, str) or not source:
        raise ConfigError(f"advice rules: {where} has no source")
    try:
        source_parts(source)
    except ConfigError as exc:
        raise ConfigError(f"{exc} (in {where}.source)") from None


def _support(raw: Any) -> tuple[Support, ...]:
    out = []
    for i, entry in enumerate(raw):
        where = f"support[{i}]"
        missing = [k for k in ("id", "when", "name", "for", "how", "source") if k not in entry]
        if missing:
            raise ConfigError(f"advice rules: {where} has no {', '.join(repr(k) for k in missing)}")
        when = tuple(entry["when"])
        if not when or set(when) - set(SUPPORT_WHEN):
            raise ConfigError(f"advice rules: {where}.when = {list(when)!r}: expected some of {list(SUPPORT_WHEN)}")
        url = entry.get("url")
        if url is not None and not str(url).startswith("https://"):
            raise ConfigError(f"advice rules: {where}.url = {url!r}: expected an https:// address")
        _check_source(entry["source"], where)
        out.append(Support(entry["id"], when, entry["name"], entry["for"], entry["how"], entry["source"], url))
    for occasion in SUPPORT_WHEN:
        if not any(occasion in s.when for s in out):
            raise ConfigError(f"advice rules: no support is listed for {occasion!r}")
    return tuple(out)


def _parse_rules(raw: Mapping[str, Any]) -> Rules:
    waits = {k: _rule(k, v, "waits") for k, v in raw.get("waits", {}).items()}
    if set(waits) != set(_WAIT_NAMES):
        raise ConfigError(f"advice rules: waits must be exactly {sorted(_WAIT_NAMES)}, got {sorted(waits)}")
    thresholds = {k: _rule(k, v, "thresholds") for k, v in raw.get("thresholds", {}).items()}
    if set(thresholds) != set(_THRESHOLD_NAMES):
        raise ConfigError(
            f"advice rules: thresholds must be exactly {sorted(_THRESHOLD_NAMES)}, got {sorted(thresholds)}"
        )
    if thresholds["many_ignored"].value >= thresholds["heavy_pursuit"].value:
        raise ConfigError(
            f"advice rules: thresholds.many_ignored ({thresholds['many_ignored'].value!r}) must be below "
            f"thresholds.heavy_pursuit ({thresholds['heavy_pursuit'].value!r}), or its wait never applies"
        )
    base = _rule("base_rate", raw["base_rate"], "")
    stayed = _rule("stayed_together", raw["stayed_together"], "")
    if not stayed.value < base.value <= 1:
        raise ConfigError(
            f"advice rules: stayed_together ({stayed.value!r}) must be below base_rate ({base.value!r}), and "
            "base_rate at most 1 (staying together is the rarer outcome)"
        )
    plans = dict(raw.get("plans", {}))
    if set(plans) != {"move_on"}:
        raise ConfigError(f"advice rules: plans must be exactly ['move_on'], got {sorted(plans)}")
    deviations = dict(raw.get("deviations", {}))
    for kind, table in (("plans", plans), ("deviations", deviations)):
        for key, entry in table.items():
            _check_source(entry.get("source"), f"{kind}.{key}")
    raw_bands = raw.get("bands", [])
    if len(raw_bands) < 2 or "below" in raw_bands[-1] or any("below" not in b for b in raw_bands[:-1]):
        labels = [b.get("label") for b in raw_bands]
        raise ConfigError(
            f"advice rules: bands {labels} need an upper end ('below') on every band but the last, and none on the last"
        )
    edges = np.array([b["below"] for b in raw_bands[:-1]], dtype=np.float64)
    if not (np.all(np.diff(edges) > 0) and edges[0] > 0 and edges[-1] < 1):
        raise ConfigError(f"advice rules: band ends {edges.tolist()} must rise strictly inside (0, 1)")
    for b in raw_bands:
        _check_source(b.get("source"), f"band {b.get('label')!r}")
    return Rules(
        waits=waits,
        thresholds=thresholds,
        base_rate=base,
        stayed_together=stayed,
        band_labels=tuple(b["label"] for b in raw_bands),
        band_edges=edges,
        band_meanings=tuple(b["meaning"] for b in raw_bands),
        band_sources=tuple(b["source"] for b in raw_bands),
        deviations=deviations,
        plans=plans,
        support=_support(raw.get("support", [])),
    )


def rules_markdown() -> str:
    """Every number of the rules file with its source, as the README's table (a test keeps them equal)."""
    rows = ["| name | value | source |", "|---|---|---|"]
    for name, value, source in load_rules().table():
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        rows.append(f"| `{name}` | {shown} | {source.replace('|', '/')} |")
    return "\n".join(rows)


@cache
def load_rules() -> Rules:
    """The rules file, parsed and checked once per process."""
    text = resources.files("model.plan").joinpath("advice_rules.toml").read_text(encoding="utf-8")
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
        raise ConfigError(
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
