"""Read response exports: find out what an input is, then hand its records over in chunks.

Why a module of its own: a file is read by one of three readers, and each must account for every
record. CSV goes first to the block reader (``model.batch.blocks``: blocks of whole records, parsed by
Arrow), which hands its blocks over unparsed so the pipeline parses them in its own thread. When
that reader meets something it cannot read exactly in a block, the block is mended (records that
are not UTF-8 re-read, ragged ones taken out) and parsed again, or read by the careful reader
(Python's ``csv`` module), or the whole file is read again carefully when the block's cut may be
wrong. Whichever reads it, a record with the wrong number of fields is rejected (column
``(record)``), and one that is not UTF-8 is read as Windows-1252/Latin-1 and named in a warning.
Parquet is read in batches. Empty lines are not records (as in pandas and pyarrow).
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import os
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from model.batch.blocks import (
    END_OF_INPUT,
    Block,
    NotPlain,
    Splitter,
    allow_long_values,
    csv_reader,
    line_content_ends,
    parse_block,
    quote_left_open,
    record_ends,
)
from model.batch.sinks import SCORE_COLUMNS
from model.errors import InputError
from model.quiz.definition import QUIZ

__all__ = ["RECORD", "Chunk", "InputInfo", "inspect_input", "sample_input"]

RECORD = "(record)"  # the errors-file column for problems with a whole record


@dataclass
class InputInfo:
    """What ``inspect_input`` learned from the start of a file."""

    path: Path
    kind: Literal["csv", "parquet"]
    header: list[str]
    delimiter: str = ","
    compressed: bool = False
    size: int = 0
    warnings: list[str] = field(default_factory=list)
    line_end: bytes = b"\n"  # the header's, which a copy of the file ends its lines with
    bom: bool = False  # the file starts with a UTF-8 byte-order mark (Excel's "CSV UTF-8"): a copy keeps it


_DELIMITERS = (",", ";", "\t")
_SNIFF_BYTES = 1 << 20


def _is_gzip(path: Path, head: bytes) -> bool:
    return head[:2] == b"\x1f\x8b" or path.suffix.lower() == ".gz"


def inspect_input(path: str | os.PathLike[str]) -> InputInfo:
    """Format, compression, delimiter and header of an input; ``InputError`` if it cannot be used."""
    path = Path(path)
    if str(path) == "-":
        raise InputError("-: reading from standard input is not supported; save the export to a file first")
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a CSV or Parquet file")
    if not path.is_file():  # a pipe (`<(...)`, /dev/stdin from a pipe) or a device
        raise InputError(
            f"{path}: a pipe or device, not a file: an export is read more than once (to look at it, "
            "then to score it), so save it to a file first"
        )
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    suffixes = [s.lower() for s in path.suffixes]
    if head[:4] == b"PAR1" or (suffixes and suffixes[-1] in (".parquet", ".pq")):
        return _inspect_parquet(path, size)
    if suffixes and suffixes[-1] == ".json":
        raise InputError(
            f"{path}: a JSON file, not CSV or Parquet: `exodds report` and `exodds validate` read JSON "
            "answer files; to score many answer sets, export them as CSV or Parquet"
        )
    if suffixes and suffixes[-1] in (".jsonl", ".ndjson"):
        raise InputError(
            f"{path}: JSON Lines is not read: put the answer sets in one JSON list (a .json file) for "
            "`exodds validate` or `exodds report`, or export them as CSV or Parquet to score them"
        )
    if size == 0:
        raise InputError(f"{path}: the file is empty")
    compressed = _is_gzip(path, head)
    try:
        with _open_binary(path, compressed) as fh:
            sample = fh.read(_SNIFF_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    _refuse_binary(path, sample)
    bom = sample.startswith(b"\xef\xbb\xbf")
    if bom:
        sample = sample[3:]
    if not sample.strip():
        raise InputError(f"{path}: the file is empty{' once decompressed' if compressed else ''} (no header, no rows)")
    text = sample.decode("utf-8", errors="surrogateescape")
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = _sniff_delimiter(first_line)
    header = _first_record(text, delimiter)
    if header is None or not any(h.strip() for h in header):
        raise InputError(f"{path}: no header: the first line is empty")
    if len(header) == 1 and "|" in header[0]:  # one column: separated by something we do not read
        raise InputError(
            f"{path}: the header looks separated by '|'; exodds reads columns separated by commas, "
            "semicolons or tabs: save the export as CSV"
        )
    warnings: list[str] = []
    if any(_SURROGATES.search(h) for h in header):
        header = _fix_record(header)
        warnings.append("the header is not valid UTF-8; read it as Windows-1252/Latin-1")
    _check_header(path, header)
    rest = text.lstrip("\r\n")
    line_end = b"\r\n" if "\n" in rest and rest.split("\n", 1)[0].endswith("\r") else b"\n"
    return InputInfo(path, "csv", header, delimiter, compressed, size, warnings, line_end, bom)


def _inspect_parquet(path: Path, size: int) -> InputInfo:
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{path}: not a readable Parquet file: {exc}") from None
    header = list(pf.schema_arrow.names)
    if not header:
        raise InputError(f"{path}: the Parquet file has no columns")
    _check_header(path, header)
    return InputInfo(path, "parquet", header, ",", False, size)


def _refuse_binary(path: Path, sample: bytes) -> None:
    if sample[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError(f"{path}: UTF-16 text; save it as CSV UTF-8 and try again")
    if sample[:4] == b"PK\x03\x04":
        raise InputError(f"{path}: a ZIP archive (an Excel .xlsx?), not CSV: export it as CSV")
    head = sample[:65536]
    if head.count(b"\x00") > max(8, len(head) // 1000):  # a stray NUL in a value is not enough
        raise InputError(f"{path}: binary data, not CSV text or Parquet")


def _sniff_delimiter(line: str) -> str:
    """The delimiter used most often outside quotes in the header line (comma on ties)."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _first_record(text: str, delimiter: str) -> list[str] | None:
    allow_long_values()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    for record in reader:
        if record:
            return record
    return None


