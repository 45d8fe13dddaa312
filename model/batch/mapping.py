"""Map a form tool's export (question-text headers, answer labels, timestamps) onto quiz ids.

A mapping is a small JSON file the user can read and fix by hand (``exodds mapping-template``
proposes one; the README's "Form-tool exports" section explains every key)::

    {
      "exodds_mapping": 2,
      "timestamp": "Timestamp",
      "timestamp_format": "%Y/%m/%d %I:%M:%S %p GMT%z",
      "date_format": "%m/%d/%Y",
      "date_formats": {"When were you blocked?": ["%m-%d-%Y", "%Y-%m-%d"]},
      "decimal_mark": null,
      "id_column": "Email Address",
      "columns": {"How long ago did you break up? (days)": "days_since_breakup",
                  "Have they blocked you?": "blocked",
                  "Your e-mail": null},
      "answers": {"blocked": {"No": "no", "Yes, on some apps": "some", "Yes, everywhere": "everywhere"}}
    }

``columns`` maps an export header to a quiz column (a question id, or a date
alternative such as ``breakup_date``); ``null`` means "not a question", and
the column is passed through. ``answers`` maps answer texts (compared after
trimming and ignoring case) to our values, ``""`` for "no answer" (a form's
"N/A" where the question was not asked), ``null`` for "not decided" (the rows
giving it are rejected); texts not listed are passed on as they are, and
validation judges them. ``timestamp`` names the column whose date is each
row's as-of date (for date answers and the plan's dates). Formats use
``strptime`` codes, one or a list (a value read by two of them as different
days is rejected); a time-zone suffix (``GMT%z``, ``%z``, ``%Z``) reads
``GMT+1`` and the like. ``date_format`` serves every date column that
``date_formats`` (export header -> format) does not name; without either,
dates must be ISO (YYYY-MM-DD) or a layout pandas infers (``dayfirst``).
``decimal_mark`` (``","`` or ``"."``) says how the export writes numbers;
without it ``1.000`` and ``1,000`` are refused as ambiguous. ``id_column``
names the respondent key shown in the errors file and the summary. Keys
starting with ``_`` are notes and ignored. Version 1 files (without
``date_formats``, ``decimal_mark`` and ``id_column``) read as they always did.

Everything here is column-wise: answers and dates are translated once per
distinct value.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.batch.formats import ZONE_SUFFIX, as_list, read_date, readable_format, split_zone, strip_zone
from model.errors import InputError, MappingError, MissingColumnsError
from model.quiz.dates import AS_OF_FIRST, AS_OF_LAST
from model.quiz.definition import QUIZ

__all__ = [
    "ColumnMapping",
    "MappingError",
    "MissingColumnsError",
    "Reads",
    "Resolved",
    "apply_mapping",
    "check_reads",
    "load_mapping",
    "norm_answer",
    "parse_timestamps",
    "required_columns",
    "resolve_columns",
]

MAPPING_VERSION = 2
_KEYS_V1 = {"exodds_mapping", "timestamp", "timestamp_format", "date_format", "dayfirst", "columns", "answers"}
_KEYS_V2 = {"date_formats", "decimal_mark", "id_column"}
_KEYS = _KEYS_V1 | _KEYS_V2

Formats = str | list[str] | None


@dataclass(frozen=True)
class ColumnMapping:
    """Export headers -> quiz columns, answer texts -> our values, the timestamp and id columns."""

    columns: dict[str, str | None] = field(default_factory=dict)
    answers: dict[str, dict[str, str | None]] = field(default_factory=dict)
    timestamp: str | None = None
    timestamp_format: Formats = None
    date_format: Formats = None
    dayfirst: bool = False
    source: str = "mapping"
    date_formats: dict[str, Formats] = field(default_factory=dict)
    decimal_mark: str | None = None
    id_column: str | None = None

    def answer_table(self, quiz_column: str) -> dict[str, str]:
        """Normalised answer text -> our value, for the texts that have one."""
        table = self.answers.get(quiz_column) or {}
        return {norm_answer(k): v for k, v in table.items() if v is not None}

    def undecided(self, quiz_column: str) -> set[str]:
        """Normalised answer texts the mapping leaves null: not decided, so their rows are rejected."""
        table = self.answers.get(quiz_column) or {}
        return {norm_answer(k) for k, v in table.items() if v is None}

    def date_formats_of(self, header: str) -> list[str]:
        """The layouts of one date column: its own, else the mapping's ``date_format``."""
        return as_list(self.date_formats.get(header, self.date_format))

    def recodes(self, quiz_column: str) -> bool:
        """Whether answers of ``quiz_column`` are rewritten before validation reads them."""
        numeric = quiz_column in QUIZ.ids and QUIZ[quiz_column].is_numeric
        return bool(self.answer_table(quiz_column)) or (numeric and self.decimal_mark is not None)


