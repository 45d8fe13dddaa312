"""Read a CSV file as blocks of whole records, parsed by Arrow, with each record's own bytes
kept so a scored copy can pass the input through unchanged.

Why not pyarrow's streaming reader: it converts every column to text so the
output can repeat it, and it reads in the thread that asks. Here the file is
cut into blocks at record boundaries (a line end with an even number of
quote characters before it, so a quoted value that spans lines is never cut)
by one thread, each block is parsed by Arrow's ``read_csv`` in another,
converting only the columns scoring reads (as text: validation decides what
a number is), and each record's bytes come along as one string. Writing them
back then needs no CSV formatting at all.

Whatever this reader cannot read exactly (bytes that are not UTF-8, ragged
records, a lone carriage return as line end, a quote left open at the end of
the file, a block where Arrow and Python's csv module disagree) raises
``NotPlain``; the caller then mends that block or reads it with its careful
path, or reads the whole file carefully when the block may have been cut in the
wrong place (``wrong_cut``).
Both readers keep text after a closing quote, as Arrow and pandas do.
"""

from __future__ import annotations

import csv
import io
import itertools
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]

__all__ = [
    "END_OF_INPUT",
    "Block",
    "NotPlain",
    "Splitter",
    "allow_long_values",
    "csv_reader",
    "line_content_ends",
    "parse_block",
    "quote_left_open",
    "record_ends",
]

BLOCK_BYTES = 4 << 20  # bytes per block (~50k answer sets): fewer, larger calls vs. memory in flight
FORCE_CUT_BYTES = 8 << 20  # past this, a quote count that never evens out is a stray quote, not one value
MAX_RECORD_BYTES = 64 << 20  # a "record" longer than this is a quote left open: not plain CSV

_NL, _CR, _QUOTE = 10, 13, 34
_FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)


#: A line read after the input: met inside a quoted value, it shows the quote was never closed.
END_OF_INPUT = "\x00exodds: end of input\x00"


def allow_long_values() -> None:
    """Let Python's csv module read a value of any length, as Arrow does (its default limit, 131,072
    characters, would reject a long free-text answer). The setting is process-wide."""
    csv.field_size_limit(_FIELD_LIMIT)


def csv_reader(lines: Iterable[str], delimiter: str) -> Any:
    """Python's csv reader as lenient as Arrow and pandas: text after a closing quote is kept
    (``"call me" maybe`` reads ``call me maybe``), values may be of any length, but read ``lines``
    followed by the ``END_OF_INPUT`` line: a record ending with it means a quote was left open
    (``quote_left_open``)."""
    allow_long_values()
    return csv.reader(itertools.chain(lines, [END_OF_INPUT + "\n"]), delimiter=delimiter, strict=False)


def quote_left_open(record: list[str]) -> bool:
    """Whether ``csv_reader`` read the end of the input inside this record's last quoted value."""
    return bool(record) and record != [END_OF_INPUT] and END_OF_INPUT in record[-1]


class NotPlain(Exception):
    """The file holds something this reader cannot read exactly; read it carefully instead.

    ``wrong_cut``: a block was cut inside a quoted value, because a quote inside an unquoted
    value threw the quote count off; a ``Splitter`` with ``check_cuts`` can read such a file.
    """

    def __init__(self, reason: str, wrong_cut: bool = False):
        super().__init__(reason)
        self.wrong_cut = wrong_cut


@dataclass
class Block:
    """Records parsed from one block of the file."""

    table: pa.Table  # the requested columns, one row per record
    lines: pa.StringArray | None  # per record: its bytes as in the file, after the line end before it
    # (the first record's string has none: the block starts right after it)


