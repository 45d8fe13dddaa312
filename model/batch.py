"""Score response exports of any size: a pure per-frame core and a streaming file pipeline.

``score_frame`` is the core: a DataFrame of raw answers in, the score
columns for the valid rows and the problems of the others out, with no I/O,
so it runs unchanged inside a distributed engine's partitions. ``score_file``
streams a CSV or Parquet file through it chunk by chunk (flat memory), keeps
every input column as read, writes rejected rows to an errors file, and
renames its outputs into place only when the whole input is done.
``check_file`` reads a file the same way and only validates (``exodds validate``).

Reading is ``model.readers`` (with ``model.blocks`` for CSV), writing is
``model.sinks``; this module runs them, in threads, around validation and
scoring, and starts a file over with a slower reader when a faster one
cannot read it exactly.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from model import blocks
from model.io import InputError, atomic_path
from model.mapping import (
    ColumnMapping,
    MissingColumnsError,
    Resolved,
    apply_mapping,
    resolve_columns,
)
from model.quiz import QUIZ, Question
from model.readers import (
    Chunk,
    InputInfo,
    _careful_chunks,
    _fast_chunks,
    _input_schema,
    _parquet_chunks,
    _UseCarefulPath,
    chunk_records,
    inspect_input,
    sample_input,
)
from model.sinks import (
    ERROR_COLUMNS,
    SCORE_COLUMNS,
    SCORE_SCHEMA,
    _CsvSink,
    _ErrorSink,
    _LinesSink,
    _output_kind,
    _ParquetSink,
    check_errors_name,
    default_errors_path,
    default_output_path,
)
from model.validation import PROBLEM_COLUMNS, parse_as_of, validate_frame
from model.validation import as_of_days as validation_as_of_days

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
    "inspect_input",
    "sample_input",
    "score_file",
    "score_frame",
]




class OddsModel(Protocol):
    """What scoring needs from a model (``model.predict.OddsModel``).

    A model may also offer ``score_batch(clean)`` (odds and top factors in one pass) or
    ``score_clean(clean, explain=True)`` (odds and explanations in one pass); scoring uses the
    first it finds, and these two methods otherwise.
    """

    version: str

    def predict_clean(self, clean: pd.DataFrame) -> pd.DataFrame: ...

    def explain_clean(self, clean: pd.DataFrame) -> pd.DataFrame: ...


class Advice(Protocol):
    """What scoring needs from the advice: the plan (``model.advice``) and the bands (``model.rules``)."""

    def plan_frame(self, clean: pd.DataFrame, as_of: Any) -> pd.DataFrame: ...

    def bands(self, p: np.ndarray) -> np.ndarray: ...


def default_model() -> OddsModel:
    """The shipped model, loaded once (``model.predict.load_model``)."""
    from model.predict import load_model

    return load_model()


def default_advice() -> Advice:
    """The shipped plan and bands (``model.advice.plan_frame``, ``model.rules.bands``)."""
    from types import SimpleNamespace

    from model import advice, rules

    return SimpleNamespace(plan_frame=advice.plan_frame, bands=rules.bands)


# --------------------------------------------------------------------------- the pure core


@dataclass
class ScoreResult:
    """Scores for the valid rows and problems for the others, for one frame."""

    scored: pd.DataFrame  # index: labels of the accepted rows; columns SCORE_COLUMNS
    problems: pd.DataFrame  # row (input index label), column, value, reason
    valid: np.ndarray  # one bool per input row

    @property
    def n_rows(self) -> int:
        return int(self.valid.size)

    @property
    def n_scored(self) -> int:
        return int(self.valid.sum())

    @property
    def n_rejected(self) -> int:
        return self.n_rows - self.n_scored


def score_frame(
    df: pd.DataFrame,
    *,
    model: OddsModel | None = None,
    as_of: Any = None,
    mapping: ColumnMapping | None = None,
    advice: Advice | None = None,
) -> ScoreResult:
    """Score raw answers: no I/O, ``df`` is never modified, same input gives the same output.

    ``as_of`` is a date or one date per row (default: the mapping's timestamp
    column if it names one, else today); an explicit ``as_of`` wins over the
    timestamps. Columns that are not quiz questions are ignored. Raises
    ``MissingColumnsError`` (naming all) when required columns are absent.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"score_frame expects a pandas DataFrame, got {type(df).__name__}")
    model = default_model() if model is None else model
    advice = default_advice() if advice is None else advice
    resolved = resolve_columns([str(c) for c in df.columns], mapping)
    problems, valid, clean, as_of_days = _judge(df, resolved, as_of)
    scored = _score_clean(clean, as_of_days[valid], model, advice)
    return ScoreResult(scored=scored, problems=problems, valid=valid)


