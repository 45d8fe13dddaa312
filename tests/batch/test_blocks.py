"""The block reader (``model.batch.blocks``) and the scored copy built on it (``batch.score_file`` passthrough).

Why these tests exist: the fast CSV path cuts a file into blocks by counting
quote characters, never parsing it, and copies each accepted record to the
output as its own bytes. If a cut or a record's byte range is off by one
record, the scored copy is silently wrong (answers beside someone else's
scores, a quoted note split in two) while every count still looks right. So
each test compares against an independent reading of the same bytes (Python's
``csv`` module, or the careful path), and whatever the fast reader cannot read
exactly must raise ``NotPlain`` so the caller falls back, never guess.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from unittest import mock

import pandas as pd
import pyarrow as pa
import pytest
from conftest import AS_OF, valid_answer_sets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_batch import GOOD, IDS, FakeAdvice, FakeModel, _refuse_fast_path, read_errors, read_out, row, write

from model.batch import blocks, readers
from model.batch import pipeline as batch
from model.batch.blocks import NotPlain, Splitter, parse_block

BOM = b"\xef\xbb\xbf"
QUOTING = {"minimal": csv.QUOTE_MINIMAL, "all": csv.QUOTE_ALL}


# --------------------------------------------------------------------------- helpers


def csv_record(values: list[str], quoting: int = csv.QUOTE_MINIMAL, term: str = "\n") -> str:
    """One record as Python's writer writes it, without its line end."""
    buf = io.StringIO()
    csv.writer(buf, quoting=quoting, lineterminator=term).writerow(values)
    return buf.getvalue()[: -len(term)]


def python_rows(data: bytes, strict: bool = False) -> list[list[str]]:
    """The records (header included) as Python's csv module reads them; blank lines are not records."""
    text = data.decode("utf-8-sig")
    return [r for r in csv.reader(io.StringIO(text, newline=""), strict=strict) if r]


def read_blocks(
    data: bytes,
    block_bytes: int,
    names: list[str],
    columns: list[str] | None = None,
    lines: bool = True,
    check_cuts: bool = False,
) -> tuple[list[list[str]], list[str]]:
    """Every record through Splitter + parse_block: (values of ``columns``, ``Block.lines``)."""
    columns = names if columns is None else columns
    rows: list[list[str]] = []
    texts: list[str] = []
    for chunk, _ in Splitter(pa.BufferReader(data), block_bytes, check_cuts=check_cuts):
        block = parse_block(chunk, names, columns, lines=lines)
        rows += [[r[c] for c in columns] for r in block.table.to_pylist()]
        if lines:
            texts += block.lines.to_pylist()
    return rows, texts


def scores_text(rows: list[dict[str, str]]) -> list[str]:
    """The score columns of the valid ``rows`` as CSV text, computed by score_frame directly."""
    df = pd.DataFrame(rows, dtype=object)
    scored = batch.score_frame(df, model=FakeModel(), advice=FakeAdvice, as_of=AS_OF).scored
    out = []
    for r in scored.to_dict("records"):
        date = "" if pd.isna(r["earliest_contact"]) else r["earliest_contact"].date().isoformat()
        values = [
            f"{r['reversal_odds']:.6f}",
            f"{r['odds_low']:.6f}",
            f"{r['odds_high']:.6f}",
            str(r["band"]),
            str(r["stage"]),
            date,
            str(r["top_factor_up"]),
            str(r["top_factor_down"]),
            str(r["model_version"]),
        ]
        out.append(",".join(values))
    return out


def score(src: Path, out: Path, **kwargs) -> batch.Summary:
    return batch.score_file(src, out, model=FakeModel(), advice=FakeAdvice, as_of=AS_OF, **kwargs)


def fast_and_careful(folder: Path, data: bytes, block_bytes: int) -> tuple[batch.Summary, batch.Summary]:
    """``data`` scored into ``folder`` by the block reader (fast.csv) and by the careful reader alone (slow.csv)."""
    src = write(folder / "in.csv", data)
    fast = score(src, folder / "fast.csv", block_size=block_bytes)
    with mock.patch.object(batch, "fast_chunks", _refuse_fast_path):
        slow = score(src, folder / "slow.csv", chunk_rows=7)
    assert (fast.careful, slow.careful) == (False, True)
    return fast, slow


# --------------------------------------------------------------------------- 1. blocks of whole records

FIELD = st.lists(st.sampled_from(["a", "b", " ", ",", '"', "\n", "\r\n", "é", "NA", "1"]), max_size=6).map("".join)


