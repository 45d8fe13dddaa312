"""Map a form tool's export (question-text headers, answer labels, timestamps) onto quiz ids.

A mapping is a small JSON file the user can read and fix by hand::

    {
      "exodds_mapping": 1,
      "timestamp": "Timestamp",
      "timestamp_format": "%m/%d/%Y %H:%M:%S",
      "date_format": "%m/%d/%Y",
      "columns": {"How long ago did you break up? (days)": "days_since_breakup",
                  "Have they blocked you?": "blocked",
                  "Your e-mail": null},
      "answers": {"blocked": {"No": "no", "Yes, on some apps": "some", "Yes, everywhere": "everywhere"}}
    }

``columns`` maps an export header to a quiz column (a question id, or a date
alternative such as ``breakup_date``); ``null`` means "not a question", and
the column is passed through. ``answers`` maps answer texts (compared after
trimming and ignoring case) to our values, ``""`` for "no answer" (a form's
"N/A" where the question was not asked); texts not listed are passed on as
they are, and validation judges them. ``timestamp`` names the column whose
date is each row's as-of date (for date answers and the plan's dates).
Formats use ``strptime`` codes; without them dates must be ISO (YYYY-MM-DD)
or a format pandas can infer. Keys starting with ``_`` are notes and ignored.

Everything here is column-wise: answers and dates are translated once per
distinct value.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.errors import MappingError, MissingColumnsError
from model.quiz.definition import QUIZ
from model.quiz.validation import is_whole_number_text

__all__ = [
    "ColumnMapping",
    "MappingError",
    "MissingColumnsError",
    "Resolved",
    "apply_mapping",
    "load_mapping",
    "propose_mapping",
    "required_columns",
    "resolve_columns",
]

MAPPING_VERSION = 1
_KEYS = {"exodds_mapping", "timestamp", "timestamp_format", "date_format", "dayfirst", "columns", "answers"}


@dataclass(frozen=True)
class ColumnMapping:
    """Export headers -> quiz columns, answer texts -> our values, and the timestamp column."""

    columns: dict[str, str | None] = field(default_factory=dict)
    answers: dict[str, dict[str, str | None]] = field(default_factory=dict)
    timestamp: str | None = None
    timestamp_format: str | None = None
    date_format: str | None = None
    dayfirst: bool = False
    source: str = "mapping"

    def answer_table(self, quiz_column: str) -> dict[str, str]:
        """Normalised answer text -> our value, for the texts that have one."""
        table = self.answers.get(quiz_column) or {}
        return {_norm_answer(k): v for k, v in table.items() if v is not None}


@dataclass(frozen=True)
class Resolved:
    """Which input column feeds which quiz column, for one header."""

    by_quiz: dict[str, str]  # quiz column -> input header
    timestamp: str | None
    mapping: ColumnMapping | None

    @property
    def used_headers(self) -> list[str]:
        cols = list(self.by_quiz.values())
        if self.timestamp is not None and self.timestamp not in cols:
            cols.append(self.timestamp)
        return cols


def _norm_answer(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text).strip()).casefold()


def _valid_answer(quiz_column: str, value: Any) -> bool:
    if value == "":  # "no answer": a form's "N/A" for a question it did not ask
        return True
    if quiz_column in QUIZ.date_columns:
        return isinstance(value, str)
    q = QUIZ[quiz_column]
    if q.is_numeric:
        try:
            number = int(str(value).strip())
        except ValueError:
            return False
        return q.min <= number <= q.max
    return isinstance(value, str) and value in q.values


def _readable_format(fmt: str) -> bool:
    """Whether strptime can read back a date written with ``fmt`` (an unknown code like %Q cannot)."""
    sample = dt.datetime(2001, 2, 3, 4, 5, 6, tzinfo=dt.UTC)  # (aware: %z and %Z write something)
    try:
        dt.datetime.strptime(sample.strftime(fmt), fmt)
    except ValueError:
        return False
    return True


def load_mapping(path: str | os.PathLike[str]) -> ColumnMapping:
    """Read and check a mapping file; every problem is named in one ``MappingError``."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise MappingError(f"{path}: no such mapping file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise MappingError(f"{path}: not valid JSON: {exc}") from None
    return mapping_from_dict(raw, source=str(path))