def _judge(
    df: pd.DataFrame, resolved: Resolved, as_of: Any
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]:
    """Map and validate raw answers: (problems, valid per row, clean answers of the valid rows
    indexed like ``df``, the as-of date of every row)."""
    quiz_df, row_as_of, map_problems, date_failed = apply_mapping(df, resolved, use_timestamp=as_of is None)
    n = len(df)
    if as_of is not None:
        as_of_days = validation_as_of_days(as_of, n)
    elif row_as_of is not None:
        as_of_days = row_as_of
    else:
        as_of_days = np.full(n, np.datetime64(parse_as_of(None), "D"))
    # Rows without a usable as-of date are rejected by the mapping; give validation a stand-in.
    judged_as_of = np.where(np.isnat(as_of_days), np.datetime64(parse_as_of(None), "D"), as_of_days)
    # Validation sees row positions (any index, even with repeated labels, maps back exactly).
    result = validate_frame(quiz_df.set_axis(pd.RangeIndex(n), axis=0), judged_as_of, extra="ignore")

    problems = _merge_problems(df, resolved, result.problems, map_problems, date_failed)
    bad_map = np.zeros(n, dtype=bool)
    bad_map[map_problems["pos"].to_numpy(dtype=np.int64)] = True
    valid = result.valid & ~bad_map
    clean = result.clean[~bad_map[result.valid]] if bad_map.any() else result.clean
    clean = clean.set_axis(df.index[np.flatnonzero(valid)], axis=0)
    return problems, valid, clean, as_of_days


def _merge_problems(
    df: pd.DataFrame,
    resolved: Resolved,
    found: pd.DataFrame,
    map_problems: pd.DataFrame,
    date_failed: dict[str, np.ndarray],
) -> pd.DataFrame:
    """Validation and mapping problems in row order, naming the input's own columns and values."""
    if not len(found) and not len(map_problems):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS})
    index = df.index
    vp = pd.DataFrame(
        {
            "pos": found["row"].to_numpy(dtype=np.int64),  # validation ran on positions
            "column": found["column"].to_numpy(dtype=object),
            "value": found["value"].to_numpy(dtype=object),
            "reason": found["reason"].to_numpy(dtype=object),
        }
    )
    if date_failed and len(vp):  # "missing" only because its date could not be read: said already
        drop = np.zeros(len(vp), dtype=bool)
        for qid, failed in date_failed.items():
            drop |= (
                (vp["column"] == qid).to_numpy()
                & failed[vp["pos"].to_numpy()]
                & vp["reason"].str.startswith("missing").to_numpy(dtype=bool)
            )
        vp = vp[~drop]
    if len(vp):
        source = resolved.by_quiz
        headers = vp["column"].map(lambda c: source.get(c, c))
        vp = vp.assign(column=headers.to_numpy(dtype=object))
        vp = _raw_values(df, vp)
    parts = [p for p in (map_problems, vp) if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS})
    out = pd.concat(parts, ignore_index=True).sort_values("pos", kind="stable")
    rows = index[out["pos"].to_numpy(dtype=np.int64)]
    return pd.DataFrame(
        {
            "row": np.asarray(rows, dtype=object),
            "column": out["column"].to_numpy(dtype=object),
            "value": out["value"].to_numpy(dtype=object),
            "reason": out["reason"].to_numpy(dtype=object),
        }
    )