@st.composite
def csv_files(draw: st.DrawFn) -> dict:
    """A CSV file as Python's writer writes it, with the exact text of each of its records."""
    ncols = draw(st.integers(2, 5))
    names = [f"c{i}" for i in range(ncols)]
    records = draw(st.lists(st.lists(FIELD, min_size=ncols, max_size=ncols), max_size=12))
    quoting = draw(st.sampled_from(list(QUOTING.values())))
    term = draw(st.sampled_from(["\n", "\r\n"]))
    texts = [csv_record(r, quoting, term) for r in records]
    body = "".join(term * draw(st.integers(0, 2)) + t + term for t in texts)  # blank lines only between records
    if texts and not draw(st.booleans()):
        body = body[: -len(term)]  # no line end after the last record
    data = (BOM if draw(st.booleans()) else b"") + (csv_record(names, quoting, term) + term + body).encode()
    columns = draw(st.lists(st.sampled_from(names), min_size=1, unique=True))  # any subset, any order
    return {"data": data, "names": names, "columns": columns, "records": records, "texts": texts, "term": term}


@settings(max_examples=150, deadline=None)
@given(f=csv_files(), block_bytes=st.integers(8, 300))
def test_blocks_hold_whole_records_and_each_records_own_bytes(f, block_bytes):
    data, names, columns, term = f["data"], f["names"], f["columns"], f["term"]
    splitter = Splitter(pa.BufferReader(data), block_bytes)
    assert splitter.line_end == term.encode()
    header_end = data.index(term.encode()) + len(term)  # header names hold no line end
    start = header_end
    rows: list[list[str]] = []
    texts: list[str] = []
    for chunk, position in splitter:
        # blocks are consecutive slices of the file, ``position`` is where each one ends
        assert data[start:position] == chunk
        start = position
        block = parse_block(chunk, names, columns)
        assert block.table.column_names == columns
        got = [[r[c] for c in columns] for r in block.table.to_pylist()]
        # a block starts and ends at record boundaries: read alone, it holds whole records
        alone = python_rows(chunk)
        assert got == [[r[names.index(c)] for c in columns] for r in alone]
        lines = block.lines.to_pylist()
        assert len(lines) == block.table.num_rows
        # the record strings are the block itself (minus its last line end and blank lines)
        joined = "".join(lines).encode()
        assert chunk.startswith(joined) and not chunk[len(joined) :].strip(b"\r\n")
        assert all(line.startswith(term) for line in lines[1:])
        rows += got
        texts += lines
    assert not data[start:].strip(b"\r\n")  # nothing left out but blank lines
    want = python_rows(data)[1:]
    assert len(rows) == len(f["records"]) == len(want)
    assert rows == [[r[names.index(c)] for c in columns] for r in want]
    assert [t.lstrip("\r\n") for t in texts] == f["texts"]


def test_header_lines_and_positions_on_a_small_example():
    data = BOM + b'\r\n"a","b"\r\n1,"x\r\ny"\r\n\r\n2,z\r\n'
    splitter = Splitter(pa.BufferReader(data), 8)
    assert splitter.line_end == b"\r\n"
    chunks = list(splitter)
    assert [c for c, _ in chunks] == [b'1,"x\r\ny"\r\n', b"\r\n2,z\r\n"]
    assert [p for _, p in chunks] == [len(data) - 7, len(data)]
    second = parse_block(chunks[1][0], ["a", "b"], ["b"])
    assert second.table.to_pylist() == [{"b": "z"}]
    assert second.lines.to_pylist() == ["\r\n2,z"]  # the blank line before the block's first record


def test_leading_blank_lines_longer_than_a_block_are_not_the_header():
    """Splitter skips leading blank lines; that must not depend on how many fit in the first read."""
    data = b"\n" * 20 + b"a,b\n1,2\n"
    for block_bytes in (300, 8):
        splitter = Splitter(pa.BufferReader(data), block_bytes)
        rows = [r for chunk, _ in splitter for r in parse_block(chunk, ["a", "b"], ["a", "b"]).table.to_pylist()]
        assert rows == [{"a": "1", "b": "2"}], f"block_bytes={block_bytes}"


# --------------------------------------------------------------------------- 2. what is not plain


BLOCK_SIZES = (8, 16, 64, 1 << 20)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b'a,b\n1,"open\n2,3\n', id="quote-open-at-end"),
        pytest.param(b'a,b\n1,2\n3,"open', id="quote-open-in-last-record"),
        pytest.param(b"a,b\n1,2\r3,4\r", id="lone-cr-in-data"),
        pytest.param(b"a,b\r\n1,2\r3,4\r\n", id="lone-cr-in-crlf-file"),
        pytest.param(b"a,b\r1,2\r3,4\r", id="lone-cr-in-header"),
        pytest.param(b"a,b\n1,2\n3\n", id="too-few-fields"),
        pytest.param(b"a,b\n1,2\n3,4,5\n", id="too-many-fields"),
        pytest.param(b"a,b\n1,caf\xe9\n2,ok\n", id="latin-1-byte"),
    ],
)
def test_what_cannot_be_read_exactly_raises_not_plain(data):
    for block_bytes in BLOCK_SIZES:
        with pytest.raises(NotPlain):
            read_blocks(data, block_bytes, ["a", "b"])


