"""Score response exports of any size: a pure per-frame core and a streaming file pipeline.

``score_frame`` is the core: a DataFrame of raw answers in, the score
columns for the valid rows and the problems of the others out, with no I/O,
so it runs unchanged inside a distributed engine's partitions. ``score_file``
streams a CSV or Parquet file through it chunk by chunk (flat memory), keeps
every input column as read, writes rejected rows to an errors file, and
renames its outputs into place only when the whole input is done.
``check_file`` reads a file the same way and only validates (``exodds validate``).

Reading is ``model.batch.readers`` (with ``model.batch.blocks`` for CSV), writing is
``model.batch.sinks``; this module runs them, in threads, around validation and
scoring, and starts a file over with a slower reader when a faster one
cannot read it exactly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import itertools
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]

from model.batch import blocks
from model.batch.coding import arrow_frame, problem_rows
from model.batch.core import (
    Advice,
    OddsModel,
    ScoreResult,
    default_advice,
    default_model,
    judge,
    score_frame,
)
from model.batch.mapping import ColumnMapping, Reads, Resolved, check_reads, resolve_columns
from model.batch.readers import (
    Chunk,
    InputInfo,
    UseCarefulPath,
    careful_chunks,
    chunk_records,
    fast_chunks,
    input_schema,
    inspect_input,
    parquet_chunks,
    sample_input,
)
from model.batch.sinks import (
    ERROR_COLUMNS,
    SCORE_COLUMNS,
    SCORE_SCHEMA,
    CsvSink,
    ErrorSink,
    LinesSink,
    ParquetSink,
    RetypeColumns,
    check_errors_name,
    default_errors_path,
    default_output_path,
    output_kind,
)
from model.errors import InputError, MissingColumnsError
from model.io import atomic_path
from model.quiz.definition import QUIZ
from model.quiz.validation import parse_as_of

__all__ = [
    "ERROR_COLUMNS",
    "SCORE_COLUMNS",
    "Checked",
    "InputError",
    "InputInfo",
    "ScoreResult",
    "Summary",
    "check_file",
    "default_errors_path",
    "default_output_path",
    "input_chunks",
    "inspect_input",
    "next_reader",
    "resolve_input",
    "sample_input",
    "score_file",
    "score_frame",
]


# --------------------------------------------------------------------------- the pure core


# --------------------------------------------------------------------------- progress


class Progress:
    """A one-line progress bar on stderr (carriage return, no dependency)."""

    def __init__(self, total_bytes: int, enabled: bool, stream: Any = None, interval: float = 0.2):
        self.total = max(total_bytes, 1)
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self._last = 0.0
        self._start = time.monotonic()
        self._shown = False

    def update(self, position: int, rows: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        frac = min(max(position / self.total, 0.0), 1.0)
        bar = "#" * int(frac * 30)
        self.stream.write(f"\rscoring [{bar:<30}] {frac:4.0%}  {rows:,} rows  {now - self._start:5.1f}s")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self.enabled and self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


# --------------------------------------------------------------------------- the pipeline


@dataclass
class Summary:
    """What a run did; ``line`` is the last line ``exodds score`` prints."""

    n_read: int
    n_scored: int
    n_rejected: int
    output: Path
    errors: Path
    warnings: list[str] = field(default_factory=list)
    careful: bool = False  # True when the careful CSV path was used

    id_column: str | None = None
    rejected_keys: list[tuple[int, str]] = field(default_factory=list)  # (record, key), with an id column
    duplicates: list[tuple[str, list[int]]] = field(default_factory=list)  # (key, records): same answers

    @property
    def line(self) -> str:
        return f"read {self.n_read}, scored {self.n_scored}, rejected {self.n_rejected}"

    def respondent_lines(self, limit: int = 10) -> list[str]:
        """What the summary says of respondents: who was rejected, and who answered twice alike."""
        if self.id_column is None:
            return []
        out = []
        if self.rejected_keys:
            shown = ", ".join(f"{key or '(no key)'} (row {row})" for row, key in self.rejected_keys[:limit])
            more = f", and {len(self.rejected_keys) - limit} more" if len(self.rejected_keys) > limit else ""
            out.append(f"rejected by {self.id_column}: {shown}{more}; why: {self.errors}")
        if self.duplicates:
            shown = "; ".join(
                f"{key or '(no key)'}: rows {', '.join(map(str, rows))}" for key, rows in self.duplicates[:limit]
            )
            more = f"; and {len(self.duplicates) - limit} more" if len(self.duplicates) > limit else ""
            out.append(
                f"{len(self.duplicates)} duplicate(s), the same {self.id_column} with the same answers, each row "
                f"scored: {shown}{more}"
            )
        return out

    @property
    def exit_code(self) -> int:
        return 0 if self.n_rejected == 0 else 3


def score_file(
    input_path: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    errors: str | os.PathLike[str] | None = None,
    *,
    mapping: ColumnMapping | None = None,
    as_of: Any = None,
    model: OddsModel | None = None,
    advice: Advice | None = None,
    progress: bool = False,
    block_size: int | None = None,
    chunk_rows: int = 32_768,
    on_chunk: Callable[[int], None] | None = None,
    threads: int = 1,
    id_column: str | None = None,
) -> Summary:
    """Score a CSV/Parquet file into ``output`` (+ ``errors``), streaming; atomic on success.

    Raises ``InputError`` (or ``MissingColumnsError``/``MappingError``) when the
    input cannot be used at all, or when a date layout of the mapping reads none of its
    column's values; nothing is written then. ``id_column`` (else the mapping's) names the
    respondent key that the errors file and the summary show.
    """
    for given, option in ((output, "--out"), (errors, "--errors")):
        if given is not None and not str(given).strip():
            raise InputError(f"{option} is empty: name a file to write")
    info = inspect_input(input_path)
    out_path = Path(output) if output is not None else default_output_path(info.path)
    err_path = Path(errors) if errors is not None else default_errors_path(out_path)
    if errors is not None:
        check_errors_name(err_path)
    _check_paths(info.path, out_path, err_path)
    if id_column is not None and mapping is not None:
        mapping = dataclasses.replace(mapping, id_column=id_column)
    resolved = _resolve(info, mapping, id_column=id_column)
    if as_of is not None:
        as_of = parse_as_of(as_of)
    model = default_model() if model is None else model
    advice = default_advice() if advice is None else advice
    kind, compressed = output_kind(out_path, info.kind, strict=output is not None)
    if kind == "csv":
        _check_csv_can_hold(input_schema(info), out_path)
    delimiter = "\t" if out_path.name.lower().endswith((".tsv", ".tsv.gz")) else info.delimiter

    with atomic_path(out_path) as tmp_out, atomic_path(err_path) as tmp_err:
        reader = "fast"  # then "checked" (when only a cut was wrong), then "careful"
        text_columns: frozenset[str] = frozenset()  # Parquet output: columns a later chunk showed are text
        while True:
            scoring = _Scoring(resolved, mapping, as_of, model, advice, Reads())
            chunks = _chunks(info, reader, chunk_rows, block_size)
            careful = reader == "careful"
            passthrough = info.kind == "csv" and not careful and kind == "csv" and delimiter == info.delimiter
            target = _Target(tmp_out, tmp_err, kind, compressed, delimiter, passthrough, text_columns)
            try:
                summary = _run(info, chunks, scoring, target, progress, on_chunk, threads)
            except UseCarefulPath as exc:
                reader = _next_reader(reader, exc)
                continue
            except RetypeColumns as exc:
                text_columns = text_columns | exc.columns
                continue
            break
        if mapping is not None:
            check_reads(scoring.reads, mapping.source)
    summary.output, summary.errors, summary.careful = out_path, err_path, careful
    summary.warnings.extend(unanswered_warnings(resolved) + undated_warnings(resolved, as_of))
    if getattr(model, "card", None):  # (a stand-in model has no card to check)
        from model.truth.assumptions import stale_assumptions_warning

        stale = stale_assumptions_warning(model)
        summary.warnings.extend([stale] if stale else [])
    return summary


def _check_csv_can_hold(schema: pa.Schema, out_path: Path) -> None:
    """Columns of lists or records (from Parquet) have no CSV text: say which, before anything is
    written, and where they fit (a Parquet output keeps them as they are)."""
    nested = [f"{f.name!r} ({f.type})" for f in schema if pa.types.is_nested(f.type)]
    if nested:
        stem = out_path.name.split(".")[0] or "scored"
        raise InputError(
            f"column(s) {', '.join(nested)} hold lists or records, which a CSV file cannot hold: "
            f"write the scores as Parquet instead (--out {stem}.parquet), which keeps every column as it is"
        )


def undated_warnings(resolved: Resolved, as_of: Any) -> list[str]:
    """Date answers with nothing to date them: without a timestamp column or --as-of they are counted
    up to today, which for an old export makes every breakup look older than it was."""
    dates = [q.date_alternative for q in QUIZ if q.date_alternative and q.date_alternative in resolved.by_quiz]
    if not dates or as_of is not None or resolved.timestamp is not None:
        return []
    return [
        f"the date answers ({', '.join(dates)}) are counted up to today, {parse_as_of(None).isoformat()}: no "
        "timestamp column is mapped and no --as-of was given. For an export collected earlier, name its "
        "timestamp column in the mapping or pass --as-of with the day the answers were given."
    ]


def unanswered_warnings(resolved: Resolved, fix: str = "map that header to {qid} (--mapping)") -> list[str]:
    """The questions no column answers that do not stop a run: an optional one (every row then reads
    the default, which can change the advice: a form that asks about violence under other words must
    still be mapped), and one asked only after certain answers (the rows that need it are rejected)."""
    answered = set(resolved.by_quiz)
    out = []
    for q in QUIZ:
        if q.id in answered or (q.date_alternative or "") in answered:
            continue
        if not q.required:  # (not q.help: that speaks to the person answering, not to an analyst)
            out.append(
                f"no column answers {q.id} ({q.text!r}), so every row reads {q.default!r}, which can "
                f"change the advice. If the input asks it under another header, {fix.format(qid=q.id)}."
            )
        elif q.ask_if:  # (a question always asked is a missing column: an error, not a warning)
            out.append(
                f"no column answers {q.id} ({q.text!r}), so every row where {q.condition()} is rejected "
                f"as missing it. If the input asks it under another header, {fix.format(qid=q.id)}."
            )
    return out


@dataclass
class Checked:
    """What ``check_file`` found: counts, and the columns that are not quiz questions."""

    n_read: int
    n_valid: int
    n_rejected: int
    other_columns: list[str]
    warnings: list[str] = field(default_factory=list)


def check_file(
    input_path: str | os.PathLike[str],
    *,
    mapping: ColumnMapping | None = None,
    as_of: Any = None,
    on_problems: Callable[[list[tuple[Any, ...]]], None] | None = None,
    chunk_rows: int = 32_768,
    id_column: str | None = None,
) -> Checked:
    """Validate every record of a CSV/Parquet export, read exactly as ``score_file`` reads it
    (streaming, gzip, ragged and Latin-1 records, ``mapping``), without scoring or writing.

    ``on_problems`` receives each chunk's problems as (record, column, value, reason) in
    record order, or (record, key, column, value, reason) with a respondent key (``id_column``,
    else the mapping's). A required column that is absent is not an error here: each row misses it.
    """
    info = inspect_input(input_path)
    if id_column is not None and mapping is not None:
        mapping = dataclasses.replace(mapping, id_column=id_column)
    resolved = _resolve(info, mapping, require=False, id_column=id_column)
    if as_of is not None:
        as_of = parse_as_of(as_of)
    used = resolved.used_headers
    reader = "fast"
    shown = 0  # records whose problems were passed on before a reader gave up
    while True:
        reads = Reads()
        chunks = _chunks(info, reader, chunk_rows)
        n_read = n_valid = n_rejected = 0
        recoded: list[int] = []
        try:
            for chunk in chunks:
                batch, _, numbers = chunk_records(chunk, info, used)
                problems, valid, _, _ = judge(arrow_frame(batch, used, numbers, resolved), resolved, as_of, reads)
                offset = n_read if chunk.block else 0  # a block numbers its records from 1
                rows = problem_rows(
                    problems, chunk.rejected, batch, numbers, offset, as_text=False, key=resolved.id_column
                )
                rows = [r for r in rows if r[0] > shown]  # a second pass repeats what was read already
                if rows and on_problems is not None:
                    on_problems(rows)
                n_read += batch.num_rows + len(chunk.rejected)
                n_valid += int(valid.sum())
                n_rejected += int((~valid).sum()) + len(chunk.rejected)
                recoded.extend(r + offset for r in chunk.recoded)
                shown = max(shown, n_read)
        except UseCarefulPath as exc:
            reader = _next_reader(reader, exc)
            continue
        break
    if mapping is not None:
        check_reads(reads, mapping.source)
    warnings = list(info.warnings)
    if recoded:
        warnings.append(f"{len(recoded)} record(s) were not valid UTF-8 and were read as Windows-1252/Latin-1")
    other = [h for h in info.header if h not in used]
    return Checked(
        n_read, n_valid, n_rejected, other, warnings + unanswered_warnings(resolved) + undated_warnings(resolved, as_of)
    )


def input_chunks(info: InputInfo, reader: str, chunk_rows: int) -> Iterator[Chunk]:
    """The input's records as every reader of a file gets them (``reader``: "fast", then, when a
    ``UseCarefulPath`` says so, ``next_reader``'s): what ``model.batch.outcomes`` reads outcomes with."""
    return _chunks(info, reader, chunk_rows)


def next_reader(reader: str, failure: UseCarefulPath) -> str:
    """The reader to start a file over with after ``reader`` failed (see ``_next_reader``)."""
    return _next_reader(reader, failure)


def resolve_input(info: InputInfo, mapping: ColumnMapping | None, require: bool = True) -> Resolved:
    """Which column of the input answers which question (``resolve_columns``), its errors naming the file."""
    return _resolve(info, mapping, require)


def _chunks(info: InputInfo, reader: str, chunk_rows: int, block_size: int | None = None) -> Iterator[Chunk]:
    """The input's records: Parquet batches, or CSV blocks ("fast"; "checked" also checks each cut),
    or the careful reader's records ("careful")."""
    if info.kind == "parquet":
        return parquet_chunks(info, chunk_rows)
    if reader == "careful":
        return careful_chunks(info, chunk_rows)
    return fast_chunks(info, block_size or blocks.BLOCK_BYTES, check_cuts=reader == "checked")


def _next_reader(reader: str, failure: UseCarefulPath) -> str:
    """After ``reader`` failed: the fast reader checking its cuts if only a cut was wrong, else careful."""
    if reader == "fast" and failure.wrong_cut:
        return "checked"
    if reader == "careful":
        raise AssertionError("the careful reader never asks for another") from failure
    return "careful"


def _check_paths(input_path: Path, out_path: Path, err_path: Path) -> None:
    def same(a: Path, b: Path) -> bool:
        try:
            return a.resolve() == b.resolve()
        except (OSError, RuntimeError):  # a loop of links: writing there fails later, with its reason
            return False

    for target in (out_path, err_path):
        if target.is_dir():
            raise InputError(f"{target}: is a directory; name a file to write")
    if same(out_path, input_path):
        raise InputError(f"{out_path}: the output would overwrite the input; choose another --out")
    if same(err_path, input_path) or same(err_path, out_path):
        raise InputError(f"{err_path}: the errors file would overwrite the input or the output")


def _resolve(
    info: InputInfo, mapping: ColumnMapping | None, require: bool = True, id_column: str | None = None
) -> Resolved:
    try:
        return resolve_columns(info.header, mapping, require=require, id_column=id_column)
    except MissingColumnsError as exc:
        raise MissingColumnsError(exc.missing, f"{info.path}: {exc}") from None
    except ValueError as exc:
        raise InputError(f"{info.path}: {exc}") from None


@dataclass(frozen=True)
class _Scoring:
    """How a run scores each chunk: which columns hold the answers, and with what."""

    resolved: Resolved
    mapping: ColumnMapping | None
    as_of: dt.date | None
    model: OddsModel
    advice: Advice
    reads: Reads  # the dates each column gave and the mapping's layouts read, over the whole input

    def score(self, df: pd.DataFrame) -> ScoreResult:
        return score_frame(
            df, model=self.model, as_of=self.as_of, mapping=self.mapping, advice=self.advice, reads=self.reads
        )


@dataclass(frozen=True)
class _Target:
    """Where and how a run writes: the temporary output and errors files, and the output's form.

    With ``passthrough`` (CSV blocks in, CSV out, same delimiter) each accepted
    record is copied as its own bytes and only the answers scoring reads are parsed.
    """

    out: Path
    errors: Path
    kind: str
    compressed: bool
    delimiter: str
    passthrough: bool
    text_columns: frozenset[str] = frozenset()  # CSV columns a Parquet output keeps as text

    def sink(self, info: InputInfo) -> CsvSink | LinesSink | ParquetSink:
        schema = _output_schema(input_schema(info))
        if self.kind == "parquet":
            infer = [h for h in info.header if h not in self.text_columns] if info.kind == "csv" else []
            return ParquetSink(self.out, schema, infer)
        if self.passthrough:
            return LinesSink(self.out, schema.names, self.delimiter, self.compressed, info.line_end, info.bom)
        return CsvSink(self.out, schema.names, self.delimiter, self.compressed, info.bom)


# a chunk's records (the Arrow batch, its lines when copied as they are, their numbers), coded then scored
_Prepared = tuple[pa.Table | pa.RecordBatch, pa.StringArray | None, np.ndarray, pd.DataFrame]
_Scored = tuple[pa.Table | pa.RecordBatch, pa.StringArray | None, np.ndarray, ScoreResult]


def _run(
    info: InputInfo,
    chunks: Iterator[Chunk],
    scoring: _Scoring,
    target: _Target,
    progress: bool,
    on_chunk: Callable[[int], None] | None,
    threads: int = 1,
) -> Summary:
    """Read, score and write chunk by chunk; reading, parsing, scoring and writing overlap in threads.

    One chunk is read ahead, up to ``threads`` are parsed and coded at once
    (Arrow releases the GIL), one is validated and scored, and one is written,
    in input order: a fixed number of chunks in memory, whatever the file size.
    """
    resolved, passthrough, kind = scoring.resolved, target.passthrough, target.kind
    used = resolved.used_headers
    sink = target.sink(info)
    parsed_columns = list(used) if passthrough else list(info.header)
    key = resolved.id_column
    errs = ErrorSink(target.errors, info.bom, keyed=key is not None)
    twins = _Twins(key, [*resolved.by_quiz.values(), key]) if key is not None else None
    rejected_keys: list[tuple[int, str]] = []
    bar = Progress(info.size, progress)
    n_read = n_scored = n_rejected = 0
    any_rows = False
    recoded: list[int] = []
    pending: Future[None] | None = None
    in_flight: deque[tuple[Chunk, Future[_Scored]]] = deque()
    width = max(1, threads)

    def prepare(chunk: Chunk) -> _Prepared:
        """Parse a block (its records numbered from 1; the writer shifts them) and code its answers."""
        batch, lines, numbers = chunk_records(chunk, info, parsed_columns, lines=passthrough)
        return batch, lines, numbers, arrow_frame(batch, used, numbers, resolved)

    def score(prepared: Future[_Prepared]) -> _Scored:
        batch, lines, numbers, df = prepared.result()
        return batch, lines, numbers, scoring.score(df)

    # Parsing and coding are Arrow work that runs outside the GIL, so ``threads`` of them run side
    # by side; validation and scoring hold the GIL often (many NumPy and pandas calls), so they
    # run in one thread, where two would mostly wait for each other.
    io_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="exodds-io")
    prep_pool = ThreadPoolExecutor(max_workers=width, thread_name_prefix="exodds-parse")
    score_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="exodds-score")
    depth = width + 1
    i = 0
    try:
        for chunk in itertools.chain(_read_ahead(chunks, io_pool), [None]):
            if chunk is not None:
                in_flight.append((chunk, score_pool.submit(score, prep_pool.submit(prepare, chunk))))
            while in_flight and (chunk is None or len(in_flight) >= depth):
                done, future = in_flight.popleft()
                batch, lines, numbers, result = future.result()
                keep = result.valid
                if pending is not None:
                    pending.result()  # one write in flight at a time
                if isinstance(sink, LinesSink):
                    assert lines is not None
                    accepted_lines = lines if keep.all() else lines.filter(pa.array(keep, type=pa.bool_()))
                    # a block's first record has no line end before it in its bytes
                    lead = bool(len(keep) and keep[0] and numbers[0] == 1)
                    pending = io_pool.submit(sink.write_lines, accepted_lines, result.scored, done.line_end, lead)
                else:
                    accepted = batch if keep.all() else batch.filter(pa.array(keep, type=pa.bool_()))
                    pending = io_pool.submit(sink.write, accepted, result.scored)
                any_rows = any_rows or bool(keep.any())
                offset = n_read if done.block else 0
                problems = problem_rows(result.problems, done.rejected, batch, numbers, offset, key=key)
                if problems:
                    errs.write(problems)
                if twins is not None:
                    twins.add(batch, numbers + offset)
                    if len(rejected_keys) < _KEYS_KEPT:
                        rejected_keys.extend(dict.fromkeys((p[0], p[1]) for p in problems))
                n_read += batch.num_rows + len(done.rejected)
                n_scored += result.n_scored
                n_rejected += result.n_rejected + len(done.rejected)
                recoded.extend(r + offset for r in done.recoded)
                bar.update(done.position, n_read)
                if on_chunk is not None:
                    on_chunk(i)
                i += 1
        if pending is not None:
            pending.result()
        if kind == "parquet" and not any_rows:
            sink.write_empty()  # type: ignore[union-attr]
    finally:
        for _, future in in_flight:
            future.cancel()
        score_pool.shutdown(wait=True, cancel_futures=True)
        prep_pool.shutdown(wait=True, cancel_futures=True)
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(BaseException):
                pending.result()
        io_pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
        errs.close()
        sink.close()
    warnings = list(info.warnings)
    if recoded:
        shown = ", ".join(map(str, recoded[:10])) + (", ..." if len(recoded) > 10 else "")
        warnings.append(
            f"{len(recoded)} record(s) were not valid UTF-8 and were read as Windows-1252/Latin-1 "
            f"(records {shown}); check their text in the output"
        )
    summary = Summary(n_read, n_scored, n_rejected, Path(), Path(), warnings, id_column=key)
    summary.rejected_keys = rejected_keys
    summary.duplicates = twins.found() if twins is not None else []
    return summary