def _raw_values(df: pd.DataFrame, problems: pd.DataFrame) -> pd.DataFrame:
    """Show each problem's value as it is in the input (not as translated for validation)."""
    values = problems["value"].to_numpy(dtype=object).copy()
    for column, idx in problems.groupby("column", sort=False).indices.items():
        if column in df.columns and not isinstance(df[column], pd.DataFrame):
            raw = df[column].to_numpy(dtype=object)[problems["pos"].to_numpy()[idx]]
            values[idx] = np.where(_blank_values(raw), values[idx], raw)
    return problems.assign(value=values)


def _blank_values(values: np.ndarray) -> np.ndarray:
    """Missing or only white space: there the value validation shows (say, from a date) is kept."""
    return np.array(
        [v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip())
         for v in values],
        dtype=bool,
    )


def _score_clean(clean: pd.DataFrame, as_of: np.ndarray, model: OddsModel, advice: Advice) -> pd.DataFrame:
    """The score columns for validated rows (vectorised; index kept)."""
    if len(clean) == 0:
        return pd.DataFrame(
            {
                "reversal_odds": pd.Series(dtype=np.float64),
                "odds_low": pd.Series(dtype=np.float64),
                "odds_high": pd.Series(dtype=np.float64),
                "band": pd.Series(dtype=object),
                "stage": pd.Series(dtype=np.int64),
                "earliest_contact": pd.Series(dtype="datetime64[s]"),
                "top_factor_up": pd.Series(dtype=object),
                "top_factor_down": pd.Series(dtype=object),
                "model_version": pd.Series(dtype=object),
            },
            index=clean.index,
        )
    fast = getattr(model, "score_batch", None)  # odds and top factors in one pass, when offered
    if fast is not None:
        odds = fast(clean)
        up, down = odds["top_factor_up"].array, odds["top_factor_down"].array
    else:
        from model.predict import top_factors  # (not at import: `exodds validate` never loads the model)

        both = getattr(model, "score_clean", None)  # one pass for odds and explanations
        if both is not None:
            odds, contrib = both(clean, explain=True)
        else:
            odds, contrib = model.predict_clean(clean), model.explain_clean(clean)
        up, down = top_factors(contrib)
    p = odds["reversal_odds"].to_numpy(dtype=np.float64)
    plan = advice.plan_frame(clean, as_of)
    safety = np.asarray(plan["stage"].to_numpy()) == 0  # stage 0: safety first, and a report lists no factors
    if safety.any():
        up, down = pd.Categorical(up, copy=True), pd.Categorical(down, copy=True)
        up[safety], down[safety] = "", ""
    return pd.DataFrame(
        {
            "reversal_odds": p,
            "odds_low": odds["odds_low"].to_numpy(dtype=np.float64),
            "odds_high": odds["odds_high"].to_numpy(dtype=np.float64),
            "band": _categorical(advice.bands(p)),
            "stage": plan["stage"].to_numpy(),
            "earliest_contact": np.asarray(plan["earliest_contact"].to_numpy()).astype("datetime64[s]"),
            "top_factor_up": up,
            "top_factor_down": down,
            "model_version": pd.Categorical.from_codes(
                np.zeros(len(clean), np.int8), dtype=_text_dtype((str(model.version),)), validate=False
            ),
        },
        index=clean.index,
    )