def test_lone_cr_in_the_header_is_refused_when_the_splitter_is_made():
    with pytest.raises(NotPlain, match="carriage return"):
        Splitter(pa.BufferReader(b"a,b\r1,2\r3,4\r"), 64)


def test_bytes_that_are_not_utf8_make_a_block_not_plain_even_in_a_column_not_read():
    """The record is then re-read as Windows-1252 and named in the warning, whether or not its
    bytes are copied (``lines``) or its column is read: `validate` and `score` say the same."""
    data = b"1,caf\xe9\n2,ok\n"
    for columns, lines in ((["id"], False), (["id"], True), (["note"], False)):
        with pytest.raises(NotPlain, match=r"not UTF-8|invalid UTF8"):
            parse_block(data, ["id", "note"], columns, lines=lines)


def test_a_record_or_header_that_never_ends_is_refused(monkeypatch):
    monkeypatch.setattr(blocks, "MAX_RECORD_BYTES", 200)
    long_value = b'1,"' + b"x\n" * 300 + b'"\n'
    with pytest.raises(NotPlain, match="no record ends"):
        list(Splitter(pa.BufferReader(b"a,b\n" + long_value), 16))
    with pytest.raises(NotPlain, match="header never ends"):
        Splitter(pa.BufferReader(b'"a' + b"\nb" * 300 + b'",b\n1,2\n'), 16)


def stray_quote_file(records: list[str]) -> bytes:
    return ("id,note,size\n" + "".join(r + "\n" for r in records)).encode()


STRAY_QUOTES = [
    pytest.param(['5" tall,x,1', '"a\nb",y,2', "z,w,3"], id="stray-then-multi-line-first-field"),
    pytest.param(['r1,5" x 6" box,1', 'r2,"one\ntwo",2'], id="two-stray-quotes-in-one-field"),
    pytest.param(['r1,ok,5" tall', 'r2,"one\ntwo",6" wide', "r3,fine,7"], id="stray-multi-line-stray"),
    pytest.param(['ok,a"b,1', '"p\r\nq",a"b,2'], id="stray-multi-line-crlf-stray"),
]


@pytest.mark.parametrize("records", STRAY_QUOTES)
def test_stray_quote_in_an_unquoted_field_is_read_like_python_or_refused(records):
    """A quote inside an unquoted value is a plain character (for Python and Arrow), but it flips
    the quote count the cuts rely on: the reader must notice, never return other records."""
    data = stray_quote_file(records)
    want = python_rows(data, strict=True)[1:]
    assert len(want) == len(records)  # the example is what it claims to be
    for block_bytes in BLOCK_SIZES:
        try:
            rows, lines = read_blocks(data, block_bytes, ["id", "note", "size"])
        except NotPlain:
            pass
        else:
            assert rows == want, f"block_bytes={block_bytes}"
            assert [t.lstrip("\r\n") for t in lines] == records, f"block_bytes={block_bytes}"
        # the reader that checks its cuts (what a run falls back to first) reads them all, exactly
        rows, lines = read_blocks(data, block_bytes, ["id", "note", "size"], check_cuts=True)
        assert rows == want, f"checked, block_bytes={block_bytes}"
        assert [t.lstrip("\r\n") for t in lines] == records, f"checked, block_bytes={block_bytes}"


STRAY_FIELD = st.one_of(
    st.sampled_from(["", "x", "12", "ok", "é"]),
    st.sampled_from(['5"', '5" tall', 'a"b', 'say "hi"', '6" x 4"', ' "x']),  # a quote, not at the start
    st.sampled_from(["one\ntwo", "a,\nb", "", 'he said "hi"\nthen', "\n", "x,y", '"', "p\r\nq"]).map(
        lambda v: '"' + v.replace('"', '""') + '"'
    ),
)