@dataclass(frozen=True)
class Resolved:
    """Which input column feeds which quiz column, for one header."""

    by_quiz: dict[str, str]  # quiz column -> input header
    timestamp: str | None
    mapping: ColumnMapping | None
    id_column: str | None = None

    @property
    def used_headers(self) -> list[str]:
        cols = list(self.by_quiz.values())
        for extra in (self.timestamp, self.id_column):
            if extra is not None and extra not in cols:
                cols.append(extra)
        return cols


def norm_answer(text: Any) -> str:
    """An answer text as answer tables compare it: trimmed, inner spaces one, case ignored."""
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
        return (q.min is None or q.min <= number) and (q.max is None or number <= q.max)
    return isinstance(value, str) and value in q.values


def _check_formats(key: str, value: Any, problems: list[str]) -> None:
    fmts = [value] if isinstance(value, str) else value
    if not isinstance(fmts, list) or not fmts or not all(isinstance(f, str) for f in fmts):
        problems.append(f"'{key}' must be a strptime format, a list of them, or null")
        return
    for fmt in fmts:
        if "%" not in fmt:
            problems.append(f"'{key}' {fmt!r} has no strptime codes (for example %d/%m/%Y)")
        elif not readable_format(fmt):
            problems.append(f"'{key}' {fmt!r} is not a date format strptime can read (codes such as %d/%m/%Y)")


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
    version = raw.get("exodds_mapping", 1)
    if version not in (1, MAPPING_VERSION):
        problems.append(
            f"exodds_mapping is {version!r}; this exodds reads versions 1 and {MAPPING_VERSION} (a newer exodds "
            "wrote it? upgrade exodds, or propose a new one with `exodds mapping-template`)"
        )
    newer = sorted(k for k in raw if k in _KEYS_V2)
    if version == 1 and newer:
        problems.append(f"{newer} need \"exodds_mapping\": {MAPPING_VERSION} (version 1 has no such keys): "
                        "set it to 2; nothing else changes")
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
                    f"answers for {qid}: {text!r} -> {value!r}: expected null, \"\" (no answer) or {expected}"
                )
            key = norm_answer(text)  # texts are compared ignoring case and spaces: two must agree
            if key in seen and seen[key][1] != value:
                problems.append(
                    f"answers for {qid}: {seen[key][0]!r} -> {seen[key][1]!r} and {text!r} -> {value!r} are the "
                    "same answer text (case and spaces are ignored) with different values; keep one"
                )
            seen.setdefault(key, (text, value))
    for key in ("timestamp", "id_column"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            problems.append(f"'{key}' must be a column name (a string) or null")
    for key in ("timestamp_format", "date_format"):
        if raw.get(key) is not None:
            _check_formats(key, raw[key], problems)
    date_formats = raw.get("date_formats") or {}
    if not isinstance(date_formats, dict):
        problems.append("'date_formats' must be an object: export header -> format (or a list of formats)")
        date_formats = {}
    for header, fmt in date_formats.items():
        if columns.get(header) not in QUIZ.date_columns:
            problems.append(f"date_formats names {header!r}, which 'columns' does not map to a date column "
                            f"({', '.join(QUIZ.date_columns)})")
        if fmt is not None:
            _check_formats(f"date_formats[{header!r}]", fmt, problems)
    mark = raw.get("decimal_mark")
    if mark not in (None, ".", ","):
        problems.append(f"'decimal_mark' is {mark!r}: expected \",\" (1.000 is a thousand, 1,5 one and a half), "
                        "\".\" (1,000 is a thousand) or null")
    if raw.get("dayfirst") is not None and not isinstance(raw.get("dayfirst"), bool):
        problems.append("'dayfirst' must be true or false")
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
        date_formats={h: f for h, f in date_formats.items() if f is not None},
        decimal_mark=mark,
        id_column=raw.get("id_column"),
    )