def _check_header(path: Path, header: Sequence[str]) -> None:
    if _looks_like_data(header) and not any(h.strip().casefold() in QUIZ.columns for h in header):
        shown = ",".join(header)[:80]
        raise InputError(
            f"{path}: no header: the first line ({shown!r}) looks like answers, not column names; "
            "add a header line naming the columns"
        )
    unnamed = [i + 1 for i, h in enumerate(header) if not h.strip()]
    if len(unnamed) > 1:  # (one unnamed column is kept and passed through like any other)
        shown = ", ".join(map(str, unnamed[:-1])) + f" and {unnamed[-1]}"
        raise InputError(
            f"{path}: columns {shown} have no name in the header (a spreadsheet's empty columns?); "
            "name them or delete them"
        )
    seen: dict[str, int] = {}
    for h in header:
        seen[h] = seen.get(h, 0) + 1
    dupes = [h for h, n in seen.items() if n > 1]
    if dupes:
        shown = ", ".join(repr(h) for h in dupes)
        raise InputError(f"{path}: duplicate column names in the header: {shown}; rename them so each is unique")
    clash = [c for c in SCORE_COLUMNS if c in seen]
    if clash:
        raise InputError(
            f"{path}: already has columns named like the scores ({', '.join(clash)}); "
            "score the original export, or rename those columns"
        )


def _open_binary(path: Path, compressed: bool) -> gzip.GzipFile | io.BufferedReader:
    return gzip.open(path, "rb") if compressed else open(path, "rb")


_SURROGATES = re.compile("[\udc80-\udcff]")


def _recode(raw: bytes) -> str:
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _fix_record(values: list[str]) -> list[str]:
    """A record that is not UTF-8, read as Windows-1252, or as Latin-1 when one of its bytes has no
    Windows-1252 character: one code page per record, as a copy of its bytes is read."""
    raw = [v.encode("utf-8", errors="surrogateescape") for v in values]
    try:
        return [r.decode("cp1252") for r in raw]
    except UnicodeDecodeError:
        return [r.decode("latin-1") for r in raw]