class Splitter:
    """Cuts a CSV byte stream into blocks of whole records (cheap: no parsing).

    A block ends after a newline with an even number of quote characters
    before it in the block, so a quoted value spanning lines is never cut.
    Iterate for (block, bytes read so far); ``line_end`` is the header's,
    ``lead_line_end`` the line end just before the block given (the one a copy
    writes before its first record's bytes), and ``lines_before`` counts the lines
    before it (as the csv module counts them), so a careful reading of one block
    can name file lines. Blank lines before a cut go to the next block, where the
    first record's bytes keep them, so a copy keeps every blank line between
    records whatever the block size. With
    ``check_cuts``, a block whose quotes the count may misread is cut where the csv
    module says its last whole record ends (slower, only where needed).
    """

    def __init__(
        self, source: pa.NativeFile, block_bytes: int = BLOCK_BYTES, delimiter: str = ",", check_cuts: bool = False
    ):
        self._source = source
        self._block = block_bytes
        self._delimiter = delimiter
        self._check = check_cuts  # find each cut with the csv module where the quote count may misread
        self._rest = b""
        self._eof = False
        self._position = 0
        self.lines_before = 0
        self._lines = 0  # lines consumed so far, header included
        self.line_end = self._skip_header()
        self.lead_line_end = self.line_end

    def _read(self) -> bytes:
        data = self._source.read(self._block)
        if not data:
            self._eof = True
        self._position += len(data)
        return bytes(data)

    def _skip_header(self) -> bytes:
        """Consume the BOM, blank lines and the header record; return the header's line end."""
        data = self._read()
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        while True:
            blank = data.lstrip(b"\r\n")  # blank lines before the header
            self._lines += _line_count(data[: len(data) - len(blank)])
            data = blank
            if (cut := _first_boundary(data, 0)) is not None or self._eof:
                break
            if len(data) > MAX_RECORD_BYTES:
                raise NotPlain("the header never ends")
            data += self._read()
        end = len(data) if cut is None else cut
        line_end = b"\r\n" if data[:end].endswith(b"\r\n") else b"\n"
        if b"\r" in data[: end - len(line_end)]:
            raise NotPlain("a carriage return that does not end a line")
        if b'"' in data[:end]:  # a quote inside a name would make the count above read past the header
            text = data[:end].decode("utf-8", "surrogateescape")
            found = [r for r in csv_reader(io.StringIO(text, newline=""), self._delimiter) if r]
            if len(found) != 2 or found[-1] != [END_OF_INPUT]:
                raise NotPlain("the header holds a quote the fast reader cannot place")
        self._rest = data[end:]
        self._lines += _line_count(data[:end])
        return line_end

    def __iter__(self) -> Iterator[tuple[bytes, int]]:
        data = self._rest
        while True:
            while not self._eof and len(data) < self._block:
                data += self._read()
            cut = None if self._eof else _last_boundary(data)
            while cut is None and not self._eof:
                if len(data) > MAX_RECORD_BYTES:
                    raise NotPlain("no record ends in the next 64 MB (a quote left open?)")
                data += self._read()
                cut = _last_boundary(data, force=len(data) > max(2 * self._block, FORCE_CUT_BYTES))
            if cut is None:  # the end of the file: the rest is the last block
                if _quotes(data, len(data)) % 2 and (
                    not self._check or _csv_cut(data + b"\n", self._delimiter) != len(data) + 1
                ):
                    # an odd count: a quote left open, or (the checked reader asks the csv module) a
                    # quote inside an unquoted value
                    raise NotPlain("a quoted value is never closed", wrong_cut=not self._check)
                if data.strip(b"\r\n"):
                    self.lines_before = self._lines
                    yield data, self._position
                return
            if self._check and not _parity_reads(data, self._delimiter, cut):
                cut = _csv_cut(data, self._delimiter)
                if cut is None:
                    data += self._read()
                    continue
            cut = _before_blank_lines(data, cut)
            if _all_blank(data, cut):  # only blank lines so far: they belong to the next record
                data += self._read()
                continue
            block, data = data[:cut], data[cut:]
            self.lines_before = self._lines
            self._lines += _line_count(block)
            yield block, self._position - len(data)
            self.lead_line_end = b"\r\n" if block.endswith(b"\r\n") else b"\n"