def required_columns() -> list[tuple[str, str | None]]:
    """(question id, its date alternative or None) for every question an input must carry.

    A question asked only after certain answers (``ask_if``: how long ago they blocked you) is
    not among them: an export of a form that never asks it is still read, and only the rows that
    need the answer are rejected, each naming it.
    """
    return [(q.id, q.date_alternative) for q in QUIZ if q.required and not q.ask_if]


def resolve_columns(
    headers: Sequence[str], mapping: ColumnMapping | None = None, *, require: bool = True,
    id_column: str | None = None,
) -> Resolved:
    """Find the input column for each quiz column; raise naming every required one missing
    (with ``require=False`` a missing column is left to validation: every row misses the answer).

    Without a mapping a header answers a quiz column when it equals the id
    after trimming and ignoring case. ``id_column`` (``--id-column``) names the respondent key,
    replacing the mapping's.
    """
    headers = [str(h) for h in headers]
    respondent = _id_column(headers, mapping, id_column)
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
                    f"the timestamp column {mapping.timestamp!r} named in {mapping.source} "
                    "is not in the input",
                )
            timestamp = mapping.timestamp
        if require:
            _check_required(by_quiz, absent, mapping)
        return Resolved(by_quiz, timestamp, mapping, respondent)
    if require:
        _check_required(by_quiz, [], None)
    return Resolved(by_quiz, timestamp, None, respondent)


def _id_column(headers: list[str], mapping: ColumnMapping | None, given: str | None) -> str | None:
    name = given if given is not None else (mapping.id_column if mapping is not None else None)
    if name is None:
        return None
    if name not in headers:
        where = "--id-column" if given is not None else f"the id_column named in {mapping.source}"  # type: ignore[union-attr]
        raise InputError(f"{where} {name!r} is not in the input; its columns are " + ", ".join(map(repr, headers)))
    return name


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


@dataclass
class Reads:
    """How many values of each date or timestamp column were given and read (``check_reads``)."""

    given: dict[str, int] = field(default_factory=dict)
    read: dict[str, int] = field(default_factory=dict)
    layout: dict[str, str] = field(default_factory=dict)
    example: dict[str, str] = field(default_factory=dict)

    def add(self, header: str, given: int, read: int, layout: str, example: str | None) -> None:
        self.given[header] = self.given.get(header, 0) + given
        self.read[header] = self.read.get(header, 0) + read
        self.layout[header] = layout
        if example is not None:
            self.example.setdefault(header, example)

    def merge(self, other: Reads) -> None:
        for h in other.given:
            self.add(h, other.given[h], other.read[h], other.layout[h], other.example.get(h))


def check_reads(reads: Reads, source: str) -> None:
    """A layout that reads none of its column's values is the mapping's mistake, not every row's:
    raise ``MappingError`` (exit 2, nothing written) naming the column, the layout and a value."""
    wrong = [h for h, n in reads.given.items() if n and not reads.read.get(h)]
    if wrong:
        parts = [
            f"{h!r} has {reads.given[h]} value(s) and {reads.layout[h]} reads none of them "
            f"(such as {reads.example.get(h, '')!r})"
            for h in wrong
        ]
        raise MappingError(
            f"{source}: " + "; ".join(parts) + ": fix the format (timestamp_format, date_format or date_formats; "
            "`exodds mapping-template --check` shows what reads); nothing was written"
        )


