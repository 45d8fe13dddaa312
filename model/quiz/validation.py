"""Validate quiz answers: one answer set or a million rows through the same code.

Everything is column-wise: a choice column is normalised once per distinct
value (``pd.factorize``), numbers are parsed with ``pd.to_numeric``. A single
answer set is validated as a one-row frame, so both paths agree by
construction. Every problem names the question, the value given and what was
expected; rows are never dropped silently.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import pandas as pd

from model.errors import AnswersError, InputError, UsageError
from model.quiz.dates import ISO_DATE_SHAPE, parse_as_of
from model.quiz.dates import iso_date as _iso_date
from model.quiz.definition import QUIZ, Question

__all__ = [
    "BETWEEN_ANSWERS",
    "EMPTY_RECORD",
    "AnswersError",
    "Problem",
    "ValidationResult",
    "ambiguous_number",
    "check_answer_sets",
    "check_answers",
    "check_clean",
    "check_one",
    "choice_reason",
    "choice_value",
    "clean_column",
    "clean_records",
    "missing_reason",
    "number_problem",
    "parse_as_of",
    "range_reasons",
    "validate_answers",
    "validate_frame",
    "validate_one",
]

PROBLEM_COLUMNS = ["row", "column", "value", "reason"]

_TRUE = {"yes", "y", "true", "t", "1", "1.0"}
_FALSE = {"no", "n", "false", "f", "0", "0.0"}
_SEP = re.compile(r"[\s\-]+")
MISSING = -1  # choice code for a blank answer
INVALID = -2  # choice code for an answer outside the list

#: A record with no answer at all: the one problem it gets, (column, reason).
EMPTY_RECORD = ("(record)", "no answers at all: an empty record")
_BREAKUP = "the breakup (days_since_breakup)"  # how a rule names the breakup given as a number of days
_SILENT_LONGER = "more days since last contact than since "
_NOT_BLOCKED = "given while blocked is 'no': leave it blank"
_BLOCK_LONGER = "more days since the block than since "
_WEEK_BUT_SILENT = "contact in the past 7 days, but days_silent says 7 or more days without contact"
_NO_WEEK_BUT_RECENT = "no contact in the past 7 days, but days_silent says the last contact was less than 7 days ago"
_NEVER_BUT_FEWER = (
    "fewer unanswered attempts than attempts_last_week, but last_reply_tone says they never replied, so "
    "every attempt since the breakup went unanswered"
)
#: The rules between answers, in the order ``validate_frame`` checks them: rule -> (the column its
#: problem names, the reason when every answer is a number). The SQL validation query
#: (``model.export.sql``) checks the same rules with the same words; a test holds it to this list.
BETWEEN_ANSWERS: dict[str, tuple[str, str]] = {
    "silent_longer_than_breakup": ("days_silent", _SILENT_LONGER + _BREAKUP),
    "days_blocked_while_not_blocked": ("days_blocked", _NOT_BLOCKED),
    "block_longer_than_breakup": ("days_blocked", _BLOCK_LONGER + _BREAKUP),
    "contact_this_week_but_silent": ("attempts_last_week", _WEEK_BUT_SILENT),
    "no_contact_this_week_but_recent": ("attempts_last_week", _NO_WEEK_BUT_RECENT),
    "never_replied_but_fewer_ignored": ("attempts_ignored", _NEVER_BUT_FEWER),
}


def range_reasons(q: Question) -> tuple[str, str, str]:
    """A number's problems, in the order they are checked: not whole, below the minimum, above the maximum."""
    return (
        f"not a whole number: expected {q.expected()}",
        f"below the minimum {q.min}: expected {q.expected()}",
        f"above the maximum {q.max}: expected {q.expected()}",
    )


def choice_reason(q: Question) -> str:
    """The problem of an answer that is none of a choice question's choices."""
    return f"not one of the choices: expected {q.expected()}"


