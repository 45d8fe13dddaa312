"""Propose a mapping for a form tool's export (``exodds mapping-template``), and say what a mapping
will do to an export before it is scored (``--check``).

Why a module of its own: the proposal is where a wrong guess would become silently wrong scores, so
it takes only what is certain and leaves the rest for a person, in ``_todo``, with candidates. It
recognises the four common form tools by their fixed columns (``TOOLS``) and takes each one's
submit or completion time and respondent key; everything else is matched against the quiz
definition (``model.batch.matching``, ``model.batch.formats``). ``_todo`` lists only what changes
the result: a question without a column, an answer label or number that is not certain, a date
that no layout reads, day and month that could be swapped, a missing timestamp.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from model.batch.formats import DateLayouts, ambiguous_values, as_list, find_layouts, read_date
from model.batch.mapping import (
    MAPPING_VERSION,
    ColumnMapping,
    Reads,
    apply_mapping,
    check_reads,
    norm_answer,
    number_in,
    parse_timestamps,
    resolve_columns,
)
from model.batch.matching import match_choice, match_headers, similarity
from model.batch.readers import careful_chunks, inspect_input, parquet_chunks
from model.quiz.definition import QUIZ, Question
from model.quiz.validation import ambiguous_number, choice_value, is_whole_number_text, number_problem

__all__ = ["TOOLS", "Tool", "check_mapping", "propose_mapping", "recognise"]


@dataclass(frozen=True)
class Tool:
    """A form tool's export: the columns it always writes (``fixed``: all present means this tool),
    the column whose time dates a response, the respondent key, and other columns it writes that
    are never questions."""

    name: str
    fixed: tuple[str, ...]
    timestamp: str
    key: tuple[str, ...]
    other: tuple[str, ...] = ()


#: Assumptions about each tool's export (tests/data/exports/README.md says where they come from).
TOOLS = (
    Tool("Typeform", ("#", "Submit Date (UTC)"), "Submit Date (UTC)", ("#",),
         ("Response Type", "Start Date (UTC)", "Stage Date (UTC)", "Network ID", "Tags", "Ending")),
    Tool("Microsoft Forms", ("ID", "Start time", "Completion time"), "Completion time", ("ID",),
         ("Email", "Name", "Last modified time", "Total points", "Quiz feedback")),
    Tool("Jotform", ("Submission Date",), "Submission Date", ("Submission ID",),
         ("Submission ID", "Submission IP", "Last Update Date", "Edit Link", "Submission Edit URL")),
    Tool("Google Forms", ("Timestamp",), "Timestamp", ("Email Address", "Email address", "Username"),
         ("Email Address", "Email address", "Username", "Score")),
)


def _key(header: str) -> str:
    return re.sub(r"\s+", " ", header.strip()).casefold()


def recognise(headers: Sequence[str]) -> Tool | None:
    """The tool whose fixed columns are all among ``headers`` (case and spacing ignored)."""
    present = {_key(h) for h in headers}
    for tool in TOOLS:
        if all(_key(f) in present for f in tool.fixed):
            return tool
    return None


def _header(headers: Sequence[str], name: str) -> str | None:
    for h in headers:
        if _key(h) == _key(name):
            return h
    return None


#: Words in a header that name a response's time: a finish first, a start last.
_FINISH = ("submit", "submitted", "submission", "completion", "completed", "timestamp", "end", "finished",
           "response date", "date submitted")
_START = ("start", "started", "created", "modified", "updated", "last update")


def _timestamp_rank(header: str) -> float:
    text = " ".join(re.findall(r"[a-z0-9]+", header.casefold()))
    if any(re.search(rf"\b{w}\b", text) for w in _START):
        return 0.3
    if any(re.search(rf"\b{w}\b", text) for w in _FINISH):
        return 1.0
    if re.search(r"\btime\b", text):
        return 0.6
    return 0.0


def _texts(values: list[Any]) -> list[str]:
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


def _iso_stamps(vals: list[str]) -> bool:
    iso = sum(bool(re.match(r"\d{4}-\d{2}-\d{2}", v)) for v in vals)
    return bool(vals) and iso >= len(vals) - len(vals) // 20


def _find_timestamp(headers: list[str], samples: dict[str, list[Any]], tool: Tool | None) -> str | None:
    if tool is not None:
        found = _header(headers, tool.timestamp)
        if found is not None:
            return found
    best, best_rank = None, 0.0
    for h in headers:
        rank = _timestamp_rank(h)
        if rank <= best_rank:
            continue
        vals = _texts(samples[h])
        if vals and (find_layouts(vals, with_time=True).found or _iso_stamps(vals)):
            best, best_rank = h, rank
    return best if best_rank >= 0.6 else None


def _find_key(headers: list[str], samples: dict[str, list[Any]], tool: Tool | None, skip: set[str]) -> str | None:
    """The respondent key: the tool's, else an e-mail or id column whose sampled values are all given."""
    if tool is not None:
        for name in tool.key:
            found = _header(headers, name)
            if found is not None and _texts(samples[found]):
                return found
    for h in headers:
        words = set(re.findall(r"[a-z0-9]+", h.casefold().replace("e-mail", "email")))
        vals = _texts(samples[h])
        if h in skip or not vals or len(vals) < len(samples[h]):
            continue
        if "email" in words and sum("@" in v for v in vals) * 2 > len(vals):
            return h
        if words & {"id", "respondent", "token"} and len(words) <= 3:
            return h
    return None


