"""Form-tool exports: mapping files, the proposed template, and scoring through a mapping."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.batch import pipeline as batch
from model.batch.core import judge
from model.batch.mapping import (
    ColumnMapping,
    _translate,
    load_mapping,
    mapping_from_dict,
    parse_timestamps,
    resolve_columns,
)
from model.batch.template import propose_mapping
from model.cli import main
from model.errors import MappingError, MissingColumnsError
from model.quiz.definition import QUIZ

DATA = Path(__file__).resolve().parents[1] / "data"
EXPORT = DATA / "form_export.csv"
MAPPING = DATA / "form_export.mapping.json"


class FakeModel:
    """Odds fall with ignored attempts; explanations per question plus intercept."""

    version = "fake-map"

    def score_clean(self, clean: pd.DataFrame, explain: bool = True):
        ignored = clean["attempts_ignored"].to_numpy(dtype=float)
        contrib = pd.DataFrame(0.0, index=clean.index, columns=list(QUIZ.ids))
        contrib["attempts_ignored"] = -0.2 * ignored
        contrib["intercept"] = 0.0
        p = 0.5 * (1 + np.tanh(0.5 * contrib.sum(axis=1).to_numpy()))
        odds = pd.DataFrame({"reversal_odds": p, "odds_low": p / 2, "odds_high": (1 + p) / 2}, index=clean.index)
        return odds, contrib


class FakeAdvice:
    """Earliest contact 30 days after the last contact, counted from each row's as-of date."""

    @staticmethod
    def plan_frame(clean: pd.DataFrame, as_of: Any) -> pd.DataFrame:
        as_of = np.broadcast_to(np.asarray(as_of, dtype="datetime64[D]"), (len(clean),))
        silent = clean["days_silent"].to_numpy(dtype=np.int64)
        earliest = as_of + np.maximum(30 - silent, 0).astype("timedelta64[D]")
        return pd.DataFrame({"stage": np.ones(len(clean), int), "earliest_contact": earliest}, index=clean.index)

    @staticmethod
    def bands(p: np.ndarray) -> np.ndarray:
        return np.full(len(p), "some")


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "default_model", FakeModel)
    monkeypatch.setattr(batch, "default_advice", lambda: FakeAdvice)