@dataclass
class Chunk:
    """A run of records: the good ones as an Arrow batch, the unreadable ones as problems."""

    numbers: np.ndarray  # record number (1 = first after the header) of each batch row
    batch: pa.RecordBatch | pa.Table
    rejected: list[tuple[int, str, str, str]]  # (row, column, value, reason)
    position: int  # bytes of the input consumed so far (for progress)
    recoded: list[int] = field(default_factory=list)  # records read as Latin-1
    raw: bytes | None = None  # a block of CSV records still to parse (numbers, batch follow from it)
    block: bool = False  # numbers and batch come from ``raw`` (records numbered from 1 in the block)
    line_end: bytes = b"\n"  # the line end before its first record (a copy writes it there)
    first_line: int = 0  # lines of the file before ``raw`` (for the careful reader's line numbers)
    checked: bool = False  # ``raw`` was cut where the csv module ends a record (never a wrong cut)


class UseCarefulPath(Exception):
    """The fast reader met something it cannot read exactly; start over with the careful one
    (or, when only a block's cut was wrong, with the fast reader checking its cuts)."""

    def __init__(self, reason: str, wrong_cut: bool = False):
        super().__init__(reason)
        self.wrong_cut = wrong_cut


def fast_chunks(info: InputInfo, block_bytes: int, check_cuts: bool = False) -> Iterator[Chunk]:
    """Blocks of whole records as bytes, cut without parsing (``model.batch.blocks``); the batch pipeline's
    parsing thread parses them."""
    raw = pa.OSFile(str(info.path), "rb")
    try:
        stream = pa.CompressedInputStream(raw, "gzip") if info.compressed else raw
        try:
            splitter = Splitter(stream, block_bytes, info.delimiter, check_cuts)
            for data, _ in splitter:
                yield Chunk(
                    _NO_NUMBERS,
                    _NO_BATCH,
                    [],
                    raw.tell(),
                    raw=data,
                    block=True,
                    line_end=splitter.lead_line_end,
                    first_line=splitter.lines_before,
                    checked=check_cuts,
                )
        except NotPlain as exc:
            raise UseCarefulPath(str(exc), exc.wrong_cut) from None
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"{info.path}: cannot read the whole file (cut short?): {exc}") from None
    finally:
        raw.close()


def chunk_records(
    chunk: Chunk, info: InputInfo, columns: Sequence[str], lines: bool = False
) -> tuple[pa.Table | pa.RecordBatch, pa.StringArray | None, np.ndarray]:
    """A chunk's records (a block is parsed here, its records numbered from 1 within it; the
    caller shifts them), each record's bytes when ``lines``, and the record numbers.

    A block Arrow cannot read exactly (a ragged record, bytes that are not UTF-8) is mended
    (``_mended_block``) or, failing that, read record by record (``_careful_block``); its
    unreadable records go to ``chunk.rejected``, its recoded ones to ``chunk.recoded``. A block
    that may have been cut in the wrong place raises ``UseCarefulPath`` (with ``wrong_cut``),
    unless the csv module placed its cuts (``chunk.checked``).
    """
    if not chunk.block:
        return chunk.batch, None, chunk.numbers
    assert chunk.raw is not None
    try:
        block = parse_block(chunk.raw, info.header, columns, info.delimiter, lines=lines)
    except NotPlain as exc:
        if exc.wrong_cut and not chunk.checked:
            raise UseCarefulPath(str(exc), wrong_cut=True) from None
        mended = _mended_block(chunk, info, columns, lines)
        if mended is None:
            table, records, numbers = _careful_block(chunk, info, columns, lines)
        else:
            table, records, numbers = mended[0].table, mended[0].lines, mended[1]
    else:
        table, records = block.table, block.lines
        numbers = np.arange(1, table.num_rows + 1, dtype=np.int64)
    chunk.raw = None  # the parsed table (and ``lines``) keep what is needed of it
    return table, records, numbers


