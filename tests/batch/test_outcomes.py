"""Outcomes files are read exactly as ``exodds score`` reads an export, plus the outcome column: the same
rows rejected with the same numbers and reasons, a bad outcome refused with where and why, never guessed."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from model.batch.mapping import load_mapping
from model.batch.outcomes import MISSING_OUTCOME, NOT_AN_OUTCOME, parse_outcome, read_outcome_file, write_errors
from model.cli import main
from model.errors import InputError, MissingColumnsError
from tests.worlds import world

DATA = Path(__file__).resolve().parents[1] / "data"
YES = ["yes", "Yes", " YES ", "1", "1.0", "true", "TRUE", "True"]
NO = ["no", "No", "0", "0.0", "false", "FALSE", " no"]


def _errors(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.reader(fh))[1:]


def test_outcome_spellings_accepted_and_the_rest_refused():
    y, missing, bad = parse_outcome(YES + NO + ["", None, "maybe", "y", "2", "yes please", "0.5"])
    assert y[: len(YES)].tolist() == [1] * len(YES) and y[len(YES) : len(YES) + len(NO)].tolist() == [0] * len(NO)
    assert missing.tolist()[-7:] == [True, True, False, False, False, False, False]
    assert bad.tolist()[-7:] == [False, False, True, True, True, True, True]
    assert not (missing | bad)[: len(YES) + len(NO)].any()


@given(st.text(max_size=12))
def test_any_other_text_is_refused_never_guessed(text):
    y, _, bad = parse_outcome([text])
    canonical = text.strip().lower()
    if canonical in {"yes", "1", "true", "1.0", "1.00", "no", "0", "false", "0.0", "0.00"} or canonical == "":
        assert not bad[0]
    elif not (canonical.startswith(("1.", "0.")) and set(canonical[2:]) <= {"0"}):
        assert bad[0] and y[0] == 0


def _outcomes_file(tmp_path: Path, rows: int = 60, seed: int = 1) -> tuple[Path, pd.DataFrame]:
    d = world("issue", rows, seed).drop(columns=["p_true"])
    d["answered_on"] = (np.datetime64("2027-02-01") + np.arange(rows)).astype(str)
    d = d.astype(str)
    d.loc[2, "reconciled"] = "maybe"
    d.loc[4, "anger"] = "livid"
    d.loc[6, "reconciled"] = ""
    d.loc[8, "answered_on"] = ""
    d.loc[9, "reconciled"] = "Yes"
    d.loc[10, "days_silent"] = str(int(d.loc[10, "days_since_breakup"]) + 5)  # a contradiction
    path = tmp_path / "outcomes.csv"
    d.to_csv(path, index=False)
    return path, d


def test_rows_are_rejected_as_score_rejects_them_plus_bad_outcomes(tmp_path, capsys):
    path, d = _outcomes_file(tmp_path)
    got = read_outcome_file(path, as_of_column="answered_on")
    rows = [(r, c, v) for r, c, v, _ in got.problems]
    assert (3, "reconciled", "maybe") in rows and (7, "reconciled", "") in rows
    assert {p[3] for p in got.problems if p[1] == "reconciled"} == {NOT_AN_OUTCOME, MISSING_OUTCOME}
    # exodds score, given the same file with the same date column as its timestamp, rejects the same answers
    mapping = tmp_path / "map.json"
    columns = {c: c for c in d.columns if c not in ("reconciled", "answered_on")}
    mapping.write_text(json.dumps({"timestamp": "answered_on", "columns": columns}), encoding="utf-8")
    assert main(["score", str(path), "--mapping", str(mapping), "--out", str(tmp_path / "s.csv"), "--quiet"]) == 3
    scored = _errors(tmp_path / "s.errors.csv")
    ours = [[str(r), c, "" if v is None else str(v), why] for r, c, v, why in got.problems if c != "reconciled"]
    assert ours == scored
    rejected = {p[0] for p in got.problems}
    assert got.n_read == 60 and len(got.y) == 60 - len(rejected) == got.n_rejected * 0 + 60 - got.n_rejected
    assert got.records.tolist() == [r for r in range(1, 61) if r not in rejected]
    assert got.y[got.records.tolist().index(10)] == 1  # "Yes"
    expected = [1 if v == "Yes" else int(v) for v in d["reconciled"].to_numpy()[got.records - 1]]
    assert got.y.tolist() == expected
    assert str(got.dates.min()) == "2027-02-01" and str(got.dates.max()) == "2027-04-01"
    write_errors(got.problems, tmp_path / "e.csv")
    assert [r[0] for r in _errors(tmp_path / "e.csv")] == [str(p[0]) for p in got.problems]


def test_a_form_export_with_its_mapping_and_an_outcome_column_of_another_name(tmp_path):
    raw = (DATA / "form_export.csv").read_text(encoding="utf-8")
    frame = pd.read_csv(DATA / "form_export.csv", dtype=str, keep_default_na=False)
    frame["Did you get back together?"] = ["TRUE", "false", "1", "0", "no", "yes", "?"][: len(frame)] + ["no"] * max(
        0, len(frame) - 7
    )
    path = tmp_path / "export.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        frame.to_csv(fh, index=False)
    mapping = load_mapping(DATA / "form_export.mapping.json")
    got = read_outcome_file(path, mapping=mapping, outcome_column="Did you get back together?")
    assert got.n_read == len(frame) and raw  # (the committed export, with one column added)
    assert got.dates is not None  # the mapping's timestamp dates the rows
    bad = [p for p in got.problems if p[1] == "Did you get back together?"]
    if len(frame) >= 7:
        assert bad and bad[0][2] == "?" and bad[0][3] == NOT_AN_OUTCOME
    with pytest.raises(InputError, match="no 'reconciled' column"):
        read_outcome_file(path, mapping=mapping)


def test_parquet_messy_csv_and_unusable_files(tmp_path):
    path, d = _outcomes_file(tmp_path, rows=30)
    d.to_parquet(tmp_path / "o.parquet")
    a = read_outcome_file(path, as_of_column="answered_on")
    b = read_outcome_file(tmp_path / "o.parquet", as_of_column="answered_on")
    assert a.problems == b.problems and a.y.tolist() == b.y.tolist()
    # a ragged record and a Latin-1 one, as exodds score reads them
    text = path.read_text(encoding="utf-8").splitlines()
    text[3] = text[3] + ",extra,fields"
    (tmp_path / "messy.csv").write_bytes(("\n".join(text) + "\n").encode("utf-8") + "caf\xe9\n".encode("latin-1"))
    messy = read_outcome_file(tmp_path / "messy.csv", as_of_column="answered_on")
    records = [p for p in messy.problems if p[1] == "(record)"]
    assert [p[0] for p in records] == [3, 31] and {p[0] for p in messy.problems} >= {3, 5, 7, 9, 11, 31}
    assert "expected 17 like the header" in records[0][3] and "Latin-1" in messy.warnings[-1]
    assert messy.n_read == 31
    with pytest.raises(InputError, match="--as-of-column 'when'"):
        read_outcome_file(path, as_of_column="when")
    d.drop(columns=["reconciled"]).to_csv(tmp_path / "none.csv", index=False)
    with pytest.raises(InputError, match="no 'reconciled' column"):
        read_outcome_file(tmp_path / "none.csv")
    d.drop(columns=["anger"]).to_csv(tmp_path / "noanger.csv", index=False)
    with pytest.raises(MissingColumnsError, match="anger"):
        read_outcome_file(tmp_path / "noanger.csv")