def run(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


AS_OF = dt.date(2026, 11, 26)
GOOD = {
    "respondent": "x", "days_since_breakup": "40", "days_silent": "10", "attempts_ignored": "2",
    "attempts_last_week": "0", "blocked": "no", "days_blocked": "", "told_no_contact": "no", "anger": "annoyed",
    "wronged_them": "no", "apologized": "yes", "bad_blood": "no", "last_reply_tone": "neutral",
    "ex_reached_out": "no", "emotional_messages": "1", "safety_concern": "no",
}


def row(respondent: str, **changes: str) -> dict[str, str]:
    return {**GOOD, "respondent": respondent, **changes}


def export_frame() -> pd.DataFrame:
    return pd.read_csv(EXPORT, dtype=str, keep_default_na=False)


def errors_of(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


# --------------------------------------------------------------------------- scoring through a mapping


def test_form_export_is_scored_with_each_rows_timestamp(tmp_path, capsys, fakes):
    code, out, _ = run(capsys, "score", EXPORT, "--mapping", MAPPING, "--out", tmp_path / "f.csv")
    assert code == 3
    assert out.strip().splitlines()[-1] == "read 7, scored 4, rejected 3"
    got = pd.read_csv(tmp_path / "f.csv", dtype=str, keep_default_na=False)
    assert list(got.columns[:18]) == list(export_frame().columns)  # every export column, as written
    assert got["Email Address"].tolist() == ["a@example.org", "b@example.org", "c@example.org", "g@example.org"]
    assert got["Have they blocked you?"].tolist() == ["No", "Yes, on some apps or my number", "No", "Yes, everywhere"]
    assert got["Anything else you'd like to tell us?"].tolist()[2] == "They texted me first.\nShould I answer?"
    # as-of = the response date: 3/14/2025 + (30 - 5) days; 3/15/2025 + 0 days
    assert got["earliest_contact"].tolist()[:2] == ["2025-04-08", "2025-03-15"]
    errors = errors_of(tmp_path / "f.errors.csv")
    assert errors.to_dict("records") == [
        {"row": "4", "column": "When did you break up?", "value": "4/2/2025",
         "reason": "in the future: later than 2025-03-16, the day the answers were given"},
        {"row": "5", "column": "Timestamp", "value": "",
         "reason": "missing: the response timestamp dates the answers"},
        {"row": "6", "column": "Have they told you to stop contacting them?", "value": "Maybe",
         "reason": f"not decided: left null in {MAPPING} (a label the template could not be sure of); map it to "
         "one of yes, no to score these rows"},
    ]


def test_as_of_option_replaces_the_timestamps(tmp_path, capsys, fakes):
    code, out, _ = run(capsys, "score", EXPORT, "--mapping", MAPPING, "--out", tmp_path / "f.csv",
                       "--as-of", "2025-06-01")
    assert (code, out.strip()) == (3, "read 7, scored 6, rejected 1")  # only 'Maybe' is left
    got = pd.read_csv(tmp_path / "f.csv", dtype=str, keep_default_na=False)
    assert got["earliest_contact"].iloc[0] == "2025-06-26"


def test_dates_are_read_in_the_mapping_format_and_days_follow_the_timestamp(fakes):
    df = export_frame().iloc[[0]]
    mapping = load_mapping(MAPPING)
    result = batch.score_frame(df, mapping=mapping)
    assert result.n_scored == 1
    # the same answers, judged a day before the breakup date: rejected
    early = df.assign(Timestamp="2/28/2025 23:59:59")
    rejected = batch.score_frame(early, mapping=mapping)
    assert rejected.problems["reason"].tolist() == [
        "in the future: later than 2025-02-28, the day the answers were given"
    ]
    assert rejected.problems["column"].tolist()[0] == "When did you break up?"


def test_unreadable_dates_and_timestamps_name_the_export_column(fakes):
    df = export_frame().iloc[[0, 1, 2]].copy()
    df.loc[0, "When did you break up?"] = "31/01/2025"  # day first: not the mapping's %m/%d/%Y
    df.loc[1, "Timestamp"] = "yesterday"
    result = batch.score_frame(df, mapping=load_mapping(MAPPING))
    assert result.valid.tolist() == [False, False, True]
    assert result.problems.to_dict("records") == [
        {"row": 0, "column": "When did you break up?", "value": "31/01/2025",
         "reason": "not a date: expected %m/%d/%Y"},
        {"row": 1, "column": "Timestamp", "value": "yesterday",
         "reason": "not a date-time: expected %m/%d/%Y %H:%M:%S"},
    ]  # and no "missing" for days_since_breakup: the date was given, just unreadable


def test_answer_texts_match_ignoring_case_and_spaces(fakes):
    df = export_frame().iloc[[0]].assign(**{"Have they blocked you?": "  yes,  EVERYWHERE ",
                                          "If blocked: how many days ago did they block you?": "3"})
    result = batch.score_frame(df, mapping=load_mapping(MAPPING))
    assert result.n_scored == 1


def test_numeric_answer_texts_can_be_mapped(fakes):
    mapping = mapping_from_dict({
        "columns": {q.id: q.id for q in QUIZ},
        "answers": {"emotional_messages": {"None": "0", "More than 10": "10"}},
    })
    rows = pd.DataFrame([{q.id: "" for q in QUIZ}] * 2)
    good = {"days_since_breakup": "9", "days_silent": "9", "attempts_ignored": "0", "attempts_last_week": "0",
            "blocked": "no", "told_no_contact": "no", "anger": "none", "wronged_them": "no", "apologized": "no",
            "bad_blood": "no", "last_reply_tone": "neutral", "ex_reached_out": "no"}
    rows = rows.assign(**good, emotional_messages=["None", "More than 10"])
    result = batch.score_frame(rows, mapping=mapping, as_of="2025-01-01")
    assert result.n_scored == 2


def test_a_mapped_column_missing_from_the_file_exits_2(tmp_path, capsys, fakes):
    raw = json.loads(MAPPING.read_text())
    raw["columns"] = {("Blocked??" if k == "Have they blocked you?" else k): v for k, v in raw["columns"].items()}
    (tmp_path / "m.json").write_text(json.dumps(raw))
    code, out, err = run(capsys, "score", EXPORT, "--mapping", tmp_path / "m.json", "--out", tmp_path / "o.csv")
    assert code == 2 and out == ""
    assert "blocked: Have they blocked you?" in err and "'Blocked??'" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]


def test_a_missing_timestamp_column_exits_2(tmp_path, capsys, fakes):
    raw = json.loads(MAPPING.read_text()) | {"timestamp": "Submitted at"}
    (tmp_path / "m.json").write_text(json.dumps(raw))
    code, _, err = run(capsys, "score", EXPORT, "--mapping", tmp_path / "m.json", "--out", tmp_path / "o.csv")
    assert code == 2 and "'Submitted at'" in err


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"columns": {"A": "blocks"}}, "'A' -> 'blocks': not a quiz column"),
        ({"columns": {"A": "anger", "B": "anger"}}, "'A' and 'B' both map to anger"),
        ({"answers": {"anger": {"Livid": "livid"}}}, "'Livid' -> 'livid': expected null, \"\" (no answer) or one of"),
        ({"answers": {"days_silent": {"A week": "seven"}}}, "expected null, \"\" (no answer) or a whole number"),
        ({"colums": {}}, "unknown keys ['colums']"),
        ({"exodds_mapping": 3}, "this exodds reads versions 1 and 2"),
        ({"exodds_mapping": 1, "id_column": "ID"}, "['id_column'] need \"exodds_mapping\": 2"),
        ({"exodds_mapping": 2, "decimal_mark": ";"}, "'decimal_mark' is ';'"),
        ({"exodds_mapping": 2, "date_formats": {"X": "%d/%m/%Y"}}, "date_formats names 'X', which 'columns' does not"),
        ({"exodds_mapping": 2, "timestamp_format": ["%d/%m/%Y", "%Q"]}, "'%Q' is not a date format"),
        ({"date_format": "dd/mm/yyyy"}, "has no strptime codes"),
        ({"timestamp_format": "%Q"}, "'%Q' is not a date format strptime can read"),
        (
            {"answers": {"anger": {"Angry": "angry", " angry ": "furious"}}},
            "'Angry' -> 'angry' and ' angry ' -> 'furious' are the same answer text",
        ),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_bad_mappings_are_refused_with_every_problem(raw, expected):
    with pytest.raises(MappingError, match="mapping: ") as info:
        mapping_from_dict(raw)
    assert expected in str(info.value)