@st.composite
def stray_quote_files(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """(column names, record texts): fields written by hand, some with a quote inside an unquoted value."""
    n = draw(st.integers(2, 3))
    records = draw(st.lists(st.lists(STRAY_FIELD, min_size=n, max_size=n).map(",".join), min_size=1, max_size=5))
    return [f"c{i}" for i in range(n)], records


@settings(max_examples=150, deadline=None)
@given(f=stray_quote_files(), block_bytes=st.sampled_from(BLOCK_SIZES))
def test_stray_quotes_never_give_other_records(f, block_bytes):
    """The same promise for any mix of plain values, stray quotes and quoted multi-line values."""
    names, records = f
    data = (",".join(names) + "\n" + "".join(r + "\n" for r in records)).encode()
    want = python_rows(data, strict=True)[1:]
    try:
        rows, lines = read_blocks(data, block_bytes, names)
    except NotPlain:
        pass
    else:
        assert rows == want
        assert [t.lstrip("\r\n") for t in lines] == records
    rows, lines = read_blocks(data, block_bytes, names, check_cuts=True)  # never refuses these
    assert rows == want
    assert [t.lstrip("\r\n") for t in lines] == records


# --------------------------------------------------------------------------- 3. the scored copy, byte for byte


def test_scored_copy_passes_each_accepted_record_through_byte_for_byte(tmp_path):
    header = ["respondent", *IDS, "note", "comment"]
    rows = []
    for i in range(40):
        over: dict[str, str] = {
            "note": f"line one of {i}\r\nline two, with a comma" if i % 3 == 0 else f"n{i}",
            "comment": f"  spaced {i}  ",
        }
        if i % 5 == 2:
            over["anger"] = "livid"
        if i % 7 == 4:
            over["days_silent"] = "x"
        if i % 4 == 1:
            over["note"] = 'she said "no"\nthen nothing'
        rows.append(row(f"id{i:02d}", **over))
    texts = [csv_record([r[h] for h in header], csv.QUOTE_ALL, "\r\n") for r in rows]
    data = (csv_record(header, csv.QUOTE_ALL, "\r\n") + "\r\n" + "".join(t + "\r\n" for t in texts)).encode()
    src = write(tmp_path / "in.csv", data)
    s = score(src, tmp_path / "out.csv", block_size=256)
    assert len(data) > 256 * 20  # many blocks
    assert s.careful is False

    valid = batch.score_frame(pd.DataFrame(rows, dtype=object), model=FakeModel(), advice=FakeAdvice, as_of=AS_OF).valid
    accepted = [i for i in range(len(rows)) if valid[i]]
    assert 0 < len(accepted) < len(rows)
    assert (s.n_read, s.n_scored, s.n_rejected) == (len(rows), len(accepted), len(rows) - len(accepted))
    assert s.n_read == s.n_scored + s.n_rejected

    out = (tmp_path / "out.csv").read_bytes()
    head = ",".join([*header, *batch.SCORE_COLUMNS]).encode()
    assert out.startswith(head + b"\r\n")
    pos = len(head)
    for i, scores in zip(accepted, scores_text([rows[i] for i in accepted]), strict=True):
        expected = b"\r\n" + texts[i].encode() + b"," + scores.encode()
        assert out[pos : pos + len(expected)] == expected, f"record {i + 1}"
        pos += len(expected)
    assert out[pos:] == b"\r\n"  # the copy ends with a line end, and holds nothing else

    got = read_out(tmp_path / "out.csv")
    assert list(got.columns) == [*header, *batch.SCORE_COLUMNS]
    assert got[header].to_dict("records") == [rows[i] for i in accepted]
    rejected_ids = {rows[i]["respondent"] for i in range(len(rows)) if not valid[i]}
    assert not rejected_ids & set(got["respondent"])
    assert sorted({int(r) for r in read_errors(s.errors)["row"]}) == [i + 1 for i in range(len(rows)) if not valid[i]]


def test_stray_quotes_in_free_text_never_corrupt_the_scored_copy(tmp_path):
    """A value with an unquoted inch sign (``5" tall``) and a quoted multi-line note after it."""
    header = ["respondent", *IDS, "note", "size"]
    answers = ",".join(row()[q] for q in IDS)
    records = [f'r1,{answers},ok,5" tall', f'r2,{answers},"one\ntwo",6" wide', f"r3,{answers},fine,7"]
    src = write(tmp_path / "in.csv", (",".join(header) + "\n" + "".join(r + "\n" for r in records)).encode())
    s = score(src, tmp_path / "out.csv")
    assert (s.n_read, s.n_scored) == (3, 3)
    got = python_rows((tmp_path / "out.csv").read_bytes(), strict=True)
    want = python_rows(src.read_bytes(), strict=True)
    assert [r[: len(header)] for r in got] == want, f"careful={s.careful}"
    assert all(len(r) == len(header) + len(batch.SCORE_COLUMNS) for r in got[1:])


def test_a_stray_quote_among_multi_line_notes_keeps_the_fast_reader(tmp_path):
    """The quote count misplaces a cut after ``5" tall``; the run starts over with a reader that checks
    its cuts with the csv module, not with the careful reader, and reads every record exactly."""
    header = ["respondent", *IDS, "note", "size"]
    answers = ",".join(row()[q] for q in IDS)
    records = [f'r{i},{answers},"one\ntwo",{i}' if i % 3 else f"r{i},{answers},fine,{i}" for i in range(60)]
    records[7] = f'r7,{answers},ok,5" tall'
    src = write(tmp_path / "in.csv", (",".join(header) + "\n" + "".join(r + "\n" for r in records)).encode())
    s = batch.score_file(src, tmp_path / "out.csv", model=FakeModel(), advice=FakeAdvice, as_of=AS_OF, block_size=512)
    assert (s.n_read, s.n_scored, s.careful) == (60, 60, False)
    got = python_rows((tmp_path / "out.csv").read_bytes(), strict=True)
    assert [r[: len(header)] for r in got] == python_rows(src.read_bytes(), strict=True)


# --------------------------------------------------------------------------- 4. fast and careful agree

NOTE = st.lists(st.sampled_from(["ok", " ", ",", '"', "\n", "\r\n", "é", "line"]), max_size=5).map("".join)
BREAK = st.sampled_from(
    [
        ("anger", "livid"),
        ("days_silent", "x"),
        ("blocked", ""),
        ("days_silent", "99999"),
        ("blocked", " No "),
        ("days_since_breakup", "007"),
        ("attempts_ignored", "-1"),
        ("told_no_contact", "é"),
    ]
)


@st.composite
def answer_files(draw: st.DrawFn) -> tuple[bytes, int]:
    """Answer files as spreadsheets write them: valid and broken answer sets, notes over lines."""
    header = ["respondent", *IDS, "note"]
    quoting = draw(st.sampled_from(list(QUOTING.values())))
    term = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [csv_record(header, quoting, term)]
    for i in range(draw(st.integers(1, 25))):
        answers = draw(valid_answer_sets())
        values = {k: "" if v is None else str(v) for k, v in answers.items()}
        if draw(st.integers(0, 3)) == 0:
            column, value = draw(BREAK)
            values[column] = value
        record = [f"id{i}", *(values.get(q, "") for q in IDS), draw(NOTE)]
        lines.append(term * draw(st.integers(0, 1)) + csv_record(record, quoting, term))
    text = term.join(lines) + (term if draw(st.booleans()) else "")
    return text.encode(), draw(st.sampled_from([64, 300, 2048, 1 << 20]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer_files())
def test_fast_and_careful_paths_give_the_same_records(tmp_path_factory, drawn):
    data, block_bytes = drawn
    folder = tmp_path_factory.mktemp("same")
    fast, slow = fast_and_careful(folder, data, block_bytes)
    assert (fast.n_read, fast.n_scored, fast.n_rejected) == (slow.n_read, slow.n_scored, slow.n_rejected)
    assert fast.n_read == fast.n_scored + fast.n_rejected == len(python_rows(data)) - 1
    assert python_rows((folder / "fast.csv").read_bytes(), strict=True) == python_rows(
        (folder / "slow.csv").read_bytes(), strict=True
    )
    assert (folder / "fast.errors.csv").read_bytes() == (folder / "slow.errors.csv").read_bytes()


MESS = st.sampled_from(
    ["extra field", "missing field", "latin-1 note", "windows-1252 note", "latin-1-only note", "lone CR", "fine"]
)


@st.composite
def messy_files(draw: st.DrawFn) -> tuple[bytes, int]:
    """Answer files with records the block reader cannot read: ragged, not UTF-8 (bytes that
    Windows-1252 reads, and 0x81, which only Latin-1 does), a lone carriage return as line end.
    The Windows-1252 and Latin-1 bytes alone are re-read in place (``_mended_block``)."""
    header = ["respondent", *IDS, "note"]
    quoting = draw(st.sampled_from(list(QUOTING.values())))
    term = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [csv_record(header, quoting, term).encode()]
    for i in range(draw(st.integers(1, 30))):
        answers = {k: "" if v is None else str(v) for k, v in draw(valid_answer_sets()).items()}
        record = [f"id{i}", *(answers.get(q, "") for q in IDS), draw(st.sampled_from(["ok", "a, b", "x\ny"]))]
        kind = draw(MESS)
        if kind == "extra field":
            record.append("more")
        elif kind == "missing field":
            record.pop()
        text = csv_record(record, quoting, term).encode()
        if kind == "latin-1 note":
            text += b"caf\xe9"  # after the last value: part of it, quoted or not
        elif kind == "windows-1252 note":
            text += b"\x92s \x80"  # ’s €: Latin-1 reads other characters
        elif kind == "latin-1-only note":
            text += b"\x81\xe9"
        elif kind == "lone CR":
            text = text.replace(b"id", b"id\r", 1)  # an unquoted lone CR ends a record for the csv module
        lines.append(draw(st.sampled_from([b"", term.encode()])) + text)
    data = term.encode().join(lines) + (term.encode() if draw(st.booleans()) else b"")
    return data, draw(st.sampled_from([64, 300, 2048, 1 << 20]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messy_files())
def test_a_block_the_fast_reader_cannot_read_is_read_carefully_as_the_whole_file_would_be(tmp_path_factory, drawn):
    """Only that block goes to the careful reader: the same records, verdicts, record and line numbers
    in the errors file, recoded records and output values as reading the whole file carefully."""
    data, block_bytes = drawn
    folder = tmp_path_factory.mktemp("messy")
    fast, slow = fast_and_careful(folder, data, block_bytes)
    assert (fast.n_read, fast.n_scored, fast.n_rejected) == (slow.n_read, slow.n_scored, slow.n_rejected)
    assert fast.warnings == slow.warnings  # the same recoded records, by number
    assert (folder / "fast.errors.csv").read_bytes() == (folder / "slow.errors.csv").read_bytes()
    assert python_rows((folder / "fast.csv").read_bytes()) == python_rows((folder / "slow.csv").read_bytes())


@pytest.mark.parametrize("block_bytes", [64, 512])
@pytest.mark.parametrize("ragged", [0, 123, 199])
def test_one_ragged_record_keeps_the_rest_of_the_file_on_the_fast_reader(tmp_path, block_bytes, ragged):
    """The block with the ragged record is mended (the record cut out), every other block read as
    usual, even with doubled quotes ("") about; the scored copy still repeats each accepted record
    byte for byte, with no blank line where the ragged one was (first, inside or last in its block),
    and the errors file names the file's own row and line."""
    header = ["respondent", *IDS, "note"]
    answers = ",".join(row()[q] for q in IDS)
    notes = ['"one\ntwo"', '"say ""hi"""', " spaced "]
    records = [f"r{i},{answers},{notes[0] if i % 5 == 0 else notes[1] if i % 5 == 1 else notes[2]}" for i in range(200)]
    records[ragged] += ",extra"
    src = write(tmp_path / "in.csv", ",".join(header) + "\r\n" + "".join(r + "\r\n" for r in records))
    with mock.patch.object(readers, "_careful_block", side_effect=AssertionError("read record by record")):
        s = score(src, tmp_path / "out.csv", block_size=block_bytes)
    assert (s.n_read, s.n_scored, s.n_rejected, s.careful) == (200, 199, 1, False)
    errors = read_errors(s.errors)
    line = 1 + ragged + len(range(0, ragged, 5)) + 1  # the header, the records before (every fifth on two lines)
    assert errors[["row", "column"]].values.tolist() == [[str(ragged + 1), "(record)"]]
    n = len(header)
    assert errors["reason"].tolist() == [f"has {n + 1} field(s), expected {n} like the header (line {line})"]
    body = (tmp_path / "out.csv").read_bytes()
    want = [r.encode() for k, r in enumerate(records) if k != ragged]
    assert body.endswith(b"\r\n")
    got = [r.rsplit(b",", len(batch.SCORE_COLUMNS))[0] for r in body.split(b"\r\n")[1:-1]]
    assert got == want  # each accepted record byte for byte (quoted newline, spaces), then its scores


@pytest.mark.parametrize("block_bytes", [100, 300, 4096])
@pytest.mark.parametrize("trouble", ["ragged", "windows-1252"])
def test_a_stray_quote_beside_a_record_the_blocks_cannot_read_stays_off_the_careful_path(
    tmp_path, block_bytes, trouble
):
    """With cuts checked by the csv module (after ``5" tall`` threw the quote count), a block that
    also holds a ragged or non-UTF-8 record is read on its own, not the whole file again: the copy
    repeats every accepted record byte for byte at every block size."""
    header = ["respondent", *IDS, "note"]
    answers = ",".join(row()[q] for q in IDS)
    records = [f"r{i},{answers},{i}".encode() for i in range(40)]
    records[9] = f'r9,{answers},5" tall'.encode()
    bad = 10
    records[bad] = records[bad] + b",extra" if trouble == "ragged" else f"r{bad},{answers},caf".encode() + b"\xe9"
    src = write(tmp_path / "in.csv", (",".join(header) + "\n").encode() + b"".join(r + b"\n" for r in records))
    s = score(src, tmp_path / "out.csv", block_size=block_bytes)
    assert s.careful is False
    body = (tmp_path / "out.csv").read_bytes()
    got = [r.rsplit(b",", len(batch.SCORE_COLUMNS))[0] for r in body.split(b"\n")[1:-1]]
    if trouble == "ragged":
        assert (s.n_read, s.n_scored, s.n_rejected) == (40, 39, 1)
        assert got == [r for k, r in enumerate(records) if k != bad]
    else:
        assert (s.n_read, s.n_scored, s.n_rejected) == (40, 40, 0)
        assert got == [r if k != bad else r.decode("cp1252").encode() for k, r in enumerate(records)]


def test_a_rejected_record_takes_the_line_end_and_blank_lines_before_it(tmp_path):
    """What the README says of the copy: each record carries what precedes it, so the record before a
    rejected one ends with the rejected one's line end, and the last line ends like the header."""
    answers = row()
    good = ",".join(answers[q] for q in IDS)
    bad = ",".join("livid" if q == "anger" else answers[q] for q in IDS)
    header = ",".join(["respondent", *IDS]).encode()
    data = header + b"\n" + b"rA," + good.encode() + b"\r\n\n" + b"rB," + bad.encode() + b"\n" + b"rC," + good.encode()
    src = write(tmp_path / "in.csv", data)
    for block_bytes in (64, 1 << 20):
        s = score(src, tmp_path / "out.csv", block_size=block_bytes)
        assert (s.n_read, s.n_scored, s.n_rejected, s.careful) == (3, 2, 1, False)
        body = (tmp_path / "out.csv").read_bytes()
        lines = [r.rsplit(b",", len(batch.SCORE_COLUMNS))[0] for r in body.split(b"\n")]
        assert lines == [header, b"rA," + good.encode(), b"rC," + good.encode(), b""]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, 2), st.sampled_from(["\n", "\r\n"]), st.booleans()), min_size=1, max_size=30),
    st.sampled_from(["\n", "\r\n"]),
)
def test_the_scored_copy_is_the_same_whatever_the_block_size(tmp_path_factory, layout, header_end):
    """Blank lines between records and each line's own line end (a CRLF header over LF records) come
    through the same with one block or many: a cut never drops the blank lines before it."""
    folder = tmp_path_factory.mktemp("sizes")
    answers = ",".join(row()[q] for q in IDS)
    text = ",".join(["respondent", *IDS, "note"]) + header_end
    for i, (blank, end, quoted) in enumerate(layout):
        note = '"a\nb"' if quoted else "ok"
        text += end * blank + f"r{i},{answers},{note}" + end
    src = write(folder / "in.csv", text.encode())
    copies = {size: score(src, folder / f"out{size}.csv", block_size=size) for size in (48, 300, 1 << 20)}
    assert {(s.n_read, s.careful) for s in copies.values()} == {(len(layout), False)}
    one, *others = [(folder / f"out{size}.csv").read_bytes() for size in copies]
    assert all(other == one for other in others)
    assert [r[: len(IDS) + 2] for r in python_rows(one)] == python_rows(src.read_bytes())