def _categorical(values: Any) -> pd.Categorical:
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    return pd.Categorical.from_codes(codes, [str(u) for u in uniques])


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

    @property
    def line(self) -> str:
        return f"read {self.n_read}, scored {self.n_scored}, rejected {self.n_rejected}"

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
) -> Summary:
    """Score a CSV/Parquet file into ``output`` (+ ``errors``), streaming; atomic on success.

    Raises ``InputError`` (or ``MissingColumnsError``/``MappingError``) when the
    input cannot be used at all; nothing is written then.
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
    resolved = _resolve(info, mapping)
    if as_of is not None:
        as_of = parse_as_of(as_of)
    model = default_model() if model is None else model
    advice = default_advice() if advice is None else advice
    kind, compressed = _output_kind(out_path, info.kind, strict=output is not None)
    if kind == "csv":
        _check_csv_can_hold(_input_schema(info), out_path)
    delimiter = "\t" if out_path.name.lower().endswith((".tsv", ".tsv.gz")) else info.delimiter

    scoring = _Scoring(resolved, mapping, as_of, model, advice)
    with atomic_path(out_path) as tmp_out, atomic_path(err_path) as tmp_err:
        reader = "fast"  # then "checked" (when only a cut was wrong), then "careful"
        while True:
            chunks = _chunks(info, reader, chunk_rows, block_size)
            careful = reader == "careful"
            passthrough = info.kind == "csv" and not careful and kind == "csv" and delimiter == info.delimiter
            target = _Target(tmp_out, tmp_err, kind, compressed, delimiter, passthrough)
            try:
                summary = _run(info, chunks, scoring, target, progress, on_chunk, threads)
            except _UseCarefulPath as exc:
                reader = _next_reader(reader, exc)
                continue
            break
    summary.output, summary.errors, summary.careful = out_path, err_path, careful
    summary.warnings.extend(unanswered_warnings(resolved) + undated_warnings(resolved, as_of))
    if getattr(model, "card", None):  # (a stand-in model has no card to check)
        from model.predict import stale_assumptions_warning

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
            out.append(f"no column answers {q.id} ({q.text!r}), so every row reads {q.default!r}, which can "
                       f"change the advice. If the input asks it under another header, {fix.format(qid=q.id)}.")
        elif q.ask_if:  # (a question always asked is a missing column: an error, not a warning)
            out.append(f"no column answers {q.id} ({q.text!r}), so every row where {q.condition()} is rejected "
                       f"as missing it. If the input asks it under another header, {fix.format(qid=q.id)}.")
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
    on_problems: Callable[[list[tuple]], None] | None = None,
    chunk_rows: int = 32_768,
) -> Checked:
    """Validate every record of a CSV/Parquet export, read exactly as ``score_file`` reads it
    (streaming, gzip, ragged and Latin-1 records, ``mapping``), without scoring or writing.

    ``on_problems`` receives each chunk's problems as (record, column, value, reason) in
    record order. A required column that is absent is not an error here: each row misses it.
    """
    info = inspect_input(input_path)
    resolved = _resolve(info, mapping, require=False)
    if as_of is not None:
        as_of = parse_as_of(as_of)
    used = resolved.used_headers
    reader = "fast"
    shown = 0  # records whose problems were passed on before a reader gave up
    while True:
        chunks = _chunks(info, reader, chunk_rows)
        n_read = n_valid = n_rejected = 0
        recoded: list[int] = []
        try:
            for chunk in chunks:
                batch, _, numbers = chunk_records(chunk, info, used)
                problems, valid, _, _ = _judge(_frame(batch, used, numbers, resolved), resolved, as_of)
                offset = n_read if chunk.block else 0  # a block numbers its records from 1
                rows = _problem_rows(problems, chunk.rejected, batch, numbers, offset, as_text=False)
                rows = [r for r in rows if r[0] > shown]  # a second pass repeats what was read already
                if rows and on_problems is not None:
                    on_problems(rows)
                n_read += batch.num_rows + len(chunk.rejected)
                n_valid += int(valid.sum())
                n_rejected += int((~valid).sum()) + len(chunk.rejected)
                recoded.extend(r + offset for r in chunk.recoded)
                shown = max(shown, n_read)
        except _UseCarefulPath as exc:
            reader = _next_reader(reader, exc)
            continue
        break
    warnings = list(info.warnings)
    if recoded:
        warnings.append(f"{len(recoded)} record(s) were not valid UTF-8 and were read as Windows-1252/Latin-1")
    other = [h for h in info.header if h not in used]
    return Checked(
        n_read, n_valid, n_rejected, other, warnings + unanswered_warnings(resolved) + undated_warnings(resolved, as_of)
    )


def _chunks(info: InputInfo, reader: str, chunk_rows: int, block_size: int | None = None) -> Iterator[Chunk]:
    """The input's records: Parquet batches, or CSV blocks ("fast"; "checked" also checks each cut),
    or the careful reader's records ("careful")."""
    if info.kind == "parquet":
        return _parquet_chunks(info, chunk_rows)
    if reader == "careful":
        return _careful_chunks(info, chunk_rows)
    return _fast_chunks(info, block_size or blocks.BLOCK_BYTES, check_cuts=reader == "checked")