def apply_mapping(
    df: pd.DataFrame, resolved: Resolved, *, use_timestamp: bool = True, reads: Reads | None = None
) -> tuple[pd.DataFrame, np.ndarray | None, pd.DataFrame, dict[str, np.ndarray]]:
    """Raw export columns -> a frame of quiz columns, plus per-row as-of dates and problems.

    Returns ``(quiz_frame, as_of_days or None, problems, date_failed)``: the
    problems (``pos``, ``column``, ``value``, ``reason``) name the export
    header; ``date_failed`` maps a question id to the rows whose date answer
    could not be read (so "missing" is not reported for them as well).
    ``df`` is never modified. With ``use_timestamp=False`` the timestamp
    column is not read (an explicit as-of date replaces it). ``reads``, when
    given, counts the date and timestamp values given and read per column.
    """
    mapping = resolved.mapping
    data: dict[str, Any] = {}
    parts: list[pd.DataFrame] = []
    date_failed: dict[str, np.ndarray] = {}
    for qcol, header in resolved.by_quiz.items():
        col = df[header]
        if mapping is not None:
            undecided = mapping.undecided(qcol)
            if undecided:
                left = _matches(col, undecided)
                if left.any():
                    parts.append(_problems(left, header, df[header], (
                        f"not decided: left null in {mapping.source} (a label the template could not be sure "
                        f"of); map it to {_expected(qcol)} to score these rows"
                    )))
            table = mapping.answer_table(qcol)
            if table:
                col = _translate(col, table)
            if mapping.decimal_mark is not None and qcol in QUIZ.ids and QUIZ[qcol].is_numeric:
                col = _numbers_in(col, mapping.decimal_mark)
            if qcol in QUIZ.date_columns:
                fmts = mapping.date_formats_of(header)
                col, bad, reasons, n_given = _dates_to_iso(col, fmts, mapping.dayfirst)
                if reads is not None and fmts:
                    example = None if not bad.any() else str(df[header].to_numpy(dtype=object)[np.argmax(bad)])
                    reads.add(header, n_given, n_given - int(bad.sum()), _shown(fmts), example)
                if bad.any():
                    parts.append(_problems(bad, header, df[header], reasons))
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
        fmts = as_list(mapping.timestamp_format)
        as_of, blank, bad = parse_timestamps(raw, fmts, mapping.dayfirst)
        if reads is not None:
            example = None if not bad.any() else str(raw.to_numpy(dtype=object)[np.argmax(bad)])
            given = int((~blank).sum())
            layout = _shown(fmts) if fmts else "no layout (ISO 8601 or one pandas infers)"
            reads.add(resolved.timestamp, given, given - int(bad.sum()), layout, example)
        parts.append(
            _problems(blank, resolved.timestamp, raw, "missing: the response timestamp dates the answers")
        )
        if bad.any():
            parts.append(_problems(bad, resolved.timestamp, raw, _timestamp_reasons(raw, bad, fmts)))
        read = ~(blank | bad)
        far = read & ((as_of < np.datetime64(AS_OF_FIRST, "D")) | (as_of > np.datetime64(AS_OF_LAST, "D")))
        if far.any():
            reason = f"outside the dates exodds scores ({AS_OF_FIRST} to {AS_OF_LAST})"
            parts.append(_problems(far, resolved.timestamp, raw, reason))
    parts = [p for p in parts if len(p)]
    problems = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame({"pos": pd.Series(dtype=np.int64), "column": [], "value": [], "reason": []})
    )
    return out, as_of, problems, date_failed


def _shown(fmts: list[str]) -> str:
    return " or ".join(repr(f) for f in fmts)


def _problems(mask: np.ndarray, column: str, raw: pd.Series, reason: Any) -> pd.DataFrame:
    pos = np.flatnonzero(mask)
    reasons = reason[pos] if isinstance(reason, np.ndarray) else reason
    return pd.DataFrame(
        {"pos": pos, "column": column, "value": raw.to_numpy(dtype=object)[pos], "reason": reasons}
    )