def missing_reason(q: Question) -> str:
    """The problem of a required answer left blank (for a follow-up, when it is asked)."""
    return "missing: this answer is required" + (f" when {q.condition()}" if q.ask_if else "")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one answer."""

    row: Any
    column: str
    value: Any
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}: " if self.row is not None else ""
        return f"{where}{self.column} = {_show(self.value)}: {self.reason}"


@dataclass
class ValidationResult:
    """Per input row: clean answers (``clean``) or problems (``problems``)."""

    clean: pd.DataFrame
    problems: pd.DataFrame
    valid: np.ndarray

    @property
    def n_rows(self) -> int:
        return int(self.valid.size)

    @property
    def n_valid(self) -> int:
        return int(self.valid.sum())

    @property
    def n_rejected(self) -> int:
        return self.n_rows - self.n_valid

    def problem_list(self) -> list[Problem]:
        return [Problem(*t) for t in self.problems.itertuples(index=False, name=None)]


def _show(value: Any) -> str:
    if value is None or (pd.api.types.is_scalar(value) and not isinstance(value, str) and pd.isna(value)):
        return "(blank)"
    if isinstance(value, str) and not value.strip():  # '' or spaces: blank, as a missing value shows
        return "(blank)"
    if isinstance(value, np.generic):
        value = value.item()  # 50, not np.int64(50)
    if isinstance(value, Decimal):
        return str(value)  # 40.00, not Decimal('40.00') (a SQL export's decimal column)
    return repr(value)


class _Collector:
    """Gathers problems column by column as (positions, column, values, reason)."""

    def __init__(self, n: int):
        self.bad = np.zeros(n, dtype=bool)
        self.parts: list[pd.DataFrame] = []

    def add(self, mask: np.ndarray, column: str, raw: pd.Series | np.ndarray, reason: Any) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        pos = np.flatnonzero(mask)
        if not len(raw):
            raw_values = np.full(pos.size, None)
        elif isinstance(raw, pd.Series):  # only the rows with a problem are converted
            raw_values = np.asarray(raw.iloc[pos], dtype=object)
        else:
            raw_values = np.asarray(raw, dtype=object)[pos]
        reasons = reason[pos] if isinstance(reason, np.ndarray) else np.full(pos.size, reason, dtype=object)
        self.bad[pos] = True
        self.parts.append(pd.DataFrame({"pos": pos, "column": column, "value": raw_values, "reason": reasons}))

    def frame(self, index: pd.Index, order: dict[str, int]) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS})
        out = pd.concat(self.parts, ignore_index=True)
        out["_order"] = out["column"].map(order).fillna(len(order)).astype(int)
        out = out.sort_values(["pos", "_order"], kind="stable")
        out.insert(0, "row", index[out["pos"].to_numpy()])
        return out[PROBLEM_COLUMNS].reset_index(drop=True)


def _factorize(raw: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """``pd.factorize`` (codes, -1 for blank; uniques), safe for mixed object columns.

    Plain factorize merges True with 1 and False with 0 (they hash alike), so a
    ``False`` would pass as 0 days, and it fails on unhashable cells (a list in
    a JSON answer). Only object columns holding mixed types take the slower
    per-cell path; text and numeric columns never do.
    """
    if isinstance(raw.dtype, pd.CategoricalDtype) and raw.dtype.categories.dtype != object:
        # already coded (the batch path hands answers over dictionary-encoded by Arrow): the
        # distinct values are the categories, so only those are looked at
        return raw.cat.codes.to_numpy(), list(raw.dtype.categories)
    if raw.dtype != object or pd.api.types.infer_dtype(raw, skipna=True) not in ("mixed", "mixed-integer"):
        codes, uniques = pd.factorize(raw, use_na_sentinel=True)
        return codes, list(uniques)
    cells = raw.to_numpy(dtype=object)
    cells = np.array([repr(v) if isinstance(v, (list, dict, set, tuple)) else v for v in cells], dtype=object)
    is_bool = np.array([isinstance(v, (bool, np.bool_)) for v in cells], dtype=bool)
    other_codes, other = pd.factorize(cells[~is_bool], use_na_sentinel=True)
    bool_codes, bools = pd.factorize(cells[is_bool], use_na_sentinel=True)
    codes = np.empty(len(cells), dtype=np.intp)
    codes[~is_bool] = other_codes
    codes[is_bool] = bool_codes + len(other)  # bools are never blank
    return codes, [*other, *bools]


def _blank(raw: pd.Series) -> np.ndarray:
    """True where an answer is missing: null, NaN or only white space."""
    if pd.api.types.is_numeric_dtype(raw.dtype) or pd.api.types.is_bool_dtype(raw.dtype):
        return raw.isna().to_numpy()
    codes, uniques = _factorize(raw)
    table = np.array([isinstance(u, str) and not u.strip() for u in uniques] + [True], dtype=bool)
    blank: np.ndarray = table[codes]
    return blank


# white space around a number: ASCII, and the no-break and other Unicode spaces that spreadsheets in
# many locales write (not str.strip(): it also drops control characters, which are not spaces)
_SPACES = " \t\n\r\f\v\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
# a number as people and spreadsheets write it: ASCII digits, an optional sign, decimal point and
# exponent ("3", "3.0", "-2", "1.5E+03")
_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _parse_integer(value: Any, q: Question) -> tuple[float, str | None]:
    """One distinct raw value -> (number or NaN, reason it is wrong or None)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan, None
    if isinstance(value, (bool, np.bool_)):
        return np.nan, f"not a number: expected {q.expected()}"
    if isinstance(value, str):
        text = value.strip(_SPACES)
        if not text:
            return np.nan, None
        number, wrong = _number_text(text)
        if wrong:
            return np.nan, f"{wrong}: expected {q.expected()}"
    elif isinstance(value, Decimal):  # a Parquet decimal column (SQL exports): read exactly, as text is
        number, wrong = _number_text(str(value))
        if wrong:
            return np.nan, f"{wrong}: expected {q.expected()}"
    elif isinstance(value, (int, float, np.integer, np.floating)):
        try:
            number = float(value)
        except OverflowError:  # a Python int past float's range (10**400): far past any maximum
            number = np.inf if value > 0 else -np.inf
    else:
        return np.nan, f"not a number: expected {q.expected()}"
    return number, _range_reason(number, q)