def _next_reader(reader: str, failure: _UseCarefulPath) -> str:
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


def _resolve(info: InputInfo, mapping: ColumnMapping | None, require: bool = True) -> Resolved:
    try:
        return resolve_columns(info.header, mapping, require=require)
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

    def score(self, df: pd.DataFrame) -> ScoreResult:
        return score_frame(df, model=self.model, as_of=self.as_of, mapping=self.mapping, advice=self.advice)


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

    def sink(self, info: InputInfo) -> _CsvSink | _LinesSink | _ParquetSink:
        schema = _output_schema(_input_schema(info))
        if self.kind == "parquet":
            return _ParquetSink(self.out, schema)
        if self.passthrough:
            return _LinesSink(self.out, schema.names, self.delimiter, self.compressed, info.line_end, info.bom)
        return _CsvSink(self.out, schema.names, self.delimiter, self.compressed, info.bom)


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
    errs = _ErrorSink(target.errors, info.bom)
    bar = Progress(info.size, progress)
    n_read = n_scored = n_rejected = 0
    any_rows = False
    recoded: list[int] = []
    pending: Future | None = None
    in_flight: deque[tuple[Chunk, Future]] = deque()
    width = max(1, threads)

    def prepare(chunk: Chunk) -> tuple[pa.Table | pa.RecordBatch, pa.StringArray | None, np.ndarray, pd.DataFrame]:
        """Parse a block (its records numbered from 1; the writer shifts them) and code its answers."""
        batch, lines, numbers = chunk_records(chunk, info, parsed_columns, lines=passthrough)
        return batch, lines, numbers, _frame(batch, used, numbers, resolved)

    def score(prepared: Future) -> tuple[pa.Table | pa.RecordBatch, pa.StringArray | None, np.ndarray, ScoreResult]:
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
                if isinstance(sink, _LinesSink):
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
                problems = _problem_rows(result.problems, done.rejected, batch, numbers, offset)
                if problems:
                    errs.write(problems)
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
    return Summary(n_read, n_scored, n_rejected, Path(), Path(), warnings)


def _read_ahead(chunks: Iterator[Chunk], pool: ThreadPoolExecutor) -> Iterator[Chunk]:
    """Yield chunks while the next one is being read in ``pool`` (Arrow releases the GIL)."""
    done = object()
    nxt = pool.submit(next, chunks, done)
    try:
        while True:
            chunk = nxt.result()
            if chunk is done:
                return
            nxt = pool.submit(next, chunks, done)
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


def _frame(
    batch: pa.RecordBatch | pa.Table, used: Sequence[str], numbers: np.ndarray, resolved: Resolved | None = None
) -> pd.DataFrame:
    """The columns scoring reads, as pandas, indexed by record number.

    With ``resolved``, answer columns read as text are handed over in the
    form validation reads fastest, without changing what it decides: whole
    numbers (plain digits only, blanks as missing) as numbers, choices
    dictionary-coded. Problems still show the text as read (``_problem_rows``).
    """
    quiz_of = {h: q for q, h in resolved.by_quiz.items()} if resolved is not None else {}
    mapping = resolved.mapping if resolved is not None else None
    plain = [h for h in used if h not in quiz_of or not _codable(batch.column(h), quiz_of[h], mapping)]
    df = batch.select(plain).to_pandas() if plain else pd.DataFrame(index=pd.RangeIndex(batch.num_rows))
    columns = {}
    for h in used:
        if h in plain:
            columns[h] = df[h].array
        else:
            columns[h] = _coded(batch.column(h), QUIZ[quiz_of[h]])
    return pd.DataFrame(columns, index=pd.Index(numbers, name="row"), copy=False)


def _codable(col: pa.ChunkedArray | pa.Array, qid: str, mapping: ColumnMapping | None) -> bool:
    return qid in QUIZ.ids and pa.types.is_string(col.type) and not (mapping and mapping.answer_table(qid))


