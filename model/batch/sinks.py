"""Write scored rows: the output and errors files of ``exodds score``, and the scores as CSV text.

Why a module of its own: writing is where most of a large run's bytes go, and the fastest way to
write them depends on the output. A CSV copy of a CSV repeats each accepted record's own bytes
(``model.batch.blocks``) and formats only the scores; other outputs write the values through Arrow's
CSV or Parquet writers. Score text is built from lookup tables, never one value at a time.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from model.errors import InputError
from model.io import names_a_file_type
from model.quiz.validation import PROBLEM_COLUMNS

__all__ = [
    "ERROR_COLUMNS",
    "KEYED_ERROR_COLUMNS",
    "SCORE_COLUMNS",
    "SCORE_SCHEMA",
    "RetypeColumns",
    "check_errors_name",
    "default_errors_path",
    "default_output_path",
]

ERROR_COLUMNS = list(PROBLEM_COLUMNS)  # the errors file: row, column, value, reason
BOM = b"\xef\xbb\xbf"  # UTF-8 byte-order mark: a CSV copy starts with one when its input did

SCORE_SCHEMA = pa.schema(
    [
        ("reversal_odds", pa.float64()),
        ("odds_low", pa.float64()),
        ("odds_high", pa.float64()),
        ("band", pa.string()),
        ("stage", pa.int64()),
        ("earliest_contact", pa.date32()),
        ("top_factor_up", pa.string()),
        ("top_factor_down", pa.string()),
        ("model_version", pa.string()),
    ]
)
SCORE_COLUMNS = list(SCORE_SCHEMA.names)  # what batch scoring adds to every accepted row, in order


def output_kind(path: Path, fallback: str, strict: bool = False) -> tuple[str, bool]:
    """(csv or parquet, gzip) by the name's extension; ``fallback`` (the input's kind) when it names
    none, or with ``strict`` (a name the user chose) only when it has no other extension."""
    suffixes = [s.lower() for s in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    last = suffixes[-2] if compressed and len(suffixes) > 1 else (suffixes[-1] if suffixes else "")
    if last in (".parquet", ".pq"):
        if compressed and strict:
            raise InputError(f"{path}: Parquet compresses inside the file; name it .parquet, without .gz")
        return "parquet", False
    if last in (".csv", ".tsv", ".txt"):
        return "csv", compressed
    # a name chosen with another file type's extension (.json, .xlsx): say so, rather than write CSV
    # into it (.bz2 and .7z included: only gzip is written); a dotted name such as scores.2026-11
    # takes the input's format
    if strict and last != ".gz" and names_a_file_type(last):
        raise InputError(
            f"{path}: cannot write a {last} file; name the output .csv, .tsv, .txt (each may end .gz), .parquet or .pq"
        )
    return fallback, compressed


_KNOWN = (".csv", ".tsv", ".txt", ".parquet", ".pq")


def _split_name(name: str) -> tuple[str, str]:
    """'x.csv.gz' -> ('x', '.csv.gz'); 'x.parquet' -> ('x', '.parquet'); 'x' -> ('x', '')."""
    lower = name.lower()
    for ext in _KNOWN:
        for full in (ext + ".gz", ext):
            if lower.endswith(full) and len(name) > len(full):
                return name[: -len(full)], name[-len(full) :]
    if lower.endswith(".gz") and len(name) > 3:
        return name[:-3], name[-3:]
    return name, ""


def default_output_path(input_path: str | os.PathLike[str]) -> Path:
    """``responses.csv`` -> ``responses.scored.csv``; ``x.csv.gz`` -> ``x.scored.csv.gz``."""
    p = Path(input_path)
    stem, ext = _split_name(p.name)
    return p.with_name(f"{stem}.scored{ext}")


def default_errors_path(output_path: str | os.PathLike[str]) -> Path:
    """``<output stem>.errors.csv`` beside the output."""
    p = Path(output_path)
    stem, _ = _split_name(p.name)
    return p.with_name(f"{stem}.errors.csv")


def check_errors_name(path: Path) -> None:
    """The errors file is plain CSV: a name the user chose that says otherwise (``.parquet``,
    ``.json``, ``.gz``) is refused rather than filled with CSV text."""
    last = path.suffixes[-1].lower() if path.suffixes else ""
    if last in (".csv", ".txt") or not names_a_file_type(last):
        return
    raise InputError(f"{path}: the errors file is plain CSV; name it .csv (or .txt)")


def _deflate() -> Any:
    """ISA-L's deflate (the ``isal`` package: about 3.5 times faster than zlib's fastest level, and
    its level 1 writes smaller files), else zlib's."""
    try:
        from isal import isal_zlib
    except ImportError:  # (a dependency, but gzip output must not need it)
        return zlib
    return isal_zlib