def _mended_block(
    chunk: Chunk, info: InputInfo, columns: Sequence[str], lines: bool
) -> tuple[Block, np.ndarray] | None:
    """A block whose only trouble is records that are not UTF-8 (an export saved as Windows-1252)
    or that have the wrong number of fields, parsed by Arrow after each record that is not UTF-8 is
    re-read as the careful reader reads it (and written as UTF-8) and each ragged record is taken
    out, with the careful reader's verdict. Returns the block and its records' numbers; None when
    anything else is wrong with it (the careful reader then reads it record by record)."""
    data = chunk.raw
    assert data is not None
    try:
        ends = record_ends(data, info.delimiter)
        recoded: list[int] = []
        if ends is not None and not data.isascii():
            data, recoded = _recode_records(data, ends)
            ends = record_ends(data, info.delimiter)
    except NotPlain:
        return None
    if ends is None or not len(ends):
        return None
    if recoded:  # usually that was all
        with contextlib.suppress(NotPlain):
            block = parse_block(data, info.header, columns, info.delimiter, lines=lines)
            if block.table.num_rows == len(ends):
                chunk.recoded.extend(recoded)
                return block, np.arange(1, len(ends) + 1, dtype=np.int64)
    ncols = len(info.header)
    starts = np.concatenate(([0], ends[:-1]))
    fields = _field_counts(data, starts, info.delimiter)
    ragged = np.flatnonzero(fields != ncols).tolist()
    rejected = []
    if ragged:
        firsts, texts = [], []
        for k in ragged:  # each one's text from its first line (after the line ends before it)
            record = data[starts[k] : ends[k]]
            content = record.lstrip(b"\r\n")
            firsts.append(int(starts[k]) + len(record) - len(content))
            texts.append(content.decode("utf-8"))
        found = [r for r in csv_reader(io.StringIO("\n".join(texts), newline=""), info.delimiter) if r]
        if found[-1:] != [[END_OF_INPUT]] or [len(r) for r in found[:-1]] != fields[ragged].tolist():
            return None
        lines_at = chunk.first_line + np.searchsorted(line_content_ends(data), firsts) + 1
        for k, values, line in zip(ragged, found, lines_at.tolist(), strict=False):
            shown = info.delimiter.join(values)[:200]
            reason = _ragged_reason(int(fields[k]), ncols, line)
            rejected.append((k + 1, RECORD, shown, reason))
        keep = np.ones(len(ends), dtype=bool)
        keep[ragged] = False
        spans = zip(starts[keep].tolist(), ends[keep].tolist(), strict=True)
        data = b"".join([*(data[a:b] for a, b in spans), data[int(ends[-1]) :]])
        numbers = np.flatnonzero(keep) + 1
    else:
        numbers = np.arange(1, len(ends) + 1)
    if not recoded and not ragged:
        return None  # what Arrow could not read is something else
    if len(numbers):
        try:
            block = parse_block(data, info.header, columns, info.delimiter, lines=lines)
        except NotPlain:
            return None
        if block.table.num_rows != len(numbers):
            return None
    else:
        empty = pa.array([], pa.string())
        block = Block(pa.table({c: empty for c in columns}), empty if lines else None)
    chunk.recoded.extend(recoded)
    chunk.rejected.extend(rejected)
    return block, numbers.astype(np.int64)


def _recode_records(data: bytes, ends: np.ndarray) -> tuple[bytes, list[int]]:
    """``data`` with each record that is not UTF-8 read as ``_recode`` reads it and written as UTF-8,
    and those records' numbers (line ends and quotes stay where they were: only bytes past ASCII change)."""
    high = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) >= 0x80)
    starts = np.concatenate(([0], ends[:-1]))
    pieces, recoded, done = [], [], 0
    for k in np.unique(np.searchsorted(ends, high, side="right")).tolist():
        if k >= len(ends):
            continue
        a, b = int(starts[k]), int(ends[k])
        try:
            data[a:b].decode("utf-8")
        except UnicodeDecodeError:
            pieces += [data[done:a], _recode(data[a:b]).encode("utf-8")]
            recoded.append(k + 1)
            done = b
    return (b"".join([*pieces, data[done:]]), recoded) if recoded else (data, [])


def _field_counts(data: bytes, starts: np.ndarray, delimiter: str) -> np.ndarray:
    """Fields per record (records starting at ``starts``, whose quotes parity reads): the
    delimiters with an even number of quotes before them, plus one."""
    arr = np.frombuffer(data, dtype=np.uint8)
    outside = np.cumsum(arr == ord('"'), dtype=np.uint8) & 1 == 0  # (parity survives the wrap at 256)
    delimiters = (arr == ord(delimiter)) & outside
    return np.add.reduceat(delimiters.view(np.uint8), starts, dtype=np.int64) + 1