# digits grouped in threes by a dot or a comma ("1.000", "12,500"): one thousand where the mark groups
# thousands (Dutch, German: 1.000; English: 1,000) and one where it is the decimal mark. Never guessed:
# a form export's mapping says which convention it uses (``decimal_mark``)
_GROUPED = re.compile(r"[+-]?[1-9][0-9]{0,2}(?:([.,])[0-9]{3})(?:\1[0-9]{3})*")
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]*,[0-9]+")


def ambiguous_number(text: str) -> str | None:
    """Why a number text (trimmed) means different numbers in different conventions, or None."""
    m = _GROUPED.fullmatch(text)
    if m is None:
        return None
    mark = m.group(1)
    other = "comma" if mark == "," else "point"
    grouped = text.replace(mark, "")
    if text.count(mark) > 1:  # 1.000.000 groups thousands: only the convention is unsaid
        return f"digits grouped by {mark!r} ({grouped} if {mark!r} groups thousands): write it without separators"
    as_decimal = format(Decimal(text.replace(",", ".")).normalize(), "f")
    return (
        f"ambiguous: {grouped} if {mark!r} groups thousands, {as_decimal} if it is the decimal {other}; write it "
        "without separators, or say the export's decimal mark (a mapping's decimal_mark)"
    )


def _number_text(text: str) -> tuple[float, str | None]:
    """A number written as text (trimmed, not blank): (its value, None), or (NaN, what is wrong)."""
    ambiguous = ambiguous_number(text)
    if ambiguous is not None:
        return np.nan, ambiguous
    if _DECIMAL_COMMA.fullmatch(text) is not None:
        return np.nan, f"a decimal comma ({text.replace(',', '.')}): not a whole number"
    if _NUMBER_TEXT.fullmatch(text) is None:  # not 1_000, "３" or "inf", which float() reads
        if any(ch.isdigit() and not ch.isascii() for ch in text):
            return np.nan, "not a number (write it with the digits 0 to 9)"
        return np.nan, "not a number"
    try:
        exact = Decimal(text)  # exact: 2.9999999999999999 is not 3, whatever float() says
        whole = exact == exact.to_integral_value()
    except ArithmeticError:  # an exponent past what Decimal holds (1e99999999999999999999)
        return np.nan, "not a number"
    if not whole:
        return np.nan, "not a whole number"
    return float(exact) + 0.0, None  # (+ 0.0: -0 is 0)


def number_problem(q: Question, value: Any) -> str | None:
    """Why validation refuses ``value`` as an answer to the number question ``q`` (None: it reads it,
    or it is blank), for one value at a time (``exodds mapping-template --check``)."""
    return _parse_integer(value, q)[1]


def is_whole_number_text(text: str) -> bool:
    """Whether ``text`` writes a whole number the way validation reads one (any range): the mapping
    template's test of which answers need translating into numbers."""
    trimmed = text.strip(_SPACES)
    return bool(trimmed) and _number_text(trimmed)[1] is None


def _range_reason(number: float, q: Question) -> str | None:
    if np.isnan(number):
        return f"not a number: expected {q.expected()}"
    not_whole, below, above = range_reasons(q)
    if np.isfinite(number) and number != np.floor(number):
        return not_whole
    if q.min is not None and number < q.min:
        return below
    if q.max is not None and number > q.max:
        return above
    return None