def test_bad_mapping_file_exits_2(tmp_path, capsys, fakes):
    (tmp_path / "m.json").write_text("{not json")
    code, _, err = run(capsys, "score", EXPORT, "--mapping", tmp_path / "m.json")
    assert code == 2 and "not valid JSON" in err
    code, _, err = run(capsys, "score", EXPORT, "--mapping", tmp_path / "none.json")
    assert code == 2 and "no such mapping file" in err


def test_without_a_mapping_the_form_export_names_every_missing_question(capsys, fakes, tmp_path):
    code, _, err = run(capsys, "score", EXPORT, "--out", tmp_path / "x.csv")
    assert code == 2
    with pytest.raises(MissingColumnsError) as info:
        batch.score_frame(export_frame())
    # every question always asked; days_blocked (asked only when blocked) only rejects the rows needing it
    assert info.value.missing == [q.id for q in QUIZ if q.required and not q.ask_if]
    assert "mapping-template" in err and "days_blocked" not in err


# --------------------------------------------------------------------------- the template


def proposal(capsys, path: Path = EXPORT, *extra: Any) -> tuple[dict[str, Any], str]:
    code, out, err = run(capsys, "mapping-template", path, *extra)
    assert code == 0
    return (json.loads(out) if out else {}), err


def test_template_for_the_form_export_needs_only_the_unmatchable_fixed(capsys):
    """The hand-checked mapping, except what is not certain: 'A bit annoyed' says a degree no choice
    says, so it is left for a person (its rows rejected until then), as 'Maybe' is. Columns that are
    not questions (the e-mail, a free text) are nothing to do: they pass through."""
    got, err = proposal(capsys)
    expected = json.loads(MAPPING.read_text())
    assert got["columns"] == expected["columns"]
    assert got["answers"] == expected["answers"] | {"anger": expected["answers"]["anger"] | {"A bit annoyed": None}}
    for key in ("timestamp", "timestamp_format", "date_format"):
        assert got[key] == expected[key]
    assert got["id_column"] == "Email Address" and got["_tool"].startswith("Google Forms")
    todo = got["_todo"]
    assert len(todo) == 2
    bit, maybe = sorted(todo, key=lambda t: "'Maybe'" in t)
    assert "'A bit annoyed'" in bit and "candidates: annoyed" in bit and "'Maybe'" in maybe
    assert "2 thing(s) to check" in err
    assert got["_matches"]["When did you break up?"].startswith("breakup_date: dates")
    mapping_from_dict(got)  # loads as proposed