def _careful_block(
    chunk: Chunk, info: InputInfo, columns: Sequence[str], lines: bool
) -> tuple[pa.Table, pa.StringArray | None, np.ndarray]:
    """A block of whole records read as the careful reader reads the file (same records, numbers,
    verdicts and line numbers), with each readable record's bytes when ``lines`` (recoded to
    UTF-8 for a record that is not UTF-8)."""
    data = chunk.raw
    assert data is not None
    reader = csv_reader(io.StringIO(data.decode("utf-8", "surrogateescape"), newline=""), info.delimiter)
    ends = line_content_ends(data).tolist()
    good: list[list[str]] = []
    numbers: list[int] = []
    bounds = [0]  # where each record's bytes end (they start where the one before ends)
    kept: list[int] = []  # which of the records are readable
    fixed: list[int] = []  # which of those are recoded
    for number, values, problem, recoded in _careful_rows(reader, len(info.header), info.delimiter, chunk.first_line):
        last = reader.line_num - 1  # the record's last line, from 0
        bounds.append(ends[last] if last < len(ends) else len(data))
        if recoded:
            chunk.recoded.append(number)
        if problem is None:
            assert values is not None
            if recoded:
                fixed.append(len(good))
            kept.append(len(bounds) - 2)
            good.append(values)
            numbers.append(number)
        elif problem[3].endswith(_OPEN_QUOTE):  # cannot happen after a cut parity reads; be sure
            raise UseCarefulPath("a quoted value is never closed in this block", wrong_cut=True)
        else:
            chunk.rejected.append(problem)
    index = {name: k for k, name in enumerate(info.header)}
    fields = list(zip(*good, strict=True)) if good else [() for _ in info.header]
    table = pa.table({c: pa.array(fields[index[c]], pa.string()) for c in columns})
    records = None
    if lines:
        if fixed:  # some are not UTF-8: each of those copied as it was read
            recode = set(fixed)
            spans = [(bounds[r], bounds[r + 1]) for r in kept]
            records = pa.array(
                [_recode(data[a:b]) if k in recode else data[a:b].decode("utf-8") for k, (a, b) in enumerate(spans)],
                pa.string(),
            )
        else:
            offsets = np.asarray(bounds, dtype=np.int64)
            every = pa.LargeStringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data))
            records = every.take(pa.array(kept, pa.int64())).cast(pa.string())
    return table, records, np.array(numbers, dtype=np.int64)


_NO_NUMBERS = np.empty(0, dtype=np.int64)
_NO_BATCH = pa.table({})


def careful_chunks(info: InputInfo, chunk_rows: int) -> Iterator[Chunk]:
    """Every record accounted for: ragged or unreadable ones rejected, non-UTF-8 ones recoded."""
    try:
        yield from _careful_records(info, chunk_rows)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{info.path}: cannot read the whole file (cut short?): {exc}") from None


def _careful_records(info: InputInfo, chunk_rows: int) -> Iterator[Chunk]:
    with _open_binary(info.path, info.compressed) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
        reader = csv_reader(text, info.delimiter)  # as lenient as the fast reader, and no more
        _skip_header(reader, info.path)
        rows: list[list[str]] = []
        numbers: list[int] = []
        rejected: list[tuple[int, str, str, str]] = []
        recoded: list[int] = []
        for number, values, problem, fixed in _careful_rows(reader, len(info.header), info.delimiter):
            if fixed:
                recoded.append(number)
            if problem is not None:
                rejected.append(problem)
            else:
                assert values is not None
                rows.append(values)
                numbers.append(number)
            if len(rows) + len(rejected) >= chunk_rows:
                yield _careful_chunk(info, rows, numbers, rejected, recoded, raw)
                rows, numbers, rejected, recoded = [], [], [], []
        if rows or rejected:
            yield _careful_chunk(info, rows, numbers, rejected, recoded, raw)


def _skip_header(reader: Iterator[list[str]], path: Path) -> None:
    """Read past the empty lines and the header record."""
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"{path}: cannot read the header: {exc}") from None
        if record == [END_OF_INPUT]:
            return
        if not record:
            continue
        if quote_left_open(record):
            raise InputError(f"{path}: cannot read the header: a quoted name is never closed")
        return