#: The gzip level of a compressed output: 1, the fastest (ISA-L levels go 0 to 3; zlib's level 6,
#: gzip's default, takes about 3 times as long as its level 1 for a file a fifth smaller, and Arrow's
#: own gzip stream writes level 9: 10 times as long).
GZIP_LEVEL = 1


class GzipOut:
    """A gzip stream over an open file, at ``GZIP_LEVEL``. The writing thread compresses while the
    others parse and score (ISA-L and zlib release the GIL while they compress)."""

    def __init__(self, file: pa.NativeFile, level: int = GZIP_LEVEL, deflate: Any = None):
        self._file = file
        deflate = _deflate() if deflate is None else deflate
        self._zip = deflate.compressobj(level, deflate.DEFLATED, 31)  # 31: a gzip header and trailer

    def write(self, data: bytes | pa.Buffer) -> None:
        out = self._zip.compress(data)
        if out:
            self._file.write(out)

    def close(self) -> None:
        self._file.write(self._zip.flush())


class CsvSink:
    """Appends Arrow tables as CSV text: unquoted where possible, so text stays as it was."""

    def __init__(self, path: Path, names: Sequence[str], delimiter: str, compressed: bool, bom: bool = False):
        self._file = pa.OSFile(str(path), "wb")
        self._out = GzipOut(self._file) if compressed else self._file
        self._delimiter = delimiter
        self._out.write(BOM * bom + _csv_lines([list(names)], delimiter).encode("utf-8"))
        self._plain = pacsv.WriteOptions(include_header=False, delimiter=delimiter, quoting_style="none")
        self._quoted = pacsv.WriteOptions(include_header=False, delimiter=delimiter, quoting_style="needed")

    def write(self, accepted: pa.RecordBatch, scored: pd.DataFrame) -> None:
        if accepted.num_rows == 0:
            return
        # few-valued score columns are dictionary-coded; expanding them here (a gather of the
        # small text table) is faster than leaving that to the CSV writer
        text = [
            a.dictionary.take(a.indices) if pa.types.is_dictionary(a.type) else a
            for a in _score_arrays(scored, as_text=True)
        ]
        arrays = list(accepted.columns) + text
        table = pa.Table.from_arrays(arrays, names=[*accepted.schema.names, *SCORE_COLUMNS])
        buf = pa.BufferOutputStream()
        try:
            pacsv.write_csv(table, buf, self._plain)
        except pa.ArrowInvalid:  # some value holds a delimiter, quote or newline
            self._write_quoting(table)
            return
        self._out.write(buf.getvalue())

    def _write_quoting(self, table: pa.Table) -> None:
        """Quote only the records that need it (Arrow would quote every text value of the batch)."""
        special = re.escape(self._delimiter) + '"\r\n'
        dirty = np.zeros(table.num_rows, dtype=bool)
        for col in table.columns:
            if pa.types.is_dictionary(col.type):
                col = col.cast(col.type.value_type)
            if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
                hit = pc.match_substring_regex(col, f"[{special}]")
                dirty |= hit.to_numpy(zero_copy_only=False).astype(bool, copy=False)
        if dirty.sum() > max(1000, 0.05 * len(dirty)):  # many: let Arrow quote the whole batch
            buf = pa.BufferOutputStream()
            pacsv.write_csv(table, buf, self._quoted)
            self._out.write(buf.getvalue())
            return
        starts = np.flatnonzero(np.diff(np.r_[0, dirty.astype(np.int8), 0]) != 0)
        bounds = np.r_[0, starts, table.num_rows]
        for lo, hi in itertools.pairwise(bounds):
            if hi <= lo:
                continue
            part = table.slice(lo, hi - lo)
            if dirty[lo]:
                rows = list(zip(*(_as_text_list(c) for c in part.columns), strict=True))
                self._out.write(_csv_lines(rows, self._delimiter).encode("utf-8"))
            else:
                buf = pa.BufferOutputStream()
                pacsv.write_csv(part, buf, self._plain)
                self._out.write(buf.getvalue())

    def close(self) -> None:
        self._out.close()
        if self._out is not self._file:
            self._file.close()


