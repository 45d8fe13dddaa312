"""Batch scoring: the pure score_frame core and ``exodds score`` on real-world messy files.

Most tests score with small stand-ins for the model and the advice rules
(``FakeModel``/``FakeAdvice``) so they test this pipeline alone; the
``test_end_to_end_*`` tests use the real ones, unguarded.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import os
import signal
import stat
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import AS_OF, valid_answer_sets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.batch import coding, core, sinks
from model.batch import pipeline as batch
from model.cli import main
from model.errors import MissingColumnsError
from model.quiz.definition import QUIZ

DATA = Path(__file__).resolve().parents[1] / "data"
IDS = list(QUIZ.ids)
REQUIRED = [q.id for q in QUIZ if q.required]

GOOD = {
    "days_since_breakup": "40",
    "days_silent": "10",
    "attempts_ignored": "2",
    "attempts_last_week": "0",
    "blocked": "no",
    "days_blocked": "",
    "told_no_contact": "no",
    "anger": "annoyed",
    "wronged_them": "no",
    "apologized": "yes",
    "bad_blood": "no",
    "last_reply_tone": "neutral",
    "ex_reached_out": "no",
    "emotional_messages": "1",
    "safety_concern": "no",
}


# --------------------------------------------------------------------------- stand-ins


class FakeModel:
    """Linear in a few answers; explanations sum with the intercept to the log-odds."""

    version = "fake-1"
    weights: ClassVar[dict[str, float]] = {"days_silent": 0.02, "attempts_ignored": -0.3, "emotional_messages": -0.1}

    def __init__(self) -> None:
        self.calls = 0

    def explain_clean(self, clean: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(0.0, index=clean.index, columns=IDS)
        for qid, w in self.weights.items():
            out[qid] = w * (clean[qid].to_numpy(dtype=float) - 5)
        out["intercept"] = -1.0
        return out

    def predict_clean(self, clean: pd.DataFrame) -> pd.DataFrame:
        self.calls += 1
        z = self.explain_clean(clean).sum(axis=1).to_numpy()
        p = 0.5 * (1 + np.tanh(0.5 * z))
        return pd.DataFrame(
            {"reversal_odds": p, "odds_low": p * 0.8, "odds_high": p + (1 - p) * 0.2}, index=clean.index
        )


class FakeAdvice:
    """Stage 3 after 30 silent days, else 1; earliest contact when 30 days are complete; none if told."""

    @staticmethod
    def plan_frame(clean: pd.DataFrame, as_of: Any) -> pd.DataFrame:
        n = len(clean)
        as_of = np.asarray(as_of, dtype="datetime64[D]")
        as_of = np.broadcast_to(as_of, (n,))
        silent = clean["days_silent"].to_numpy(dtype=np.int64)
        earliest = as_of + np.maximum(30 - silent, 0).astype("timedelta64[D]")
        told = (clean["told_no_contact"] == "yes").to_numpy()
        earliest = np.where(told, np.datetime64("NaT", "D"), earliest)
        return pd.DataFrame(
            {"stage": np.where(silent >= 30, 3, 1), "plan": "p", "earliest_contact": earliest, "wait_reason": ""},
            index=clean.index,
        )

    @staticmethod
    def bands(p: np.ndarray) -> np.ndarray:
        return np.where(np.asarray(p) < 0.25, "low", "fair")


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> FakeModel:
    """``exodds score`` (and score_frame without arguments) use the stand-ins."""
    model = FakeModel()
    monkeypatch.setattr(batch, "default_model", lambda: model)
    monkeypatch.setattr(batch, "default_advice", lambda: FakeAdvice)
    return model


# --------------------------------------------------------------------------- helpers


def row(rid: str = "r", **over: str) -> dict[str, str]:
    return {"respondent": rid, **GOOD, **over}


def csv_text(rows: list[dict[str, str]], header: list[str] | None = None, delimiter: str = ",") -> str:
    header = header or list(rows[0])
    out = io.StringIO()
    w = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow([r.get(h, "") for h in header])
    return out.getvalue()


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def score(capsys: pytest.CaptureFixture[str], *args: Any, as_of: bool = True) -> tuple[int, str, str]:
    """Run ``exodds score`` in-process: (exit code, stdout, stderr)."""
    code = main(["score", *map(str, args), *(["--as-of", AS_OF.isoformat()] if as_of else [])])
    out, err = capsys.readouterr()
    return code, out, err


def last_line(out: str) -> str:
    return out.strip().splitlines()[-1]


def read_out(path: Path, sep: str = ",") -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False, sep=sep)


def read_errors(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


# --------------------------------------------------------------------------- score_frame


def frame(*rows: dict[str, str], index: list[Any] | None = None) -> pd.DataFrame:
    df = pd.DataFrame(list(rows), dtype=object)
    if index is not None:
        df.index = index
    return df


def test_score_frame_scores_valid_rows_and_explains_the_rest():
    df = frame(
        row("a"),
        row("b", anger="livid"),
        row("c", days_silent="45", days_since_breakup="50", attempts_ignored="5"),
        index=[10, 11, 12],
    )
    result = batch.score_frame(df, model=FakeModel(), advice=FakeAdvice, as_of=AS_OF)
    assert list(result.scored.columns) == batch.SCORE_COLUMNS
    assert list(result.scored.index) == [10, 12]
    assert list(result.valid) == [True, False, True]
    assert (result.n_rows, result.n_scored, result.n_rejected) == (3, 2, 1)
    assert result.problems.to_dict("records") == [
        {
            "row": 11,
            "column": "anger",
            "value": "livid",
            "reason": "not one of the choices: expected one of none, annoyed, angry, furious",
        }
    ]
    s = result.scored
    assert ((s.odds_low <= s.reversal_odds) & (s.reversal_odds <= s.odds_high)).all()
    assert list(s.stage) == [1, 3]
    assert list(s.earliest_contact) == [pd.Timestamp(AS_OF + dt.timedelta(days=20)), pd.Timestamp(AS_OF)]
    assert list(s.band) == ["fair", "fair"]  # odds 0.60 and 0.55
    assert set(s.model_version) == {"fake-1"}
    # days_silent 10 -> 0.02 * 5 > 0 raises; attempts_ignored 2 -> -0.3 * -3 > 0 raises more
    assert s.top_factor_up.iloc[0] == "attempts_ignored"
    assert s.top_factor_down.iloc[0] == ""  # nothing lowers these odds
    assert s.top_factor_up.iloc[1] == "days_silent"  # 45 days: 0.02 * 40
    assert s.top_factor_down.iloc[1] == ""


def test_score_frame_top_factor_down_names_the_most_negative():
    df = frame(row("a", attempts_ignored="9", emotional_messages="30"))
    s = batch.score_frame(df, model=FakeModel(), advice=FakeAdvice, as_of=AS_OF).scored
    assert s.top_factor_down.iloc[0] == "emotional_messages"  # -0.1 * 25 < -0.3 * 4
    assert s.top_factor_up.iloc[0] == "days_silent"


def test_score_frame_is_pure():
    df = frame(row("a"), row("b", days_silent="x"), row("c", blocked="some", days_blocked="3"), index=[3, 1, 2])
    before = df.copy(deep=True)
    one = batch.score_frame(df, model=FakeModel(), advice=FakeAdvice, as_of=AS_OF)
    two = batch.score_frame(df, model=FakeModel(), advice=FakeAdvice, as_of=AS_OF)
    pd.testing.assert_frame_equal(df, before)
    assert df.dtypes.equals(before.dtypes)
    pd.testing.assert_frame_equal(one.scored, two.scored)
    pd.testing.assert_frame_equal(one.problems, two.problems)
    assert list(one.problems["row"]) == [1]


def test_score_frame_with_repeated_index_labels():
    df = frame(row("a"), row("b", anger="?"), row("c"), row("d", days_silent="x"), index=["k", "k", "j", "j"])
    result = batch.score_frame(df, model=FakeModel(), advice=FakeAdvice, as_of=AS_OF)
    assert result.valid.tolist() == [True, False, True, False]
    assert list(result.scored.index) == ["k", "j"]
    assert result.problems[["row", "column"]].values.tolist() == [["k", "anger"], ["j", "days_silent"]]
    assert result.problems["value"].tolist() == ["?", "x"]


def test_score_frame_uses_one_pass_when_the_model_offers_it():
    class OnePass(FakeModel):
        def score_clean(self, clean, explain=True):
            self.calls += 100
            return FakeModel.predict_clean(self, clean), self.explain_clean(clean)

    model = OnePass()
    batch.score_frame(frame(row()), model=model, advice=FakeAdvice, as_of=AS_OF)
    assert model.calls == 101  # score_clean once (which predicts once), no separate predict_clean


def test_score_frame_names_every_missing_required_column():
    df = frame(row()).drop(columns=["anger", "blocked", "days_since_breakup"])
    with pytest.raises(MissingColumnsError) as info:
        batch.score_frame(df, model=FakeModel(), advice=FakeAdvice, as_of=AS_OF)
    assert info.value.missing == ["days_since_breakup", "blocked", "anger"]
    for name in ("days_since_breakup (or breakup_date)", "blocked", "anger"):
        assert name in str(info.value)


def test_score_frame_accepts_one_as_of_per_row():
    df = frame(
        row("a", breakup_date="2026-01-01", days_since_breakup=""),
        row("b", breakup_date="2026-01-01", days_since_breakup=""),
    )
    df = df.assign(days_silent="0", attempts_last_week="1")
    as_of = ["2026-01-11", "2025-12-31"]  # the second is before the breakup date
    result = batch.score_frame(df, model=FakeModel(), advice=FakeAdvice, as_of=as_of)
    assert list(result.valid) == [True, False]
    assert result.problems["reason"].iloc[0] == "in the future: later than 2025-12-31, the day the answers were given"
    assert result.scored["earliest_contact"].iloc[0] == pd.Timestamp("2026-02-10")


def test_score_frame_with_no_rows():
    result = batch.score_frame(frame(row()).iloc[:0], model=FakeModel(), advice=FakeAdvice, as_of=AS_OF)
    assert result.n_rows == 0 and list(result.scored.columns) == batch.SCORE_COLUMNS


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1), max_size=50))
def test_odds_are_written_with_six_decimals(values):
    text = sinks._fixed_text(np.array(values, dtype=np.float64)).to_pylist()
    assert all(len(t) == 8 and t[1] == "." for t in text)
    assert all(abs(float(t) - v) <= 5e-7 + 1e-12 for t, v in zip(text, values, strict=True))


def test_score_columns_as_typed_arrays_and_as_text_agree():
    df = frame(row("a"), row("b", days_silent="40", days_since_breakup="40", told_no_contact="yes"))
    scored = batch.score_frame(df, model=FakeModel(), advice=FakeAdvice, as_of=AS_OF).scored
    typed = pa.table(sinks._score_arrays(scored, as_text=False), names=batch.SCORE_COLUMNS)
    text = pa.table(sinks._score_arrays(scored, as_text=True), names=batch.SCORE_COLUMNS)
    assert typed.schema == batch.SCORE_SCHEMA
    for name in batch.SCORE_COLUMNS:
        as_text = [None if v is None else str(v) for v in text.column(name).to_pylist()]
        if name in ("reversal_odds", "odds_low", "odds_high"):
            assert [f"{v:.6f}" for v in typed.column(name).to_pylist()] == as_text
        else:
            assert [None if v is None else str(v) for v in typed.column(name).to_pylist()] == as_text
    assert text.column("earliest_contact").to_pylist()[1] is None  # told to stop: no date


# --------------------------------------------------------------------------- paths


@pytest.mark.parametrize(
    ("name", "scored", "errors"),
    [
        ("responses.csv", "responses.scored.csv", "responses.scored.errors.csv"),
        ("x.csv.gz", "x.scored.csv.gz", "x.scored.errors.csv"),
        ("export.parquet", "export.scored.parquet", "export.scored.errors.csv"),
        ("export", "export.scored", "export.scored.errors.csv"),
        ("my.data.tsv", "my.data.scored.tsv", "my.data.scored.errors.csv"),
    ],
)
def test_default_names(name, scored, errors):
    out = batch.default_output_path(Path("d") / name)
    assert out == Path("d") / scored
    assert batch.default_errors_path(out) == Path("d") / errors


# --------------------------------------------------------------------------- the command


def test_clean_file_is_scored_with_every_column_kept_as_text(tmp_path, capsys, fakes):
    rows = [row("007"), row("0042", blocked="Everywhere", days_blocked="03"), row("1e3")]
    src = write(tmp_path / "responses.csv", csv_text(rows))
    code, out, err = score(capsys, src)
    assert (code, last_line(out), err) == (0, "read 3, scored 3, rejected 0", "")
    got = read_out(tmp_path / "responses.scored.csv")
    assert list(got.columns) == list(rows[0]) + batch.SCORE_COLUMNS
    assert list(got["respondent"]) == ["007", "0042", "1e3"]
    assert list(got["blocked"]) == ["no", "Everywhere", "no"]  # as written, not normalised
    assert list(got["days_blocked"]) == ["", "03", ""]
    assert list(got["earliest_contact"]) == [(AS_OF + dt.timedelta(days=20)).isoformat()] * 3
    assert list(got["model_version"]) == ["fake-1"] * 3
    assert read_errors(tmp_path / "responses.scored.errors.csv").empty
    assert leftovers(tmp_path) == []


def test_output_and_errors_can_be_named(tmp_path, capsys, fakes):
    src = write(tmp_path / "in.csv", csv_text([row("a"), row("b", anger="?")]))
    code, out, _ = score(capsys, src, "--out", tmp_path / "sub" / "o.csv", "--errors", tmp_path / "e.csv")
    assert code == 3 and last_line(out) == "read 2, scored 1, rejected 1"
    assert list(read_out(tmp_path / "sub" / "o.csv")["respondent"]) == ["a"]
    assert list(read_errors(tmp_path / "e.csv")["row"]) == ["2"]


def test_messy_fixture_scores_what_it_can_and_accounts_for_the_rest(tmp_path, capsys, fakes):
    """BOM, CRLF, ragged rows both ways, a quoted newline, a Latin-1 byte, huge, negative, blank."""
    code, out, err = score(capsys, DATA / "messy.csv", "--out", tmp_path / "m.csv")
    assert code == 3
    assert last_line(out) == "read 9, scored 4, rejected 5"
    assert "1 record(s) were not valid UTF-8" in err and "records 4" in err
    got = read_out(tmp_path / "m.csv")
    assert list(got["respondent"]) == ["007", "009", "010", "015"]
    assert list(got["note"]) == ["", "first line\nsecond line", "café", "ok"]
    errors = read_errors(tmp_path / "m.errors.csv")
    assert list(errors["row"]) == ["2", "5", "6", "7", "8"]
    assert list(errors["column"]) == ["(record)", "days_since_breakup", "attempts_ignored", "anger", "(record)"]
    assert errors["value"].iloc[1] == "99999999999999999999"
    assert errors["value"].iloc[2] == "-3"
    assert errors["reason"].iloc[0] == "has 4 field(s), expected 17 like the header (line 3)"
    assert errors["reason"].iloc[4] == "has 19 field(s), expected 17 like the header (line 10)"  # after 2-line record
    assert "minimum" in errors["reason"].iloc[2] and "required" in errors["reason"].iloc[3]


def test_quoted_newlines_count_records_not_lines(tmp_path, capsys, fakes):
    rows = [row("a", note="one\ntwo\nthree"), row("b", note='say "hi",\r\nthen wait'), row("c", anger="x")]
    src = write(tmp_path / "q.csv", csv_text(rows))
    code, out, _ = score(capsys, src)
    assert (code, last_line(out)) == (3, "read 3, scored 2, rejected 1")
    got = read_out(tmp_path / "q.scored.csv")
    assert list(got["note"]) == ["one\ntwo\nthree", 'say "hi",\r\nthen wait']
    assert list(read_errors(tmp_path / "q.scored.errors.csv")["row"]) == ["3"]


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_separated(tmp_path, capsys, fakes, delimiter):
    rows = [row("a", note="1,5 kg"), row("b", days_silent="-1")]
    src = write(tmp_path / "s.csv", csv_text(rows, delimiter=delimiter))
    code, out, _ = score(capsys, src)
    assert (code, last_line(out)) == (3, "read 2, scored 1, rejected 1")
    text = (tmp_path / "s.scored.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0].split(delimiter)[:2] == ["respondent", "days_since_breakup"]  # same separator
    assert read_out(tmp_path / "s.scored.csv", sep=delimiter)["note"].tolist() == ["1,5 kg"]


def test_bom_is_not_part_of_the_first_header(tmp_path, capsys, fakes):
    header = [*IDS, "respondent"]
    src = write(tmp_path / "bom.csv", b"\xef\xbb\xbf" + csv_text([row("a")], header=header).encode())
    code, out, _ = score(capsys, src)
    assert (code, last_line(out)) == (0, "read 1, scored 1, rejected 0")
    assert read_out(tmp_path / "bom.scored.csv").columns[0] == "days_since_breakup"
    # the copy keeps the mark, so Excel still reads it as UTF-8 (accents intact); a TSV copy too
    assert (tmp_path / "bom.scored.csv").read_bytes().startswith(b"\xef\xbb\xbfdays_since_breakup,")
    assert score(capsys, src, "--out", tmp_path / "bom.tsv")[0] == 0
    assert (tmp_path / "bom.tsv").read_bytes().startswith(b"\xef\xbb\xbfdays_since_breakup\t")
    plain = write(tmp_path / "plain.csv", csv_text([row("a")], header=header).encode())
    assert score(capsys, plain)[0] == 0
    assert (tmp_path / "plain.scored.csv").read_bytes().startswith(b"days_since_breakup,")


def test_latin1_file_is_read_whole_with_a_warning(tmp_path, capsys, fakes):
    text = csv_text([row("a", note="café crème"), row("b", note="naïve"), row("c", note="plain")])
    src = write(tmp_path / "l.csv", text.encode("latin-1"))
    code, out, err = score(capsys, src)
    assert (code, last_line(out)) == (0, "read 3, scored 3, rejected 0")
    assert "2 record(s) were not valid UTF-8" in err
    assert read_out(tmp_path / "l.scored.csv")["note"].tolist() == ["café crème", "naïve", "plain"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\n\n  \n", "the file is empty"),
        (b"\xef\xbb\xbf", "the file is empty"),
        (b"PK\x03\x04" + b"\x00" * 100, "ZIP archive"),
        (bytes(range(256)) * 40, "binary data"),
        (b"\xff\xfea\x00b\x00", "UTF-16"),
    ],
)
def test_unusable_input_exits_2_and_writes_nothing(tmp_path, capsys, fakes, content, message):
    src = write(tmp_path / "bad.csv", content)
    code, out, err = score(capsys, src)
    assert code == 2 and out == ""
    assert message in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


@pytest.mark.parametrize("name", ["answers.json", "answers.JSONL", "answers.ndjson"])
def test_a_json_answer_file_is_refused_with_where_json_is_read(tmp_path, capsys, fakes, name):
    src = write(tmp_path / name, b'{"days_silent": 3}\n')
    code, out, err = score(capsys, src)
    assert code == 2 and out == ""
    assert ("a JSON file, not CSV or Parquet" in err or "JSON Lines is not read" in err) and "exodds report" in err
    assert "required column" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_missing_file_exits_2(tmp_path, capsys, fakes):
    code, _, err = score(capsys, tmp_path / "nope.csv")
    assert code == 2 and "no such file" in err


def test_header_only_gives_an_empty_output(tmp_path, capsys, fakes):
    src = write(tmp_path / "h.csv", ",".join(["respondent", *IDS]) + "\n")
    code, out, _ = score(capsys, src)
    assert (code, last_line(out)) == (0, "read 0, scored 0, rejected 0")
    text = (tmp_path / "h.scored.csv").read_text()
    assert text.strip() == ",".join(["respondent", *IDS, *batch.SCORE_COLUMNS])


def test_duplicate_header_names_exit_2(tmp_path, capsys, fakes):
    src = write(tmp_path / "d.csv", csv_text([row()], header=[*IDS, "note", "note", "anger"]))
    code, out, err = score(capsys, src)
    assert code == 2 and out == ""
    assert "duplicate column names" in err and "'note'" in err and "'anger'" in err


def test_missing_required_columns_are_all_named(tmp_path, capsys, fakes):
    header = [h for h in ["respondent", *IDS] if h not in ("anger", "blocked", "days_silent", "safety_concern")]
    src = write(tmp_path / "m.csv", csv_text([row()], header=header))
    code, out, err = score(capsys, src)
    assert code == 2 and out == ""
    assert err.count("\n") == 1  # one message
    for name in ("days_silent (or last_contact_date)", "blocked", "anger"):
        assert name in err
    assert "safety_concern" not in err  # optional
    assert "mapping-template" in err
    assert list(tmp_path.iterdir()) == [src]


def test_headerless_file_is_recognised(tmp_path, capsys, fakes):
    text = csv_text([row("a"), row("b")])
    src = write(tmp_path / "n.csv", "\n".join(text.splitlines()[1:]) + "\n")
    code, _, err = score(capsys, src)
    assert code == 2 and "no header" in err and "looks like answers, not column names" in err


def test_unknown_columns_are_passed_through_in_place(tmp_path, capsys, fakes):
    header = ["zip", *IDS[:5], "Comment (free text)", *IDS[5:], ""]
    rows = [{**row(), "zip": "01234", "Comment (free text)": "  spaced  ", "": "x"}]
    src = write(tmp_path / "u.csv", csv_text(rows, header=header))
    code, _, _ = score(capsys, src)
    assert code == 0
    got = read_out(tmp_path / "u.scored.csv")
    assert list(got.columns)[: len(header)] == [*header[:-1], "Unnamed: 17"]  # pandas' name for ""
    assert got["zip"].iloc[0] == "01234" and got["Comment (free text)"].iloc[0] == "  spaced  "


def test_header_case_and_spaces_are_forgiven(tmp_path, capsys, fakes):
    header = [f" {h.upper()} " if i % 2 else h for i, h in enumerate(IDS)]
    src = write(tmp_path / "c.csv", csv_text([dict(zip(header, GOOD.values(), strict=True))], header=header))
    code, out, _ = score(capsys, src)
    assert (code, last_line(out)) == (0, "read 1, scored 1, rejected 0")


def test_huge_numbers_negatives_and_blanks(tmp_path, capsys, fakes):
    rows = [
        row("big", emotional_messages="1" + "0" * 400),
        row("inf", attempts_ignored="inf"),
        row("neg", days_since_breakup="-040"),
        row("frac", attempts_ignored="2.5"),
        row("blank", told_no_contact="   "),
        row("allblank", **dict.fromkeys(GOOD, "")),
        row("ok"),
    ]
    src = write(tmp_path / "n.csv", csv_text(rows))
    code, out, _ = score(capsys, src)
    assert (code, last_line(out)) == (3, "read 7, scored 1, rejected 6")
    errors = read_errors(tmp_path / "n.scored.errors.csv")
    assert set(errors["row"]) == {"1", "2", "3", "4", "5", "6"}
    first = errors[errors["row"] == "1"].iloc[0]
    assert first["column"] == "emotional_messages" and first["value"] == "1" + "0" * 400
    # a record with no answers at all is one line, not one per question
    assert errors[errors["row"] == "6"][["column", "reason"]].values.tolist() == [
        ["(record)", "no answers at all: an empty record"]
    ]
    assert errors[errors["row"] == "3"]["value"].tolist() == ["-040"]  # as written, not as a number


@pytest.mark.parametrize("name", ["g.csv.gz", "g_no_extension"])
def test_gzip_by_extension_or_magic_bytes(tmp_path, capsys, fakes, name):
    src = write(tmp_path / name, gzip.compress(csv_text([row("a"), row("b", anger="")]).encode()))
    code, out, _ = score(capsys, src, "--out", tmp_path / "o.csv")
    assert (code, last_line(out)) == (3, "read 2, scored 1, rejected 1")
    assert read_out(tmp_path / "o.csv")["respondent"].tolist() == ["a"]


def test_gzip_output_by_extension(tmp_path, capsys, fakes):
    src = write(tmp_path / "x.csv", csv_text([row("a")]))
    code, _, _ = score(capsys, src, "--out", tmp_path / "x.scored.csv.gz")
    assert code == 0
    text = gzip.decompress((tmp_path / "x.scored.csv.gz").read_bytes()).decode()
    assert text.splitlines()[1].startswith("a,40,10")


def test_truncated_gzip_exits_2_without_output(tmp_path, capsys, fakes):
    data = gzip.compress(csv_text([row(str(i)) for i in range(2000)]).encode())
    src = write(tmp_path / "t.csv.gz", data[: len(data) // 2])
    code, out, err = score(capsys, src)
    assert code == 2 and out == "" and "t.csv.gz" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv.gz"]


def test_gzip_cut_short_mid_stream_exits_2(tmp_path, capsys, fakes):
    data = gzip.compress(csv_text([row(f"{i:06d}", note=f"n{i * 7919 % 10007}") for i in range(40000)]).encode())
    src = write(tmp_path / "t.csv.gz", data[: int(len(data) * 0.8)])
    code, out, err = score(capsys, src)
    assert code == 2 and out == "" and "t.csv.gz" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv.gz"]


def test_parquet_in_parquet_out_keeps_types(tmp_path, capsys, fakes):
    df = pd.DataFrame([row("a"), row("b", anger="nope")]).assign(
        days_silent=[10, 3], attempts_last_week=[0, 1], attempts_ignored=[2, 1], weight=[1.5, 2.5]
    )
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), tmp_path / "p.parquet")
    code, out, _ = score(capsys, tmp_path / "p.parquet")
    assert (code, last_line(out)) == (3, "read 2, scored 1, rejected 1")
    table = pq.read_table(tmp_path / "p.scored.parquet")
    assert table.schema.field("days_silent").type == pa.int64()
    assert table.schema.field("weight").type == pa.float64()
    assert table.schema.field("earliest_contact").type == pa.date32()
    assert table.column("respondent").to_pylist() == ["a"]
    assert read_errors(tmp_path / "p.scored.errors.csv")["value"].tolist() == ["nope"]


def test_parquet_to_csv_and_csv_to_parquet(tmp_path, capsys, fakes):
    src = write(tmp_path / "c.csv", csv_text([row("007"), row("008")]))
    assert score(capsys, src, "--out", tmp_path / "c.parquet")[0] == 0
    back = pd.read_parquet(tmp_path / "c.parquet")
    # each column in its own type: whole numbers as numbers; 007 stays text, since 7 would lose its zeros
    assert back["respondent"].tolist() == ["007", "008"] and back["days_silent"].tolist() == [10, 10]
    assert pq.read_schema(tmp_path / "c.parquet").field("days_silent").type == pa.int64()
    empty = write(tmp_path / "h.csv", ",".join(IDS) + "\n")
    assert score(capsys, empty, "--out", tmp_path / "h.parquet")[0] == 0
    assert pq.read_table(tmp_path / "h.parquet").num_rows == 0
    assert score(capsys, tmp_path / "c.parquet", "--out", tmp_path / "again.csv")[0] == 2  # has score columns


def test_output_never_overwrites_the_input(tmp_path, capsys, fakes):
    src = write(tmp_path / "x.csv", csv_text([row()]))
    code, _, err = score(capsys, src, "--out", src)
    assert code == 2 and "overwrite the input" in err
    assert src.read_text() == csv_text([row()])


def test_bad_as_of_exits_2(tmp_path, capsys, fakes):
    src = write(tmp_path / "x.csv", csv_text([row()]))
    assert main(["score", str(src), "--as-of", "next tuesday"]) == 2
    assert "as-of date" in capsys.readouterr().err


def test_quiet_and_piped_print_only_the_summary(tmp_path, capsys, fakes):
    src = write(tmp_path / "x.csv", csv_text([row(), row(anger="?")]))
    for extra in ([], ["--quiet"]):
        code, out, err = score(capsys, src, *extra)
        assert code == 3 and out == "read 2, scored 1, rejected 1\n" and err == ""


def test_progress_bar_draws_on_a_terminal_only():
    shown, hidden = io.StringIO(), io.StringIO()
    for stream, enabled in ((shown, True), (hidden, False)):
        bar = batch.Progress(1000, enabled, stream=stream, interval=0)
        bar.update(500, 10)
        bar.close()
    assert "\r" in shown.getvalue() and "50%" in shown.getvalue()
    assert hidden.getvalue() == ""


# --------------------------------------------------------------------------- streaming and atomicity


def many_rows(n: int, bad_every: int = 7) -> list[dict[str, str]]:
    return [row(f"{i:05d}", anger="?" if i % bad_every == 3 else "annoyed") for i in range(n)]


@pytest.mark.parametrize("careful", [False, True])
def test_chunks_number_records_across_chunk_boundaries(tmp_path, monkeypatch, careful):
    rows = many_rows(500)
    src = write(tmp_path / "big.csv", csv_text(rows))
    if careful:
        monkeypatch.setattr(batch, "fast_chunks", _refuse_fast_path)
    s = batch.score_file(src, model=FakeModel(), advice=FakeAdvice, as_of=AS_OF, block_size=4096, chunk_rows=37)
    assert s.careful is careful
    bad = [i + 1 for i in range(500) if i % 7 == 3]
    assert (s.n_read, s.n_rejected) == (500, len(bad))
    assert read_errors(s.errors)["row"].astype(int).tolist() == bad
    assert read_out(s.output)["respondent"].tolist() == [r["respondent"] for r in rows if r["anger"] != "?"]


def _refuse_fast_path(*args, **kwargs):
    raise batch.UseCarefulPath("test")
    yield  # pragma: no cover


def test_fast_and_careful_paths_write_the_same_bytes(tmp_path, monkeypatch):
    rows = [*many_rows(300), row("q", note='a "quoted", value\nover lines')]
    src = write(tmp_path / "same.csv", csv_text(rows))
    fast = batch.score_file(
        src, tmp_path / "fast.csv", model=FakeModel(), advice=FakeAdvice, as_of=AS_OF, block_size=2048
    )
    monkeypatch.setattr(batch, "fast_chunks", _refuse_fast_path)
    slow = batch.score_file(
        src, tmp_path / "slow.csv", model=FakeModel(), advice=FakeAdvice, as_of=AS_OF, chunk_rows=50
    )
    assert (fast.careful, slow.careful) == (False, True)
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "slow.csv").read_bytes()
    assert (tmp_path / "fast.errors.csv").read_bytes() == (tmp_path / "slow.errors.csv").read_bytes()


@pytest.mark.parametrize("exc", [RuntimeError("disk on fire"), KeyboardInterrupt()])
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_interrupted_run_leaves_no_file_that_looks_done(tmp_path, exc, fmt):
    src = write(tmp_path / "big.csv", csv_text(many_rows(400)))

    def explode(i: int) -> None:
        if i == 2:
            raise exc

    with pytest.raises(type(exc)):
        batch.score_file(
            src,
            tmp_path / f"out.{fmt}",
            model=FakeModel(),
            advice=FakeAdvice,
            as_of=AS_OF,
            block_size=4096,
            chunk_rows=50,
            on_chunk=explode,
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv"]


def test_interrupt_through_the_command_keeps_the_old_output(tmp_path, capsys, fakes, monkeypatch):
    src = write(tmp_path / "x.csv", csv_text(many_rows(50)))
    (tmp_path / "x.scored.csv").write_text("previous run\n")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(fakes, "predict_clean", interrupted)
    assert main(["score", str(src)]) == 130
    assert (tmp_path / "x.scored.csv").read_text() == "previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv", "x.scored.csv"]


def test_unclosed_quote_at_the_end_is_reported(tmp_path, capsys, fakes):
    text = csv_text([row("a"), row("b")]) + 'c,40,10,2,0,no,,no,annoyed,"no,yes\nd,40,10\n'
    src = write(tmp_path / "u.csv", text)
    code, out, _ = score(capsys, src)
    assert code == 3 and last_line(out) == "read 3, scored 2, rejected 1"
    reason = read_errors(tmp_path / "u.scored.errors.csv")["reason"].iloc[0]
    assert "never closed" in reason and "line 4" in reason


def test_quote_left_open_in_the_last_column_is_not_taken_for_a_value(tmp_path, capsys, fakes):
    last = csv_text([row("c", note="")]).splitlines()[1]  # ends with an empty note: "...,no,"
    text = csv_text([row("a", note=""), row("b", note="")]) + last + '"oops\nd,4\n'
    src = write(tmp_path / "u.csv", text)
    code, out, _ = score(capsys, src)
    assert (code, last_line(out)) == (3, "read 3, scored 2, rejected 1")
    assert "never closed" in read_errors(tmp_path / "u.scored.errors.csv")["reason"].iloc[0]


def test_a_real_multi_line_value_in_the_last_record_is_kept(tmp_path, capsys, fakes):
    src = write(tmp_path / "m.csv", csv_text([row("a", note=""), row("b", note="two\nlines")]))
    s = batch.score_file(src, model=FakeModel(), advice=FakeAdvice, as_of=AS_OF)
    assert (s.line, s.careful) == ("read 2, scored 2, rejected 0", False)
    assert read_out(s.output)["note"].tolist() == ["", "two\nlines"]


NUMBERISH = st.sampled_from(
    [
        "0",
        "7",
        "007",
        "-3",
        "-0",
        "40",
        "36501",
        "0x10",
        "+5",
        " 5",
        "5.0",
        "1e3",
        "",
        "  ",
        "９",
        "1_000",
        "99999999999999999999",
        "9223372036854775807",
        "NaN",
    ]
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(NUMBERISH, NUMBERISH, NUMBERISH, st.sampled_from(["no", "No ", "some", "x", ""])),
        min_size=1,
        max_size=8,
    )
)
def test_fast_hand_over_to_validation_decides_like_plain_text(values):
    """``_frame`` hands numbers as numbers and choices coded: same verdicts, same problems."""
    rows = [
        row(str(i), days_since_breakup=a, days_silent=b, days_blocked=c, blocked=d)
        for i, (a, b, c, d) in enumerate(values)
    ]
    table = pa.Table.from_pylist(rows)
    numbers = np.arange(1, len(rows) + 1)
    resolved = batch.resolve_columns(table.column_names)
    used = resolved.used_headers
    plain = coding.arrow_frame(table, used, numbers)
    fast = coding.arrow_frame(table, used, numbers, resolved)
    one = batch.score_frame(plain, model=FakeModel(), advice=FakeAdvice, as_of=AS_OF)
    two = batch.score_frame(fast, model=FakeModel(), advice=FakeAdvice, as_of=AS_OF)
    assert one.valid.tolist() == two.valid.tolist()
    pd.testing.assert_frame_equal(one.scored, two.scored)
    rows = [coding.problem_rows(r.problems, [], table, numbers) for r in (one, two)]
    assert rows[0] == rows[1]


# --------------------------------------------------------------------------- property: nothing is lost

ODD = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "NA", "null", "-1", "1e9", "007", "yes ", "EVERYWHERE", "１２", "é", '"', ",", "\n"]),
)


@st.composite
def messy_rows(draw: st.DrawFn) -> tuple[list[list[str]], list[bool]]:
    """Records as lists of text: valid answer sets, some with one odd value, some ragged."""
    header = ["respondent", *IDS, "note"]
    records, intact = [], []
    for i in range(draw(st.integers(0, 25))):
        answers = draw(valid_answer_sets())
        values = {k: "" if v is None else str(v) for k, v in answers.items()}
        rec = [f"id{i}", *(values.get(q, "") for q in IDS), draw(ODD)]
        kind = draw(st.sampled_from(["valid", "odd", "ragged"]))
        if kind == "odd":
            rec[draw(st.integers(1, len(IDS)))] = draw(ODD)
        elif kind == "ragged":
            cut = draw(st.integers(1, len(header) + 3))
            rec = ([*rec, "x", "y", "z"])[:cut] if cut != len(header) else rec[:-1]
        records.append(rec)
        intact.append(kind == "valid")
    return [header, *records], intact


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=messy_rows(), delimiter=st.sampled_from([",", ";", "\t"]))
def test_every_record_is_scored_or_rejected(tmp_path_factory, data, delimiter):
    records, intact = data
    folder = tmp_path_factory.mktemp("prop")
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(records)  # quotes a lone \r
    src = write(folder / "in.csv", text.getvalue())
    s = batch.score_file(src, model=FakeModel(), advice=FakeAdvice, as_of=AS_OF, block_size=1024, chunk_rows=7)
    n = len(records) - 1
    assert s.n_read == n == s.n_scored + s.n_rejected
    scored_ids = read_out(s.output, sep=delimiter)["respondent"].tolist()
    rejected = sorted({int(r) for r in read_errors(s.errors)["row"]})
    assert len(scored_ids) == s.n_scored and len(rejected) == s.n_rejected
    numbers = {f"id{i}": i + 1 for i in range(n)}
    assert sorted([numbers[x] for x in scored_ids] + rejected) == list(range(1, n + 1))
    for i, ok in enumerate(intact):
        if ok:
            assert f"id{i}" in scored_ids
        if len(records[i + 1]) != len(records[0]):
            assert i + 1 in rejected
    assert leftovers(folder) == []


# --------------------------------------------------------------------------- the real model and advice


@pytest.fixture(scope="module")
def real():
    """The shipped model (``model.odds.runtime``); the advice rules come from ``model.plan.decide``."""
    from model.odds.artifacts import load_model

    return load_model()


def test_end_to_end_messy_file_with_the_real_model(tmp_path, capsys, real):
    code, out, _ = score(capsys, DATA / "messy.csv", "--out", tmp_path / "m.csv")
    assert code == 3 and last_line(out) == "read 9, scored 4, rejected 5"
    got = read_out(tmp_path / "m.csv")
    odds = got["reversal_odds"].astype(float)
    assert ((odds > 0) & (odds < 1)).all()
    assert (got["odds_low"].astype(float) <= odds).all() and (odds <= got["odds_high"].astype(float)).all()
    assert set(got["model_version"]) == {real.version}
    assert got["stage"].isin(["1", "2", "3", "4"]).all()
    assert set(got["top_factor_up"]) | set(got["top_factor_down"]) <= {*IDS, ""}


def test_end_to_end_matches_score_frame(tmp_path, capsys, real):
    rows = [
        row(
            f"{i}",
            days_silent=str(i),
            days_since_breakup="90",
            attempts_ignored=str(i % 4),
            attempts_last_week="0" if i >= 7 else "1",
        )
        for i in range(60)
    ]
    src = write(tmp_path / "r.csv", csv_text(rows))
    code, _, _ = score(capsys, src, "--out", tmp_path / "r.parquet")
    assert code == 0
    got = pd.read_parquet(tmp_path / "r.parquet")
    direct = batch.score_frame(pd.DataFrame(rows, dtype=object), as_of=AS_OF).scored
    np.testing.assert_allclose(got["reversal_odds"], direct["reversal_odds"])
    assert got["band"].tolist() == list(direct["band"])
    assert got["stage"].tolist() == list(direct["stage"])


def test_end_to_end_form_export_with_the_real_model(tmp_path, capsys, real):
    code, out, _ = score(
        capsys,
        DATA / "form_export.csv",
        "--mapping",
        DATA / "form_export.mapping.json",
        "--out",
        tmp_path / "f.csv",
        as_of=False,
    )
    assert code == 3 and last_line(out) == "read 7, scored 4, rejected 3"
    assert os.path.exists(tmp_path / "f.errors.csv")


@pytest.mark.parametrize("force_careful", [False, True])
def test_text_after_a_closing_quote_is_read_the_same_by_both_readers(tmp_path, capsys, fakes, force_careful):
    """`"call me" maybe` reads as `call me maybe` (as Arrow and pandas read it) whichever reader runs:
    a Latin-1 byte elsewhere in the file, which sends `score` to the careful reader, changes nothing."""
    header = ["respondent", *GOOD, "note"]
    lines = [
        ",".join(header),
        ",".join(["a", *GOOD.values(), '"call me" maybe']),
        ",".join(["b", *GOOD.values(), "ok"]),
    ]
    data = ("\n".join(lines) + "\n").encode()
    if force_careful:
        data = data.replace(b",ok\n", ",caf\xe9\n".encode("latin-1"))
    src = write(tmp_path / "q.csv", data)
    code, out, _ = score(capsys, src)
    assert (code, last_line(out)) == (0, "read 2, scored 2, rejected 0")
    assert read_out(tmp_path / "q.scored.csv")["note"].tolist() == ["call me maybe", "café" if force_careful else "ok"]
    assert main(["validate", str(src), "--as-of", AS_OF.isoformat()]) == 0
    assert capsys.readouterr().out.strip().endswith("2 row(s): 2 valid, 0 with problems")


def test_an_output_that_is_a_directory_is_refused_before_anything_is_written(tmp_path, capsys, fakes):
    src = write(tmp_path / "x.csv", csv_text([row("a")]))
    (tmp_path / "outdir").mkdir()
    code, _, err = score(capsys, src, "--out", tmp_path / "outdir")
    assert code == 2 and "is a directory" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outdir", "x.csv"]  # no errors file either


def test_many_distinct_texts_per_chunk_are_not_kept_between_chunks():
    """Categories for a chunk's texts are cached only when few: numbers written as decimals give
    thousands per chunk, and keeping those would grow memory with the file."""
    core.small_text_dtype.cache_clear()
    core.text_dtype(tuple(f"{i}.0" for i in range(5000)))
    core.text_dtype(("no", "yes"))
    assert core.small_text_dtype.cache_info().currsize == 1


def test_a_header_only_crlf_file_gives_a_crlf_copy(tmp_path):
    src = write(tmp_path / "h.csv", ",".join(["respondent", *GOOD]).encode() + b"\r\n")
    s = batch.score_file(src, tmp_path / "out.csv", model=FakeModel(), advice=FakeAdvice, as_of=AS_OF)
    assert s.n_read == 0 and not s.careful
    data = (tmp_path / "out.csv").read_bytes()
    assert data.endswith(b",model_version\r\n") and data.count(b"\n") == 1


def test_a_missing_safety_column_is_named_not_silently_defaulted(tmp_path, capsys, fakes):
    """Without a column for the optional safety question every row reads "prefer not to say", which
    changes the advice: `score` and `validate` say so, and the mapping template lists it."""
    rows = [row("a"), row("b")]
    without = write(
        tmp_path / "no_safety.csv", csv_text([{k: v for k, v in r.items() if k != "safety_concern"} for r in rows])
    )
    code, out, err = score(capsys, without, "--out", tmp_path / "o.csv")
    assert (code, last_line(out)) == (0, "read 2, scored 2, rejected 0")
    assert "warning: no column answers safety_concern" in err and "'prefer_not_to_say'" in err
    assert "map that header to safety_concern (--mapping)" in err
    assert main(["validate", str(without), "--as-of", AS_OF.isoformat()]) == 0
    assert "no column answers safety_concern" in capsys.readouterr().err
    assert main(["mapping-template", str(without)]) == 0
    assert any(
        t.startswith("no column found for safety_concern (optional")
        for t in json.loads(capsys.readouterr().out)["_todo"]
    )
    with_it = write(tmp_path / "safety.csv", csv_text([row("a", safety_concern="no")]))
    code, out, err = score(capsys, with_it, "--out", tmp_path / "o2.csv")
    assert code == 0 and "safety_concern" not in err


@pytest.mark.parametrize("name", ["o.json", "o.xlsx", "o.csv.bak", "o.csv.bz2", "o.7z", "o.txt.lz4"])
def test_an_output_name_with_an_unknown_extension_is_refused(tmp_path, capsys, fakes, name):
    src = write(tmp_path / "in.csv", csv_text([row("a")]))
    code, _out, err = score(capsys, src, "--out", tmp_path / name)
    assert code == 2 and "name the output .csv, .tsv, .txt" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_the_default_output_name_of_an_input_without_extension_still_works(tmp_path, capsys, fakes):
    src = write(tmp_path / "export", csv_text([row("a")]))
    code, out, _ = score(capsys, src)
    assert (code, last_line(out)) == (0, "read 1, scored 1, rejected 0")
    assert (tmp_path / "export.scored").exists()
    code, out, _ = score(capsys, src, "--out", tmp_path / "scores.2026-11")  # a dotted name: CSV like the input
    assert code == 0 and (tmp_path / "scores.2026-11").read_text().startswith("respondent,")
    code, _out, err = score(capsys, src, "--out", tmp_path / "x.parquet.gz")
    assert code == 2 and "Parquet compresses inside the file" in err


@pytest.mark.parametrize("name", ["e.parquet", "e.csv.gz", "e.json"])
def test_an_errors_name_that_is_not_csv_is_refused(tmp_path, capsys, fakes, name):
    src = write(tmp_path / "in.csv", csv_text([row("a")]))
    code, _out, err = score(capsys, src, "--out", tmp_path / "o.csv", "--errors", tmp_path / name)
    assert code == 2 and "the errors file is plain CSV; name it .csv" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]
    assert score(capsys, src, "--out", tmp_path / "o.csv", "--errors", tmp_path / "e.txt")[0] == 0


@pytest.mark.parametrize("which", ["--out", "--errors"])
def test_a_folder_on_the_way_that_is_a_file_is_named(tmp_path, capsys, fakes, which):
    src = write(tmp_path / "in.csv", csv_text([row("a")]))
    (tmp_path / "afile").write_text("not a folder", encoding="utf-8")
    target = tmp_path / "afile" / "x.csv"
    code, out, err = score(capsys, src, which, target)
    assert code == 2 and out == ""
    assert err.strip() == f"error: cannot write {target}: {tmp_path / 'afile'} is a file, not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "in.csv"]


def test_an_export_without_the_conditional_days_blocked_column_rejects_only_blocked_rows(tmp_path, capsys, fakes):
    """days_blocked is asked only after a block: a form that never asks it is still scored; the
    blocked rows are rejected naming the missing answer, and a warning says why."""
    rows = [row("a"), row("b", blocked="some", days_blocked="3"), row("c")]
    text = csv_text([{k: v for k, v in r.items() if k != "days_blocked"} for r in rows])
    src = write(tmp_path / "no_days_blocked.csv", text)
    code, out, err = score(capsys, src, "--out", tmp_path / "o.csv")
    assert (code, last_line(out)) == (3, "read 3, scored 2, rejected 1")
    assert "no column answers days_blocked" in err and "blocked is some or everywhere is rejected" in err
    errors = pd.read_csv(tmp_path / "o.errors.csv", dtype=str, keep_default_na=False)
    assert errors.to_dict("records") == [
        {
            "row": "2",
            "column": "days_blocked",
            "value": "",
            "reason": "missing: this answer is required when blocked is some or everywhere",
        }
    ]
    assert read_out(tmp_path / "o.csv")["respondent"].tolist() == ["a", "c"]
    assert main(["validate", str(src), "--as-of", AS_OF.isoformat()]) == 1
    assert "no column answers days_blocked" in capsys.readouterr().err


def test_an_output_through_a_symlink_is_written_where_it_points(tmp_path, capsys, fakes):
    src = write(tmp_path / "in.csv", csv_text([row("a")]))
    (tmp_path / "real").mkdir()
    link = tmp_path / "out.csv"
    link.symlink_to(tmp_path / "real" / "target.csv")
    code, _, _ = score(capsys, src, "--out", link)
    assert code == 0 and link.is_symlink()  # the link stays a link
    assert (tmp_path / "real" / "target.csv").read_text().startswith("respondent,")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_pipe_is_refused_as_output_and_as_input(tmp_path, capsys, fakes):
    src = write(tmp_path / "in.csv", csv_text([row("a")]))
    fifo = tmp_path / "f.csv"
    os.mkfifo(fifo)
    code, _, err = score(capsys, src, "--out", fifo)
    assert code == 2 and "not a regular file (a pipe or a device)" in err and stat.S_ISFIFO(fifo.stat().st_mode)
    code, _, err = score(capsys, fifo)
    assert code == 2 and "a pipe or device, not a file" in err
    code, _, err = score(capsys, "-")
    assert code == 2 and "reading from standard input is not supported" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.csv", "in.csv"]


def test_sigterm_during_a_run_leaves_no_partial_file(tmp_path, capsys, monkeypatch):
    """`kill`, `timeout` and schedulers send SIGTERM: it unwinds like Ctrl-C, so the temporary files
    are removed, and the exit code is 143."""
    from model.io import atomic_path

    def stopped_midway(input_path, output, errors, **kwargs):
        with atomic_path(output) as tmp:
            tmp.write_text("half")
            os.kill(os.getpid(), signal.SIGTERM)
            raise AssertionError("SIGTERM did not stop the run")

    monkeypatch.setattr(batch, "score_file", stopped_midway)
    src = write(tmp_path / "in.csv", csv_text([row("a")]))
    before = signal.getsignal(signal.SIGTERM)
    code, out, err = score(capsys, src, "--out", tmp_path / "o.csv")
    assert (code, out, err.strip()) == (143, "", "terminated")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]
    assert signal.getsignal(signal.SIGTERM) is before  # main puts the old handler back


def test_parquet_decimal_answers_are_read_exactly(tmp_path, capsys, fakes):
    """A SQL export's decimal columns: 40.00 is 40, 2.50 is not a whole number (shown as written)."""
    from decimal import Decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [row("a"), row("b")]
    table = pa.Table.from_pylist(rows)
    days = pa.array([Decimal("40.00"), Decimal("40.00")], pa.decimal128(10, 2))
    ignored = pa.array([Decimal("2.00"), Decimal("2.50")], pa.decimal128(10, 2))
    table = table.set_column(table.schema.get_field_index("days_since_breakup"), "days_since_breakup", days)
    table = table.set_column(table.schema.get_field_index("attempts_ignored"), "attempts_ignored", ignored)
    src = tmp_path / "d.parquet"
    pq.write_table(table, src)
    code, out, _ = score(capsys, src, "--out", tmp_path / "o.csv")
    assert (code, last_line(out)) == (3, "read 2, scored 1, rejected 1")
    errors = pd.read_csv(tmp_path / "o.errors.csv", dtype=str, keep_default_na=False)
    assert errors[["row", "column", "value"]].values.tolist() == [["2", "attempts_ignored", "2.50"]]
    assert errors["reason"].iloc[0].startswith("not a whole number")