def test_an_export_saved_as_windows_1252_is_parsed_by_arrow_not_record_by_record(tmp_path):
    """Records that are not UTF-8 are re-read in place and the block parsed as usual: the careful
    reader's values and warning, at the fast reader's speed."""
    header = ["respondent", *IDS, "note"]
    answers = ",".join(row()[q] for q in IDS)
    records = [f"r{i},{answers},{'café’s' if i % 3 == 0 else 'plain'}" for i in range(90)]
    text = ",".join(header) + "\n" + "".join(r + "\n" for r in records)
    src = write(tmp_path / "in.csv", text.encode("cp1252"))
    with mock.patch.object(readers, "_careful_block", side_effect=AssertionError("read record by record")):
        s = score(src, tmp_path / "out.csv", block_size=256)
    assert (s.n_read, s.n_scored, s.careful) == (90, 90, False)
    scores = scores_text([row(f"r{i}") for i in range(90)])
    want = [[*r.split(","), *v.split(",")] for r, v in zip(records, scores, strict=True)]
    assert python_rows((tmp_path / "out.csv").read_bytes())[1:] == want
    assert any("30 record(s) were not valid UTF-8" in w and "(records 1, 4, 7," in w for w in s.warnings)


def test_ragged_records_are_taken_out_of_their_block_not_read_record_by_record(tmp_path):
    """Unquoted commas in a free-text note (the usual ragged export): those records are rejected with the
    careful reader's verdict and line number, and Arrow parses the rest of each block."""
    header = ["respondent", *IDS, "note"]
    answers = ",".join(row()[q] for q in IDS)
    records = [f"r{i},{answers},{'call me, maybe' if i % 4 == 1 else 'fine'}" for i in range(80)]
    records[10] = f'r10,{answers},"two\nlines"'
    data = (",".join(header) + "\n" + "".join(r + "\n" for r in records)).encode()
    with mock.patch.object(readers, "_careful_block", side_effect=AssertionError("read record by record")):
        fast = score(write(tmp_path / "in.csv", data), tmp_path / "fast.csv", block_size=256)
    with mock.patch.object(batch, "fast_chunks", _refuse_fast_path):
        slow = score(tmp_path / "in.csv", tmp_path / "slow.csv")
    counts = (fast.n_read, fast.n_scored, fast.n_rejected)
    assert counts == (80, 60, 20) == (slow.n_read, slow.n_scored, slow.n_rejected)
    assert (tmp_path / "fast.errors.csv").read_bytes() == (tmp_path / "slow.errors.csv").read_bytes()
    assert "has 18 field(s), expected 17 like the header (line 3)" in read_errors(fast.errors)["reason"].tolist()
    assert python_rows((tmp_path / "fast.csv").read_bytes()) == python_rows((tmp_path / "slow.csv").read_bytes())


