"""`exodds quiz`, `exodds report` and `exodds examples`: prompts, re-asks, exit codes, files written or not."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import AS_OF

from model.cli import main
from model.quiz.definition import QUIZ
from model.report.build import build_report

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

# One line per question in quiz order (days_blocked skipped: not blocked), with a re-ask for an
# invalid number, an invalid choice, choices by number, by value and by label, and a date.
SESSION = [
    "2026-10-17",  # 1 breakup: a date, 40 days before AS_OF
    "ten",  # 2 days_silent: not a number -> re-asked
    "10",
    "2",  # 3 attempts_ignored
    "0",  # 4 attempts_last_week
    "1",  # 5 blocked: choice number 1 = No -> question 6 (days_blocked) is skipped
    "maybe",  # 7 told_no_contact: not a choice -> re-asked
    "no",
    "Annoyed",  # 8 anger: by label
    "2",  # 9 wronged_them: number 2 = No
    "yes",  # 10 apologized
    "n",  # 11 bad_blood
    "neutral",  # 12 last_reply_tone
    "no",  # 13 ex_reached_out
    "1",  # 14 emotional_messages
    "",  # 15 safety_concern: optional, Enter takes the default
]


def run_quiz(monkeypatch, capsys, lines: list[str], *args: str) -> tuple[int, str, str]:
    """Run the quiz on these input lines; stderr comes back with its line wrapping undone."""
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    code = main(["quiz", "--as-of", AS_OF.isoformat(), *args])
    out = capsys.readouterr()
    return code, out.out, " ".join(out.err.split())


def test_quiz_asks_reasks_skips_and_writes_the_report(monkeypatch, capsys, tmp_path):
    target = tmp_path / "report.json"
    code, out, err = run_quiz(monkeypatch, capsys, SESSION, "--out", str(target))
    assert code == 0, err
    assert out == ""  # prompts go to stderr
    for q in QUIZ:
        if q.id != "days_blocked":
            assert q.text[:40] in err
    assert "Question 5a of" not in err  # days_blocked does not apply
    assert "Question 6 of 14: Have they told you to stop" in err  # and numbering has no gap without it
    assert err.count("Not accepted:") == 2
    assert "not a number: expected a whole number from 0 to 36500" in err
    assert "not one of the choices: expected one of yes, no" in err
    report = json.loads(target.read_text())
    a = report["answers"]
    assert a["days_since_breakup"] == 40 and a["days_silent"] == 10 and a["blocked"] == "no"
    assert a["days_blocked"] is None and a["told_no_contact"] == "no" and a["anger"] == "annoyed"
    assert a["wronged_them"] == "no" and a["safety_concern"] == "prefer_not_to_say"
    assert report["as_of"] == AS_OF.isoformat()


def test_quiz_asks_days_blocked_when_blocked(monkeypatch, capsys):
    lines = list(SESSION)
    i = lines.index("1")  # the blocked answer
    lines[i : i + 1] = ["everywhere", "-3", "12"]  # days_blocked: below the minimum -> re-asked
    code, out, err = run_quiz(monkeypatch, capsys, lines, "--format", "json")
    assert code == 0, err
    assert "Question 5a of 14: How many days ago did they block you?" in err  # numbered as on the web page
    assert "below the minimum 0" in err
    report = json.loads(out)  # the report alone on stdout
    assert report["answers"]["days_blocked"] == 12 and report["answers"]["blocked"] == "everywhere"


@pytest.mark.parametrize("typed", ["Everywhere", "SOME", "On some apps or my number"])
def test_a_choice_typed_as_text_asks_its_follow_up(monkeypatch, capsys, typed):
    """A choice typed as its value in any case, or as its label, is that choice: 5a follows."""
    lines = list(SESSION)
    i = lines.index("1")  # the blocked answer
    lines[i : i + 1] = [typed, "12"]
    code, out, err = run_quiz(monkeypatch, capsys, lines, "--format", "json")
    assert code == 0, err
    assert "Question 5a of 14" in err
    assert json.loads(out)["answers"]["days_blocked"] == 12


def test_contradicting_dates_are_both_asked_again(monkeypatch, capsys):
    """ "Check both dates": the quiz re-asks both, so a typo in either can be mended."""
    breakup, contact = (AS_OF - dt.timedelta(days=20)).isoformat(), (AS_OF - dt.timedelta(days=30)).isoformat()
    good_breakup = (AS_OF - dt.timedelta(days=40)).isoformat()
    # last contact before the breakup; mend the breakup's date, keep the contact's
    lines = [breakup, contact, *SESSION[3:], good_breakup, ""]
    code, out, err = run_quiz(monkeypatch, capsys, lines, "--format", "json")
    assert code == 0, err
    assert (
        f"- question 2 (the date {contact}): the last contact is before the breakup ({breakup}, "
        "the date in question 1): check both dates"
    ) in err
    assert "Please answer these again: 1, 2." in err
    a = json.loads(out)["answers"]
    assert (a["days_since_breakup"], a["days_silent"]) == (40, 30)


def test_quiz_reasks_contradicting_answers_at_the_end(monkeypatch, capsys, tmp_path):
    # silence longer than the breakup; fix the breakup ('back' cannot leave it), keep silence
    lines = ["5", "10", *SESSION[3:], "back", "12", ""]
    target = tmp_path / "r.md"
    code, _, err = run_quiz(monkeypatch, capsys, lines, "--out", str(target))
    assert code == 0, err
    assert "Some answers don't fit together" in err
    # in the quiz's own words: question numbers, not column ids
    assert "- question 2 (10): more days since last contact than since the breakup (question 1)" in err
    assert "days_since_breakup" not in err and "days_silent" not in err
    assert "Please answer these again: 1, 2." in err
    assert "you answered 10: press Enter to keep it" in err
    assert "Here you can only answer this question again (Enter keeps your answer)." in err
    md = target.read_text()
    assert md.startswith("# Your odds and your next step")
    since = AS_OF - dt.timedelta(days=12)
    assert f"| How many days ago did you break up? | 12 days, since {since.day} {since:%B} {since.year} |" in md


def test_quiz_without_enough_input_writes_nothing(monkeypatch, capsys, tmp_path):
    target = tmp_path / "r.html"
    code, out, err = run_quiz(monkeypatch, capsys, SESSION[:5], "--out", str(target))
    assert code == 2 and not target.exists() and out == ""
    assert "input ended before the quiz was complete" in err
    assert not list(tmp_path.iterdir())  # no temporary file left either


def test_quiz_safety_answer_gives_the_safety_report(monkeypatch, capsys):
    lines = [*SESSION[:-1], "1"]  # safety_concern: 1 = yes
    code, out, err = run_quiz(monkeypatch, capsys, lines)
    assert code == 0, err
    assert out.startswith("# Your exodds report: safety first")
    assert "## Your next step" not in out


# --------------------------------------------------------------------------------------------
# exodds report
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("suffix", "start"), [(".md", "# "), (".json", "{"), (".html", "<!DOCTYPE html>")])
def test_report_format_follows_the_extension(tmp_path, capsys, suffix, start):
    target = tmp_path / f"report{suffix}"
    code = main(["report", str(EXAMPLES / "good.json"), "--as-of", AS_OF.isoformat(), "--out", str(target)])
    assert code == 0
    assert target.read_text(encoding="utf-8").startswith(start)
    assert capsys.readouterr().out == ""


def test_report_to_stdout_defaults_to_markdown(capsys):
    assert main(["report", str(EXAMPLES / "told_to_stop.json"), "--as-of", AS_OF.isoformat()]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Your next step") and "Their wishes come first" in out  # after a "no": no headline odds
    assert main(["report", str(EXAMPLES / "good.json"), "--as-of", "2026-11-26", "--format", "html"]) == 0
    assert capsys.readouterr().out.startswith("<!DOCTYPE html>")


def test_report_on_invalid_answers_exits_2_and_writes_nothing(tmp_path, capsys):
    answers = json.loads((EXAMPLES / "good.json").read_text())
    answers.update(days_silent=500, blocked="maybe", note="hi")
    src = tmp_path / "bad.json"
    src.write_text(json.dumps(answers))
    target = tmp_path / "out.html"
    code = main(["report", str(src), "--as-of", AS_OF.isoformat(), "--out", str(target)])
    err = capsys.readouterr().err
    assert code == 2
    assert not target.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]
    lines = err.splitlines()
    assert "3 invalid answer(s)" in lines[0]
    assert any(line.strip().startswith("days_silent = 500: more days since last contact") for line in lines)
    assert any(line.strip().startswith("blocked = 'maybe': not one of the choices") for line in lines)
    assert any(line.strip().startswith("note = 'hi': unknown question") for line in lines)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read"),
        ("[1, 2]", "expected one JSON object"),
        ('"text"', "expected one JSON object"),
    ],
)
def test_report_on_an_unreadable_file_exits_2(tmp_path, capsys, content, message):
    src = tmp_path / "a.json"
    src.write_text(content)
    assert main(["report", str(src)]) == 2
    assert message in capsys.readouterr().err


def test_report_on_a_missing_file_or_bad_date_exits_2(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope.json")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["report", str(EXAMPLES / "good.json"), "--as-of", "26/11/2026"]) == 2
    assert "--as-of" in capsys.readouterr().err


@pytest.mark.slow
def test_report_command_runs_as_a_program(tmp_path):
    target = tmp_path / "r.html"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "model",
            "report",
            str(EXAMPLES / "cold.json"),
            "--as-of",
            "2026-11-26",
            "--out",
            str(target),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "<svg" in target.read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------
# exodds examples
# --------------------------------------------------------------------------------------------


def test_examples_are_regenerated_reproducibly(tmp_path, capsys):
    answers = tmp_path / "answers"
    answers.mkdir()
    for name in ("good", "safety_concern"):
        (answers / f"{name}.json").write_text((EXAMPLES / f"{name}.json").read_text())
    out = tmp_path / "out"
    args = ["examples", "--answers-dir", str(answers), "--out-dir", str(out)]
    assert main(args) == 0
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(first) == sorted(f"{n}.{f}" for n in ("good", "safety_concern") for f in ("html", "json", "md"))
    assert json.loads(first["good.json"])["as_of"] == "2026-11-26"
    assert main(args) == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first
    capsys.readouterr()


def test_examples_stop_on_an_invalid_example(tmp_path, capsys):
    answers = tmp_path / "answers"
    answers.mkdir()
    (answers / "a.json").write_text((EXAMPLES / "good.json").read_text())
    (answers / "b.json").write_text('{"anger": "livid"}')
    out = tmp_path / "out"
    assert main(["examples", "--answers-dir", str(answers), "--out-dir", str(out)]) == 2
    assert not out.exists()
    assert "livid" in capsys.readouterr().err


def test_shipped_example_reports_are_what_the_examples_command_makes_now(tmp_path, capsys):
    """reports/examples is generated: regenerated here, byte for byte the committed files (a change
    to the model, the rules or the templates without `exodds examples` fails here)."""
    shipped = REPO / "reports" / "examples"
    out = tmp_path / "out"
    assert main(["examples", "--out-dir", str(out)]) == 0
    capsys.readouterr()
    made = sorted(p.name for p in out.iterdir())
    assert made == sorted(f"{src.stem}.{fmt}" for src in EXAMPLES.glob("*.json") for fmt in ("html", "json", "md"))
    stale = [name for name in made if (shipped / name).read_bytes() != (out / name).read_bytes()]
    assert not stale, f"run `exodds examples`: {stale} differ"


def test_an_output_that_cannot_be_written_is_an_error_not_a_traceback(monkeypatch, capsys, tmp_path):
    """A file where a folder should be: `report` and `mapping-template` exit 2 naming the path; the
    quiz prints the report instead, so the answers typed in are not lost; `examples` checks --as-of."""
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    assert main(["report", str(EXAMPLES / "good.json"), "--out", str(blocker / "r.html")]) == 2
    err = capsys.readouterr().err
    assert f"error: cannot write {blocker / 'r.html'}: {blocker} is a file, not a folder" in err
    assert "Traceback" not in err
    code, out, err = run_quiz(monkeypatch, capsys, SESSION, "--out", str(blocker / "q.html"))
    assert code == 2 and "cannot write" in err and "the report follows here instead, as Markdown" in err
    assert out.startswith("# ")  # readable on a terminal: Markdown, not the HTML asked for
    csv_path = tmp_path / "e.csv"
    csv_path.write_text("a,b\n1,2\n")
    assert main(["mapping-template", str(csv_path), "--out", str(blocker / "m.json")]) == 2
    assert "cannot write" in capsys.readouterr().err
    assert main(["examples", "--as-of", "2026-02-30", "--out-dir", str(tmp_path / "ex")]) == 2
    assert "--as-of" in capsys.readouterr().err and not (tmp_path / "ex").exists()
    assert main(["examples", "--out-dir", str(blocker / "ex")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


def test_report_reads_a_one_row_table_as_score_reads_one(tmp_path, capsys):
    """Gzip, semicolons and an export's other columns (ignored, and said so): the same report as the
    JSON answers; two rows send the user to `exodds score`."""
    answers = json.loads((EXAMPLES / "good.json").read_text())
    want = build_report(answers, AS_OF.isoformat())
    df = pd.DataFrame([{**answers, "email": "u@x.org"}])
    with gzip.open(tmp_path / "one.csv.gz", "wt", encoding="utf-8") as fh:
        df.to_csv(fh, index=False, sep=";")
    assert main(["report", str(tmp_path / "one.csv.gz"), "--as-of", AS_OF.isoformat(), "--format", "json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["answers"] == want["answers"]
    assert "not quiz questions, ignored: email" in out.err
    df.drop(columns=["safety_concern"]).to_csv(tmp_path / "no_safety.csv", index=False)
    assert main(["report", str(tmp_path / "no_safety.csv"), "--as-of", AS_OF.isoformat()]) == 0
    assert "warning: no column answers safety_concern" in capsys.readouterr().err
    pd.concat([df, df]).to_csv(tmp_path / "two.csv", index=False)
    assert main(["report", str(tmp_path / "two.csv")]) == 2
    assert "use `exodds score` for many" in capsys.readouterr().err


def test_quiz_takes_the_day_of_the_block_as_a_date(monkeypatch, capsys):
    lines = list(SESSION)
    i = lines.index("1")  # the blocked answer
    block_day = (AS_OF - dt.timedelta(days=9)).isoformat()
    lines[i : i + 1] = ["some", block_day]
    code, out, err = run_quiz(monkeypatch, capsys, lines, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["answers"]["days_blocked"] == 9


def test_a_blank_answer_to_a_required_question_is_asked_again(monkeypatch, capsys):
    lines = ["", *SESSION]  # Enter on question 1, then the usual answers
    code, _, err = run_quiz(monkeypatch, capsys, lines, "--format", "json")
    assert code == 0, err
    assert err.count("Question 1 of 14") == 1 and "Not accepted: missing: this answer is required" in err


def test_a_report_name_the_quiz_cannot_write_is_refused_before_the_first_question(monkeypatch, capsys, tmp_path):
    code, _, err = run_quiz(monkeypatch, capsys, [], "--out", str(tmp_path / "report.pdf"))
    assert code == 2 and "cannot write a .pdf report" in err
    assert "Question 1" not in err and not (tmp_path / "report.pdf").exists()


def test_back_changes_an_earlier_answer_and_its_follow_up(monkeypatch, capsys):
    """'back' goes to the previous question (Enter keeps its answer); a changed answer drops a
    follow-up that no longer applies. At the first question there is nothing to go back to."""
    lines = list(SESSION)
    i = lines.index("1")  # the blocked answer: No
    # answer "some" and 5a, then at question 6 go back twice (to 5a, then 5), change 5 to "no"
    lines[i : i + 1] = ["some", "4", "back", "back", "no"]
    lines.insert(0, "back")  # at question 1: nothing before it
    code, out, err = run_quiz(monkeypatch, capsys, lines, "--format", "json")
    assert code == 0, err
    assert "There is no question before this one to go back to." in err
    assert "you answered 4: press Enter to keep it" in err and "you answered some: press Enter" in err
    a = json.loads(out)["answers"]
    assert a["blocked"] == "no" and a["days_blocked"] is None and a["told_no_contact"] == "no"


def test_back_at_the_last_question_still_asks_it_on_the_way_forward(monkeypatch, capsys):
    """The optional safety question, left with 'back': asked again after the previous one."""
    lines = [*SESSION[:-1], "back", "", "1"]  # at 14: back to 13 (Enter keeps it), then 14: "1" (yes)
    code, out, err = run_quiz(monkeypatch, capsys, lines, "--format", "json")
    assert code == 0, err
    assert err.count("Question 14 of 14") == 2
    assert json.loads(out)["answers"]["safety_concern"] == "yes"


def test_a_rejected_answer_is_explained_in_the_quizs_words(monkeypatch, capsys):
    lines = list(SESSION)
    i = lines.index("1")  # blocked
    lines[i : i + 1] = ["some", "", "5"]  # Enter at 5a: required
    code, _, err = run_quiz(monkeypatch, capsys, lines, "--format", "json")
    assert code == 0, err
    assert "Not accepted: missing: this answer is required when question 5 is some or everywhere" in err