def test_several_unnamed_columns_are_named_by_position(tmp_path, capsys, fakes):
    header = ",".join(["respondent", *IDS]) + ",,"
    src = write(tmp_path / "u.csv", header + "\n" + csv_text([row("a")]).split("\n", 1)[1].rstrip("\n") + ",,\n")
    code, out, err = score(capsys, src)
    assert out == ""
    n = len(IDS) + 1
    assert code == 2 and f"columns {n + 1} and {n + 2} have no name in the header" in err


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_nulls_in_parquet_text_answers_are_blanks(tmp_path, capsys, fakes):
    """A null in a Parquet text column is a blank answer: an optional one takes its default, a
    required one is missing; nothing is read as some other choice (and no cast warning)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [row("a"), row("b"), row("c")]
    table = pa.Table.from_pylist(rows)
    nulls = {"safety_concern": [None, "no", None], "days_silent": ["10", None, "10"], "anger": ["none", "none", None]}
    for name, values in nulls.items():
        table = table.set_column(table.schema.get_field_index(name), name, pa.array(values, pa.string()))
    src = tmp_path / "n.parquet"
    pq.write_table(table, src)
    code, out, _ = score(capsys, src, "--out", tmp_path / "o.csv")
    assert (code, last_line(out)) == (3, "read 3, scored 1, rejected 2")
    errors = pd.read_csv(tmp_path / "o.errors.csv", dtype=str, keep_default_na=False)
    assert errors[["row", "column", "reason"]].values.tolist() == [
        ["2", "days_silent", "missing: this answer is required"],
        ["3", "anger", "missing: this answer is required"],
    ]
    assert read_out(tmp_path / "o.csv")["respondent"].tolist() == ["a"]


def test_a_pipe_separated_export_is_named_as_such(tmp_path, capsys, fakes):
    src = write(tmp_path / "p.csv", "|".join(["respondent", *IDS]) + "\n" + "|".join(row("a").values()) + "\n")
    code, out, err = score(capsys, src)
    assert code == 2 and out == "" and "the header looks separated by '|'" in err and "required column" not in err


def test_a_stream_or_a_loop_of_links_is_refused_as_output(tmp_path, capsys, fakes):
    src = write(tmp_path / "in.csv", csv_text([row("a")]))
    code, _, err = score(capsys, src, "--out", "/dev/stdout")  # a terminal, a pipe or a redirect: never renamed over
    assert code == 2 and "not a regular file (a pipe, a device or a stream)" in err
    (tmp_path / "l1").symlink_to(tmp_path / "l2")
    (tmp_path / "l2").symlink_to(tmp_path / "l1")
    code, _, err = score(capsys, src, "--out", tmp_path / "l1")
    assert code == 2 and "symbolic links" in err and (tmp_path / "l1").is_symlink()


def test_the_errors_file_keeps_the_inputs_bom(tmp_path, capsys, fakes):
    src = write(tmp_path / "b.csv", b"\xef\xbb\xbf" + csv_text([row("a", anger="livid")]).encode())
    assert score(capsys, src)[0] == 3
    assert (tmp_path / "b.scored.errors.csv").read_bytes().startswith(b"\xef\xbb\xbfrow,column,value,reason")


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="no /dev/shm")
def test_an_ordinary_folder_under_dev_is_fine(tmp_path, capsys, fakes):
    src = write(tmp_path / "in.csv", csv_text([row("a")]))
    target = Path("/dev/shm") / f"exodds-test-{os.getpid()}.csv"
    try:
        assert score(capsys, src, "--out", target)[0] == 0 and target.read_text().startswith("respondent,")
    finally:
        target.unlink(missing_ok=True)
        target.with_name(target.stem + ".errors.csv").unlink(missing_ok=True)


def test_one_rule_for_names_that_say_another_file_type(tmp_path, capsys, fakes):
    """--out, --errors and a report's --out refuse the same names: '.bz2' is a file type (it has a
    letter), '.2026-11' is part of a name."""
    from model.io import names_a_file_type
    from model.report.render import unknown_extension

    assert names_a_file_type(".bz2") and names_a_file_type(".7z") and not names_a_file_type(".2026-11")
    assert unknown_extension("r.bz2") == ".bz2" and unknown_extension("r.2026-11") is None
    src = write(tmp_path / "in.csv", csv_text([row("a")]))
    code, _, err = score(capsys, src, "--out", tmp_path / "o.csv", "--errors", tmp_path / "e.bz2")
    assert code == 2 and "the errors file is plain CSV" in err


def test_the_package_offers_the_scoring_functions_the_readme_names():
    """`from model import score_frame` (the README's Python line) works without importing model.batch.pipeline first."""
    import subprocess
    import sys

    code = "import model; from model import score_frame, score_file; print(score_frame.__module__, score_file.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["model.batch.core", "score_file"]


@pytest.mark.parametrize("deflate", ["isal", "zlib"])
def test_gzip_output_reads_back_with_isal_or_with_zlib_alone(deflate, tmp_path, capsys, fakes, monkeypatch):
    """Level 1 gzip through ISA-L, or through zlib where the isal package is missing: the same CSV."""
    import gzip
    import zlib

    from model.batch import sinks

    if deflate == "zlib":
        monkeypatch.setattr(sinks, "_deflate", lambda: zlib)
    src = write(tmp_path / "x.csv", csv_text([row(str(i)) for i in range(300)]))
    assert score(capsys, src, "--out", tmp_path / "plain.csv")[0] == 0
    assert score(capsys, src, "--out", tmp_path / "packed.csv.gz")[0] == 0
    assert gzip.decompress((tmp_path / "packed.csv.gz").read_bytes()) == (tmp_path / "plain.csv").read_bytes()