@pytest.fixture
def csv_default_field_limit():
    """The csv module's own limit (131,072 characters), as in a fresh process: the setting is
    process-wide, so an earlier test that raised it would hide a reader that forgot to."""
    before = csv.field_size_limit()
    csv.field_size_limit(131_072)
    yield
    csv.field_size_limit(before)


@pytest.mark.usefixtures("csv_default_field_limit")
@pytest.mark.parametrize("trouble", ["lone CR", "quoted last record"])
def test_a_value_longer_than_the_csv_modules_default_limit_is_read(tmp_path, trouble):
    """A 140,000-character note: in a block read by the csv module (a lone CR sends it there), or
    quoted in the last record of a block (whose closing quote the csv module checks)."""
    header = ["respondent", *IDS, "note"]
    answers = ",".join(row()[q] for q in IDS)
    long_note = "x" * 140_000
    if trouble == "lone CR":
        text = f"{','.join(header)}\nr0,{answers},ok\rr1,{answers},{long_note}\n"
    else:
        text = f'{",".join(header)}\nr0,{answers},ok\nr1,{answers},"{long_note}"\n'
    src = write(tmp_path / "in.csv", text.encode())
    s = score(src, tmp_path / "out.csv")
    assert (s.n_read, s.n_scored, s.n_rejected) == (2, 2, 0)
    assert long_note in (tmp_path / "out.csv").read_text(encoding="utf-8")
    checked = batch.check_file(src, as_of=AS_OF)
    assert (checked.n_read, checked.n_valid) == (2, 2)


