"""Dates as a person types them: the as-of day answers are judged against, and ISO dates.

Why a small module of its own: the command line parses --as-of and the terminal quiz recognises a
typed date before anything heavy is loaded; validation uses the same two functions.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from model.errors import UsageError

__all__ = ["AS_OF_FIRST", "AS_OF_LAST", "ISO_DATE_SHAPE", "iso_date", "parse_as_of"]

ISO_DATE_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}$")  # a date as typed, whether or not the day exists

#: The as-of dates exodds judges answers against: every date a report works out from one (100 years
#: back for the longest answer, the plan's waits, 90 days of what-if ahead) stays a real calendar
#: date, and the span is far wider than any answer needs. The command line, the web API and batch
#: timestamps all refuse a day outside it with this reason.
AS_OF_FIRST = dt.date(1900, 1, 1)
AS_OF_LAST = dt.date(2999, 12, 31)


def parse_as_of(value: Any = None) -> dt.date:
    """The date answers are judged against: today unless told otherwise."""
    if value is None or value == "":
        return dt.date.today()
    day = iso_date(value)
    if day is None:
        raise UsageError(f"as-of date {value!r} is not an ISO date (YYYY-MM-DD)")
    if not AS_OF_FIRST <= day <= AS_OF_LAST:
        raise UsageError(f"as-of date {value!r} is outside the dates exodds scores ({AS_OF_FIRST} to {AS_OF_LAST})")
    return day


def iso_date(value: Any) -> dt.date | None:
    """A date, datetime or ISO text (date, or date and time) -> the day; None if it is none of these.

    The whole text must parse: "2026-10-17junk" is not read as 2026-10-17, and a
    bare number is not taken for a date.
    """
    if isinstance(value, dt.datetime):  # also pd.Timestamp
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not re.match(r"\d{4}-\d\d-\d\d(?:$|[T ])", text):
        return None  # fromisoformat would also take basic forms like 20261017
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        return None