def parse_block(
    data: bytes,
    names: Sequence[str],
    columns: Sequence[str],
    delimiter: str = ",",
    lines: bool = True,
) -> Block:
    """Parse a block from ``Splitter``: ``columns`` (of the header ``names``) as text, and with
    ``lines`` each record's bytes (``Block.lines``, sharing the block's memory).

    Usually every line is a record: Arrow finds as many records as there are
    non-empty lines (it can only find fewer, when a quoted value spans lines)
    and the last one leaves no quote open. Otherwise records end where the
    number of quotes before a newline is even, when every quote sits where
    that count reads it right (``_parity_record_ends``); failing that, Python's
    csv module, the careful reader, says where each record ends. If it and
    Arrow read other records, ``NotPlain`` (with ``wrong_cut`` when the quote
    count, which placed the cut, may have misread the block).
    """
    try:
        return _parse_block(data, names, columns, delimiter, lines)
    except NotPlain as exc:
        if not exc.wrong_cut and not _parity_reads(data, delimiter):
            raise NotPlain(str(exc), wrong_cut=True) from None
        raise


def _parse_block(data: bytes, names: Sequence[str], columns: Sequence[str], delimiter: str, lines: bool) -> Block:
    table = _parse(data, names, columns, delimiter)
    newlines = _newlines(data)
    ends = _line_ends(data, newlines)
    if table.num_rows != len(ends) or not _closes(data, newlines, ends, delimiter):
        parity = _parity_record_ends(data, newlines, delimiter)
        if parity is not None and len(parity) == table.num_rows:
            ends = parity
        else:
            ends = _csv_record_ends(data, newlines, delimiter, table, names)
    if not data.isascii():  # Arrow checks only the columns it converts
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise NotPlain("bytes that are not UTF-8") from None
    records = None
    if lines:
        offsets = np.empty(len(ends) + 1, dtype=np.int32)
        offsets[0] = 0
        offsets[1:] = ends
        records = pa.StringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(data))
    return Block(table, records)


def _parity_record_ends(data: bytes, newlines: np.ndarray, delimiter: str) -> np.ndarray | None:
    """Where each record's content ends when quoted values span lines, from quote parity alone
    (newlines with an even number of quotes before them), or None when parity could misread.

    Parity follows the csv reader exactly unless a quote sits inside an unquoted value (``5" tall``,
    or text after a closing quote then a quote). Then some quote with an even number of quotes
    before it (one that should open a value) follows neither a delimiter, a line end nor the quote
    before it: that is what is checked, so a None here sends the block to the csv module.
    """
    quotes = _quotes_if_parity_reads(data, delimiter)
    if quotes is None:
        return None
    outside = newlines[np.searchsorted(quotes, newlines) % 2 == 0]
    return _line_ends(data, outside)


def record_ends(data: bytes, delimiter: str) -> np.ndarray | None:
    """Where each record of a block ends (before its line end), from line ends and the quote count
    alone, without parsing; None when the count could misread (``_parity_record_ends``)."""
    return _parity_record_ends(data, _newlines(data), delimiter)


def _parity_reads(data: bytes, delimiter: str, stop: int | None = None) -> bool:
    """Whether the quote count reads ``data[:stop]`` (which starts at a record) as the csv module
    does: an even number of quotes, and every quote with an even number before it opening a value
    (right after a delimiter or a line end) or right after the quote before it (a doubled quote
    inside a quoted value, which the count reads as a close and a reopen)."""
    return _quotes_if_parity_reads(data, delimiter, stop) is not None