def test_validate_names_records_that_are_not_utf8_even_in_columns_it_does_not_read(tmp_path):
    """`exodds validate` reads only the answer columns, but still warns, as `score` does, that the
    record with a Latin-1 note was read as Windows-1252."""
    header = ["respondent", *IDS, "note"]
    answers = ",".join(row()[q] for q in IDS)
    data = f"{','.join(header)}\nr0,{answers},ok\nr1,{answers},caf".encode() + b"\xe9\n"
    src = write(tmp_path / "in.csv", data)
    checked = batch.check_file(src, as_of=AS_OF)
    assert (checked.n_read, checked.n_valid) == (2, 2)
    assert any("1 record(s) were not valid UTF-8" in w for w in checked.warnings)
    assert any("1 record(s) were not valid UTF-8" in w for w in score(src, tmp_path / "out.csv").warnings)


def test_a_quote_in_a_header_name_never_swallows_records(tmp_path):
    """`size"` in the header made the quote count read past the header: every record vanished."""
    header = ["respondent", *IDS, 'size"']
    records = [[f"r{i}", *GOOD.values(), "x"] for i in range(3)]
    text = csv_text_rows([header, *records])
    with pytest.raises(NotPlain, match="header"):
        Splitter(pa.BufferReader(text.encode()), 64)
    src = write(tmp_path / "h.csv", text)
    s = batch.score_file(src, model=FakeModel(), advice=FakeAdvice, as_of=AS_OF)
    assert (s.n_read, s.careful) == (3, True)


def csv_text_rows(rows: list[list[str]]) -> str:
    """Records joined as they are, no quoting added (a stray quote stays stray)."""
    return "".join(",".join(r) + "\n" for r in rows)


def test_quoted_values_spanning_lines_are_cut_by_quote_parity():
    """Multi-line notes (common in form exports) keep the fast reader and give the csv module's records."""
    rows = [["id", "note", "n"]] + [[str(i), "two\nlines" if i % 7 == 0 else "one", str(i)] for i in range(200)]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    data = buf.getvalue().encode()
    got, texts = read_blocks(data, 300, ["id", "note", "n"])
    assert got == python_rows(data)[1:]
    assert [t.lstrip("\r\n") for t in texts] == [csv_record(r, csv.QUOTE_MINIMAL, "\r\n") for r in rows[1:]]
    with mock.patch.object(blocks, "_csv_record_ends", side_effect=AssertionError("the slow path ran")):
        assert read_blocks(data, 300, ["id", "note", "n"])[0] == got