def test_template_can_be_written_and_used(tmp_path, capsys, fakes):
    _, err = proposal(capsys, EXPORT, "--out", tmp_path / "m.json")
    assert "m.json" in err
    load_mapping(tmp_path / "m.json")
    code, out, _ = run(capsys, "score", EXPORT, "--mapping", tmp_path / "m.json", "--out", tmp_path / "o.csv")
    assert (code, out.strip()) == (3, "read 7, scored 3, rejected 4")  # and 'A bit annoyed' (row 1), named:
    errors = errors_of(tmp_path / "o.errors.csv")
    assert errors.iloc[0].to_dict() == {
        "row": "1", "respondent": "a@example.org", "column": "How do they feel toward you now?",
        "value": "A bit annoyed", "reason": f"not decided: left null in {tmp_path / 'm.json'} (a label the template "
        "could not be sure of); map it to one of none, annoyed, angry, furious to score these rows",
    }


def test_template_for_quiz_id_headers_is_the_identity(tmp_path, capsys):
    df = pd.DataFrame([{q.id: (q.values[0] if q.values else "1") for q in QUIZ}])
    df.to_parquet(tmp_path / "ids.parquet")
    got, _ = proposal(capsys, tmp_path / "ids.parquet")
    assert got["columns"] == {q.id: q.id for q in QUIZ}
    assert got["answers"] == {}
    assert got["_todo"] == [
        "no timestamp column found: set 'timestamp' to the column with each response's date and time, or pass "
        "--as-of; until then every date counts from the day of scoring"
    ]


def test_template_reads_parquet_timestamps_and_dates(tmp_path, capsys, fakes):
    df = export_frame().iloc[[0, 1, 2]]
    typed = df.assign(
        Timestamp=pd.to_datetime(df["Timestamp"], format="%m/%d/%Y %H:%M:%S"),
        **{"When did you break up?": pd.to_datetime(df["When did you break up?"], format="%m/%d/%Y").dt.date},
    )
    typed.to_parquet(tmp_path / "f.parquet")
    got, _ = proposal(capsys, tmp_path / "f.parquet", "--out", tmp_path / "m.json")
    assert got == {} and got.get("timestamp") is None  # written to the file, not printed
    mapping = json.loads((tmp_path / "m.json").read_text())
    assert mapping["timestamp"] == "Timestamp" and mapping["columns"]["When did you break up?"] == "breakup_date"
    code, out, _ = run(capsys, "score", tmp_path / "f.parquet", "--mapping", tmp_path / "m.json")
    assert (code, out.strip()) == (3, "read 3, scored 2, rejected 1")  # 'A bit annoyed' is not certain


def test_template_lists_questions_without_a_column_and_odd_numbers(tmp_path, capsys):
    df = export_frame().drop(columns=["Have they blocked you?"])
    df["How many emotional, late-night or drunk messages have you sent them?"] = ["1", "None", "2", "More than 10",
                                                                                  "0", "3", "None"]
    df.to_csv(tmp_path / "e.csv", index=False)
    got, _ = proposal(capsys, tmp_path / "e.csv")
    assert "blocked" not in got["columns"].values()
    assert any(t.startswith("no column found for blocked: Have they blocked you?") for t in got["_todo"])
    assert got["answers"]["emotional_messages"] == {"More than 10": None, "None": None}
    assert not any("Anything else" in t for t in got["_todo"])  # a free-text column changes nothing
    assert any("'More than 10'" in t and "emotional_messages" in t for t in got["_todo"])