def _quotes_if_parity_reads(data: bytes, delimiter: str, stop: int | None = None) -> np.ndarray | None:
    """The quote positions in ``data[:stop]`` when ``_parity_reads``, else None (no copy of ``data``)."""
    if data.find(b'"', 0, len(data) if stop is None else stop) < 0:
        return np.empty(0, dtype=np.intp)
    arr = np.frombuffer(data, dtype=np.uint8, count=len(data) if stop is None else stop)
    quotes = np.flatnonzero(arr == _QUOTE)
    if len(quotes) % 2:
        return None  # it would end inside a quoted value
    opening = quotes[0::2]
    before = arr[np.maximum(opening - 1, 0)]
    # right after the quote that closed the one before: a doubled quote ("") inside a quoted value
    after_close = opening - 1 == np.concatenate(([-2], quotes[1::2][:-1]))
    return quotes if np.all((opening == 0) | (before == ord(delimiter)) | (before == _NL) | after_close) else None


def _csv_cut(data: bytes, delimiter: str) -> int | None:
    """Offset just past the line end of the last record in ``data`` that the csv module reads whole
    and that ends with a line end (None when there is none yet)."""
    newlines = _newlines(data)  # one for each line that ends with a line end
    reader = csv_reader(io.StringIO(data.decode("utf-8", "surrogateescape"), newline=""), delimiter)
    whole = 0  # lines read by the last whole record that ends with its line end
    for record in reader:
        if record == [END_OF_INPUT] or quote_left_open(record) or reader.line_num > len(newlines):
            break
        whole = reader.line_num
    if whole == 0:
        return None
    return int(newlines[whole - 1]) + 1


def _csv_record_ends(
    data: bytes, newlines: np.ndarray, delimiter: str, table: pa.Table, names: Sequence[str]
) -> np.ndarray:
    """Where each record's content ends, as Python's csv module reads ``data``; ``NotPlain`` when
    it reads other records than Arrow did (malformed quoting, a block cut inside a quoted value)."""
    reader = csv_reader(io.StringIO(data.decode("utf-8", "surrogateescape"), newline=""), delimiter)
    last_lines, records = [], []
    try:
        for record in reader:
            if record == [END_OF_INPUT]:
                break
            if quote_left_open(record):  # the block ends inside a quoted value: cut in the wrong place
                raise NotPlain("a quoted value is never closed in this block", wrong_cut=True)
            if record:  # an empty line is not a record
                last_lines.append(reader.line_num)
                records.append(record)
    except csv.Error as exc:
        raise NotPlain(f"the csv module cannot read this block: {exc}") from None
    if len(records) != table.num_rows:
        raise NotPlain(f"{table.num_rows} records parsed where the csv module reads {len(records)}")
    for name in table.column_names:
        k = list(names).index(name)
        if table.column(name).to_pylist() != [r[k] if k < len(r) else None for r in records]:
            raise NotPlain(f"Arrow and the csv module read column {name!r} differently")
    line = np.asarray(last_lines, dtype=np.int64) - 1  # each record's last line, from 0
    ends = np.where(line < len(newlines), newlines[np.minimum(line, len(newlines) - 1)], len(data))
    crlf = np.zeros(len(ends), dtype=bool)
    if b"\r" in data and len(ends):
        arr = np.frombuffer(data, dtype=np.uint8)
        crlf = (ends > 0) & (ends < len(data)) & (arr[np.maximum(ends - 1, 0)] == _CR)
    return (ends - crlf).astype(np.int64)


def _closes(data: bytes, newlines: np.ndarray, ends: np.ndarray, delimiter: str) -> bool:
    """Whether the last record (after the last of ``newlines`` before its end) leaves no quote open."""
    if not len(ends):
        return True
    stop = int(ends[-1])
    before = newlines[newlines < stop]
    start = int(before[-1]) + 1 if len(before) else 0
    record = data[start:stop]
    if b'"' not in record:
        return True
    found = list(csv_reader(io.StringIO(record.decode("utf-8", "surrogateescape"), newline=""), delimiter))
    return found[-1] == [END_OF_INPUT] and len(found) == 2


def _line_count(data: bytes) -> int:
    """Line ends in ``data`` as the csv module counts them: "\\r\\n", "\\n" or a lone "\\r"."""
    n = int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == _NL))
    if b"\r" in data:
        n += data.count(b"\r") - data.count(b"\r\n")
    return n


