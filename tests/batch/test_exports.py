"""Six exports shaped as Google Forms, Typeform, Microsoft Forms and Jotform write them (two of them
re-saved by Excel: Dutch with semicolons, and Latin-1), each with planted dirt, taken through
``exodds mapping-template`` and ``exodds score`` with no hand edit: every clean row is scored as its
respondent meant, as of the day they answered, and exactly the dirty rows are rejected and named.

``tests/data/exports/truth.json`` says what each row means (``make_exports.py`` writes both; its
README says what each tool's export is taken to look like).
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from model.batch.core import score_frame
from model.batch.template import recognise
from model.cli import main
from model.quiz.definition import QUIZ

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"
TRUTH: dict[str, list[dict[str, Any]]] = json.loads((EXPORTS / "truth.json").read_text(encoding="utf-8"))

#: What the template must leave to a person in each export, and only that (each a piece of one item).
TODO = {
    "google_forms.csv": ["'Not very friendly'"],
    "google_forms_dutch_excel.csv": ["'Not very friendly'", "'1,5'"],
    "typeform.csv": ["'Yes, on every app and my number'", "'1,000'"],
    "microsoft_forms_latin1.csv": ["'ten'"],
    "microsoft_forms_uk.csv": ["'31/11/2025'"],
    "jotform.csv": ["'13-45-2026'"],
}
TOOL = {"google_forms.csv": "Google Forms", "google_forms_dutch_excel.csv": "Google Forms", "typeform.csv": "Typeform",
        "microsoft_forms_latin1.csv": "Microsoft Forms", "microsoft_forms_uk.csv": "Microsoft Forms",
        "jotform.csv": "Jotform"}
TIMESTAMP = {"Google Forms": "Timestamp", "Typeform": "Submit Date (UTC)", "Microsoft Forms": "Completion time",
             "Jotform": "Submission Date"}
KEY = {"Google Forms": "Email Address", "Typeform": "#", "Microsoft Forms": "ID", "Jotform": "Submission ID"}


def read_csv(path: Path) -> pd.DataFrame:
    text = path.read_text(encoding="utf-8-sig")
    delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=delimiter)


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[str, dict[str, Any]]:
    """Each export's proposed mapping, written by the command line, exactly as proposed."""
    folder = tmp_path_factory.mktemp("maps")
    out = {}
    for name in TRUTH:
        assert main(["mapping-template", str(EXPORTS / name), "--out", str(folder / f"{name}.json")]) == 0
        out[name] = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        out[name]["_path"] = str(folder / f"{name}.json")
    return out


def test_there_are_six_exports_of_four_tools():
    assert len(TRUTH) >= 6
    assert set(TOOL.values()) == {"Google Forms", "Typeform", "Microsoft Forms", "Jotform"}
    for name in TRUTH:
        header = next(csv.reader(io.StringIO((EXPORTS / name).read_bytes().decode("utf-8-sig", "replace")),
                                 delimiter=";" if "dutch" in name else ","))
        assert recognise(header).name == TOOL[name]
        assert sum(t["expect"] == "rejected" for t in TRUTH[name]) >= 1  # dirt planted in each