def _parse_integers(raw: pd.Series, q: Question) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Returns (values as float, missing mask, bad mask, reasons array with None where fine).

    The reasons array is None when no value is bad (no per-row objects to build or compare).

    Numeric columns are checked with array operations; text and mixed columns
    are parsed once per distinct value, which is what keeps a million rows fast.
    """
    n = len(raw)
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        values = np.array(raw.to_numpy(dtype=float, na_value=np.nan), dtype=float)
        missing = np.isnan(values)
        with np.errstate(invalid="ignore"):
            suspect = ~missing & ((values != np.floor(values)) | (values < q.min) | (values > q.max))
        reasons = None
        if suspect.any():  # every suspect value has a reason (it is not NaN, so not missing)
            reasons = np.full(n, None, dtype=object)
            for i in np.flatnonzero(suspect):
                reasons[i] = _range_reason(values[i], q)
            values[suspect] = np.nan
        return values, missing, suspect, reasons
    codes, uniques = _factorize(raw)
    parsed = [*(_parse_integer(u, q) for u in uniques), (np.nan, None)]
    number_table = np.array([p[0] for p in parsed], dtype=float)
    reason_table = np.array([p[1] for p in parsed], dtype=object)
    bad_table = np.array([p[1] is not None for p in parsed], dtype=bool)
    blank_table = np.array([np.isnan(p[0]) and p[1] is None for p in parsed], dtype=bool)
    bad = bad_table[codes]
    reasons = reason_table[codes] if bad_table.any() else None
    values = np.where(bad_table, np.nan, number_table)[codes]
    return values, blank_table[codes], bad, reasons


def choice_value(q: Question, value: Any) -> str | None:
    """The choice an answer names, as its value ("Everywhere", "3", "On some apps or my number" ->
    "everywhere" ...), or None when it names none: what validation would read it as."""
    code = _normalise_choice(value, q)
    return q.values[code] if code >= 0 else None


def _normalise_choice(value: Any, q: Question) -> int:
    """Code of one distinct raw value in ``q.values`` (or MISSING/INVALID)."""
    values = q.values
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        text = "yes" if value else "no"
    elif isinstance(value, (int, float, np.integer, np.floating)):
        text = repr(float(value)) if isinstance(value, (float, np.floating)) else str(int(value))
    elif isinstance(value, str):
        text = value.strip().lower()
        if not text:
            return MISSING
    else:
        return INVALID
    if q.type == "boolean":
        if text in _TRUE:
            text = "yes"
        elif text in _FALSE:
            text = "no"
    key = _SEP.sub("_", text)
    if key in values:
        return values.index(key)
    for i, c in enumerate(q.choices):
        if c.label.strip().lower() == text:
            return i
    return INVALID


def _parse_choices(raw: pd.Series, q: Question) -> np.ndarray:
    codes, uniques = _factorize(raw)
    table = np.array([*(_normalise_choice(u, q) for u in uniques), MISSING], dtype=np.int16)
    choices: np.ndarray = table[codes]  # sentinel -1 picks the appended MISSING
    return choices


def _parse_dates(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """ISO dates -> (datetime64[D] values, bad mask). Blank gives NaT, not bad."""
    missing = _blank(raw)
    codes, uniques = _factorize(raw.astype(object).where(~missing, None))
    parsed = [_iso_date(u) for u in uniques]
    table = np.array(
        [np.datetime64(d, "D") if d is not None else np.datetime64("NaT") for d in parsed] + [np.datetime64("NaT")],
        dtype="datetime64[D]",
    )
    values = table[codes]
    bad = ~missing & np.isnat(values)
    return values, bad


def as_of_days(as_of: Any, n: int) -> np.ndarray:
    """The as-of date of each of ``n`` rows as ``datetime64[D]``: one date for all, or one per row.

    Shared by validation, the plan and batch scoring, so every part judges a row on the same day.
    """
    if isinstance(as_of, (pd.Series, pd.Index, np.ndarray, list, tuple)):
        if isinstance(as_of, tuple):
            as_of = list(as_of)
        if isinstance(as_of, np.ndarray) and as_of.dtype.kind == "M":  # already dates: no parsing
            arr = as_of.astype("datetime64[D]")
        else:
            arr = pd.to_datetime(pd.Series(as_of), errors="coerce").to_numpy().astype("datetime64[D]")
        if len(arr) != n:
            raise UsageError(f"as_of has {len(arr)} dates for {n} rows")
        if np.isnat(arr).any():  # would otherwise turn every date answer of the row into a blank
            bad = list(as_of)[int(np.flatnonzero(np.isnat(arr))[0])]
            raise UsageError(f"as-of date {bad!r} is not an ISO date (YYYY-MM-DD): every row needs a valid date")
        return arr
    if isinstance(as_of, np.datetime64):
        as_of = str(as_of.astype("datetime64[D]"))
    return np.full(n, np.datetime64(parse_as_of(as_of), "D"))


def validate_frame(
    df: pd.DataFrame,
    as_of: Any = None,
    *,
    extra: Literal["error", "ignore"] = "error",
) -> ValidationResult:
    """Validate many answer sets; ``as_of`` is a date, or one date per row."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"validate_frame expects a pandas DataFrame, got {type(df).__name__}")
    if df.columns.duplicated().any():
        dupes = sorted(set(df.columns[df.columns.duplicated()]))
        raise InputError(f"duplicate column names: {', '.join(map(str, dupes))}")
    n = len(df)
    out = _Collector(n)
    today = as_of_days(as_of, n)
    order = {c: i for i, c in enumerate(QUIZ.columns)}
    blank = pd.Series(np.full(n, None, dtype=object), index=df.index)

    if extra == "error":
        for col in df.columns:
            if col not in order:
                used = ~_blank(df[col])
                if not used.any():
                    used = np.ones(n, dtype=bool)  # e.g. {"note": None}: the key itself is unknown
                out.add(used, str(col), df[col], "unknown question: not part of the quiz")

    numbers: dict[str, np.ndarray] = {}
    codes: dict[str, np.ndarray] = {}
    missing: dict[str, np.ndarray] = {}
    raws: dict[str, pd.Series] = {}
    unanswered: dict[str, np.ndarray] = {}
    for q in QUIZ:
        raw = df[q.id] if q.id in df.columns else blank
        raws[q.id] = raw
        if q.is_numeric:
            values, miss, bad, reasons = _parse_integers(raw, q)
            if reasons is not None:
                out.add(bad, q.id, raw, reasons)
            if q.date_alternative and q.date_alternative in df.columns:
                values, miss = _apply_date(df[q.date_alternative], q, values, miss, bad, raw, today, out)
            numbers[q.id], missing[q.id] = values, miss
            unanswered[q.id] = miss  # (a bad or future answer is an answer: not blank)
        else:
            c = _parse_choices(raw, q)
            out.add(c == INVALID, q.id, raw, choice_reason(q))
            unanswered[q.id] = c == MISSING  # (before a default fills it)
            if q.default is not None:
                c = np.where(c == MISSING, q.values.index(q.default), c)
            codes[q.id], missing[q.id] = c, c == MISSING

    blocked = codes["blocked"]
    # A record of a full table with no answer at all (",,,,,,", a form's empty submission): one
    # problem, not thirteen. Only where every question always asked has a column: a table without
    # them misses each one, and a single answer checked on its own (the quiz) is judged as itself.
    empty = np.full(n, _full_table(df.columns))
    for q in QUIZ:  # (the masks parsing made: no second pass over the columns)
        if not empty.any():
            break
        empty &= unanswered[q.id]
    out.add(empty, EMPTY_RECORD[0], blank, EMPTY_RECORD[1])
    for q in QUIZ:
        if not q.required:
            continue
        applies = np.ones(n, dtype=bool)
        for key, allowed in q.ask_if.items():
            allowed_codes = [QUIZ[key].values.index(v) for v in allowed]
            # An invalid or missing `blocked` is reported itself; guessing that
            # days_blocked applies would add a second, invented problem.
            applies &= np.isin(codes[key], allowed_codes)
        out.add(missing[q.id] & applies & ~empty, q.id, raws[q.id], missing_reason(q))

    dates = {q.id: df[q.date_alternative] for q in QUIZ if q.date_alternative and q.date_alternative in df.columns}
    _contradictions(numbers, codes, raws, blocked, out, dates)

    valid = ~out.bad
    problems = out.frame(df.index, order)
    clean = _clean_frame(df.index, valid, numbers, codes)
    return ValidationResult(clean=clean, problems=problems, valid=valid)