def _csv_lines(rows: Sequence[Sequence[Any]], delimiter: str = ",") -> str:
    """CSV text with minimal quoting and "\n" line ends.

    Python's writer quotes only the characters of its line terminator, so a
    value holding a lone "\r" would go out unquoted with "\n"; write with
    "\r\n" (which quotes both) and shorten each record's own terminator.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    if not any(isinstance(v, str) and ("\r" in v or "\n" in v) for r in rows for v in r):
        writer.writerows(rows)
        return buf.getvalue().replace("\r\n", "\n")
    out = []
    for r in rows:
        buf.seek(0)
        buf.truncate()
        writer.writerow(r)
        out.append(buf.getvalue()[:-2] + "\n")
    return "".join(out)


def _as_text_list(col: pa.ChunkedArray) -> list[str]:
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        col = col.cast(pa.string())
    return ["" if v is None else v for v in col.to_pylist()]


class LinesSink:
    """Writes each accepted record's own bytes followed by its scores: the input passes through
    byte for byte (quoting, spacing, line ends), and only the scores are formatted."""

    def __init__(
        self,
        path: Path,
        names: Sequence[str],
        delimiter: str,
        compressed: bool,
        line_end: bytes = b"\n",
        bom: bool = False,
    ):
        self._file = pa.OSFile(str(path), "wb")
        self._out = GzipOut(self._file) if compressed else self._file
        self._delimiter = delimiter
        self._line_end = line_end  # the header's; ends the last line, whatever the block size
        # each record's bytes start with the line end before it, so the header has none of its own
        self._out.write(BOM * bom + _csv_lines([list(names)], delimiter).rstrip("\n").encode("utf-8"))

    def write_lines(self, lines: pa.StringArray, scored: pd.DataFrame, line_end: bytes, lead: bool) -> None:
        """``lines``: the accepted records' bytes, each after the line end before it except, when
        ``lead``, the first (which follows ``line_end``, the end of the previous block)."""
        if len(lines) == 0:
            return
        if lead:
            self._out.write(line_end)
        joined = pc.binary_join_element_wise(
            lines,
            *_suffix_pieces(scored, self._delimiter),
            self._delimiter,
            null_handling="replace",
            null_replacement="",
        )
        offsets = np.frombuffer(joined.buffers()[1], dtype=np.int32, count=len(joined) + 1, offset=joined.offset * 4)
        self._out.write(joined.buffers()[2].slice(int(offsets[0]), int(offsets[-1] - offsets[0])))

    def close(self) -> None:
        self._out.write(self._line_end)
        self._out.close()
        if self._out is not self._file:
            self._file.close()


def _expand(arr: pa.Array, delimiter: str) -> pa.Array:
    """A score column as plain CSV text: dictionaries expanded, quoted where a label needs it."""
    if not pa.types.is_dictionary(arr.type):
        return arr
    labels = arr.dictionary.to_pylist()
    if any(_needs_quotes(t, delimiter) for t in labels if t is not None):
        labels = [_csv_lines([[t]], delimiter).rstrip("\n") if t is not None else None for t in labels]
    return pa.array(labels, pa.string()).take(arr.indices)


def _needs_quotes(text: str, delimiter: str) -> bool:
    return any(ch in text for ch in (delimiter, '"', "\n", "\r"))


class RetypeColumns(Exception):
    """A later chunk holds a value the type chosen for a CSV column cannot hold exactly: start the
    output over with those columns as text."""

    def __init__(self, columns: frozenset[str]):
        super().__init__(", ".join(sorted(columns)))
        self.columns = columns


#: Types a CSV column of a Parquet output may take, tried in order: the first that reads every
#: value of the column and writes each back as the same text (so 007, +3, 3.10 stay text).
_TYPES = (pa.int64(), pa.float64(), pa.date32(), pa.timestamp("s"), pa.bool_())


def _typed(col: pa.Array | pa.ChunkedArray, typ: pa.DataType) -> pa.Array | None:
    """``col`` (text) as ``typ`` when every value reads and writes back as the same text (blank as
    null), else None."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    given = pc.and_(pc.is_valid(col), pc.not_equal(col, ""))
    text = pc.if_else(given, col, pa.scalar(None, pa.string()))
    try:
        typed = pc.cast(text, typ)
        back = pc.cast(typed, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    same = pc.equal(back, text)
    if same.null_count != text.null_count or not pc.all(pc.fill_null(same, True)).as_py():
        return None
    return typed


class ParquetSink:
    """Writes Parquet: every input column in its own type. A Parquet input's columns keep theirs; a
    CSV input's columns named in ``infer`` take the first of ``_TYPES`` that holds the first rows
    exactly (decided at the first write); a later value that type cannot hold raises
    ``RetypeColumns``."""

    def __init__(self, path: Path, schema: pa.Schema, infer: Sequence[str] = ()):
        self._path = path
        self._schema = schema
        self._infer = set(infer)
        self._writer: pq.ParquetWriter | None = None

    def _open(self, accepted: pa.RecordBatch | None) -> None:
        if accepted is not None and self._infer:
            fields = list(self._schema)
            for i, f in enumerate(fields):
                if f.name not in self._infer:
                    continue
                col = accepted.column(i)
                if not pc.any(pc.not_equal(col, "")).as_py():
                    continue  # nothing given yet: text
                for typ in _TYPES:
                    if _typed(col, typ) is not None:
                        fields[i] = pa.field(f.name, typ)
                        break
            self._schema = pa.schema(fields)
        self._writer = pq.ParquetWriter(str(self._path), self._schema)

    def write(self, accepted: pa.RecordBatch, scored: pd.DataFrame) -> None:
        if self._writer is None:
            if accepted.num_rows == 0:
                return
            self._open(accepted)
        assert self._writer is not None
        inputs, wrong = [], set()
        for i, col in enumerate(accepted.columns):
            typ = self._schema.field(i).type
            if col.type == typ:
                inputs.append(col)
            elif self._schema.field(i).name in self._infer:
                typed = _typed(col, typ)
                if typed is None:
                    wrong.add(self._schema.field(i).name)
                inputs.append(typed)
            else:
                inputs.append(col.cast(typ))
        if wrong:
            raise RetypeColumns(frozenset(wrong))
        arrays = inputs + _score_arrays(scored, as_text=False)
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self._schema))

    def write_empty(self) -> None:
        if self._writer is None:
            self._open(None)
        assert self._writer is not None
        self._writer.write_table(self._schema.empty_table())

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