def mapping_from_dict(raw: Any, source: str = "mapping") -> ColumnMapping:
    """Check a parsed mapping (see the module docstring for the format)."""
    if not isinstance(raw, dict):
        raise MappingError(f"{source}: expected a JSON object with 'columns' (and optionally 'answers')")
    problems: list[str] = []
    unknown = sorted(k for k in raw if not k.startswith("_") and k not in _KEYS)
    if unknown:
        problems.append(f"unknown keys {unknown}; expected some of {sorted(_KEYS)}")
    version = raw.get("exodds_mapping", MAPPING_VERSION)
    if version != MAPPING_VERSION:
        problems.append(f"exodds_mapping is {version!r}; this exodds reads version {MAPPING_VERSION}")
    columns = raw.get("columns", {})
    if not isinstance(columns, dict):
        problems.append("'columns' must be an object: export header -> quiz id (or null)")
        columns = {}
    allowed = set(QUIZ.columns)
    targets: dict[str, str] = {}
    for header, target in columns.items():
        if target is None:
            continue
        if not isinstance(target, str) or target not in allowed:
            problems.append(
                f"column {header!r} -> {target!r}: not a quiz column; expected null or one of "
                + ", ".join(QUIZ.columns)
            )
        elif target in targets:
            problems.append(f"columns {targets[target]!r} and {header!r} both map to {target}")
        else:
            targets[target] = header
    answers = raw.get("answers", {})
    if not isinstance(answers, dict):
        problems.append("'answers' must be an object: quiz id -> {answer text: our value}")
        answers = {}
    for qid, table in answers.items():
        if qid not in allowed:
            problems.append(f"answers for {qid!r}: not a quiz column")
            continue
        if not isinstance(table, dict):
            problems.append(f"answers for {qid}: expected an object of answer text -> value")
            continue
        seen: dict[str, tuple[str, Any]] = {}
        for text, value in table.items():
            if value is not None and not _valid_answer(qid, value):
                expected = QUIZ[qid].expected() if qid in QUIZ.ids else "a date"
                problems.append(
                    f'answers for {qid}: {text!r} -> {value!r}: expected null, "" (no answer) or {expected}'
                )
            key = _norm_answer(text)  # texts are compared ignoring case and spaces: two must agree
            if key in seen and seen[key][1] != value:
                problems.append(
                    f"answers for {qid}: {seen[key][0]!r} -> {seen[key][1]!r} and {text!r} -> {value!r} are the "
                    "same answer text (case and spaces are ignored) with different values; keep one"
                )
            seen.setdefault(key, (text, value))
    for key in ("timestamp", "timestamp_format", "date_format"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            problems.append(f"'{key}' must be a string or null")
    for key in ("timestamp_format", "date_format"):
        fmt = raw.get(key)
        if isinstance(fmt, str) and "%" not in fmt:
            problems.append(f"'{key}' {fmt!r} has no strptime codes (for example %d/%m/%Y)")
        elif isinstance(fmt, str) and not _readable_format(fmt):
            problems.append(f"'{key}' {fmt!r} is not a date format strptime can read (codes such as %d/%m/%Y)")
    if problems:
        raise MappingError(f"{source}: " + "; ".join(problems))
    return ColumnMapping(
        columns=dict(columns),
        answers={k: dict(v) for k, v in answers.items()},
        timestamp=raw.get("timestamp"),
        timestamp_format=raw.get("timestamp_format"),
        date_format=raw.get("date_format"),
        dayfirst=bool(raw.get("dayfirst", False)),
        source=source,
    )


def required_columns() -> list[tuple[str, str | None]]:
    """(question id, its date alternative or None) for every question an input must carry.

    A question asked only after certain answers (``ask_if``: how long ago they blocked you) is
    not among them: an export of a form that never asks it is still read, and only the rows that
    need the answer are rejected, each naming it.
    """
    return [(q.id, q.date_alternative) for q in QUIZ if q.required and not q.ask_if]


def resolve_columns(headers: Sequence[str], mapping: ColumnMapping | None = None, *, require: bool = True) -> Resolved:
    """Find the input column for each quiz column; raise naming every required one missing
    (with ``require=False`` a missing column is left to validation: every row misses the answer).

    Without a mapping a header answers a quiz column when it equals the id
    after trimming and ignoring case.
    """
    headers = [str(h) for h in headers]
    by_quiz: dict[str, str] = {}
    timestamp = None
    if mapping is None:
        seen: dict[str, list[str]] = {}
        for h in headers:
            key = h.strip().casefold()
            if key in QUIZ.columns:
                seen.setdefault(key, []).append(h)
        clashes = {k: v for k, v in seen.items() if len(v) > 1}
        if clashes:
            desc = "; ".join(f"{k}: {', '.join(map(repr, v))}" for k, v in clashes.items())
            raise ValueError(f"several columns answer the same question: {desc}")
        by_quiz = {k: v[0] for k, v in seen.items()}
    else:
        present = set(headers)
        absent = [h for h, t in mapping.columns.items() if t is not None and h not in present]
        by_quiz = {t: h for h, t in mapping.columns.items() if t is not None and h in present}
        if mapping.timestamp is not None:
            if mapping.timestamp not in present:
                raise MissingColumnsError(
                    [mapping.timestamp],
                    f"the timestamp column {mapping.timestamp!r} named in {mapping.source} is not in the input",
                )
            timestamp = mapping.timestamp
        if require:
            _check_required(by_quiz, absent, mapping)
        return Resolved(by_quiz, timestamp, mapping)
    if require:
        _check_required(by_quiz, [], None)
    return Resolved(by_quiz, timestamp, None)


def _check_required(by_quiz: dict[str, str], absent: list[str], mapping: ColumnMapping | None) -> None:
    missing = []
    for qid, alt in required_columns():
        if qid in by_quiz or (alt is not None and alt in by_quiz):
            continue
        missing.append(qid)
    if not missing:
        return
    parts = []
    for qid in missing:
        alt = QUIZ[qid].date_alternative
        name = f"{qid} (or {alt})" if alt else qid
        parts.append(f"{name}: {QUIZ[qid].text}")
    if mapping is None:
        hint = (
            "headers must be the quiz ids (see `exodds questions`); for a form-tool export, "
            "`exodds mapping-template INPUT` proposes a --mapping file"
        )
    else:
        hint = f"map a column to each in {mapping.source}"
        if absent:
            hint += f"; it names columns the input does not have: {', '.join(map(repr, absent))}"
    raise MissingColumnsError(
        missing,
        f"{len(missing)} required column(s) missing: " + "; ".join(parts) + f" ({hint})",
    )


# --------------------------------------------------------------------------- applying


def apply_mapping(
    df: pd.DataFrame, resolved: Resolved, *, use_timestamp: bool = True
) -> tuple[pd.DataFrame, np.ndarray | None, pd.DataFrame, dict[str, np.ndarray]]:
    """Raw export columns -> a frame of quiz columns, plus per-row as-of dates and problems.

    Returns ``(quiz_frame, as_of_days or None, problems, date_failed)``: the
    problems (``pos``, ``column``, ``value``, ``reason``) name the export
    header; ``date_failed`` maps a question id to the rows whose date answer
    could not be read (so "missing" is not reported for them as well).
    ``df`` is never modified. With ``use_timestamp=False`` the timestamp
    column is not read (an explicit as-of date replaces it).
    """
    mapping = resolved.mapping
    data: dict[str, Any] = {}
    parts: list[pd.DataFrame] = []
    date_failed: dict[str, np.ndarray] = {}
    for qcol, header in resolved.by_quiz.items():
        col = df[header]
        if mapping is not None:
            table = mapping.answer_table(qcol)
            if table:
                col = _translate(col, table)
            if qcol in QUIZ.date_columns:
                col, bad = _dates_to_iso(col, mapping.date_format, mapping.dayfirst)
                if bad.any():
                    fmt = mapping.date_format or "YYYY-MM-DD"
                    parts.append(_problems(bad, header, df[header], f"not a date: expected {fmt}"))
                    date_failed[QUIZ.date_columns[qcol]] = bad
        data[qcol] = col
    if mapping is None and list(resolved.by_quiz) == list(resolved.by_quiz.values()) == list(df.columns):
        out = df  # already the quiz columns, in order and by id (read only from here on)
    elif mapping is None:  # the columns as they are, only named by quiz id (no copy)
        out = df.loc[:, list(resolved.by_quiz.values())].set_axis(list(resolved.by_quiz), axis=1)
    else:
        out = pd.DataFrame(data, index=df.index)
    as_of = None
    if resolved.timestamp is not None and use_timestamp:
        assert mapping is not None
        raw = df[resolved.timestamp]
        as_of, blank, bad = parse_timestamps(raw, mapping.timestamp_format, mapping.dayfirst)
        parts.append(_problems(blank, resolved.timestamp, raw, "missing: the response timestamp dates the answers"))
        fmt = mapping.timestamp_format or "an ISO date-time"
        parts.append(_problems(bad, resolved.timestamp, raw, f"not a date-time: expected {fmt}"))
    parts = [p for p in parts if len(p)]
    problems = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame({"pos": pd.Series(dtype=np.int64), "column": [], "value": [], "reason": []})
    )
    return out, as_of, problems, date_failed