def test_template_warns_when_day_and_month_could_be_swapped(tmp_path, capsys):
    df = export_frame().iloc[:3].assign(
        Timestamp=["03/04/2025 10:00:00", "03/05/2025 10:00:00", "04/05/2025 10:00:00"],
        **{"When did you break up?": ["01/02/2025", "02/03/2025", "01/01/2025"]},
    )
    df.to_csv(tmp_path / "a.csv", index=False)
    got, _ = proposal(capsys, tmp_path / "a.csv")
    # both orders, so a value they read as two days is rejected (not guessed) until a person drops one
    assert got["timestamp_format"] == ["%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S"]
    assert got["date_format"] == ["%m/%d/%Y", "%d/%m/%Y"]
    assert sum("day and month could be either way round" in t for t in got["_todo"]) == 2


def test_template_of_an_unusable_file_exits_2(tmp_path, capsys):
    (tmp_path / "e.csv").write_bytes(b"")
    code, out, err = run(capsys, "mapping-template", tmp_path / "e.csv")
    assert (code, out) == (2, "") and "empty" in err


def test_propose_mapping_matches_each_question_text_to_its_id():
    headers = [q.text for q in QUIZ]
    got = propose_mapping(headers, pd.DataFrame(columns=headers))
    assert got["columns"] == {q.text: q.id for q in QUIZ}


# --------------------------------------------------------------------------- pieces


def test_parse_timestamps_reads_iso_and_other_layouts_once():
    raw = pd.Series(["2025-03-14T23:30:00+05:00", "2025-03-15 01:02:03", "", None, "March 3, 2025", "soon"])
    days, blank, bad = parse_timestamps(raw)
    assert days[:2].tolist() == [dt.date(2025, 3, 14), dt.date(2025, 3, 15)]  # the date as written
    assert days[4] == np.datetime64("2025-03-03")
    assert blank.tolist() == [False, False, True, True, False, False]
    assert bad.tolist() == [False, False, False, False, False, True]


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["Yes", " yes ", "NO", "x"]))),
    table=st.dictionaries(st.sampled_from(["yes", "no", "x", "y"]), st.sampled_from(["yes", "no"])),
)
def test_translate_maps_known_texts_and_keeps_the_rest(values, table):
    col = pd.Series(values, dtype=object)
    got = _translate(col, ColumnMapping(answers={"blocked": table}).answer_table("blocked"))
    for raw, new in zip(values, got.tolist(), strict=True):
        if raw is None:
            assert new is None
        else:
            key = " ".join(raw.split()).casefold()
            assert new == table.get(key, raw)


def test_one_odd_timestamp_does_not_hide_the_timestamp_column(tmp_path, capsys, fakes):
    """A hand-edited cell among 21 form timestamps: the column is still found, the odd value is listed,
    and scoring rejects only its row."""
    base = export_frame()
    df = pd.concat([base] * 3, ignore_index=True)
    df["Timestamp"] = [f"11/{d:02d}/2025 10:00:00" for d in range(1, len(df) + 1)]
    df.loc[4, "Timestamp"] = "2025-11-23"
    df.to_csv(tmp_path / "f.csv", index=False)
    proposal(capsys, tmp_path / "f.csv", "--out", tmp_path / "m.json")
    mapping = json.loads((tmp_path / "m.json").read_text())
    assert (mapping["timestamp"], mapping["timestamp_format"]) == ("Timestamp", "%m/%d/%Y %H:%M:%S")
    assert any("1 value(s) do not read as" in t and "'2025-11-23'" in t for t in mapping["_todo"])
    code, _, _ = run(capsys, "score", tmp_path / "f.csv", "--mapping", tmp_path / "m.json", "--out",
                     tmp_path / "o.csv")
    errors = errors_of(tmp_path / "o.errors.csv")
    assert code == 3 and ["5", "Timestamp"] in errors[["row", "column"]].values.tolist()


