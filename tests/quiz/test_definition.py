"""The quiz definition: ids, choices and sources exactly as issue 2 fixes them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from model.cli import main
from model.quiz.definition import QUIZ, Question, load_quiz

REPO = Path(__file__).resolve().parents[2]

# Issue 2's table, in its order: the one place the tests restate the quiz, to check it against.
ISSUE_IDS = (
    "days_since_breakup",
    "days_silent",
    "attempts_ignored",
    "attempts_last_week",
    "blocked",
    "days_blocked",
    "told_no_contact",
    "anger",
    "wronged_them",
    "apologized",
    "bad_blood",
    "last_reply_tone",
    "ex_reached_out",
    "emotional_messages",
    "safety_concern",
)
ISSUE_CHOICES = {
    "blocked": ("no", "some", "everywhere"),
    "told_no_contact": ("yes", "no"),
    "anger": ("none", "annoyed", "angry", "furious"),
    "wronged_them": ("yes", "no"),
    "apologized": ("yes", "no"),
    "bad_blood": ("yes", "no"),
    "last_reply_tone": ("positive", "neutral", "cold", "never_replied"),
    "ex_reached_out": ("yes", "no"),
    "safety_concern": ("yes", "no", "prefer_not_to_say"),
}


def test_ids_are_exactly_the_issue_list_in_order():
    assert QUIZ.ids == ISSUE_IDS
    assert len(QUIZ) == len(ISSUE_IDS)
    assert [q.id for q in QUIZ] == list(ISSUE_IDS)


def test_choice_questions_have_the_issue_choices_in_order():
    assert {q.id: q.values for q in QUIZ if not q.is_numeric} == ISSUE_CHOICES


def test_numeric_questions_are_whole_numbers_from_zero():
    numeric = [q for q in QUIZ if q.is_numeric]
    assert {q.id for q in numeric} == set(ISSUE_IDS) - set(ISSUE_CHOICES)
    for q in numeric:
        assert q.type == "integer"
        assert q.min == 0, q.id
        assert isinstance(q.max, int) and q.max > q.min, q.id
        assert q.unit, q.id
        assert q.choices == ()


@pytest.mark.parametrize("qid", ISSUE_IDS)
def test_every_question_has_text_help_type_and_source(qid):
    q = QUIZ[qid]
    assert isinstance(q, Question)
    assert q.text.strip() and q.text.rstrip().endswith("?"), q.text
    assert q.help.strip()
    assert q.type in {"integer", "choice", "boolean"}
    assert q.source_quote.strip()
    if q.source_line is None:
        assert qid == "safety_concern"  # our addition: the article never asks it
        assert "base-rates.md" in q.source_quote
    else:
        assert isinstance(q.source_line, int) and q.source_line > 0


@pytest.mark.parametrize("qid", [q.id for q in QUIZ if q.choices])
def test_choices_are_lowercase_identifiers_with_labels(qid):
    q = QUIZ[qid]
    assert len(set(q.values)) == len(q.values)
    for c in q.choices:
        assert re.fullmatch(r"[a-z][a-z_]*", c.value), c.value
        assert c.value == c.value.lower()
        assert c.label.strip()
    if q.type == "boolean":
        assert q.values == ("yes", "no")


def test_required_default_and_ask_if():
    optional = [q.id for q in QUIZ if not q.required]
    assert optional == ["safety_concern"]
    sc = QUIZ["safety_concern"]
    assert sc.default == "prefer_not_to_say" and sc.default in sc.values
    assert all(q.default is None for q in QUIZ if q.required)
    asked_if = {q.id: q.ask_if for q in QUIZ if q.ask_if}
    assert asked_if == {"days_blocked": {"blocked": ("some", "everywhere")}}
    assert QUIZ["days_blocked"].applies({"blocked": "some"})
    assert QUIZ["days_blocked"].applies({"blocked": "everywhere"})
    assert not QUIZ["days_blocked"].applies({"blocked": "no"})
    assert QUIZ["blocked"].applies({})


def test_date_alternatives_and_columns():
    assert QUIZ.date_columns == {
        "breakup_date": "days_since_breakup",
        "last_contact_date": "days_silent",
        "block_date": "days_blocked",
    }
    assert QUIZ.columns == (*ISSUE_IDS, "breakup_date", "last_contact_date", "block_date")


def test_expected_text_names_the_range_or_the_choices():
    assert QUIZ["attempts_ignored"].expected() == f"a whole number from 0 to {QUIZ['attempts_ignored'].max}"
    assert QUIZ["blocked"].expected() == "one of no, some, everywhere"


def test_lookup_of_an_unknown_id_raises_keyerror():
    with pytest.raises(KeyError, match="nope"):
        QUIZ["nope"]


def test_quiz_is_loaded_once():
    assert load_quiz() is QUIZ


def test_to_dict_carries_every_field():
    d = QUIZ.to_dict()
    assert d["version"] == QUIZ.version
    assert [q["id"] for q in d["questions"]] == list(ISSUE_IDS)
    for q, raw in zip(QUIZ, d["questions"], strict=True):
        assert raw["text"] == q.text and raw["help"] == q.help and raw["type"] == q.type
        assert raw["required"] is q.required
        assert raw["source"] == {"line": q.source_line, "quote": q.source_quote}
        if q.is_numeric:
            assert (raw["min"], raw["max"]) == (q.min, q.max)
            assert "choices" not in raw
        else:
            assert [c["value"] for c in raw["choices"]] == list(q.values)
    json.dumps(d)  # plain JSON types only


def _article_lines() -> list[str]:
    path = (REPO / QUIZ.source_file).resolve()
    if not path.exists():
        pytest.skip(f"the guide is not on this machine ({path})")
    # The article uses typographic apostrophes; the quotes are typed with plain ones.
    return path.read_text(encoding="utf-8").replace("\u2019", "'").splitlines()


@pytest.mark.parametrize("qid", [q.id for q in QUIZ if q.source_line is not None])
def test_source_quote_is_on_the_cited_article_line(qid):
    lines = _article_lines()
    q = QUIZ[qid]
    assert q.source_line <= len(lines)
    assert q.source_quote in lines[q.source_line - 1], (q.source_line, q.source_quote)


def test_questions_json_round_trips_to_the_definition(capsys):
    assert main(["questions", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == QUIZ.to_dict()


def test_questions_markdown_table_lists_every_id_once(capsys):
    assert main(["questions", "--format", "markdown"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("| id |") and set(lines[1]) <= {"|", "-"}
    body = lines[2:]
    assert len(body) == len(QUIZ)
    for q, line in zip(QUIZ, body, strict=True):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[0] == f"`{q.id}`"
        assert cells[1] == q.text
        assert cells[-1] == (str(q.source_line) if q.source_line else "ours")
        assert len(cells) == 4, line  # no stray pipe inside a cell


def test_messages_in_the_quizs_own_words():
    """Ids become the numbers people see; one-word ids only where a message gives their answer."""
    n = QUIZ.numbers()
    assert QUIZ.in_words("more days since last contact than since the breakup (days_since_breakup)") == (
        f"more days since last contact than since the breakup (question {n['days_since_breakup']})"
    )
    assert QUIZ.in_words("before the breakup (2026-10-01, breakup_date)") == (
        f"before the breakup (2026-10-01, the date in question {n['days_since_breakup']})"
    )
    assert QUIZ.in_words("given while blocked is 'no': leave it blank") == (
        f"given while question {n['blocked']} is 'no': leave it blank"
    )
    plain = "they blocked you; anger fades; not_an_id stays"
    assert QUIZ.in_words(plain) == plain