def _problems(mask: np.ndarray, column: str, raw: pd.Series, reason: str) -> pd.DataFrame:
    pos = np.flatnonzero(mask)
    return pd.DataFrame({"pos": pos, "column": column, "value": raw.to_numpy(dtype=object)[pos], "reason": reason})


def _translate(col: pd.Series, table: dict[str, str]) -> pd.Series:
    """Replace answer texts found in ``table``; others stay as they are."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    new = np.array([table.get(_norm_answer(u), u) for u in uniques] + [None], dtype=object)
    return pd.Series(new[codes], index=col.index, dtype=object)


def _one_date(text: str, fmt: str | None, dayfirst: bool) -> dt.date | None:
    text = text.strip()
    if fmt:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    try:
        return pd.Timestamp(pd.to_datetime(text, dayfirst=dayfirst)).date()
    except (ValueError, TypeError, OverflowError):
        return None


def _dates_to_iso(col: pd.Series, fmt: str | None, dayfirst: bool) -> tuple[pd.Series, np.ndarray]:
    """Date answers in the export's format -> ISO text; unreadable ones blanked and flagged."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    iso: list[str | None] = []
    bad: list[bool] = []
    for u in uniques:
        if not isinstance(u, str):
            if isinstance(u, (dt.date, pd.Timestamp)):
                iso.append(pd.Timestamp(u).date().isoformat())
                bad.append(False)
            else:
                iso.append(None)
                bad.append(True)
            continue
        if not u.strip():
            iso.append(None)
            bad.append(False)
            continue
        d = _one_date(u, fmt, dayfirst)
        iso.append(d.isoformat() if d else None)
        bad.append(d is None)
    iso_table = np.array([*iso, None], dtype=object)
    bad_table = np.array([*bad, False], dtype=bool)
    return pd.Series(iso_table[codes], index=col.index, dtype=object), bad_table[codes]


