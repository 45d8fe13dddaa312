"""Date and time layouts of form exports: reading a value with one layout or several, time-zone
suffixes, and finding a column's layouts for a mapping template.

Why a module of its own: form tools write dates their own ways (Google Forms
``2026/11/20 9:14:03 PM GMT+1``, Jotform ``Nov 20, 2026``, a re-saved sheet ``20-11-2026 21:14``), a
column can mix two layouts, and a layout that reads a value in two ways (``01/02/2026``) must never
pick one silently. Layouts are ``strptime`` codes. The as-of date of a response is the date as
written: a time-zone suffix (``GMT+1``, ``UTC``, ``+01:00``, ``Z``) is understood and set aside,
since the day the person answered is the day on the form, not that day in another zone.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "ZONE_SUFFIX",
    "DateLayouts",
    "ambiguous_values",
    "as_list",
    "find_layouts",
    "read_date",
    "readable_format",
    "split_zone",
    "strip_zone",
]

#: A time-zone suffix a form tool writes after a time: GMT+1, GMT+02:00, UTC, UTC-5, +01:00, +0100, Z.
ZONE_SUFFIX = re.compile(
    r"(?:\s*\(?\s*(?:GMT|UTC)\s*(?:[+-]\s*\d{1,2}(?::?\d{2})?)?\s*\)?|(?<=\d)\s*[+-]\d{2}:?\d{2}|(?<=\d)Z)\s*$",
    re.IGNORECASE,
)
#: The same suffix in a layout: %z, %Z, GMT%z, UTC%z or a literal Z, at its end.
_ZONE_FORMAT = re.compile(r"\s*\(?(?:GMT|UTC)?%[zZ]\)?\s*$|(?<=%S)Z$|\s*(?:GMT|UTC)$")


def strip_zone(text: str) -> str:
    """``text`` without a trailing time-zone suffix."""
    return ZONE_SUFFIX.sub("", text)


def as_list(fmt: str | Sequence[str] | None) -> list[str]:
    if fmt is None:
        return []
    return [fmt] if isinstance(fmt, str) else list(fmt)


def split_zone(fmt: str) -> tuple[str, bool]:
    """(the layout without its zone part, whether it had one)."""
    bare = _ZONE_FORMAT.sub("", fmt)
    return bare, bare != fmt


def readable_format(fmt: str) -> bool:
    """Whether strptime can read back a date written with ``fmt`` (an unknown code like %Q cannot)."""
    bare, _ = split_zone(fmt)
    sample = dt.datetime(2001, 2, 3, 4, 5, 6)
    try:
        dt.datetime.strptime(sample.strftime(bare), bare)
    except ValueError:
        return False
    return "%" in bare


def _read(text: str, fmt: str) -> dt.date | None:
    bare, zoned = split_zone(fmt)
    value = strip_zone(text) if zoned else text
    try:
        return dt.datetime.strptime(value, bare).date()
    except ValueError:
        return None


def read_date(text: str, formats: Sequence[str]) -> tuple[dt.date | None, str | None]:
    """(the date, None), or (None, why not): no layout reads it, or two read it as different days."""
    text = text.strip()
    found: dict[dt.date, str] = {}
    for fmt in formats:
        day = _read(text, fmt)
        if day is not None:
            found.setdefault(day, fmt)
    if len(found) == 1:
        return next(iter(found)), None
    if not found:
        shown = formats[0] if len(formats) == 1 else " or ".join(repr(f) for f in formats)
        return None, f"expected {shown}"
    ways = "; ".join(f"{d.isoformat()} as {f!r}" for d, f in found.items())
    return None, f"ambiguous: reads as {ways}"


_DATES = (
    "%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%Y/%m/%d", "%d.%m.%Y", "%m-%d-%Y", "%d-%m-%Y",
    "%m/%d/%y", "%d/%m/%y", "%d-%m-%y", "%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y", "%b %d %Y",
)
_TIMES = ("", " %H:%M:%S", " %H:%M", "T%H:%M:%S", " %I:%M:%S %p", " %I:%M %p", " %H:%M:%S.%f", "T%H:%M:%S.%f")
_ZONES = ("", " GMT%z", " UTC%z", "%z", "Z")


def _layouts(with_time: bool, zoned: bool) -> list[str]:
    out = []
    for base in _DATES:
        for time in _TIMES if with_time else ("",):
            for zone in (_ZONES if zoned and time else ("",)):
                out.append(base + time + zone)
    return out


@dataclass
class DateLayouts:
    """What ``find_layouts`` found for a column: its layouts (one, or two that never read a value
    two ways), the values none reads, and whether day and month could be swapped."""

    formats: list[str] = field(default_factory=list)
    misfits: list[str] = field(default_factory=list)
    swappable: bool = False
    values: list[str] = field(default_factory=list)  # the distinct values looked at

    @property
    def found(self) -> bool:
        return bool(self.formats)


def _fits(values: list[str], fmt: str) -> dict[str, dt.date]:
    out = {}
    for v in values:
        day = _read(v, fmt)
        if day is not None:
            out[v] = day
    return out


def find_layouts(values: Iterable[object], with_time: bool, most: bool = False) -> DateLayouts:
    """The layouts of a column's values.

    One layout that reads them all, or all but a stray few (at most 1 in 20: a hand-edited cell
    should not hide the column; those values are listed). Failing that, two layouts that together
    do and never read one value as two different days (Jotform mixing 11-20-2026 and 2026-11-20).
    With ``most``, one layout that reads more than half will do (a date answer typed two ways).
    Among layouts that read the same values, the listed order decides (month first, as US tools
    write), and ``swappable`` says that day-first reads them too, as other days.
    """
    vals = sorted({v.strip() for v in values if isinstance(v, str) and v.strip()})
    if not vals:
        return DateLayouts()
    zoned = any(ZONE_SUFFIX.search(v) for v in vals[:200])
    probe = vals[:: max(1, len(vals) // 8)][:8]
    candidates = [f for f in _layouts(with_time, zoned) if any(_read(v, f) is not None for v in probe)]
    fits = {f: _fits(vals, f) for f in candidates}
    if not fits:
        return DateLayouts(misfits=vals)
    allowed = len(vals) // 20
    ranked = sorted(fits, key=lambda f: -len(fits[f]))  # (stable: the listed order among equals)
    best = ranked[0]
    rest = [v for v in vals if v not in fits[best]]
    choice, left = [best], rest
    if len(rest) > allowed:
        for other in ranked[1:]:
            extra = {v: d for v, d in fits[other].items() if v in rest}
            if not extra or any(fits[best][v] != d for v, d in fits[other].items() if v in fits[best]):
                continue  # reads nothing new, or reads some value as another day: not unambiguous
            choice, left = [best, other], [v for v in rest if v not in extra]
            break
    if len(left) <= allowed or (most and len(left) * 2 < len(vals)):
        return _with_twins(choice, left, fits, vals)
    return DateLayouts(misfits=vals)


def _with_twins(
    formats: list[str], misfits: list[str], fits: dict[str, dict[str, dt.date]], values: list[str]
) -> DateLayouts:
    """The layouts found, each followed by any twin that reads exactly its values, some as other days
    (01/02 read day first): with both, a value they read apart is rejected as ambiguous, not guessed."""
    out = []
    for fmt in formats:
        out.append(fmt)
        mine = fits[fmt]
        for other, theirs in fits.items():
            if other not in out and theirs.keys() == mine.keys() and any(theirs[v] != mine[v] for v in mine):
                out.append(other)
    return DateLayouts(out, misfits, len(out) > len(formats), values)


def ambiguous_values(values: Iterable[str], formats: Sequence[str]) -> list[str]:
    """The values that ``formats`` read as two different days."""
    return [v for v in values if (read_date(v, formats)[1] or "").startswith("ambiguous")]