_KEYS_KEPT = 1000  # rejected respondents kept for the summary (it shows the first few)


class _Twins:
    """Finds rows with the same respondent key and the same answers, as written (a form sent twice):
    a 64-bit hash of each row's key and answers, grouped once the input is done."""

    def __init__(self, key: str, columns: list[str]):
        self.key = key
        self.columns = list(dict.fromkeys(columns))
        self.hashes: list[np.ndarray] = []
        self.rows: list[np.ndarray] = []
        self.keys: list[pa.Array] = []

    def add(self, batch: pa.Table | pa.RecordBatch, numbers: np.ndarray) -> None:
        if batch.num_rows == 0:
            return
        frame = batch.select(self.columns).to_pandas()
        self.hashes.append(pd.util.hash_pandas_object(frame, index=False).to_numpy())
        self.rows.append(np.asarray(numbers, dtype=np.int64))
        column = batch.column(self.key)
        self.keys.append(column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column)

    def found(self) -> list[tuple[str, list[int]]]:
        """(key, record numbers) for each group of two or more alike, in record order."""
        if not self.hashes:
            return []
        hashes, rows = np.concatenate(self.hashes), np.concatenate(self.rows)
        _, inverse, counts = np.unique(hashes, return_inverse=True, return_counts=True)
        twice = np.flatnonzero(counts[inverse] > 1)
        if not len(twice):
            return []
        keys = pa.concat_arrays([k.cast(pa.string()) for k in self.keys]).take(pa.array(twice)).to_pylist()
        groups: dict[int, list[int]] = {}
        names: dict[int, str] = {}
        for i, k in zip(twice.tolist(), keys, strict=True):
            groups.setdefault(int(inverse[i]), []).append(int(rows[i]))
            names.setdefault(int(inverse[i]), "" if k is None else k)
        return sorted(((names[g], sorted(r)) for g, r in groups.items()), key=lambda t: t[1][0])


def _read_ahead(chunks: Iterator[Chunk], pool: ThreadPoolExecutor) -> Iterator[Chunk]:
    """Yield chunks while the next one is being read in ``pool`` (Arrow releases the GIL)."""
    nxt = pool.submit(next, chunks, None)  # (None: the chunks are all read; no chunk is None)
    try:
        while True:
            chunk = nxt.result()
            if chunk is None:
                return
            nxt = pool.submit(next, chunks, None)
            yield chunk
    finally:
        nxt.cancel()
        with contextlib.suppress(BaseException):
            nxt.result()
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def _output_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema(list(schema) + list(SCORE_SCHEMA))