def test_the_value_that_settles_day_and_month_is_never_taken_for_a_stray(tmp_path, capsys):
    """19 timestamps read either way and one only as day/month: day/month it is, with nothing listed;
    among ISO timestamps a stray value is listed too."""
    df = pd.concat([export_frame()] * 3, ignore_index=True).iloc[:20]
    df["Timestamp"] = [f"{d:02d}/03/2025 10:00:00" for d in range(1, 20)] + ["25/03/2025 10:00:00"]
    df.to_csv(tmp_path / "dm.csv", index=False)
    got, _ = proposal(capsys, tmp_path / "dm.csv")
    assert got["timestamp_format"] == "%d/%m/%Y %H:%M:%S"
    assert not any("do not read as" in t for t in got["_todo"])
    df["Timestamp"] = [f"2025-03-{d:02d}T10:00:00+01:00" for d in range(1, 20)] + ["23/11/2025"]
    df.to_csv(tmp_path / "iso.csv", index=False)
    got, _ = proposal(capsys, tmp_path / "iso.csv")
    assert got["timestamp"] == "Timestamp" and got["timestamp_format"] is None
    assert any("'23/11/2025'" in t for t in got["_todo"])


def test_an_answer_text_can_mean_no_answer(capsys, fakes, tmp_path):
    """A form's "N/A" under "how many days ago did they block you?" for someone not blocked: mapped
    to "" it is no answer, so the row is scored (and a blocked row saying N/A is still rejected)."""
    rows = [row("a", days_blocked="N/A"), row("b", blocked="some", days_blocked="N/A"), row("c")]
    src = tmp_path / "na.csv"
    pd.DataFrame(rows).to_csv(src, index=False)
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"columns": {c: c for c in rows[0]} | {"respondent": None},
                                   "answers": {"days_blocked": {"n/a": ""}}}), encoding="utf-8")
    code, out, _ = run(capsys, "score", src, "--mapping", mapping, "--out", tmp_path / "o.csv",
                       "--as-of", AS_OF.isoformat())
    assert (code, out.strip().splitlines()[-1]) == (3, "read 3, scored 2, rejected 1")
    errors = pd.read_csv(tmp_path / "o.errors.csv", dtype=str, keep_default_na=False)
    assert errors[["row", "column", "value"]].values.tolist() == [["2", "days_blocked", "N/A"]]


def test_date_answers_without_a_timestamp_or_as_of_are_named_in_a_warning(capsys, fakes, tmp_path):
    src = tmp_path / "dates.csv"
    answers = {k: v for k, v in row("a").items() if k != "days_since_breakup"} | {"breakup_date": "2025-01-05"}
    pd.DataFrame([answers]).to_csv(src, index=False)
    code, _, err = run(capsys, "score", src, "--out", tmp_path / "o.csv")
    assert code in (0, 3) and "the date answers (breakup_date) are counted up to today" in err
    code, _, err = run(capsys, "score", src, "--out", tmp_path / "o.csv", "--as-of", "2025-02-01")
    assert "counted up to today" not in err
    code, _, err = run(capsys, "validate", src)  # validate warns alike
    assert "the date answers (breakup_date) are counted up to today" in err
    code, _, err = run(capsys, "validate", src, "--as-of", "2025-02-01")
    assert "counted up to today" not in err


def test_timestamps_with_spaces_around_them_are_read():
    days, blank, bad = parse_timestamps(pd.Series([" 3/14/2025 10:22:05 ", "3/15/2025 10:22:05"]),
                                        "%m/%d/%Y %H:%M:%S")
    assert days.tolist() == [dt.date(2025, 3, 14), dt.date(2025, 3, 15)] and not bad.any() and not blank.any()


def test_one_odd_value_does_not_hide_a_date_column_from_the_template():
    """40 breakup dates in one layout and one typed another way: still a date column, the odd value
    listed (its row is rejected when scored), rather than a number column asking for 40 translations."""
    dates = [f"2/{d}/2025" for d in range(1, 29)] + [f"1/{d}/2025" for d in range(1, 13)]
    dates[5] = "2025-02-08"
    sample = pd.DataFrame({"When did you break up?": dates})
    proposed = propose_mapping(["When did you break up?"], sample)
    assert proposed["columns"]["When did you break up?"] == "breakup_date"
    assert proposed["date_format"] == "%m/%d/%Y"
    assert any("'2025-02-08' do not read as '%m/%d/%Y'" in t for t in proposed["_todo"])