def _expected(qcol: str) -> str:
    return QUIZ[qcol].expected() if qcol in QUIZ.ids else "a date"


def _matches(col: pd.Series, texts: set[str]) -> np.ndarray:
    """Where ``col`` holds one of ``texts`` (normalised), once per distinct value."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    table = np.array([isinstance(u, str) and norm_answer(u) in texts for u in uniques] + [False], dtype=bool)
    return table[codes]


def _translate(col: pd.Series, table: dict[str, str]) -> pd.Series:
    """Replace answer texts found in ``table``; others stay as they are."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    new = np.array([table.get(norm_answer(u), u) for u in uniques] + [None], dtype=object)
    return pd.Series(new[codes], index=col.index, dtype=object)


_GROUPS = {",": re.compile(r"[+-]?[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]*)?"),
           ".": re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")}


def number_in(text: str, mark: str) -> str:
    """A number written with ``mark`` as its decimal mark (and the other as a thousands separator),
    as validation reads numbers: ``1.000`` with "," is ``1000``; with "." it is ``1``. Text that is
    no such number is returned as it was (validation then says what is wrong with it)."""
    value = text.strip()
    other = "." if mark == "," else ","
    if _GROUPS[mark].fullmatch(value):
        value = value.replace(other, "")
    elif other in value:
        return text
    value = value.replace(",", ".")
    try:
        number = Decimal(value)
    except InvalidOperation:
        return text
    if not number.is_finite():
        return text
    return str(int(number)) if number == number.to_integral_value() else format(number, "f")


def _numbers_in(col: pd.Series, mark: str) -> pd.Series:
    """Number answers written in the export's convention, as validation reads them (once per distinct text)."""
    if pd.api.types.is_numeric_dtype(col.dtype):
        return col
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    new = np.array([number_in(u, mark) if isinstance(u, str) else u for u in uniques] + [None], dtype=object)
    return pd.Series(new[codes], index=col.index, dtype=object)


def _one_date(text: str, fmts: list[str], dayfirst: bool) -> tuple[dt.date | None, str | None]:
    text = text.strip()
    if fmts:
        return read_date(text, fmts)
    try:
        return dt.date.fromisoformat(text[:10]), None
    except ValueError:
        pass
    try:
        return pd.Timestamp(pd.to_datetime(strip_zone(text), dayfirst=dayfirst)).date(), None
    except (ValueError, TypeError, OverflowError):
        return None, "expected YYYY-MM-DD"


def _dates_to_iso(
    col: pd.Series, fmts: list[str], dayfirst: bool
) -> tuple[pd.Series, np.ndarray, np.ndarray, int]:
    """Date answers in the export's layouts -> ISO text; unreadable ones blanked and flagged, with
    why (and how many values were given at all)."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    iso: list[str | None] = []
    bad: list[bool] = []
    why: list[str | None] = []
    blank: list[bool] = []
    for u in uniques:
        if not isinstance(u, str):
            ok = isinstance(u, (dt.date, pd.Timestamp))
            iso.append(pd.Timestamp(u).date().isoformat() if ok else None)
            bad.append(not ok)
            why.append(None if ok else "not a date")
            blank.append(False)
            continue
        if not u.strip():
            iso.append(None)
            bad.append(False)
            why.append(None)
            blank.append(True)
            continue
        d, reason = _one_date(u, fmts, dayfirst)
        iso.append(d.isoformat() if d else None)
        bad.append(d is None)
        why.append(None if d else (reason if reason and reason.startswith("ambiguous") else f"not a date: {reason}"))
        blank.append(False)
    iso_table = np.array([*iso, None], dtype=object)
    bad_table = np.array([*bad, False], dtype=bool)
    why_table = np.array([*why, None], dtype=object)
    given = int((~np.array([*blank, True], dtype=bool)[codes]).sum())
    return pd.Series(iso_table[codes], index=col.index, dtype=object), bad_table[codes], why_table[codes], given


def _timestamp_reasons(raw: pd.Series, bad: np.ndarray, fmts: list[str]) -> np.ndarray:
    """Why each unreadable timestamp is: no layout reads it, or two read it as different days."""
    values = raw.to_numpy(dtype=object)
    reasons = np.full(len(raw), None, dtype=object)
    cache: dict[Any, str] = {}
    for i in np.flatnonzero(bad):
        v = values[i]
        if v not in cache:
            why = read_date(str(v), fmts)[1] if fmts else None
            if why and why.startswith("ambiguous"):
                cache[v] = why
            else:
                cache[v] = "not a date-time: " + (why or "expected an ISO date-time")
        reasons[i] = cache[v]
    return reasons


def parse_timestamps(
    raw: pd.Series, fmt: str | Sequence[str] | None = None, dayfirst: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Response timestamps -> (datetime64[D] dates as written, blank mask, unreadable mask).

    ``fmt`` is a layout or a list of them (a value two of them read as different days is
    unreadable); a time-zone suffix is set aside (the date as written counts)."""
    fmts = as_list(fmt)
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
    if fmts:
        return _timestamps_in(s, fmts, blank)
    for guess in ["ISO8601", _guess_format(s[todo], dayfirst)]:
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
    if todo.any():  # stragglers in another layout: once per distinct value
        idx = np.flatnonzero(todo)
        sub = s.iloc[idx]
        codes, uniques = pd.factorize(sub)
        table: list[np.datetime64] = []
        for u in uniques:
            try:
                ts = pd.Timestamp(pd.to_datetime(strip_zone(str(u)), dayfirst=dayfirst))
                table.append(np.datetime64(ts.tz_localize(None) if ts.tz else ts, "D"))
            except (ValueError, TypeError, OverflowError):
                table.append(np.datetime64("NaT"))
        table.append(np.datetime64("NaT"))
        days[idx] = np.array(table, dtype="datetime64[D]")[codes]
        todo = todo & np.isnat(days)
    return days, blank, todo


def _timestamps_in(s: pd.Series, fmts: list[str], blank: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Timestamps read with the mapping's layouts, each layout over the whole column at once (pandas
    parses them in C); a value two layouts read as different days is unreadable."""
    n = len(s)
    days = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    clash = np.zeros(n, dtype=bool)
    text = s.where(s.map(lambda v: isinstance(v, str)), None) if s.dtype == object else s.astype(object)
    unzoned = None
    for fmt in fmts:
        bare, zoned = split_zone(fmt)
        source = text
        if zoned:
            if unzoned is None:
                unzoned = text.str.replace(ZONE_SUFFIX, "", regex=True)
            source = unzoned
        try:
            got = pd.to_datetime(source, format=bare, errors="coerce")
        except (ValueError, TypeError):  # a layout pandas cannot take: value by value
            got = pd.Series([_strptime_day(v, fmt) for v in text], dtype="datetime64[ns]")
        read = got.to_numpy().astype("datetime64[D]")
        clash |= ~np.isnat(read) & ~np.isnat(days) & (read != days)
        days = np.where(np.isnat(days), read, days)
    objects = s.map(lambda v: isinstance(v, (dt.date, pd.Timestamp))).to_numpy(dtype=bool)
    stamps = np.flatnonzero(~blank & np.isnat(days) & objects)
    for i in stamps:  # datetime objects (a typed Parquet column read as objects)
        days[i] = np.datetime64(pd.Timestamp(s.iloc[i]).date(), "D")
    days[clash] = np.datetime64("NaT")
    return days, blank, ~blank & np.isnat(days)


def _strptime_day(value: Any, fmt: str) -> Any:
    day, _ = read_date(str(value), [fmt]) if isinstance(value, str) else (None, None)
    return pd.NaT if day is None else pd.Timestamp(day)


def _guess_format(values: pd.Series, dayfirst: bool) -> str | None:
    from pandas.tseries.api import guess_datetime_format

    for v in values.head(20):
        if isinstance(v, str):
            guess = guess_datetime_format(v.strip(), dayfirst=dayfirst)
            if guess:
                return guess
    return None