def _full_table(columns: Any) -> bool:
    """Whether every question always asked has a column (itself or its date): a table of full records."""
    return all(q.id in columns or (q.date_alternative or "") in columns for q in QUIZ if q.required and not q.ask_if)


def _apply_date(
    dates: pd.Series,
    q: Question,
    values: np.ndarray,
    miss: np.ndarray,
    bad: np.ndarray,
    raw: pd.Series,
    today: np.ndarray,
    out: _Collector,
) -> tuple[np.ndarray, np.ndarray]:
    """Fill ``q`` from its date alternative; flag bad, future and conflicting dates."""
    col = q.date_alternative
    assert col is not None and q.max is not None  # (called for a whole-number question with a date alternative)
    when, unparsable = _parse_dates(dates)
    reason: Any = "not an ISO date: expected YYYY-MM-DD"
    if unparsable.any():  # right shape, but no such day (2026-02-30): say that, not "not ISO"
        shaped = dates.astype(object).map(lambda v: isinstance(v, str) and bool(ISO_DATE_SHAPE.match(v.strip())))
        no_day = unparsable & shaped.to_numpy(dtype=bool)
        if no_day.any():
            reason = np.where(no_day, "no such day in the calendar (the form YYYY-MM-DD is right)", reason)
    out.add(unparsable, col, dates, reason)
    days = (today - when).astype("timedelta64[D]").astype("float64")
    days[np.isnat(when) | np.isnat(today)] = np.nan
    future = days < 0
    if future.any():  # name the day it is compared with (today, or the response's date)
        reasons = np.full(len(future), None, dtype=object)
        for i in np.flatnonzero(future):
            day = np.datetime_as_string(today[i], unit="D")
            reasons[i] = f"in the future: later than {day}, the day the answers were given"
        out.add(future, col, dates, reasons)
    with np.errstate(invalid="ignore"):
        too_old = days > q.max
    out.add(
        too_old,
        col,
        dates,
        f"more than {q.max:,} days (about {round(q.max / 365.25)} years) before the day "
        f"the answers were given: expected at most {q.max:,}",
    )
    future |= too_old
    ok_date = ~np.isnan(days) & ~future
    both = ok_date & ~miss & ~bad
    conflict = both & (values != days)
    conflict_reasons = (
        np.array(
            [f"contradicts {col}, which gives {int(d)} days" if not np.isnan(d) else None for d in days],
            dtype=object,
        )
        if conflict.any()
        else None
    )
    if conflict.any():
        out.add(conflict, q.id, raw, conflict_reasons)
    fill = miss & ok_date
    values = np.where(fill, days, values)
    miss = miss & ~fill & ~unparsable & ~future
    return values, miss