def _careful_rows(
    reader: Any, ncols: int, delimiter: str, first_line: int = 0
) -> Iterator[tuple[int, list[str] | None, tuple[int, str, str, str] | None, bool]]:
    """Each record after the header: (number, values, None, recoded) for a readable one with the
    header's number of fields, else (number, None, problem, recoded); after a quote left open
    (the rest of the input is that value) nothing more. Lines are numbered from ``first_line``."""
    number = 0
    while True:
        start_line = first_line + reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            number += 1
            reason = f"unreadable record (line {start_line}): {_csv_reason(exc)}"
            yield number, None, (number, RECORD, "", reason), False
            continue
        if record == [END_OF_INPUT]:
            return
        if not record:
            continue  # an empty line is not a record
        number += 1
        if quote_left_open(record):
            yield number, None, (number, RECORD, "", f"unreadable record (line {start_line}): {_OPEN_QUOTE}"), False
            return
        recoded = _SURROGATES.search(delimiter.join(record)) is not None
        if recoded:
            record = _fix_record(record)
        if len(record) != ncols:
            shown = delimiter.join(record)[:200]
            reason = _ragged_reason(len(record), ncols, start_line)
            yield number, None, (number, RECORD, shown, reason), recoded
            continue
        yield number, record, None, recoded


def _ragged_reason(fields: int, ncols: int, line: int) -> str:
    return f"has {fields} field(s), expected {ncols} like the header (line {line})"


_OPEN_QUOTE = "a quoted value is never closed; the rest of the file was read as that one value"


def _csv_reason(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text:
        return _OPEN_QUOTE
    return text


def _careful_chunk(
    info: InputInfo,
    rows: list[list[str]],
    numbers: list[int],
    rejected: list[tuple[int, str, str, str]],
    recoded: list[int],
    raw: gzip.GzipFile | io.BufferedReader,
) -> Chunk:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in info.header]
    arrays = [pa.array(col, type=pa.string()) for col in columns]
    batch = pa.RecordBatch.from_arrays(arrays, names=info.header)
    try:
        # (typeshed types GzipFile.fileobj as a reader or writer protocol without tell: the file it opened has it)
        position = raw.fileobj.tell() if hasattr(raw, "fileobj") else raw.tell()  # type: ignore[union-attr]
    except (OSError, ValueError, AttributeError):
        position = 0
    return Chunk(np.array(numbers, dtype=np.int64), batch, list(rejected), position, list(recoded))


def parquet_chunks(info: InputInfo, chunk_rows: int) -> Iterator[Chunk]:
    pf = pq.ParquetFile(info.path)
    total = max(pf.metadata.num_rows, 1)
    start = 1
    try:
        for batch in pf.iter_batches(batch_size=chunk_rows):
            n = batch.num_rows
            numbers = np.arange(start, start + n, dtype=np.int64)
            yield Chunk(numbers, batch, [], int(info.size * (start + n - 1) / total))
            start += n
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{info.path}: cannot read the Parquet data: {exc}") from None


def sample_input(path: str | os.PathLike[str], rows: int = 5000) -> tuple[list[str], pd.DataFrame]:
    """The header and the first ``rows`` readable records (as text), for proposing a mapping."""
    info = inspect_input(path)
    batches, got = [], 0
    chunks = parquet_chunks(info, min(rows, 65536)) if info.kind == "parquet" else careful_chunks(info, rows)
    for chunk in chunks:
        batches.append(chunk.batch.slice(0, rows - got))
        got += batches[-1].num_rows
        if got >= rows:
            break
    table = pa.Table.from_batches(batches) if batches else input_schema(info).empty_table()
    columns = {}
    for name, col in zip(table.column_names, table.columns, strict=True):
        try:  # Parquet dates, times and numbers as text, as a CSV export would have them
            columns[name] = pc.cast(col, pa.string()).to_pandas().astype(object)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            columns[name] = col.to_pandas().astype(object)
    return info.header, pd.DataFrame(columns, columns=table.column_names)


def _looks_like_data(header: Sequence[str]) -> bool:
    choices = {v for q in QUIZ for v in q.values}
    hits = sum(bool(re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", h)) or h.strip().lower() in choices for h in header)
    return hits >= max(2, len(header) // 2)


def input_schema(info: InputInfo) -> pa.Schema:
    if info.kind == "parquet":
        return pq.ParquetFile(info.path).schema_arrow
    return pa.schema([(h, pa.string()) for h in info.header])