def _coded(col: pa.ChunkedArray | pa.Array, q: Question) -> pd.Categorical | pd.arrays.IntegerArray:
    """Text answers as a Categorical; for a number question whose every distinct text is a plain
    whole number (or empty), those numbers (nullable Int64, empty as missing). Only the few
    distinct texts are looked at; nothing validation decides changes."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if not q.is_numeric:  # usually every answer is spelled exactly as a choice: codes in one pass
        exact = pc.index_in(col, value_set=_choice_texts(q.id))
        if exact.null_count == 0:
            codes = exact.to_numpy(zero_copy_only=False).astype(np.int16, copy=False)
            return pd.Categorical.from_codes(codes, dtype=_text_dtype(q.values), validate=False)
    coded = pc.dictionary_encode(col)  # a null (Parquet) stays null in the indices: code -1, missing
    indices = coded.indices.fill_null(-1) if coded.indices.null_count else coded.indices
    codes = indices.to_numpy(zero_copy_only=False)
    texts = coded.dictionary
    if q.is_numeric:
        empty = pc.equal(texts, "")
        if pc.all(pc.or_(empty, pc.match_substring_regex(texts, r"^-?[0-9]{1,15}$"))).as_py():
            table = pc.cast(pc.if_else(empty, pa.scalar(None, pa.string()), texts), pa.int64())
            values = np.append(table.fill_null(0).to_numpy(), 0)[codes]  # (-1, null: the appended 0)
            missing = empty.to_numpy(zero_copy_only=False)[codes] | (codes < 0)
            return pd.arrays.IntegerArray(values, missing)
    return pd.Categorical.from_codes(codes, dtype=_text_dtype(tuple(texts.to_pylist())), validate=False)


@functools.cache
def _choice_texts(qid: str) -> pa.Array:
    return pa.array(list(QUIZ[qid].values), pa.string())


def _text_dtype(texts: tuple[str, ...]) -> pd.CategoricalDtype:
    """Categories for a chunk's distinct texts: chunks mostly repeat a few (choices, versions), and
    building them is not free; many texts (numbers written as decimals) are built anew, never kept."""
    return _small_text_dtype(texts) if len(texts) <= 64 else pd.CategoricalDtype(list(texts))


@functools.lru_cache(maxsize=1024)
def _small_text_dtype(texts: tuple[str, ...]) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(list(texts))


def _as_value(value: Any) -> Any:
    return None if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) else value


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    return str(value)


def _problem_rows(
    problems: pd.DataFrame,
    rejected: list[tuple[int, str, str, str]],
    batch: pa.Table | pa.RecordBatch | None = None,
    numbers: np.ndarray | None = None,
    offset: int = 0,
    as_text: bool = True,
) -> list[tuple]:
    """Errors-file lines in record order; values as read from the file where ``batch`` has them.

    ``numbers`` are the record numbers of ``batch``'s rows as ``problems`` gives them; ``offset``
    is added to every one (a block numbers its records from 1). ``as_text=False`` keeps values
    as they are (a number, None for a blank) instead of their errors-file text.
    """
    values = problems["value"].to_numpy(dtype=object)
    if batch is not None and numbers is not None and len(problems):
        values = values.copy()
        pos = np.searchsorted(numbers, problems["row"].to_numpy(dtype=np.int64))
        names = set(batch.schema.names)
        for column, idx in problems.groupby("column", sort=False).indices.items():
            if column in names:
                raw = np.asarray(batch.column(column).take(pa.array(pos[idx])).to_pylist(), dtype=object)
                values[idx] = np.where(_blank_values(raw), values[idx], raw)
    show = _text if as_text else _as_value
    rows = [
        (int(r) + offset, _text(c), show(v), _text(why))
        for (r, c, _, why), v in zip(problems.itertuples(index=False, name=None), values, strict=True)
    ]
    if rejected:
        rows.extend((r + offset, c, v, why) for r, c, v, why in rejected)
        rows.sort(key=lambda t: t[0])
    return rows
