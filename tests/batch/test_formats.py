"""Date and time layouts of form exports: zones, several layouts in one column, and finding them."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from model.batch.formats import find_layouts, read_date
from model.batch.mapping import parse_timestamps

GOOGLE = "%Y/%m/%d %I:%M:%S %p GMT%z"


def google_stamp(when: dt.datetime, offset: str) -> str:
    hour = when.hour % 12 or 12
    return f"{when:%Y/%m/%d} {hour}:{when:%M:%S} {'AM' if when.hour < 12 else 'PM'} {offset}"


@settings(max_examples=150, deadline=None)
@given(
    when=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)),
    offset=st.sampled_from(["GMT+1", "GMT+2", "GMT", "GMT-5", "GMT+5:30", "GMT+01:00", "UTC", "UTC+10"]),
)
def test_a_google_forms_timestamp_reads_as_the_date_written_whatever_its_zone(when, offset):
    assert read_date(google_stamp(when, offset), [GOOGLE]) == (when.date(), None)
    days, blank, bad = parse_timestamps(pd.Series([google_stamp(when, offset)]), GOOGLE)
    assert days.tolist() == [when.date()] and not bad.any() and not blank.any()


def test_zone_suffixes_of_other_tools_are_understood():
    assert read_date("2026-11-20T21:14:03+01:00", ["%Y-%m-%dT%H:%M:%S%z"])[0] == dt.date(2026, 11, 20)
    assert read_date("2026-11-20T21:14:03Z", ["%Y-%m-%dT%H:%M:%SZ"])[0] == dt.date(2026, 11, 20)
    assert read_date("20/11/2026 21:14 (UTC)", ["%d/%m/%Y %H:%M %Z"])[0] == dt.date(2026, 11, 20)


def test_a_value_two_layouts_read_as_different_days_is_refused_not_guessed():
    assert read_date("11-20-2026", ["%m-%d-%Y", "%Y-%m-%d"]) == (dt.date(2026, 11, 20), None)
    assert read_date("2026-11-03", ["%m-%d-%Y", "%Y-%m-%d"]) == (dt.date(2026, 11, 3), None)
    day, why = read_date("01-02-2026", ["%m-%d-%Y", "%d-%m-%Y"])
    assert day is None and why == "ambiguous: reads as 2026-01-02 as '%m-%d-%Y'; 2026-02-01 as '%d-%m-%Y'"
    assert read_date("01-01-2026", ["%m-%d-%Y", "%d-%m-%Y"]) == (dt.date(2026, 1, 1), None)  # the same day
    assert read_date("soon", ["%m-%d-%Y", "%Y-%m-%d"]) == (None, "expected '%m-%d-%Y' or '%Y-%m-%d'")


def test_layouts_are_found_for_each_tool():
    assert find_layouts(["2026/11/20 9:14:03 PM GMT+1", "2026/07/02 10:00:00 AM GMT+2"], True).formats == [GOOGLE]
    assert find_layouts(["Nov 20, 2026", "Dec 1, 2026"], True).formats == ["%b %d, %Y"]
    assert find_layouts(["2026-11-20 20:14:03"], True).formats == ["%Y-%m-%d %H:%M:%S"]
    assert find_layouts(["20-11-2026 21:14:03", "2-12-2026 9:05:00"], True).formats == ["%d-%m-%Y %H:%M:%S"]


def test_a_column_mixing_two_layouts_gets_both_and_a_swappable_one_gets_both_orders():
    mixed = find_layouts(["11-20-2026", "2026-11-03", "10-13-2026", "2026-10-01", "12-01-2026"], False)
    assert mixed.formats == ["%m-%d-%Y", "%Y-%m-%d"] and not mixed.swappable and not mixed.misfits
    either = find_layouts(["01/02/2026", "03/04/2026", "05/06/2026"], False)
    assert either.formats == ["%m/%d/%Y", "%d/%m/%Y"] and either.swappable
    settled = find_layouts(["01/02/2026", "03/04/2026", "25/06/2026"], False)
    assert settled.formats == ["%d/%m/%Y"] and not settled.swappable


@settings(max_examples=100, deadline=None)
@given(st.lists(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 1, 1)), min_size=1, max_size=30),
       st.sampled_from(["%m/%d/%Y", "%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%b %d, %Y", "%m-%d-%Y"]))
def test_found_layouts_never_read_a_value_as_another_day(days, fmt):
    """Whatever the template finds for a column, each value reads as its own day or is refused."""
    values = [d.strftime(fmt) for d in days]
    found = find_layouts(values, False)
    assert found.found
    for d, v in zip(days, values, strict=True):
        got, why = read_date(v, found.formats)
        assert got == d or (got is None and why.startswith("ambiguous")), (v, found.formats, got)