def line_content_ends(data: bytes) -> np.ndarray:
    """Where each line's content ends (its line end starts), lines as the csv module reads them;
    a last line without a line end is not included."""
    arr = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(arr == _NL)
    if b"\r" not in data:
        return newlines
    after_cr = newlines[(newlines > 0) & (arr[np.maximum(newlines - 1, 0)] == _CR)]
    return np.setdiff1d(np.union1d(np.flatnonzero(arr == _CR), newlines), after_cr)


def _newlines(data: bytes) -> np.ndarray:
    return np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == _NL)


def _first_boundary(data: bytes, start: int) -> int | None:
    """Offset just past the first newline after ``start`` that ends a record, or None."""
    pos = start
    while (nl := data.find(b"\n", pos)) >= 0:
        if data.count(b'"', start, nl) % 2 == 0:
            return nl + 1
        pos = nl + 1
    return None


def _last_boundary(data: bytes, force: bool = False) -> int | None:
    """Offset just past the last newline of ``data`` (which starts at a record) with an even number
    of quotes before it; None when there is none (a quoted value still open: read more).

    With ``force``, no such newline is taken to mean that a quote inside an unquoted value
    (``5'10" tall``) threw the count off, and the cut is the last newline: ``parse_block`` checks
    that it ends a record (where it does not, the caller reads the file carefully).
    """
    nl = data.rfind(b"\n")
    if nl < 0 or b'"' not in data:
        return None if nl < 0 else nl + 1
    if _quotes(data, nl) % 2 == 0:
        return nl + 1
    arr = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(arr == _NL)
    even = newlines[np.searchsorted(np.flatnonzero(arr == _QUOTE), newlines) % 2 == 0]
    if len(even):
        return int(even[-1]) + 1
    return nl + 1 if force else None


def _all_blank(data: bytes, stop: int) -> bool:
    """Whether ``data[:stop]`` holds nothing but line ends (without copying it)."""
    i = 0
    while i < stop and data[i] in (_NL, _CR):
        i += 1
    return i >= stop


def _before_blank_lines(data: bytes, cut: int) -> int:
    """``cut`` (just past a newline) moved back to just past the line end of the last line that is
    not blank, when there is one and it ends in a newline."""
    end = cut
    while end > 0 and data[end - 1] in (_NL, _CR):
        end -= 1
    if end == 0 or end == cut - 1 or (end == cut - 2 and data[end] == _CR):
        return cut
    if data[end] == _NL:
        return end + 1
    return end + 2 if data[end : end + 2] == b"\r\n" else cut


def _quotes(data: bytes, stop: int) -> int:
    """Quote characters in ``data[:stop]`` (NumPy: several times faster than bytes.count)."""
    return int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8, count=stop) == _QUOTE))


def _line_ends(data: bytes, newlines: np.ndarray) -> np.ndarray:
    """Where the content of each non-empty line ends (before "\r\n" or "\n"); empty lines are
    not records, as for Arrow and pandas."""
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        raise NotPlain("a carriage return that does not end a line")
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [len(data)]))
    arr = np.frombuffer(data, dtype=np.uint8)
    crlf = np.zeros(len(ends), dtype=bool)
    if b"\r" in data:
        crlf = (ends > starts) & (arr[np.maximum(ends - 1, 0)] == _CR)
    content_end = ends - crlf
    return content_end[content_end > starts].astype(np.int64)


def _parse(data: bytes, names: Sequence[str], columns: Sequence[str], delimiter: str) -> pa.Table:
    # one thread and one Arrow block per call: blocks are parsed side by side by the caller's threads
    read = pacsv.ReadOptions(column_names=list(names), use_threads=False, block_size=len(data) + 1)
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=b'"' in data)
    convert = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in columns},
        include_columns=list(columns),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    try:
        return pacsv.read_csv(pa.py_buffer(data), read_options=read, parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid as exc:  # ragged records, bytes that are not UTF-8, ...
        raise NotPlain(str(exc)) from None