def parse_timestamps(
    raw: pd.Series, fmt: str | None = None, dayfirst: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Response timestamps -> (datetime64[D] dates as written, blank mask, unreadable mask)."""
    text = raw.astype(object)
    blank = np.array(text.isna().to_numpy() | (text.astype(str).str.strip() == "").to_numpy(), dtype=bool)
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        values = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) is not None else raw
        days = values.to_numpy().astype("datetime64[D]")
        return days, blank, np.zeros(len(raw), dtype=bool)
    s = text.where(~blank, None)
    try:
        stripped = s.str.strip()  # " 3/14/2025 " reads as "3/14/2025"
    except AttributeError:  # no text at all (datetime objects)
        stripped = s
    s = stripped.where(stripped.notna(), s)  # (values that are not text stay as they are)
    days = np.full(len(raw), np.datetime64("NaT"), dtype="datetime64[D]")
    todo = ~blank
    guesses = [fmt] if fmt else ["ISO8601", _guess_format(s[todo], dayfirst)]
    for guess in guesses:
        if guess is None or not todo.any():
            continue
        try:
            parsed = pd.to_datetime(s[todo], format=guess, errors="coerce")
        except (ValueError, TypeError):
            continue
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
        got = parsed.to_numpy().astype("datetime64[D]")
        idx = np.flatnonzero(todo)
        days[idx] = np.where(np.isnat(days[idx]), got, days[idx])
        todo = todo & np.isnat(days)
    if todo.any() and not fmt:  # stragglers in another layout: once per distinct value
        idx = np.flatnonzero(todo)
        sub = s.iloc[idx]
        codes, uniques = pd.factorize(sub)
        table = []
        for u in uniques:
            try:
                ts = pd.Timestamp(pd.to_datetime(str(u), dayfirst=dayfirst))
                table.append(np.datetime64(ts.tz_localize(None) if ts.tz else ts, "D"))
            except (ValueError, TypeError, OverflowError):
                table.append(np.datetime64("NaT"))
        table.append(np.datetime64("NaT"))
        days[idx] = np.array(table, dtype="datetime64[D]")[codes]
        todo = todo & np.isnat(days)
    return days, blank, todo


def _guess_format(values: pd.Series, dayfirst: bool) -> str | None:
    from pandas.tseries.api import guess_datetime_format

    for v in values.head(20):
        if isinstance(v, str):
            guess = guess_datetime_format(v.strip(), dayfirst=dayfirst)
            if guess:
                return guess
    return None


# --------------------------------------------------------------------------- proposing

_STOP = {
    "a",
    "an",
    "the",
    "you",
    "your",
    "they",
    "them",
    "their",
    "did",
    "do",
    "does",
    "have",
    "has",
    "how",
    "many",
    "to",
    "of",
    "in",
    "on",
    "or",
    "and",
    "is",
    "are",
    "was",
    "were",
    "since",
    "any",
    "way",
    "what",
    "when",
    "with",
    "from",
    "for",
    "it",
    "if",
    "me",
    "my",
    "i",
    "ex",
    "yes",
    "no",
}
_TIMESTAMP_WORDS = ("timestamp", "submitted", "submission", "created", "completed", "response date", "time")


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.replace("_", " ").casefold())


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _similarity(a: str, b: str) -> float:
    """How alike two texts are: the better of character and content-word overlap (0..1)."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return 0.0
    ratio = difflib.SequenceMatcher(None, " ".join(wa), " ".join(wb)).ratio()
    ca = {_stem(w) for w in wa if w not in _STOP}
    cb = {_stem(w) for w in wb if w not in _STOP}
    dice = 2 * len(ca & cb) / (len(ca) + len(cb)) if ca and cb else 0.0
    return max(ratio, dice)


def _question_texts(q) -> list[str]:
    texts = [q.id, q.text]
    if q.date_alternative:
        texts.append(q.date_alternative)
    return texts


def _looks_integer(values: Iterable[str]) -> float:
    vals = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    if not vals:
        return 0.0
    return sum(is_whole_number_text(v) for v in vals) / len(vals)


_DATE_FORMATS = (
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%m/%d/%y",
    "%d/%m/%y",
)
_TIME_SUFFIXES = ("", " %H:%M:%S", " %H:%M", "T%H:%M:%S", "T%H:%M:%SZ", " %I:%M:%S %p", " %I:%M %p")


def _misfits(values: list[str], fmt: str) -> list[str]:
    out = []
    for v in values:
        try:
            dt.datetime.strptime(v, fmt)
        except ValueError:
            out.append(v)
    return out


def _date_format(values: Iterable[Any], with_time: bool, most: bool = False) -> tuple[str | None, bool]:
    """(a strptime format that reads every sample value, whether another format would too).

    A format that reads all but a stray few (at most 1 in 20: a hand-edited cell should not hide the
    column) will do when none reads them all, for timestamps (``with_time``) and date answers alike;
    the template lists those values, and their rows are rejected when scored. Formats that read more
    come first, so a value that settles the day/month order is never taken for a stray. With
    ``most``, a format that reads more than half will do (a date answer typed in two ways).
    """
    vals = sorted({v.strip() for v in values if isinstance(v, str) and v.strip()})
    if not vals:
        return None, False
    allowed = (len(vals) - 1) // 2 if most else len(vals) // 20
    fits = []
    for suffix in _TIME_SUFFIXES if with_time else ("",):
        for base in _DATE_FORMATS:
            odd = len(_misfits(vals, base + suffix))
            if odd <= allowed:
                fits.append((odd, base + suffix))
    if not fits:
        return None, False
    fits.sort(key=lambda t: t[0])  # stable: the listed order among equals
    best = [f for odd, f in fits if odd == fits[0][0]]
    return best[0], len(best) > 1 and best[0][:2] != best[1][:2]


def _timestamp_candidate(header: str, values: list[Any]) -> tuple[float, str | None, bool]:
    words = " ".join(_words(header))
    named = any(re.search(rf"\b{w}\b", words) for w in _TIMESTAMP_WORDS)
    fmt, ambiguous = _date_format(values, with_time=True)
    if fmt is None:
        vals = [v.strip() for v in values if isinstance(v, str) and v.strip()]
        iso = sum(bool(re.match(r"\d{4}-\d{2}-\d{2}", v)) for v in vals)  # ISO 8601, any time part
        if vals and iso >= len(vals) - len(vals) // 20:
            return (1.0 if named else 0.5), None, False
        return 0.0, None, False
    return (1.0 if named else 0.5), (None if fmt.startswith("%Y-%m-%d") else fmt), ambiguous


def propose_mapping(
    headers: Sequence[str], sample: pd.DataFrame, *, threshold: float = 0.55, max_choices: int = 30
) -> dict[str, Any]:
    """A mapping template from an export's headers and a sample of its rows.

    Matches header text against each question's text and id, picks the
    timestamp column, guesses date layouts, and matches the distinct answers of
    each choice column against our values and labels. Everything it could not
    match is ``null`` and listed under ``_todo``.
    """
    headers = [str(h) for h in headers]
    samples = {h: [v for v in sample[h].tolist()] if h in sample.columns else [] for h in headers}
    todo: list[str] = []
    notes: dict[str, str] = {}

    # 1. the timestamp column
    ts_scores = {h: _timestamp_candidate(h, samples[h]) for h in headers}
    ts_header = None
    ts_best = max(ts_scores.items(), key=lambda kv: kv[1][0], default=(None, (0.0, None, False)))
    if ts_best[0] is not None and ts_best[1][0] >= 1.0:
        ts_header = ts_best[0]

    # 2. headers -> questions, greedy on the best score
    scores = []
    for h in headers:
        if h == ts_header:
            continue
        for q in QUIZ:
            s = max(_similarity(h, t) for t in _question_texts(q))
            if h.strip().casefold() in {q.id, q.date_alternative}:
                s = 2.0
            scores.append((s, h, q.id))
    scores.sort(key=lambda t: -t[0])
    chosen: dict[str, str] = {}
    taken: set[str] = set()
    for s, h, qid in scores:
        if s < threshold or h in chosen or qid in taken:
            continue
        chosen[h] = qid
        taken.add(qid)
        notes[h] = f"{qid} (similarity {min(s, 1.0):.2f})"

    # 3. numbers or dates, and answer texts
    columns: dict[str, str | None] = {}
    answers: dict[str, dict[str, str | None]] = {}
    date_formats: dict[str, tuple[str | None, bool]] = {}
    for h in headers:
        qid = chosen.get(h)
        if qid is None:
            columns[h] = None
            if h != ts_header:
                todo.append(f"column {h!r}: matched no question; set a quiz id, or leave null to pass it through")
            continue
        q = QUIZ[qid]
        vals = [v for v in samples[h] if isinstance(v, str) and v.strip()]
        target = qid
        if q.is_numeric:
            if q.date_alternative and vals and _looks_integer(vals) < 0.5:
                # mostly dates: the date column, whose odd values are listed (not a day count for each)
                fmt, ambiguous = _date_format(vals, with_time=False)
                if fmt is None:
                    fmt, ambiguous = _date_format(vals, with_time=False, most=True)
                if fmt is not None:
                    target = q.date_alternative
                    date_formats[h] = (fmt, ambiguous)
                    odd = _misfits(sorted({v.strip() for v in vals}), fmt)
                    if odd:
                        todo.append(
                            f"column {h!r} ({target}): {', '.join(map(repr, odd[:10]))} do not read as {fmt!r}; "
                            "fix them in the export, or their rows are rejected when scored"
                        )
            if target == qid:
                odd = sorted({v.strip() for v in vals if not is_whole_number_text(v)})
                if odd and len(odd) <= max_choices:
                    answers[qid] = {v: None for v in odd}
                    shown = ", ".join(map(repr, odd))
                    todo.append(f"answers for {qid}: give the number of {q.unit} for {shown}")
        else:
            distinct = sorted({v.strip() for v in vals})
            if len(distinct) <= max_choices:
                table = {v: _match_choice(v, q) for v in distinct}
                if any(table[v] != v for v in table):
                    answers[qid] = table
                missing = [v for v, m in table.items() if m is None]
                if missing:
                    todo.append(
                        f"answers for {qid}: {', '.join(map(repr, missing))} matched none of "
                        f"{', '.join(q.values)}; set each to one of them"
                    )
            else:
                todo.append(f"column {h!r} ({qid}): {len(distinct)} different answers; expected a few choices")
        columns[h] = target
        if target != qid:
            notes[h] = f"{target}: dates, answering {notes[h]}"
    for q in QUIZ:
        if q.id in chosen.values() or (q.date_alternative and q.date_alternative in chosen.values()):
            continue
        if q.required and q.ask_if:
            todo.append(
                f"no column found for {q.id}: {q.text} (asked when {q.condition()}); without one, "
                "every row with that answer is rejected"
            )
        elif q.required:
            todo.append(f"no column found for {q.id}: {q.text}")
        else:
            todo.append(
                f"no column found for {q.id} (optional: {q.text}); without one every row reads "
                f"{q.default!r}, which can change the advice. If a column asks it, set that column to {q.id!r}"
            )

    out: dict[str, Any] = {"exodds_mapping": MAPPING_VERSION}
    out["timestamp"] = ts_header
    if ts_header is not None:
        _, fmt, ambiguous = ts_scores[ts_header]
        out["timestamp_format"] = fmt
        if ambiguous:
            todo.append(f"timestamp {ts_header!r}: check day/month order of timestamp_format {fmt!r}")
        stamps = sorted({v.strip() for v in samples[ts_header] if isinstance(v, str) and v.strip()})
        # (an ISO 8601 column, fmt None, may have any time part: only its date is checked)
        odd = _misfits(stamps, fmt) if fmt else [v for v in stamps if _misfits([v[:10]], "%Y-%m-%d")]
        if odd:
            shown = ", ".join(map(repr, odd[:5])) + (", ..." if len(odd) > 5 else "")
            todo.append(
                f"timestamp {ts_header!r}: {len(odd)} value(s) do not read as {fmt!r} ({shown}); their rows "
                "will be rejected unless the export is fixed or --as-of is given"
            )
    else:
        todo.append("no timestamp column found: set 'timestamp' to the column with the response date, or pass --as-of")
    fmts = {f for f, _ in date_formats.values() if f}
    if fmts:
        fmt = sorted(fmts)[0]
        out["date_format"] = None if fmt == "%Y-%m-%d" else fmt
        if len(fmts) > 1:
            todo.append(f"date columns use different layouts {sorted(fmts)}; one date_format applies to all")
        if any(a for _, a in date_formats.values()):
            todo.append(f"check day/month order of date_format {fmt!r}")
    out["columns"] = columns
    out["answers"] = answers
    out["_todo"] = todo
    out["_matches"] = {h: notes[h] for h in headers if h in notes}
    return out


def _match_choice(text: str, q) -> str | None:
    norm = _norm_answer(text)
    key = re.sub(r"[\s\-]+", "_", norm)
    if key in q.values:
        return key
    for c in q.choices:
        if _norm_answer(c.label) == norm:
            return c.value
    if q.type == "boolean":
        first = _words(norm)[:1]
        if first and first[0] in {"yes", "y", "true", "yeah", "yep"}:
            return "yes"
        if first and first[0] in {"no", "n", "false", "nope", "not"}:
            return "no"
    best, best_score = None, 0.0
    for c in q.choices:
        s = max(_similarity(text, c.label), _similarity(text, c.value))
        if s > best_score:
            best, best_score = c.value, s
    return best if best_score >= 0.6 else None