def _breakup_named(
    mask: np.ndarray, since: np.ndarray, dates: Mapping[str, pd.Series], by_date: np.ndarray | bool = False
) -> Any:
    """How a contradiction names the breakup: as the date typed (breakup_date) or as the days.

    ``by_date`` marks rows whose other side was a typed date too: there the reason asks to check
    both dates. One string when every row reads the same.
    """
    breakup = dates.get("days_since_breakup")
    typed = np.zeros(len(mask), dtype=bool) if breakup is None else ~_blank(breakup)
    by_date = np.broadcast_to(np.asarray(by_date, dtype=bool), mask.shape)
    if not (mask & (typed | by_date)).any():
        return _BREAKUP
    alt = QUIZ["days_since_breakup"].date_alternative
    reasons = np.full(len(mask), _BREAKUP, dtype=object)
    for i in np.flatnonzero(mask & (typed | by_date)):
        if breakup is not None and typed[i]:  # (typed is all False without a breakup date)
            reasons[i] = f"the breakup ({breakup.iloc[i]!s}, {alt})" + (": check both dates" if by_date[i] else "")
        else:
            reasons[i] = f"the breakup, {int(since[i])} days ago (days_since_breakup): check both"
    return reasons


def _contradictions(
    numbers: Mapping[str, np.ndarray],
    codes: Mapping[str, np.ndarray],
    raws: Mapping[str, pd.Series],
    blocked: np.ndarray,
    out: _Collector,
    dates: Mapping[str, pd.Series] | None = None,
) -> None:
    since, silent = numbers["days_since_breakup"], numbers["days_silent"]
    dates = dates or {}
    with np.errstate(invalid="ignore"):
        later = silent > since
        from_date = later & _blank(raws["days_silent"]) & ("days_silent" in dates)
        typed_days = later & ~from_date
        out.add(
            typed_days,
            "days_silent",
            raws["days_silent"],
            _SILENT_LONGER + _breakup_named(typed_days, since, dates),
        )
        silent_alt = QUIZ["days_silent"].date_alternative
        if silent_alt is not None and from_date.any():  # typed dates: name the dates, not the days worked out
            out.add(
                from_date,
                silent_alt,
                dates["days_silent"],
                "the last contact is before " + _breakup_named(from_date, since, dates, by_date=True),
            )
        not_blocked = blocked == QUIZ["blocked"].values.index("no")
        days_blocked = numbers["days_blocked"]
        # a problem with a number worked out from a typed date is the date's: name the column typed in
        by_date = _blank(raws["days_blocked"]) & ("days_blocked" in dates)
        alt = QUIZ["days_blocked"].date_alternative
        out.add(not_blocked & ~np.isnan(days_blocked) & ~by_date, "days_blocked", raws["days_blocked"], _NOT_BLOCKED)
        if alt is not None and "days_blocked" in dates:
            out.add(not_blocked & ~np.isnan(days_blocked) & by_date, alt, dates["days_blocked"], _NOT_BLOCKED)
        before = days_blocked > since
        out.add(before & ~by_date, "days_blocked", raws["days_blocked"],
                _BLOCK_LONGER + _breakup_named(before & ~by_date, since, dates))
        if alt is not None and "days_blocked" in dates and (before & by_date).any():
            out.add(
                before & by_date,
                alt,
                dates["days_blocked"],
                "the block is before " + _breakup_named(before & by_date, since, dates, by_date=True),
            )
        week, ignored = numbers["attempts_last_week"], numbers["attempts_ignored"]
        out.add(
            (week > 0) & (silent >= 7),
            "attempts_last_week",
            raws["attempts_last_week"],
            _WEEK_BUT_SILENT,
        )
        # the same two answers the other way round: a last contact inside the past 7 days is a contact in them
        out.add(
            (week == 0) & (silent < 7),
            "attempts_last_week",
            raws["attempts_last_week"],
            _NO_WEEK_BUT_RECENT,
        )
        # never replied since the breakup: every attempt since then is unanswered, those of the past 7 days
        # too (when the breakup is a week old or more, so that all of them came after it)
        never = codes["last_reply_tone"] == QUIZ["last_reply_tone"].values.index("never_replied")
        out.add(
            never & (week > ignored) & (since >= 7),
            "attempts_ignored",
            raws["attempts_ignored"],
            _NEVER_BUT_FEWER,
        )