def test_mapping_template_samples_at_least_one_row(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["mapping-template", str(EXPORT), "--rows", "0"])
    assert exc.value.code == 2 and "sample at least 1" in capsys.readouterr().err


def test_time_zone_codes_are_valid_mapping_formats():
    m = mapping_from_dict({"timestamp_format": "%Y-%m-%dT%H:%M:%S%z", "date_format": "%d %b %Y %Z"})
    assert m.timestamp_format == "%Y-%m-%dT%H:%M:%S%z"


def test_a_short_export_with_dates_typed_two_ways_is_still_a_date_column():
    """4 rows, one date in another layout (more than 1 in 20): the date column with that value
    listed, not a day count asked for each date."""
    dates = ["01/08/2026", "2026/08/01", "2026/09/01", "2026/10/01"]
    sample = pd.DataFrame({"What date did you two break up?": dates})
    proposed = propose_mapping(["What date did you two break up?"], sample)
    assert proposed["columns"]["What date did you two break up?"] == "breakup_date"
    # two layouts that never read one value as two days; 01/08 could be either way round: listed
    assert proposed["date_format"] == ["%Y/%m/%d", "%m/%d/%Y", "%d/%m/%Y"]
    assert any("'01/08/2026' read as two different days" in t for t in proposed["_todo"])
    assert not any("give the number of days" in t for t in proposed["_todo"])
    # a column of whole numbers, or of text that is mostly not dates, is left alone
    words = pd.DataFrame({"What date did you two break up?": ["last spring", "2026/08/01", "ages ago", "june"]})
    assert propose_mapping(["What date did you two break up?"], words)["columns"][
        "What date did you two break up?"] == "days_since_breakup"


# --------------------------------------------------------------------------- issue 20: numbers, layouts, keys


def id_mapping(**extra: Any) -> dict[str, Any]:
    return {"exodds_mapping": 2, "columns": {c: c for c in GOOD} | {"respondent": None}, **extra}


@pytest.mark.parametrize(
    ("mark", "text", "scored"),
    [(",", "1.000", "1000"), (".", "1.000", "1"), (".", "1,000", "1000"), (",", "1,5", None), (None, "1.000", None),
     (None, "1,000", None), (",", "2.500.000", None), (".", "12", "12")],
)
def test_numbers_follow_the_mappings_decimal_mark_and_are_refused_without_one(mark, text, scored, fakes, tmp_path,
                                                                               capsys):
    """1.000 is a thousand with a decimal comma and one with a decimal point; without the mapping saying
    which, the row is rejected with the reason, never read as either."""
    src = tmp_path / "n.csv"
    pd.DataFrame([row("a", emotional_messages=text)]).to_csv(src, index=False)
    (tmp_path / "m.json").write_text(json.dumps(id_mapping(decimal_mark=mark)), encoding="utf-8")
    code, _out, _ = run(capsys, "score", src, "--mapping", tmp_path / "m.json", "--out", tmp_path / "o.csv",
                       "--as-of", AS_OF.isoformat())
    errors = errors_of(tmp_path / "o.errors.csv")
    if scored is None:
        assert code == 3 and errors["column"].tolist() == ["emotional_messages"]
        if mark is None:
            assert errors["reason"].iloc[0].startswith("ambiguous: 1000 if")
    else:
        assert code == 0 and errors.empty
        frame = pd.DataFrame([row("a", emotional_messages=text)])
        resolved = resolve_columns(list(frame.columns), mapping_from_dict(id_mapping(decimal_mark=mark)))
        _, valid, clean, _ = judge(frame, resolved, AS_OF)
        assert valid.all() and clean["emotional_messages"].tolist() == [int(scored)]