#: The errors file's columns with a respondent key (``--id-column``): the key comes second.
KEYED_ERROR_COLUMNS = [ERROR_COLUMNS[0], "respondent", *ERROR_COLUMNS[1:]]


class ErrorSink:
    def __init__(self, path: Path, bom: bool = False, keyed: bool = False):
        # (with the input's BOM, so Excel shows the values' accents as the input's own file does)
        self._fh = open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="")  # noqa: SIM115
        self._fh.write(_csv_lines([KEYED_ERROR_COLUMNS if keyed else ERROR_COLUMNS]))

    def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        self._fh.write(_csv_lines(rows))

    def close(self) -> None:
        self._fh.close()


def _score_arrays(scored: pd.DataFrame, as_text: bool, names: Sequence[str] = SCORE_COLUMNS) -> list[pa.Array]:
    """The score columns as Arrow arrays: typed, or already as CSV text (much faster to write).

    As text, odds have 6 decimals and dates are ISO; few-valued columns stay
    dictionary-coded, which the CSV writer prints as their text.
    """
    arrays = []
    for name in names:
        typ = SCORE_SCHEMA.field(name).type
        col = scored[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            labels = pa.array([str(c) for c in col.cat.categories], pa.string())
            arr = pa.DictionaryArray.from_arrays(pa.array(col.cat.codes.to_numpy()), labels)
            arr = arr if as_text else arr.cast(typ)
        elif name == "earliest_contact":
            days = col.to_numpy().astype("datetime64[D]")
            arr = _dates_text(days) if as_text else pa.array(days, type=typ, from_pandas=True)
        elif typ == pa.float64():
            x = col.to_numpy(dtype=np.float64)
            arr = _fixed_text(x) if as_text else pa.array(x, type=typ)
        elif as_text:
            arr = _few_text(col.to_numpy())
        else:
            arr = pa.array(col.to_numpy(), type=typ, from_pandas=True)
        arrays.append(arr)
    return arrays


def _packed_digits(first_byte: int) -> np.ndarray:
    """For i in 0..999, its three digits as bytes ``first_byte..first_byte+2`` of a little-endian word."""
    table = np.zeros(1000, dtype="<u8")
    for i in range(1000):
        for j, ch in enumerate(f"{i:03d}".encode()):
            table[i] |= np.uint64(ch) << np.uint64(8 * (first_byte + j))
    return table


_HEAD = np.array([ord("0") | ord(".") << 8, ord("1") | ord(".") << 8], dtype="<u8")
_MID, _LOW = _packed_digits(2), _packed_digits(5)


def _fixed_words(x: np.ndarray) -> np.ndarray | None:
    """Odds in [0, 1] as 6-decimal text ("0.287300"), each one 8-byte word built by table look-ups
    (None when some value is not such odds)."""
    ok = np.isfinite(x) & (x >= 0) & (x <= 1)
    if not ok.all():
        return None
    v = np.rint(x * 1e6).astype(np.int64)
    whole = v // 1_000_000
    frac = v - whole * 1_000_000
    mid = frac // 1000
    packed: np.ndarray = _HEAD[whole] | _MID[mid] | _LOW[frac - mid * 1000]
    return packed


def _fixed_text(x: np.ndarray) -> pa.Array:
    """Odds as 6-decimal text (Arrow formats anything that is not odds)."""
    words = _fixed_words(x)
    if words is None:
        return pa.array(np.round(x, 6), type=pa.float64(), from_pandas=True).cast(pa.string())
    offsets = np.arange(0, (len(x) + 1) * 8, 8, dtype=np.int32)
    return pa.StringArray.from_buffers(len(x), pa.py_buffer(offsets), pa.py_buffer(words.view(np.uint8)))


def _suffix_pieces(scored: pd.DataFrame, delimiter: str) -> list[pa.Array]:
    """The score columns as a few text pieces that, joined with the delimiter, are the CSV text of
    the scores: the three odds as one fixed-width piece, and runs of few-valued columns as one
    dictionary of every combination of their labels (one gather instead of one per column)."""
    n = len(scored)
    found = [_fixed_words(scored[c].to_numpy(dtype=np.float64)) for c in SCORE_COLUMNS[:3]]
    words = [w for w in found if w is not None]
    if len(words) == len(found) and len(delimiter.encode()) == 1:
        sep = delimiter.encode()[0]
        rows = np.empty((n, 26), dtype=np.uint8)
        for k, w in enumerate(words):
            rows[:, 9 * k : 9 * k + 8] = w.view(np.uint8).reshape(n, 8)
        rows[:, 8] = rows[:, 17] = sep
        offsets = np.arange(0, (n + 1) * 26, 26, dtype=np.int32)
        pieces = [pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(rows))]
    else:
        pieces = [_expand(a, delimiter) for a in _score_arrays(scored, True, SCORE_COLUMNS[:3])]
    arrays = dict(zip(SCORE_COLUMNS[3:], _score_arrays(scored, True, SCORE_COLUMNS[3:]), strict=True))
    for group in (("band", "stage"), ("earliest_contact",), ("top_factor_up", "top_factor_down", "model_version")):
        pieces.append(_combined([arrays[name] for name in group], delimiter))
    return pieces