def test_the_exports_are_what_make_exports_writes(tmp_path, monkeypatch):
    """The committed files and truth are the generator's, byte for byte (no hand edits drift)."""
    spec = importlib.util.spec_from_file_location("make_exports", EXPORTS / "make_exports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "HERE", tmp_path)
    module.main()
    for name in [*TRUTH, "truth.json"]:
        assert (tmp_path / name).read_bytes() == (EXPORTS / name).read_bytes(), name


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_template_recognises_the_tool_and_lists_only_what_changes_the_result(name, templates):
    got = templates[name]
    tool = TOOL[name]
    assert got["_tool"].startswith(tool)
    assert got["timestamp"] == TIMESTAMP[tool] and got["id_column"] == KEY[tool]
    todo = got["_todo"]
    assert len(todo) == len(TODO[name]), todo
    for piece in TODO[name]:
        assert sum(piece in item for item in todo) == 1, (piece, todo)
    assert set(got["columns"].values()) - {None} >= {q.id for q in QUIZ if not q.date_alternative} - {"days_blocked"}
    if "dutch" in name:  # the export's own '1,5' shows its decimal comma: 1.000 is a thousand
        assert got["decimal_mark"] == "," and "'1,5'" in got["_matches"]["decimal_mark"]
    else:
        assert got["decimal_mark"] is None


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_template_then_score_scores_every_clean_row_as_meant_and_rejects_the_dirty_ones(
    name, templates, tmp_path, capsys
):
    truth = TRUTH[name]
    scored = [t for t in truth if t["expect"] == "scored"]
    rejected = [t for t in truth if t["expect"] == "rejected"]
    code = main(["score", str(EXPORTS / name), "--mapping", templates[name]["_path"], "--out",
                 str(tmp_path / "scored.csv")])
    out, err = capsys.readouterr()
    assert out.splitlines()[-1] == f"read {len(truth)}, scored {len(scored)}, rejected {len(rejected)}", err
    assert code == (3 if rejected else 0)
    assert "counted up to today" not in err  # each row is dated by its own response

    # every accepted row, in order, is the respondent's own and scores as their intended answers do
    got = read_csv(tmp_path / "scored.csv")
    key = KEY[TOOL[name]]
    assert got[key].tolist() == [t["key"] for t in scored]
    answers = pd.DataFrame([{q.id: t["answers"][q.id] for q in QUIZ} for t in scored], dtype=object)
    expected = score_frame(answers, as_of=[t["as_of"] for t in scored]).scored
    assert got["reversal_odds"].tolist() == [f"{p:.6f}" for p in expected["reversal_odds"]]
    assert got["band"].tolist() == [str(b) for b in expected["band"]]
    assert got["stage"].tolist() == [str(s) for s in expected["stage"]]
    assert got["earliest_contact"].tolist() == [
        "" if pd.isna(d) else pd.Timestamp(d).date().isoformat() for d in expected["earliest_contact"]
    ]
    assert got["top_factor_up"].tolist() == [str(f) for f in expected["top_factor_up"]]

    # exactly the dirty rows are rejected, each naming the export column that rejects it and its respondent
    errors = read_csv(tmp_path / "scored.errors.csv")
    assert list(errors.columns) == ["row", "respondent", "column", "value", "reason"]
    by_row = errors.groupby("row")["column"].apply(set).to_dict()
    assert sorted(map(int, by_row)) == [t["record"] for t in rejected]
    for t in rejected:
        assert set(t["columns"]) <= by_row[str(t["record"])], (t, by_row[str(t["record"])])
        assert set(errors.loc[errors["row"] == str(t["record"]), "respondent"]) == {t["key"]}


def test_a_form_sent_twice_alike_is_scored_twice_and_reported(templates, tmp_path, capsys):
    name = "google_forms.csv"
    main(["score", str(EXPORTS / name), "--mapping", templates[name]["_path"], "--out", str(tmp_path / "s.csv")])
    err = capsys.readouterr().err
    twins = [t for t in TRUTH[name] if t["key"] == "client5@example.org"]
    assert [t["expect"] for t in twins] == ["scored", "scored"]
    assert ("1 duplicate(s), the same Email Address with the same answers, each row scored: "
            f"client5@example.org: rows {twins[0]['record']}, {twins[1]['record']}") in err


def test_check_says_what_the_mapping_does_to_each_column(templates, capsys):
    name = "typeform.csv"
    code = main(["mapping-template", "--check", templates[name]["_path"], str(EXPORTS / name)])
    out = capsys.readouterr().out
    assert code == 1  # some rows will be rejected for a value
    everywhere = (read_csv(EXPORTS / name)["Have they blocked you?"] == "Yes, on every app and my number").sum()
    assert "'Have they blocked you?' -> blocked:" in out
    assert f"    'Yes, on every app and my number': {everywhere} row(s): left null in the mapping: not decided" in out
    assert "    '1,000': 1 row(s): ambiguous: 1000 if ',' groups thousands" in out
    assert "'Submit Date (UTC)' -> timestamp: 15 row(s) read" in out
    assert "respondent key: '#'" in out