def test_a_layout_that_reads_no_value_is_a_setup_error_and_writes_nothing(fakes, tmp_path, capsys):
    src = tmp_path / "d.csv"
    answers = {k: v for k, v in row("a").items() if k != "days_since_breakup"}
    pd.DataFrame([answers | {"breakup_date": "2025-01-05"}, answers | {"breakup_date": "2025-02-05"}]).to_csv(
        src, index=False)
    columns = {c: c for c in answers} | {"respondent": None, "breakup_date": "breakup_date"}
    (tmp_path / "m.json").write_text(json.dumps({"columns": columns, "date_format": "%d/%m/%Y"}), encoding="utf-8")
    mapped = ["--mapping", tmp_path / "m.json"]
    for args in (["score", src, "--out", tmp_path / "o.csv", *mapped], ["validate", src, *mapped],
                 ["mapping-template", "--check", tmp_path / "m.json", src]):
        code, _, err = run(capsys, *args)
        assert code == 2, (args, err)
        assert "'breakup_date' has 2 value(s) and '%d/%m/%Y' reads none of them (such as '2025-01-05')" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "m.json"]
    # the timestamp's layout alike (the answers' dates read, the response times do not)
    (tmp_path / "m.json").write_text(json.dumps({"columns": columns, "timestamp": "respondent",
                                                 "timestamp_format": "%Y-%m-%d %H:%M"}), encoding="utf-8")
    code, _, err = run(capsys, "score", src, "--out", tmp_path / "o.csv", *mapped)
    assert code == 2 and "'respondent' has 2 value(s) and '%Y-%m-%d %H:%M' reads none of them (such as 'a')" in err


def test_a_version_1_mapping_is_read_as_it_was_and_new_keys_ask_for_version_2(tmp_path):
    old = json.loads(MAPPING.read_text())
    assert old["exodds_mapping"] == 1 and load_mapping(MAPPING).date_format == "%m/%d/%Y"
    with pytest.raises(MappingError, match=r"\['decimal_mark'\] need \"exodds_mapping\": 2"):
        mapping_from_dict(old | {"decimal_mark": ","})
    assert mapping_from_dict(old | {"exodds_mapping": 2, "decimal_mark": ","}).decimal_mark == ","


def test_id_column_names_rejected_rows_and_reports_duplicates(fakes, tmp_path, capsys):
    rows = [row("r1"), row("r2", anger="livid"), row("r1"), row("r3"), row("r3", apologized="no")]
    src = tmp_path / "k.csv"
    pd.DataFrame(rows).to_csv(src, index=False)
    code, out, err = run(capsys, "score", src, "--id-column", "respondent", "--out", tmp_path / "o.csv",
                         "--as-of", AS_OF.isoformat())
    assert (code, out.strip()) == (3, "read 5, scored 4, rejected 1")
    errors = errors_of(tmp_path / "o.errors.csv")
    assert errors[["row", "respondent", "column"]].values.tolist() == [["2", "r2", "anger"]]
    assert "rejected by respondent: r2 (row 2)" in err
    # r1 twice alike: a duplicate (both scored); r3 twice with other answers: not a duplicate
    assert "1 duplicate(s), the same respondent with the same answers, each row scored: r1: rows 1, 3" in err
    code, _, err = run(capsys, "score", src, "--id-column", "who", "--out", tmp_path / "o.csv")
    assert code == 2 and "--id-column 'who' is not in the input" in err


def test_parquet_output_starts_over_with_text_when_a_later_value_breaks_a_type(fakes, tmp_path):
    """Whole numbers in the first block, then 'n/a': the column is text, every value as written."""
    ids = [str(i) for i in range(1, 300)] + ["n/a"]
    src = tmp_path / "t.csv"
    pd.DataFrame([row(r) for r in ids]).to_csv(src, index=False)
    summary = batch.score_file(src, tmp_path / "t.parquet", as_of=AS_OF, block_size=1024)
    assert summary.n_scored == 300
    back = pd.read_parquet(tmp_path / "t.parquet")
    assert back["respondent"].tolist() == ids and back["attempts_ignored"].tolist() == [2] * 300


def test_validate_names_each_problem_by_its_respondent_too(tmp_path, capsys):
    src = tmp_path / "k.csv"
    pd.DataFrame([row("r1"), row("r2", anger="livid")]).to_csv(src, index=False)
    code, out, _ = run(capsys, "validate", src, "--id-column", "respondent", "--as-of", AS_OF.isoformat())
    assert code == 1 and out.splitlines()[0] == "row 2 (r2): anger = 'livid': not one of the choices: expected one " \
        "of none, annoyed, angry, furious"