# --------------------------------------------------------------------------- numbers


_COMMA_DECIMAL = (re.compile(r"[0-9]+,[0-9]{1,2}"), re.compile(r"[0-9]+,[0-9]{4,}"),
                  re.compile(r"[0-9]{1,3}(?:\.[0-9]{3}){2,}"), re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+,[0-9]+"))
_POINT_DECIMAL = (re.compile(r"[0-9]+\.[0-9]{1,2}"), re.compile(r"[0-9]+\.[0-9]{4,}"),
                  re.compile(r"[0-9]{1,3}(?:,[0-9]{3}){2,}"), re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+\.[0-9]+"))


def _decimal_evidence(values: list[str]) -> tuple[set[str], list[str]]:
    """(the decimal marks the values show beyond doubt, the values that show them)."""
    marks: set[str] = set()
    shown = []
    for v in values:
        for mark, patterns in ((",", _COMMA_DECIMAL), (".", _POINT_DECIMAL)):
            if any(p.fullmatch(v.lstrip("+-")) for p in patterns):
                marks.add(mark)
                shown.append(v)
    return marks, shown


# --------------------------------------------------------------------------- the proposal


def propose_mapping(
    headers: Sequence[str], sample: pd.DataFrame, *, max_choices: int = 30
) -> dict[str, Any]:
    """A mapping template from an export's headers and a sample of its rows (see the module docstring)."""
    headers = [str(h) for h in headers]
    samples = {h: list(sample[h]) if h in sample.columns else [] for h in headers}
    n_rows = len(sample)
    todo: list[str] = []
    notes: dict[str, str] = {}
    answer_notes: dict[str, dict[str, str]] = {}

    tool = recognise(headers)
    ts_header = _find_timestamp(headers, samples, tool)
    known = {h for h in headers if tool is not None and any(_key(h) == _key(x) for x in (*tool.fixed, *tool.other))}
    id_column = _find_key(headers, samples, tool, {ts_header} if ts_header else set())
    skip = known | {h for h in (ts_header, id_column) if h is not None}
    chosen_h, unsure_h = match_headers(headers, skip)
    chosen = {h: m.question for h, m in chosen_h.items()}
    for h, m in chosen_h.items():
        notes[h] = f"{m.question} (similarity {m.score:.2f}" + (
            f"; next {m.runner_up[0]} {m.runner_up[1]:.2f})" if m.runner_up else ")"
        )

    columns: dict[str, str | None] = {}
    answers: dict[str, dict[str, str | None]] = {}
    layouts: dict[str, DateLayouts] = {}
    number_values: dict[str, list[str]] = {}
    for h in headers:
        qid = chosen.get(h)
        if qid is None:
            columns[h] = None
            continue
        q = QUIZ[qid]
        vals = _texts(samples[h])
        target = qid
        if q.is_numeric:
            if q.date_alternative and vals and _share_whole(vals) < 0.5:
                found = find_layouts(vals, with_time=False)
                if not found.found:
                    found = find_layouts(vals, with_time=False, most=True)
                if found.found:
                    target = q.date_alternative
                    layouts[h] = found
                    if found.misfits:
                        todo.append(
                            f"column {h!r} ({target}): {', '.join(map(repr, found.misfits[:10]))} do not read as "
                            f"{_shown(found.formats)}; fix them in the export, or their rows are rejected when scored"
                        )
            if target == qid:
                number_values[h] = vals
        else:
            _propose_answers(h, q, vals, n_rows, max_choices, answers, answer_notes, todo)
        columns[h] = target
        if target != qid:
            notes[h] = f"{target}: dates, answering {notes[h]}"

    decimal_mark = _propose_numbers(number_values, chosen, answers, todo, notes, max_choices)
    for h, pair in unsure_h.items():
        (q1, s1), (q2, s2) = pair
        if q1 in chosen.values() and q2 in chosen.values():
            continue  # both questions have a surer column: this one is something else
        todo.append(f"column {h!r} could answer {q1} ({s1:.2f}) or {q2} ({s2:.2f}): set one, or leave it null")
    _unanswered(headers, chosen, skip, unsure_h, todo)

    out: dict[str, Any] = {"exodds_mapping": MAPPING_VERSION}
    if tool is not None:
        out["_tool"] = f"{tool.name} (recognised by its columns {', '.join(map(repr, tool.fixed))})"
    out["timestamp"] = ts_header
    out["timestamp_format"] = None
    if ts_header is not None:
        _propose_timestamp(ts_header, samples[ts_header], out, todo)
    else:
        todo.append("no timestamp column found: set 'timestamp' to the column with each response's date and time, "
                    "or pass --as-of; until then every date counts from the day of scoring")
    _propose_date_formats(layouts, out, todo)
    out["decimal_mark"] = decimal_mark
    out["id_column"] = id_column
    out["columns"] = columns
    out["answers"] = answers
    out["_todo"] = todo
    out["_matches"] = {h: notes[h] for h in [*headers, "decimal_mark"] if h in notes}
    if answer_notes:
        out["_answer_matches"] = answer_notes
    return out


def _share_whole(values: list[str]) -> float:
    return sum(is_whole_number_text(v) for v in values) / len(values) if values else 0.0


def _shown(formats: list[str]) -> str:
    return " or ".join(repr(f) for f in formats)


def _propose_answers(
    h: str, q: Question, vals: list[str], n_rows: int, max_choices: int,
    answers: dict[str, dict[str, str | None]], answer_notes: dict[str, dict[str, str]], todo: list[str],
) -> None:
    counts = Counter(vals)
    if len(counts) > max_choices:
        todo.append(f"column {h!r} ({q.id}): {len(counts)} different answers; expected a few choices")
        return
    table: dict[str, str | None] = {}
    for label in sorted(counts):
        m = match_choice(label, q)
        table[label] = m.value
        answer_notes.setdefault(q.id, {})[label] = (
            f"{m.value} ({m.confidence}: {m.why})" if m.value else f"not mapped ({m.confidence}: {m.why})"
        )
        if m.value is None:
            candidates = ", ".join(m.candidates) if m.candidates else "none"
            todo.append(
                f"answers for {q.id}: {label!r} ({counts[label]} of {n_rows} sampled rows) is not certain: {m.why}; "
                f"candidates: {candidates}. Set it to one of {', '.join(q.values)}, or leave it null to reject "
                "those rows"
            )
    if any(table[v] != v for v in table):
        answers[q.id] = table


def _propose_numbers(
    number_values: dict[str, list[str]], chosen: dict[str, str], answers: dict[str, dict[str, str | None]],
    todo: list[str], notes: dict[str, str], max_choices: int,
) -> str | None:
    """The decimal mark (when the values show it beyond doubt and some value needs it), and the
    number answers that are no number."""
    every = [v for vals in number_values.values() for v in vals]
    ambiguous = sorted({v for v in every if ambiguous_number(v.strip(" +-")) is not None})
    marks, evidence = _decimal_evidence(sorted(set(every)))
    mark = None
    if ambiguous and len(marks) == 1:
        mark = next(iter(marks))
        shown = ", ".join(map(repr, evidence[:3]))
        notes["decimal_mark"] = f"{mark!r}: the export writes {shown}, so {ambiguous[0]!r} is " + number_in(
            ambiguous[0], mark
        )
    elif ambiguous:
        counts = Counter(v for v in every if v in ambiguous)
        shown = ", ".join(f"{v!r} ({counts[v]} rows)" for v in ambiguous[:10])
        todo.append(
            f"numbers {shown} read as a thousand where '.' or ',' groups thousands and as a small number where it is "
            "the decimal mark: set decimal_mark to \",\" (1.000 = 1000) or \".\" (1.000 = 1), or their rows are "
            "rejected"
        )
    for h, vals in number_values.items():
        q = QUIZ[chosen[h]]
        odd = sorted({v for v in vals if not is_whole_number_text(number_in(v, mark) if mark else v)
                      and (mark or ambiguous_number(v.strip(" +-")) is None)})
        if odd and len(odd) <= max_choices:
            answers[q.id] = {v: None for v in odd}
            todo.append(f"answers for {q.id}: give the number of {q.unit} for {', '.join(map(repr, odd))}, or leave "
                        "null to reject those rows")
    return mark


_NEAR = 0.4  # a column this alike a question that no column answers is named as a candidate


def _unanswered(headers: list[str], chosen: dict[str, str], skip: set[str],
                unsure: dict[str, Any], todo: list[str]) -> None:
    free = [h for h in headers if h not in chosen and h not in skip]
    answered = set(chosen.values())
    for q in QUIZ:
        if q.id in answered or (q.date_alternative and q.date_alternative in answered):
            continue
        ranked = sorted(((max(similarity(h, t) for t in (q.id, q.text)), h) for h in free), reverse=True)[:3]
        near = [f"{h!r} ({s:.2f})" for s, h in ranked if s >= _NEAR]
        hint = "; closest columns: " + ", ".join(near) if near else ""
        if q.required and q.ask_if:
            todo.append(f"no column found for {q.id}: {q.text} (asked when {q.condition()}); without one, every row "
                        f"with that answer is rejected{hint}")
        elif q.required:
            todo.append(f"no column found for {q.id}: {q.text}{hint}")
        else:
            todo.append(
                f"no column found for {q.id} (optional: {q.text}); without one every row reads {q.default!r}, which "
                f"can change the advice. If a column asks it, set that column to {q.id!r}{hint}"
            )


def _propose_timestamp(header: str, values: list[Any], out: dict[str, Any], todo: list[str]) -> None:
    stamps = sorted(set(_texts(values)))
    if not stamps:
        return
    found = find_layouts(stamps, with_time=True)
    if _iso_stamps(stamps) and (not found.found or found.formats[0].startswith("%Y-%m-%d")):
        # ISO 8601 with any time part: read without a layout; only the date is checked
        odd = [v for v in stamps if read_date(v[:10], ["%Y-%m-%d"])[0] is None]
        fmts: list[str] = []
    elif found.found:
        fmts, odd = found.formats, found.misfits
        out["timestamp_format"] = fmts[0] if len(fmts) == 1 else fmts
        if found.swappable:
            todo.append(_swap_note(f"timestamp {header!r}", "timestamp_format", fmts, stamps))
    else:
        todo.append(f"timestamp {header!r}: no layout reads its values (such as {stamps[0]!r}); set timestamp_format")
        return
    if odd:
        shown = ", ".join(map(repr, odd[:5])) + (", ..." if len(odd) > 5 else "")
        todo.append(
            f"timestamp {header!r}: {len(odd)} value(s) do not read as {_shown(fmts) if fmts else 'ISO 8601'} "
            f"({shown}); their rows will be rejected unless the export is fixed or --as-of is given"
        )


def _propose_date_formats(layouts: dict[str, DateLayouts], out: dict[str, Any], todo: list[str]) -> None:
    if not layouts:
        return
    per = {h: (f.formats[0] if len(f.formats) == 1 else f.formats) for h, f in layouts.items()}
    distinct = {repr(v) for v in per.values()}
    if len(distinct) == 1:
        only = next(iter(per.values()))
        out["date_format"] = None if only == "%Y-%m-%d" else only
    else:
        out["date_format"] = None
        out["date_formats"] = per
    for h, f in layouts.items():
        if f.swappable:
            todo.append(_swap_note(f"column {h!r}", "its date format", f.formats, f.values))


def _swap_note(what: str, key: str, formats: list[str], values: list[str]) -> str:
    odd = ambiguous_values(values, formats)
    shown = ", ".join(map(repr, odd[:5])) + (", ..." if len(odd) > 5 else "")
    return (f"{what}: day and month could be either way round ({shown} read as two different days, so their "
            f"rows are rejected): remove the wrong layout from {key} {_shown(formats)}")


# --------------------------------------------------------------------------- checking


def check_mapping(
    path: str | os.PathLike[str], mapping: ColumnMapping, *, id_column: str | None = None, rows: int = 32_768
) -> tuple[list[str], int]:
    """What ``mapping`` will do to every record of an export: per column, what it becomes and the
    values it does not read, with how many rows give each. Returns (lines, exit code: 0 when every
    value reads, 1 when some rows will be rejected for a value); raises ``MappingError`` (exit 2)
    when a layout reads none of its column's values, as scoring would."""
    info = inspect_input(path)
    resolved = resolve_columns(info.header, mapping, require=False, id_column=id_column)
    wanted = resolved.used_headers
    counts: dict[str, Counter[str]] = {h: Counter() for h in wanted}
    n_read = 0
    chunks = parquet_chunks(info, rows) if info.kind == "parquet" else careful_chunks(info, rows)
    reads = Reads()
    for chunk in chunks:
        n_read += chunk.batch.num_rows + len(chunk.rejected)
        frame = chunk.batch.select(wanted).to_pandas()
        apply_mapping(frame, resolved, reads=reads)  # (only the reads are wanted here)
        for h in wanted:
            counts[h].update(_as_text(v) for v in frame[h].tolist())
    check_reads(reads, mapping.source)
    lines = [f"{info.path}: {n_read} record(s); mapping {mapping.source}"]
    bad_total = 0
    for qcol, h in resolved.by_quiz.items():
        good, bad = _judge_values(qcol, h, counts[h], mapping)
        n_good = sum(good.values())
        what = f"{qcol} (dates)" if qcol in QUIZ.date_columns else qcol
        lines.append(f"{h!r} -> {what}: {n_good} row(s) read" + (f", {sum(b[0] for b in bad.values())} not" if bad
                                                                  else ""))
        for value, (n, why) in sorted(bad.items(), key=lambda kv: -kv[1][0]):
            lines.append(f"    {value!r}: {n} row(s): {why}")
        bad_total += len(bad)
    if resolved.timestamp is not None:
        h = resolved.timestamp
        given = {v: n for v, n in counts[h].items() if v.strip()}
        _days, _, unread = parse_timestamps(pd.Series(list(given), dtype=object), as_list(mapping.timestamp_format),
                                           mapping.dayfirst)
        not_read = {v: n for (v, n), u in zip(given.items(), unread, strict=True) if u}
        blank = sum(n for v, n in counts[h].items() if not v.strip())
        lines.append(f"{h!r} -> timestamp: {sum(given.values()) - sum(not_read.values())} row(s) read"
                     + (f", {blank} blank" if blank else ""))
        for v, n in sorted(not_read.items(), key=lambda kv: -kv[1])[:20]:
            lines.append(f"    {v!r}: {n} row(s): not read as {_shown(as_list(mapping.timestamp_format)) or 'ISO'}")
        bad_total += len(not_read) + (blank > 0)
    else:
        lines.append("no timestamp column: dates count from --as-of, else from the day of scoring")
    passed = [h for h in info.header if h not in wanted]
    if passed:
        lines.append("passed through as they are: " + ", ".join(map(repr, passed)))
    if resolved.id_column is not None:
        lines.append(f"respondent key: {resolved.id_column!r}")
    for q in QUIZ:
        if q.id not in resolved.by_quiz and (q.date_alternative or "") not in resolved.by_quiz:
            lines.append(f"no column answers {q.id}")
    return lines, 1 if bad_total else 0


def _as_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def _judge_values(
    qcol: str, header: str, counts: Counter[str], mapping: ColumnMapping
) -> tuple[dict[str, int], dict[str, tuple[int, str]]]:
    """(values read -> rows, values not read -> (rows, why)) for one mapped column."""
    table = mapping.answer_table(qcol)
    undecided = mapping.undecided(qcol)
    good: dict[str, int] = {}
    bad: dict[str, tuple[int, str]] = {}
    for value, n in counts.items():
        if not value.strip():
            good[value] = good.get(value, 0) + n  # (a blank is judged with the row's other answers)
            continue
        if norm_answer(value) in undecided:
            bad[value] = (n, "left null in the mapping: not decided (its rows are rejected)")
            continue
        given = table.get(norm_answer(value), value)
        if given == "":
            good[value] = n
            continue
        why = None
        if qcol in QUIZ.date_columns:
            fmts = mapping.date_formats_of(header)
            if fmts:
                why = read_date(value, fmts)[1]
            elif read_date(value[:10], ["%Y-%m-%d"])[0] is None:
                why = "expected YYYY-MM-DD"
        else:
            q = QUIZ[qcol]
            if q.is_numeric:
                text = number_in(given, mapping.decimal_mark) if mapping.decimal_mark else given
                why = number_problem(q, text)
            elif choice_value(q, given) is None:
                why = f"not one of the choices ({', '.join(q.values)}) and not in the mapping's answers"
        if why is None:
            good[value] = n
        else:
            bad[value] = (n, why)
    return good, bad
