"""`exodds questions` and `exodds validate`, called in-process (one real subprocess at the end)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import AS_OF, assert_runs_without_scikit_learn

from model.cli import main
from model.errors import InputError
from model.io import read_json_answers
from model.quiz.definition import QUIZ

ASOF = ["--as-of", AS_OF.isoformat()]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    columns = list(dict.fromkeys(k for r in rows for k in r))
    lines = [",".join(columns)] + [",".join(str(r.get(c, "")) for c in columns) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- exodds questions


def test_questions_table_lists_every_question(capsys):
    code, out, err = run(capsys, "questions")
    assert code == 0 and err == ""
    assert out.startswith(f"The exodds quiz: {len(QUIZ)} questions")
    numbered = [line.split(". ", 1)[1] for line in out.splitlines() if line[:3].strip().rstrip(".").isdigit()]
    assert numbered == list(QUIZ.ids)
    flat = " ".join(out.split())
    for q in QUIZ:
        assert " ".join(q.text.split()) in flat
        assert q.expected() in flat
    assert "breakup_date (YYYY-MM-DD)" in flat
    assert "only when blocked is some or everywhere" in flat
    assert "optional, default prefer_not_to_say" in flat


@pytest.mark.parametrize(("columns", "widest"), [("5", 60), ("80", 80), ("500", 110)])
def test_questions_table_fits_the_terminal_within_limits(capsys, monkeypatch, columns, widest):
    monkeypatch.setenv("COLUMNS", columns)
    code, out, _ = run(capsys, "questions")
    assert code == 0
    lines = out.splitlines()[2:]
    assert max(len(line) for line in lines) <= widest
    assert all(len(line.strip()) > 3 for line in lines if line.strip())  # never a letter per line


def test_questions_json_is_the_definition(capsys):
    code, out, _ = run(capsys, "questions", "--format", "json")
    assert code == 0
    assert json.loads(out) == QUIZ.to_dict()


def test_questions_markdown_has_a_row_per_question(capsys):
    code, out, _ = run(capsys, "questions", "--format", "markdown")
    assert code == 0
    rows = [line for line in out.splitlines() if line.startswith("| `")]
    assert [r.split("`")[1] for r in rows] == list(QUIZ.ids)


def test_unknown_format_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["questions", "--format", "yaml"])
    assert exc.value.code == 2
    assert "invalid choice: 'yaml'" in capsys.readouterr().err


def test_no_command_prints_help(capsys):
    code, out, _ = run(capsys)
    assert code == 2
    assert "questions" in out and "validate" in out


# ---------------------------------------------------------------- exodds validate


def test_validate_good_json_object(tmp_path, capsys, good_answers):
    path = write_json(tmp_path / "answers.json", good_answers)
    code, out, err = run(capsys, "validate", str(path), *ASOF)
    assert code == 0, out + err
    assert out.strip() == "1 row(s): 1 valid, 0 with problems"
    assert err == ""


def test_validate_good_json_list_with_dates(tmp_path, capsys, good_answers):
    second = {**good_answers, "breakup_date": "2026-10-17"}
    del second["days_since_breakup"]
    path = write_json(tmp_path / "answers.json", [good_answers, second])
    code, out, _ = run(capsys, "validate", str(path), *ASOF)
    assert code == 0
    assert out.strip() == "2 row(s): 2 valid, 0 with problems"


def test_validate_bad_json_prints_each_problem_with_row_and_question(tmp_path, capsys, good_answers):
    rows = [
        good_answers,
        {**good_answers, "days_silent": 50, "anger": "livid"},
        {**good_answers, "attempts_ignored": "3.5", "note": "hi"},
    ]
    del rows[2]["apologized"]
    path = write_json(tmp_path / "answers.json", rows)
    code, out, err = run(capsys, "validate", str(path), *ASOF)
    assert code == 1
    lines = out.strip().splitlines()
    assert lines == [
        "row 2: days_silent = 50: more days since last contact than since the breakup (days_since_breakup)",
        "row 2: anger = 'livid': not one of the choices: expected one of none, annoyed, angry, furious",
        "row 3: attempts_ignored = '3.5': not a whole number: expected a whole number from 0 to 10000",
        "row 3: apologized = (blank): missing: this answer is required",
        "row 3: note = 'hi': unknown question: not part of the quiz",
        "3 row(s): 1 valid, 2 with problems",
    ]
    assert "note" in err and "Traceback" not in err


def test_validate_csv_with_some_bad_rows_numbers_rows_from_one(tmp_path, capsys, good_answers):
    rows = [
        {**good_answers, "blocked": "Everywhere", "days_blocked": 3},  # form spelling: fine
        {**good_answers, "days_since_breakup": "-2"},
        good_answers,
        {**good_answers, "told_no_contact": "TRUE", "anger": ""},
    ]
    path = write_csv(tmp_path / "answers.csv", rows)
    code, out, _ = run(capsys, "validate", str(path), *ASOF)
    assert code == 1
    lines = out.strip().splitlines()
    assert lines == [
        "row 2: days_since_breakup = '-2': below the minimum 0: expected a whole number from 0 to 36500",
        "row 4: anger = (blank): missing: this answer is required",  # blank text shows as a missing value does
        "4 row(s): 2 valid, 2 with problems",
    ]


def test_validate_good_csv_and_semicolon_csv(tmp_path, capsys, good_answers):
    path = write_csv(tmp_path / "a.csv", [good_answers, good_answers])
    assert run(capsys, "validate", str(path), *ASOF)[0] == 0
    semi = tmp_path / "b.csv"
    semi.write_text(path.read_text().replace(",", ";"), encoding="utf-8")
    code, out, _ = run(capsys, "validate", str(semi), *ASOF)
    assert code == 0, out
    assert out.strip() == "2 row(s): 2 valid, 0 with problems"


def test_validate_parquet(tmp_path, capsys, good_answers):
    rows = [good_answers, {**good_answers, "blocked": "some", "days_blocked": 3}, {**good_answers, "days_silent": 99}]
    path = tmp_path / "answers.parquet"
    pd.DataFrame(rows).to_parquet(path)
    code, out, _ = run(capsys, "validate", str(path), *ASOF)
    assert code == 1
    assert out.strip().splitlines() == [
        "row 3: days_silent = 99: more days since last contact than since the breakup (days_since_breakup)",
        "3 row(s): 2 valid, 1 with problems",
    ]
    path.write_text("nope", encoding="utf-8")
    code, _, err = run(capsys, "validate", str(path), *ASOF)
    assert code == 2 and err.startswith(f"error: {path}: not a readable Parquet file") and "Traceback" not in err


def test_a_parquet_list_column_is_named_when_a_csv_cannot_hold_it(tmp_path, capsys, good_answers):
    """Lists have no CSV text: the command says which column and that a Parquet output keeps it."""
    df = pd.DataFrame([good_answers, good_answers])
    df.insert(0, "tags", [[1, 2], [3]])
    path = tmp_path / "answers.parquet"
    df.to_parquet(path)
    code, out, err = run(capsys, "score", str(path), "--out", str(tmp_path / "s.csv"), *ASOF, "--quiet")
    assert code == 2 and "Traceback" not in err
    assert "'tags' (list<element: int64>)" in err and "--out s.parquet" in err
    assert not (tmp_path / "s.csv").exists() and not list(tmp_path.glob("*.errors.csv"))
    code, out, err = run(capsys, "score", str(path), "--out", str(tmp_path / "s.parquet"), *ASOF, "--quiet")
    assert code == 0 and out.strip().endswith("read 2, scored 2, rejected 0"), err
    scored = pd.read_parquet(tmp_path / "s.parquet")
    assert [list(t) for t in scored["tags"]] == [[1, 2], [3]]


def test_validate_single_column_csv_reads_the_column(tmp_path, capsys):
    path = tmp_path / "one.csv"
    path.write_text("days_since_breakup\n5\n", encoding="utf-8")
    code, out, _ = run(capsys, "validate", str(path), *ASOF)
    assert code == 1
    assert "row 1: days_silent = (blank): missing: this answer is required" in out
    assert "days_since_breakup" not in out  # its answer was read; the header was not split into letters
    assert "unknown question" not in out


def test_validate_uses_the_as_of_date(tmp_path, capsys, good_answers):
    answers = {**good_answers, "breakup_date": "2026-10-17"}
    path = write_json(tmp_path / "answers.json", answers)
    assert run(capsys, "validate", str(path), *ASOF)[0] == 0
    code, out, _ = run(capsys, "validate", str(path), "--as-of", "2026-11-27")
    assert code == 1
    assert "row 1: days_since_breakup = 40: contradicts breakup_date, which gives 41 days" in out


DATA = Path(__file__).resolve().parents[1] / "data"


def test_validate_reads_a_table_exactly_as_score_does(tmp_path, capsys, good_answers):
    """Gzip, a ragged record, a Latin-1 record: validate numbers and judges records like `score`."""
    import gzip

    answers = {**good_answers, "days_blocked": ""}  # `score` wants every column the quiz may need
    columns = ["respondent", *answers]
    good = ",".join(str(answers[c]) for c in columns[1:])
    lines = [",".join(columns), f"a,{good}", "b,1,2", f"c,{good}".replace("annoyed", "grumpy")]
    raw = ("\n".join(lines) + "\n").encode("utf-8") + f"Ren\u00e9e,{good}\n".encode("latin-1")
    path = tmp_path / "answers.csv.gz"
    path.write_bytes(gzip.compress(raw))
    code, out, err = run(capsys, "validate", str(path), *ASOF)
    assert code == 1
    printed = out.strip().splitlines()
    assert printed[-1] == "4 row(s): 2 valid, 2 with problems"
    assert printed[0].startswith("row 2: (record) = ") and "expected" in printed[0]
    assert printed[1].startswith("row 3: anger = 'grumpy': not one of the choices")
    assert "note: columns not in the quiz: respondent" in err and "Latin-1" in err
    # `exodds score` rejects the same records under the same numbers
    assert main(["score", str(path), "--out", str(tmp_path / "s.csv"), *ASOF, "--quiet"]) == 3
    errors = pd.read_csv(tmp_path / "s.errors.csv", dtype=str)
    assert errors["row"].astype(int).tolist() == [2, 3]


def test_validate_a_form_export_with_its_mapping(capsys):
    code, out, _ = run(capsys, "validate", str(DATA / "form_export.csv"),
                       "--mapping", str(DATA / "form_export.mapping.json"))
    # the same three rows score rejects (tests/test_mapping.py), named by the export's own headers
    assert code == 1
    assert out.strip().splitlines() == [
        "row 4: When did you break up? = '4/2/2025': in the future: later than 2025-03-16, the day the "
        "answers were given",
        "row 5: Timestamp = (blank): missing: the response timestamp dates the answers",
        "row 6: Have they told you to stop contacting them? = 'Maybe': not decided: left null in "
        f"{DATA / 'form_export.mapping.json'} (a label the template could not be sure of); map it to one of yes, no "
        "to score these rows",
        "7 row(s): 4 valid, 3 with problems",
    ]
    without = run(capsys, "validate", str(DATA / "form_export.csv"))
    assert without[0] == 1 and "missing: this answer is required" in without[1]  # no quiz ids in its headers


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.json", None, "no such file"),
        ("broken.json", "{not json", "cannot read"),
        ("scalar.json", "42", "expected one JSON object of answers, or a list of them"),
        ("empty.csv", "", "the file is empty"),
        ("binary.csv", b"\xff\xfe\x00\x01", "UTF-16 text; save it as CSV UTF-8|cannot read"),
    ],
)
def test_validate_unusable_files_fail_cleanly(tmp_path, capsys, name, content, message):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "validate", str(path), *ASOF)
    assert code == 2  # unusable, as for `exodds score`; 1 means some row has a problem
    # a table is read by the batch reader (which names what the file is), a JSON file whole
    assert err.startswith(f"error: {path}") and message.split("|")[0] in err
    assert "Traceback" not in err and out == ""
    if name.endswith(".json"):  # the one reader of answer files says the same
        with pytest.raises(InputError, match=message.split("|")[-1]):
            read_json_answers(path)


def test_validate_bad_as_of_fails_cleanly(tmp_path, capsys, good_answers):
    path = write_json(tmp_path / "answers.json", good_answers)
    code, _, err = run(capsys, "validate", str(path), "--as-of", "tomorrow")
    assert code == 2
    assert "as-of date 'tomorrow' is not an ISO date" in err


def test_validate_exit_codes_match_score(tmp_path, capsys, good_answers):
    """0 every row valid, 1 some row has a problem, 2 nothing could be checked (as `score` exits 2)."""
    answers = write_json(tmp_path / "answers.json", good_answers)
    table = write_csv(tmp_path / "answers.csv", [good_answers])
    unusable = [
        [str(answers), "--mapping", str(tmp_path / "map.json")],  # --mapping is for tables
        [str(table), "--mapping", str(tmp_path / "missing.json")],
        [str(table), "--as-of", "2026-13-01"],
    ]
    for args in unusable:
        code, out, err = run(capsys, "validate", *args)
        assert code == 2 and err.startswith("error: ") and out == "", args
        assert main(["score", *args[:1], "--out", str(tmp_path / "s.csv"), *args[1:], "--quiet"]) == 2
    bad = write_csv(tmp_path / "bad.csv", [good_answers, {**good_answers, "anger": "livid"}])
    assert run(capsys, "validate", str(bad), *ASOF)[0] == 1
    assert run(capsys, "validate", str(table), *ASOF)[0] == 0


def test_validate_nested_json_values_are_problems_not_crashes(tmp_path, capsys, good_answers):
    path = write_json(tmp_path / "answers.json", {**good_answers, "attempts_ignored": [1, 2]})
    code, out, _ = run(capsys, "validate", str(path), *ASOF)
    assert code == 1
    assert "row 1: attempts_ignored = [1, 2]: not a number" in out


def test_json_numbers_keep_their_type(tmp_path, good_answers):
    # A key missing from one record must not turn the others' 50 into 50.0.
    path = write_json(tmp_path / "answers.json", [good_answers, {"days_silent": 50}])
    records = read_json_answers(path)
    assert records[1]["days_silent"] == 50 and type(records[1]["days_silent"]) is int
    assert type(records[0]["attempts_ignored"]) is int


# ---------------------------------------------------------------- the installed entry point


@pytest.mark.slow
def test_installed_entry_point():
    exe = Path(sys.executable).with_name("exodds")
    assert exe.exists(), "install the package: pip install -e '.[dev]'"
    done = subprocess.run([exe, "questions", "--format", "json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == QUIZ.to_dict()


def test_validate_lists_each_problem_once_when_a_reader_starts_over(tmp_path, capsys, good_answers):
    """A quote inside an unquoted value among multi-line notes makes the first reader give up after
    some records; the second pass must neither repeat nor lose their problems."""
    answers = {**good_answers, "days_blocked": ""}
    columns = ["respondent", *answers, "note", "size"]
    good = ",".join(str(answers[c]) for c in columns[1:-2])
    lines = [",".join(columns)]
    for i in range(3000):
        note = '"one\ntwo"' if i % 3 else "fine"
        size = '5" tall' if i == 2000 else str(i)
        record = f"r{i},{good},{note},{size}"
        lines.append(record.replace("annoyed", "livid") if i % 500 == 1 else record)
    path = tmp_path / "notes.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from model.batch import blocks
    from model.batch import pipeline as batch

    old, switch = blocks.BLOCK_BYTES, batch._next_reader
    readers = []
    blocks.BLOCK_BYTES = 4096  # many blocks, so the first reader has shown some problems already
    batch._next_reader = lambda reader, exc: readers.append(switch(reader, exc)) or readers[-1]
    try:
        code, out, _ = run(capsys, "validate", str(path), *ASOF)
    finally:
        blocks.BLOCK_BYTES, batch._next_reader = old, switch
    assert readers  # it did start over
    rows = [int(line.split(":")[0].split()[1]) for line in out.splitlines() if line.startswith("row ")]
    assert rows == [i + 1 for i in range(3000) if i % 500 == 1]
    assert out.strip().splitlines()[-1] == "3000 row(s): 2994 valid, 6 with problems" and code == 1
    assert batch.score_file(path, tmp_path / "s.csv", as_of=AS_OF).n_rejected == 6


def test_commands_that_need_no_model_start_without_scikit_learn(tmp_path, good_answers):
    """`validate` and `questions` never load the model, so they never pay for importing scikit-learn
    (about 0.6 s): building the command line must not import it either."""
    src = write_json(tmp_path / "a.json", good_answers)
    assert_runs_without_scikit_learn(
        "from model.cli import main; "
        f"main(['validate', {str(src)!r}, '--as-of', '2026-01-01']); main(['questions'])"
    )


def test_scoring_and_reports_start_without_scikit_learn(tmp_path, good_answers):
    """The model is read from its weights (``weights.npz``), so `report` and `score` do not import
    scikit-learn either: a small file scores in about half a second instead of one and a half."""
    src = write_json(tmp_path / "a.json", good_answers)
    csv_path = tmp_path / "many.csv"
    pd.DataFrame([good_answers] * 3).reindex(columns=list(QUIZ.ids)).to_csv(csv_path, index=False)
    assert_runs_without_scikit_learn(
        "import sys; from model.cli import main; "
        f"r = main(['report', {str(src)!r}, '--as-of', '2026-01-01', '--format', 'md']); "
        f"s = main(['score', {str(csv_path)!r}, '--as-of', '2026-01-01', '--quiet']); "
        "(r, s) == (0, 0) or sys.exit(4)"
    )


def test_a_report_name_with_another_files_extension_is_refused(tmp_path, capsys, good_answers):
    answers = write_json(tmp_path / "a.json", good_answers)
    code, out, err = run(capsys, "report", str(answers), *ASOF, "--out", str(tmp_path / "r.pdf"))
    assert code == 2 and out == "" and "cannot write a .pdf report" in err
    assert not (tmp_path / "r.pdf").exists()
    assert run(capsys, "report", str(answers), *ASOF, "--out", str(tmp_path / "r.pdf"), "--format", "html")[0] == 0
    assert (tmp_path / "r.pdf").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert run(capsys, "report", str(answers), *ASOF, "--out", str(tmp_path / "r.2026-11"))[0] == 0


def test_an_unknown_option_shows_the_commands_own_usage(capsys):
    """`exodds score x.csv -q`: the error comes with `score`'s usage, where --quiet is listed."""
    with pytest.raises(SystemExit) as exc:
        main(["score", "x.csv", "-q"])
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert "usage: exodds score" in err and "--quiet" in err
    assert "exodds score: error: unrecognized arguments: -q" in err
    with pytest.raises(SystemExit):
        main(["--bogus"])
    assert "usage: exodds [-h]" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # before the command: the top-level usage, not the command's
        main(["--quiet", "score", "x.csv"])
    err = capsys.readouterr().err
    assert "usage: exodds [-h]" in err and "exodds: error: unrecognized arguments: --quiet" in err