def _combined(arrays: list[pa.Array], delimiter: str) -> pa.Array:
    """Dictionary-coded columns as one text column of "label<delimiter>label..." (null as "")."""
    if not all(pa.types.is_dictionary(a.type) for a in arrays):
        parts = [_expand(a, delimiter) for a in arrays]
        return pc.binary_join_element_wise(*parts, delimiter, null_handling="replace", null_replacement="")
    labels, codes = [], None
    for a in arrays:
        texts = ["" if t is None else (_quoted(t, delimiter)) for t in a.dictionary.to_pylist()] + [""]
        c = a.indices.to_numpy(zero_copy_only=False)
        if a.null_count:
            c = np.where(a.is_valid().to_numpy(zero_copy_only=False), c, len(texts) - 1)
        codes = c.astype(np.int64) if codes is None else codes * len(texts) + c
        labels.append(texts)
    table = [delimiter.join(t) for t in itertools.product(*labels)]
    return pa.array(table, pa.string()).take(pa.array(codes))


def _quoted(text: str, delimiter: str) -> str:
    return _csv_lines([[text]], delimiter).rstrip("\n") if _needs_quotes(text, delimiter) else text


def _few_text(values: np.ndarray) -> pa.Array:
    """A column with few distinct values as dictionary-coded text (one str() per value)."""
    if values.dtype.kind in "iu" and len(values):
        lo, hi = int(values.min()), int(values.max())
        if hi - lo < 10_000:  # small whole numbers (stages): index a table of their text
            indices = pa.array((values - lo).astype(np.int32))
            return pa.DictionaryArray.from_arrays(indices, pa.array([str(i) for i in range(lo, hi + 1)]))
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    text = [("" if pd.isna(u) else str(u)) for u in uniques]
    return pa.DictionaryArray.from_arrays(pa.array(codes, type=pa.int32(), mask=codes < 0), pa.array(text, pa.string()))


def _dates_text(days: np.ndarray) -> pa.Array:
    codes, uniques = pd.factorize(days, use_na_sentinel=True)
    text = np.datetime_as_string(np.asarray(uniques, dtype="datetime64[D]"), unit="D").tolist()
    indices = pa.array(codes, type=pa.int32(), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, pa.array(text, pa.string()))