def _choice_dtype(q: Question) -> pd.CategoricalDtype:
    """The categories of a choice question's clean column, made once (building them is not free)."""
    return _choice_dtype_of(q.id)


@functools.cache
def _choice_dtype_of(qid: str) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(list(QUIZ[qid].values))


def _clean_frame(
    index: pd.Index, valid: np.ndarray, numbers: Mapping[str, np.ndarray], codes: Mapping[str, np.ndarray]
) -> pd.DataFrame:
    data: dict[str, Any] = {}
    for q in QUIZ:
        if q.is_numeric:
            v = numbers[q.id][valid]
            if q.ask_if:
                na = np.isnan(v)
                data[q.id] = pd.arrays.IntegerArray(np.where(na, 0, v).astype(np.int64), na)
            else:
                data[q.id] = v.astype(np.int64)
        else:
            data[q.id] = pd.Categorical.from_codes(codes[q.id][valid].astype(np.int16), dtype=_choice_dtype(q))
    return pd.DataFrame(data, index=index[valid])


def check_answers(answers: Mapping[str, Any], as_of: Any = None) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Validate one answer set: (clean answers, []) or (None, problems)."""
    frame, problems = check_one(answers, as_of)
    if problems:
        return None, problems
    assert frame is not None
    return clean_record(frame.iloc[0]), []


def check_one(answers: Mapping[str, Any], as_of: Any = None) -> tuple[pd.DataFrame | None, list[Problem]]:
    """``check_answers`` keeping the one-row clean frame (what scoring and the plan read), so a report
    validates its answers once."""
    if not isinstance(answers, Mapping):
        raise TypeError(f"an answer set is a mapping of question id to answer, got {type(answers).__name__}")
    _, problems, frame = check_answer_sets([answers], as_of)
    if problems[0]:
        return None, problems[0]
    return frame, []


def check_answer_sets(
    answer_sets: Sequence[Mapping[str, Any]], as_of: Any = None
) -> tuple[list[dict[str, Any] | None], list[list[Problem]], pd.DataFrame]:
    """``check_answers`` for many answer sets at once (a server scoring concurrent requests together):
    per set its clean answers or its problems, exactly as ``check_answers`` gives them, and the
    ``validate_frame`` clean frame of the valid ones, indexed by their positions.

    Sets that answer every question always asked (or its date) share one frame, a key missing
    from one of them read as a blank (validation reads a blank as no answer); other sets share a
    frame only with sets of the same keys, since the keys present decide some messages (an empty
    record). A set with unknown keys, or with answers other than text, whole numbers or blanks
    (which a frame could read alike across rows: 1 and 1.0, True and 1), is a group of its own.
    ``as_of``: one day for all sets, or a list of each set's day.
    """
    days = as_of_days(as_of, len(answer_sets)) if isinstance(as_of, list) else None
    groups: dict[Any, list[int]] = {}
    for i, answers in enumerate(answer_sets):
        groups.setdefault(_group_key(answers, i), []).append(i)
    cleans: list[dict[str, Any] | None] = [None] * len(answer_sets)
    problems: list[list[Problem]] = [[] for _ in answer_sets]
    frames = []
    for rows in groups.values():
        keys = list(dict.fromkeys(k for i in rows for k in answer_sets[i]))
        data = {k: [_scalar(answer_sets[i].get(k)) for i in rows] for k in keys}
        result = validate_frame(pd.DataFrame(data, index=rows, dtype=object), as_of if days is None else days[rows])
        for p in result.problem_list():
            # several answers to one question (a form field sent twice, a JSON list): say that, not "not a number"
            given = answer_sets[p.row].get(p.column)
            reason = p.reason
            if isinstance(given, (list, tuple)) and len(given) > 1:
                reason = f"more than one answer ({', '.join(map(str, given))}): give one"
            value = p.value
            if isinstance(value, float) and value != value:  # NaN: a blank beside numbers in one frame
                value = given  # (the set gave None, or nothing: what checking it alone reports)
            problems[p.row].append(Problem(None, p.column, value, reason))
        for i, record in zip(result.clean.index, clean_records(result.clean), strict=True):
            cleans[i] = record
        frames.append(result.clean)
    if len(frames) == 1:
        return cleans, problems, frames[0]
    frame = pd.concat(frames).sort_index() if frames else validate_frame(pd.DataFrame(), as_of).clean
    return cleans, problems, frame


def _group_key(answers: Mapping[str, Any], i: int) -> Any:
    """Sets with the same key share a frame (see ``check_answer_sets``)."""
    known = _known_columns()
    for k, v in answers.items():
        if k not in known or not (v is None or isinstance(v, str) or (type(v) is int and -(2**63) <= v < 2**63)):
            return ("alone", i)
    return "full" if _full_table(answers) else frozenset(answers)


@functools.cache
def _known_columns() -> frozenset[str]:
    return frozenset(QUIZ.columns)


def clean_records(clean: pd.DataFrame) -> list[dict[str, Any]]:
    """``clean_record`` for every row of a clean frame, column by column."""
    columns = [clean_column(clean, q.id, plain=True) for q in QUIZ]
    return [dict(zip(QUIZ.ids, row, strict=True)) for row in zip(*columns, strict=True)]


def clean_column(clean: pd.DataFrame, qid: str, plain: bool = False) -> list[Any]:
    """One column of a clean frame as a list, without pandas' cost per cell: with ``plain`` as
    ``clean_record`` gives its values (int, text, None), else as ``.iloc`` gives them (numpy
    integers, text, ``pd.NA``)."""
    array = clean[qid].array
    if isinstance(array, pd.Categorical):
        categories = array.categories.tolist()
        return [categories[c] if c >= 0 else (None if plain else np.nan) for c in array.codes.tolist()]
    if isinstance(array, pd.arrays.IntegerArray):
        if plain:
            # (pandas-stubs leave None out of na_value; pandas takes it)
            return array.to_numpy(dtype=object, na_value=None).tolist()  # type: ignore[arg-type]
        values = list(array.to_numpy(dtype=np.int64, na_value=0))
        return [pd.NA if missing else v for v, missing in zip(values, array.isna().tolist(), strict=True)]
    cells = clean[qid].to_numpy()
    return cells.tolist() if plain else list(cells)


def _scalar(v: Any) -> Any:
    if isinstance(v, (list, dict, tuple, set)):
        return repr(v)  # kept visible in the error, never parsed
    return v


def clean_record(row: pd.Series) -> dict[str, Any]:
    """One clean row as plain Python values (None for a question that doesn't apply)."""
    out: dict[str, Any] = {}
    for q in QUIZ:
        v = row[q.id]
        out[q.id] = None if pd.isna(v) else (int(v) if q.is_numeric else str(v))
    return out


def validate_answers(answers: Mapping[str, Any], as_of: Any = None) -> dict[str, Any]:
    """Clean answers for one answer set, or ``AnswersError`` listing every problem."""
    return clean_record(validate_one(answers, as_of).iloc[0])


def validate_one(answers: Mapping[str, Any], as_of: Any = None) -> pd.DataFrame:
    """``validate_answers`` as the one-row clean frame, or ``AnswersError`` listing every problem."""
    frame, problems = check_one(answers, as_of)
    if problems:
        raise AnswersError(problems)
    assert frame is not None
    return frame


def is_choice(codes: np.ndarray, question: str, value: str) -> np.ndarray:
    flags: np.ndarray = (codes == QUIZ[question].values.index(value)).astype(np.float64)
    return flags


def check_clean(clean: pd.DataFrame) -> None:
    """Raw answers passed where clean ones belong (``FeatureExtractor(validate=False)`` on a raw
    frame): name the column, rather than fail deep inside with pandas' own error."""
    missing = [q.id for q in QUIZ if q.id not in clean.columns]
    if missing:
        raise ValueError(f"clean answers lack columns: {', '.join(missing)} (pass validate_frame(...).clean)")
    for q in QUIZ:
        col = clean[q.id]
        if q.is_numeric:
            if not pd.api.types.is_numeric_dtype(col.dtype):
                shown = f" such as {col.iloc[0]!r}" if len(col) else ""
                raise ValueError(
                    f"{q.id}: expected validated numbers, got {col.dtype} values{shown} "
                    "(pass validate_frame(...).clean, or use FeatureExtractor(validate=True))"
                )
        elif not isinstance(col.dtype, pd.CategoricalDtype) or list(col.cat.categories) != list(q.values):
            shown = f" such as {col.iloc[0]!r}" if len(col) else ""
            raise ValueError(
                f"{q.id}: expected validated choices ({', '.join(q.values)}), got {col.dtype} values{shown} "
                "(pass validate_frame(...).clean, or use FeatureExtractor(validate=True))"
            )
