"""Validation of answers: each question, each contradiction, and the vectorised path."""

from __future__ import annotations

import datetime as dt
import math
import pickle
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import AS_OF, valid_answer_sets
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from model.errors import AnswersError
from model.quiz.definition import QUIZ
from model.quiz.validation import (
    Problem,
    check_answers,
    number_problem,
    parse_as_of,
    validate_answers,
    validate_frame,
)

NUMERIC = [q.id for q in QUIZ if q.is_numeric]
CHOICE = [q.id for q in QUIZ if not q.is_numeric]
BOOLEAN = [q.id for q in QUIZ if q.type == "boolean"]
REQUIRED = [q.id for q in QUIZ if q.required]


def hyp(max_examples: int) -> settings:
    """Modest example counts; the shared good_answers fixture is only ever copied, never mutated."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


FAST = hyp(25)


def iso(days_ago: int) -> str:
    return (AS_OF - dt.timedelta(days=days_ago)).isoformat()


def roomy(good: dict[str, Any], qid: str | None = None, n: int | None = None) -> dict[str, Any]:
    """A valid answer set in which the in-range number ``n`` for ``qid`` is consistent (any number of any
    other numeric question is): days of silence and contact this week agree, whichever side ``n`` is on."""
    silent, week = 0, 1
    if qid == "attempts_last_week" and n == 0:
        silent = 7  # no contact this week: the last one a week ago
    if qid == "days_silent" and n is not None and n >= 7:
        week = 0
    return {
        **good,
        "days_since_breakup": QUIZ["days_since_breakup"].max,
        "days_silent": silent,
        "attempts_last_week": week,
        "blocked": "some",
        "days_blocked": 0,
    }


def problems_of(answers: dict[str, Any], as_of: Any = AS_OF) -> list[Problem]:
    clean, problems = check_answers(answers, as_of)
    assert (clean is None) == bool(problems)
    return problems


def only_problem(answers: dict[str, Any], as_of: Any = AS_OF) -> Problem:
    problems = problems_of(answers, as_of)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


# ---------------------------------------------------------------- one good set


def test_good_answers_come_back_clean_in_plain_python(good_answers):
    clean = validate_answers(good_answers, AS_OF)
    assert list(clean) == list(QUIZ.ids)
    assert clean == {
        **good_answers,
        "days_blocked": None,
        "safety_concern": "prefer_not_to_say",
    }
    for qid in NUMERIC:
        if clean[qid] is not None:
            assert type(clean[qid]) is int
    for qid in CHOICE:
        assert type(clean[qid]) is str


@hyp(40)
@given(valid_answer_sets())
def test_every_generated_valid_set_is_accepted_unchanged(answers):
    clean = validate_answers(answers, AS_OF)
    for q in QUIZ:
        given_value = answers.get(q.id)
        if q.id == "days_blocked" and answers["blocked"] == "no":
            assert clean[q.id] is None
        elif q.id == "safety_concern" and given_value is None:
            assert clean[q.id] == "prefer_not_to_say"
        else:
            assert clean[q.id] == given_value


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize("qid", NUMERIC)
@FAST
@given(data=st.data())
def test_any_whole_number_in_range_is_accepted_in_every_spelling(qid, data, good_answers):
    q = QUIZ[qid]
    n = data.draw(st.integers(q.min, q.max), label="n")
    spelling = data.draw(
        st.sampled_from(
            [
                n,
                str(n),
                float(n),
                f" {n} ",
                f"{n}.0",
                f"+{n}",
                f"{n // 10}.{n % 10}E+01",
                f"\u00a0{n}\u202f",
                np.int64(n),
                np.float64(n),
            ]
        ),
        label="spelling",
    )
    clean = validate_answers({**roomy(good_answers, qid, n), qid: spelling}, AS_OF)
    assert clean[qid] == n and type(clean[qid]) is int


@pytest.mark.parametrize("qid", NUMERIC)
@FAST
@given(data=st.data())
def test_numbers_out_of_range_are_rejected_naming_the_range(qid, data, good_answers):
    q = QUIZ[qid]
    n = data.draw(st.one_of(st.integers(max_value=q.min - 1), st.integers(min_value=q.max + 1)), label="n")
    value = data.draw(st.sampled_from([n, str(n), float(n)]), label="value")
    p = only_problem({**roomy(good_answers), qid: value})
    assert p.column == qid
    assert p.value == value
    assert f"from {q.min} to {q.max}" in p.reason
    assert ("below the minimum" if n < q.min else "above the maximum") in p.reason


@pytest.mark.parametrize("qid", NUMERIC)
@FAST
@given(data=st.data())
def test_fractions_are_errors_not_guesses(qid, data, good_answers):
    q = QUIZ[qid]
    x = data.draw(
        st.floats(min_value=q.min, max_value=q.max, allow_nan=False).filter(lambda v: v != int(v)),
        label="x",
    )
    value = data.draw(st.sampled_from([x, repr(x)]), label="value")
    p = only_problem({**roomy(good_answers), qid: value})
    assert (p.column, p.value) == (qid, value)
    assert p.reason == f"not a whole number: expected {q.expected()}"


_NUMBER_TEXT = re.compile(r"\s*[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?\s*")


@pytest.mark.parametrize("qid", NUMERIC)
@FAST
@given(junk=st.text(min_size=1, max_size=12))
def test_text_that_is_not_a_number_is_rejected(qid, junk, good_answers):
    assume(junk.strip())
    try:
        float(junk)
    except ValueError:
        pass
    else:
        assume(False)  # a spelling of a number: covered by the range tests
    p = only_problem({**roomy(good_answers), qid: junk})
    assert (p.column, p.value) == (qid, junk)
    hint = " (write it with the digits 0 to 9)" if any(c.isdigit() and not c.isascii() for c in junk) else ""
    assert p.reason == f"not a number{hint}: expected {QUIZ[qid].expected()}"


@pytest.mark.parametrize("qid", NUMERIC)
@pytest.mark.parametrize(
    ("value", "start"),
    [
        (3.5, "not a whole number"),
        ("3.5", "not a whole number"),
        ("-2", "below the minimum 0"),
        (-2, "below the minimum 0"),
        (True, "not a number"),
        (False, "not a number"),
        ("three", "not a number"),
        ("3 days", "not a number"),
        ("nan", "not a number"),
        ("0x10", "not a number"),
        ("1_000", "not a number"),  # Python's spelling, not a person's
        ("\uff13", "not a number (write it with the digits 0 to 9)"),  # a full-width 3
        ("inf", "not a number"),
        ("2.9999999999999999", "not a whole number"),  # float() would round it to 3
        ("1e-05", "not a whole number"),
        ("1e99999999999999999999", "not a number"),  # past Decimal's exponents
        (float("inf"), "above the maximum"),
        (10**400, "above the maximum"),  # past float's range
        ([3], "not a number"),
        ({"n": 3}, "not a number"),
        # digits grouped in threes: a thousand in Dutch and German, one in English (1.000), or the reverse
        # (1,000); never guessed (a form export's mapping says its decimal_mark)
        ("1.000", "ambiguous: 1000 if '.' groups thousands, 1 if it is the decimal point"),
        ("1.095", "ambiguous: 1095 if '.' groups thousands, 1.095 if it is the decimal point"),
        ("1,000", "ambiguous: 1000 if ',' groups thousands, 1 if it is the decimal comma"),
        ("1.000.000", "digits grouped by '.'"),
        ("1,5", "a decimal comma (1.5): not a whole number"),
    ],
)
def test_wrong_numbers_say_what_was_expected(qid, value, start, good_answers):
    p = only_problem({**roomy(good_answers), qid: value})
    assert p.column == qid
    assert p.reason.startswith(start)
    assert p.reason.endswith(f"expected {QUIZ[qid].expected()}")
    if isinstance(value, (list, dict)):
        assert p.value == repr(value)  # kept visible, never parsed
    else:
        assert p.value == value and type(p.value) is type(value)


# ---------------------------------------------------------------- choices


def _spellings(qid: str) -> list[tuple[Any, str]]:
    out: list[tuple[Any, str]] = []
    for c in QUIZ[qid].choices:
        v = c.value
        out += [(v, v), (v.upper(), v), (f"  {v.title()} ", v), (c.label, v), (c.label.upper(), v)]
        out.append((v.replace("_", " "), v))
        out.append((v.replace("_", "-").title(), v))
    return out


@pytest.mark.parametrize(("qid", "spelling", "value"), [(q, s, v) for q in CHOICE for s, v in _spellings(q)])
def test_choices_are_lenient_about_case_spaces_and_labels(qid, spelling, value, good_answers):
    base = roomy(good_answers) if qid != "blocked" else {**good_answers, "days_blocked": None}
    if qid == "blocked" and value != "no":
        base["days_blocked"] = 5
    assert validate_answers({**base, qid: spelling}, AS_OF)[qid] == value


YES_NO = [
    ("Yes", "yes"), ("YES", "yes"), (" yes ", "yes"), ("y", "yes"), ("Y", "yes"),
    ("TRUE", "yes"), ("true", "yes"), ("True", "yes"), ("t", "yes"), ("1", "yes"), (" 1 ", "yes"),
    (1, "yes"), (1.0, "yes"), ("1.0", "yes"), (True, "yes"), (np.True_, "yes"),
    ("No", "no"), ("NO", "no"), ("n", "no"), ("FALSE", "no"), ("false", "no"), ("f", "no"),
    ("0", "no"), (0, "no"), (0.0, "no"), ("0.0", "no"), (False, "no"), (np.False_, "no"),
]  # fmt: skip


@pytest.mark.parametrize(("spelling", "value"), YES_NO)
def test_yes_no_questions_take_form_export_spellings(spelling, value, good_answers):
    clean = validate_answers({**good_answers, **dict.fromkeys(BOOLEAN, spelling)}, AS_OF)
    assert {qid: clean[qid] for qid in BOOLEAN} == dict.fromkeys(BOOLEAN, value)


@pytest.mark.parametrize("value", ["maybe", "yes please", "2", 2, -1, 0.5, "ye s", "n/a", "none of them"])
def test_values_outside_the_list_are_rejected_naming_the_choices(value, good_answers):
    # The same wrong value in every choice question: one problem each, nothing else.
    problems = problems_of({**good_answers, **dict.fromkeys(CHOICE, value)})
    assert [(p.column, p.value) for p in problems] == [(qid, value) for qid in CHOICE]
    for p in problems:
        assert p.reason == f"not one of the choices: expected one of {', '.join(QUIZ[p.column].values)}"


def _loose_form(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(text).lower())


@pytest.mark.parametrize("qid", CHOICE)
@FAST
@given(junk=st.text(min_size=1, max_size=15))
def test_random_text_is_not_taken_for_a_choice(qid, junk, good_answers):
    q = QUIZ[qid]
    accepted = {_loose_form(v) for v in q.values} | {_loose_form(c.label) for c in q.choices}
    if q.type == "boolean":
        accepted |= {"y", "n", "t", "f", "true", "false", "1", "0", "1.0", "0.0"}
    assume(junk.strip() and _loose_form(junk) not in accepted)
    answers = {**good_answers, qid: junk}
    if qid == "blocked":
        answers["days_blocked"] = None
    p = only_problem(answers)
    assert (p.column, p.value) == (qid, junk)
    assert p.reason.startswith("not one of the choices")


def test_yes_no_spellings_do_not_leak_into_other_choice_questions(good_answers):
    for value in ("TRUE", "1", 1, True):
        assert only_problem({**good_answers, "anger": value}).column == "anger"
        p = only_problem({**good_answers, "blocked": value})
        assert p.column == "blocked"  # and no guess about days_blocked


# ---------------------------------------------------------------- blanks and defaults


@pytest.mark.parametrize("qid", [q for q in REQUIRED if q != "days_blocked"])
@pytest.mark.parametrize("blank", [None, "", "   ", "\t", float("nan"), pd.NA, "<absent>"])
def test_blank_means_missing_for_required_questions(qid, blank, good_answers):
    answers = dict(good_answers)
    if isinstance(blank, str) and blank == "<absent>":
        del answers[qid]
    else:
        answers[qid] = blank
    p = only_problem(answers)
    assert p.column == qid
    assert p.reason == "missing: this answer is required"
    assert "(blank)" in str(p) or repr(blank) in str(p)


def test_empty_answer_set_reports_every_required_question(good_answers):
    problems = problems_of({})
    assert [p.column for p in problems] == [q for q in REQUIRED if q != "days_blocked"]
    assert {p.reason for p in problems} == {"missing: this answer is required"}


@pytest.mark.parametrize("blank", [None, "", "  ", "<absent>"])
def test_safety_concern_defaults_to_prefer_not_to_say(blank, good_answers):
    answers = dict(good_answers)
    if blank != "<absent>":
        answers["safety_concern"] = blank
    assert validate_answers(answers, AS_OF)["safety_concern"] == "prefer_not_to_say"


@pytest.mark.parametrize("value", ["yes", "no", "prefer_not_to_say", "Prefer not to say", "I prefer not to say"])
def test_safety_concern_answers_are_kept(value, good_answers):
    expected = value.lower().removeprefix("i ").replace(" ", "_")
    assert validate_answers({**good_answers, "safety_concern": value}, AS_OF)["safety_concern"] == expected


# ---------------------------------------------------------------- days_blocked


@pytest.mark.parametrize("blank", [None, "", "  ", float("nan"), "<absent>"])
def test_days_blocked_blank_when_not_blocked(blank, good_answers):
    answers = {**good_answers, "blocked": "no"}
    if blank != "<absent>":
        answers["days_blocked"] = blank
    assert validate_answers(answers, AS_OF)["days_blocked"] is None


@pytest.mark.parametrize("blocked", ["some", "everywhere"])
@hyp(30)
@given(n=st.integers(0, 40))
def test_days_blocked_accepted_when_blocked(blocked, n, good_answers):
    clean = validate_answers({**good_answers, "blocked": blocked, "days_blocked": n}, AS_OF)
    assert (clean["blocked"], clean["days_blocked"]) == (blocked, n)


@pytest.mark.parametrize("blocked", ["some", "everywhere"])
@pytest.mark.parametrize("blank", [None, "", "<absent>"])
def test_days_blocked_missing_while_blocked(blocked, blank, good_answers):
    answers = {**good_answers, "blocked": blocked}
    if blank != "<absent>":
        answers["days_blocked"] = blank
    p = only_problem(answers)
    assert (p.column, p.reason) == (
        "days_blocked",
        "missing: this answer is required when blocked is some or everywhere",
    )


@pytest.mark.parametrize("value", [0, 5, "5", 40])
def test_days_blocked_given_while_not_blocked(value, good_answers):
    p = only_problem({**good_answers, "blocked": "no", "days_blocked": value})
    assert (p.column, p.value) == ("days_blocked", value)
    assert p.reason == "given while blocked is 'no': leave it blank"


@pytest.mark.parametrize("blocked", [None, "", "maybe", "yes"])
def test_unknown_blocked_answer_does_not_invent_a_days_blocked_problem(blocked, good_answers):
    p = only_problem({**good_answers, "blocked": blocked})
    assert p.column == "blocked"


# ---------------------------------------------------------------- dates


@hyp(30)
@given(since=st.integers(0, 3000), data=st.data())
def test_dates_become_days_before_the_as_of_date(since, data, good_answers):
    silent = data.draw(st.integers(0, since), label="silent")
    answers = {k: v for k, v in good_answers.items() if k not in ("days_since_breakup", "days_silent")}
    answers["breakup_date"] = iso(since)
    answers["last_contact_date"] = iso(silent)
    answers["attempts_last_week"] = 0 if silent >= 7 else 1
    clean = validate_answers(answers, AS_OF)
    assert (clean["days_since_breakup"], clean["days_silent"]) == (since, silent)
    assert "breakup_date" not in clean and "last_contact_date" not in clean


@pytest.mark.parametrize(
    "spelling",
    ["2026-10-17", " 2026-10-17 ", "2026-10-17T21:30", "2026-10-17 21:30:00", dt.date(2026, 10, 17),
     dt.datetime(2026, 10, 17, 21, 30), pd.Timestamp("2026-10-17")],
)  # fmt: skip
def test_date_spellings(spelling, good_answers):
    answers = {**good_answers, "breakup_date": spelling}
    del answers["days_since_breakup"]
    assert validate_answers(answers, AS_OF)["days_since_breakup"] == 40


@pytest.mark.parametrize("col", ["breakup_date", "last_contact_date"])
@pytest.mark.parametrize(
    "value",
    ["garbage", "2026-02-30", "17/10/2026", "2026-10-17junk", "2026-10-1799", 20261017, True, "10 days ago"],
)
def test_dates_that_are_not_iso_dates_are_rejected(col, value, good_answers):
    qid = QUIZ.date_columns[col]
    answers = {**good_answers, col: value}
    del answers[qid]
    p = only_problem(answers)
    assert (p.column, p.value) == (col, value)
    if value == "2026-02-30":  # the right form, but no such day
        assert p.reason == "no such day in the calendar (the form YYYY-MM-DD is right)"
    else:
        assert p.reason == "not an ISO date: expected YYYY-MM-DD"


@pytest.mark.parametrize("col", ["breakup_date", "last_contact_date"])
@pytest.mark.parametrize("ahead", [1, 2, 400])
@pytest.mark.parametrize("with_number", [False, True])
def test_future_dates_are_rejected(col, ahead, with_number, good_answers):
    qid = QUIZ.date_columns[col]
    answers = {**good_answers, col: iso(-ahead)}
    if not with_number:
        del answers[qid]
    p = only_problem(answers)
    assert (p.column, p.value) == (col, iso(-ahead))
    assert p.reason == f"in the future: later than {AS_OF.isoformat()}, the day the answers were given"


def test_a_date_on_the_as_of_day_is_zero_days(good_answers):
    answers = {**good_answers, "last_contact_date": AS_OF.isoformat(), "attempts_last_week": 1}
    del answers["days_silent"]
    assert validate_answers(answers, AS_OF)["days_silent"] == 0


@pytest.mark.parametrize("col", ["breakup_date", "last_contact_date"])
def test_a_date_giving_more_days_than_the_range_is_rejected(col, good_answers):
    qid = QUIZ.date_columns[col]
    q = QUIZ[qid]
    answers = {**good_answers, col: iso(q.max + 1)}
    del answers[qid]
    if qid == "days_silent":
        answers["days_since_breakup"] = q.max
    problems = problems_of(answers)
    assert [(p.column, p.value) for p in problems] == [(col, iso(q.max + 1))]
    assert f"{q.max:,}" in problems[0].reason
    answers[col] = iso(q.max)
    assert validate_answers(answers, AS_OF)[qid] == q.max


@pytest.mark.parametrize("col", ["breakup_date", "last_contact_date"])
@hyp(30)
@given(days=st.integers(0, 30), given_days=st.integers(0, 30))
def test_date_and_number_must_agree(col, days, given_days, good_answers):
    qid = QUIZ.date_columns[col]
    answers = {**good_answers, "days_since_breakup": 40, "days_silent": 0, col: iso(days), qid: given_days}
    silent = given_days if col == "last_contact_date" else 0  # (the number typed is the one checked further)
    answers["attempts_last_week"] = 0 if silent >= 7 else 1
    if given_days == days:
        assert validate_answers(answers, AS_OF)[qid] == days
    else:
        p = only_problem(answers)
        assert (p.column, p.value) == (qid, given_days)
        assert p.reason == f"contradicts {col}, which gives {days} days"


def test_dates_use_the_as_of_date_given(good_answers):
    answers = {**good_answers, "breakup_date": "2026-01-01"}
    del answers["days_since_breakup"]
    assert validate_answers(answers, "2026-01-31")["days_since_breakup"] == 30
    assert validate_answers(answers, dt.datetime(2026, 2, 10, 23, 59))["days_since_breakup"] == 40
    assert only_problem(answers, "2025-12-31").column == "breakup_date"


def test_per_row_as_of_dates(good_answers):
    answers = {**good_answers, "breakup_date": "2026-01-01"}
    del answers["days_since_breakup"]
    df = pd.DataFrame([answers] * 3)
    result = validate_frame(df, ["2026-01-31", "2026-02-10", "2025-12-01"])
    assert result.valid.tolist() == [True, True, False]
    assert result.clean["days_since_breakup"].tolist() == [30, 40]
    with pytest.raises(ValueError, match="as_of has 2 dates for 3 rows"):
        validate_frame(df, ["2026-01-31", "2026-02-10"])
    for bad in ("not a date", None):
        with pytest.raises(ValueError, match=re.escape(f"as-of date {bad!r} is not an ISO date")):
            validate_frame(df, ["2026-01-31", bad, "2026-02-10"])
    days = np.array(["2026-01-31", "2026-02-10", "2026-03-01"], dtype="datetime64[D]")
    assert validate_frame(df, days).clean["days_since_breakup"].tolist() == [30, 40, 59]


def test_parse_as_of():
    for blank in (None, ""):  # today (read on both sides of the call, so midnight cannot flake it)
        before = dt.date.today()
        assert parse_as_of(blank) in (before, dt.date.today())
    assert parse_as_of(AS_OF) == AS_OF
    assert parse_as_of(dt.datetime(2026, 11, 26, 23, 59)) == AS_OF
    assert parse_as_of("2026-11-26") == AS_OF
    assert parse_as_of(" 2026-11-26T08:00 ") == AS_OF
    for junk in ("garbage", "26/11/2026", "2026-11-26junk", "2026-13-01"):
        with pytest.raises(ValueError, match=re.escape(repr(junk))):
            parse_as_of(junk)


@given(st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_as_of_dates_outside_the_span_are_refused_by_name_and_inside_it_kept(day):
    from model.quiz.dates import AS_OF_FIRST, AS_OF_LAST

    if AS_OF_FIRST <= day <= AS_OF_LAST:
        assert parse_as_of(day.isoformat()) == day
    else:  # (year 1 and year 9999 once made the plan's dates overflow)
        words = f"outside the dates exodds scores ({AS_OF_FIRST} to {AS_OF_LAST})"
        with pytest.raises(ValueError, match=re.escape(words)):
            parse_as_of(day.isoformat())


# ---------------------------------------------------------------- unknown keys, all problems at once


def test_unknown_keys_are_rejected(good_answers):
    problems = problems_of({**good_answers, "days_since_brekup": 3, "notes": "hi"})
    assert [(p.column, p.value) for p in problems] == [("days_since_brekup", 3), ("notes", "hi")]
    assert {p.reason for p in problems} == {"unknown question: not part of the quiz"}


def test_unknown_key_with_a_blank_value_is_still_reported(good_answers):
    assert only_problem({**good_answers, "notes": None}).column == "notes"


def test_extra_ignore_lets_other_columns_through(good_answers):
    df = pd.DataFrame([{**good_answers, "respondent": "r1"}])
    assert validate_frame(df, AS_OF).n_rejected == 1
    assert validate_frame(df, AS_OF, extra="ignore").n_valid == 1


def test_every_problem_is_reported_at_once():
    answers = {
        "days_since_breakup": "-2",  # below range
        "days_silent": "a week",  # not a number
        "attempts_ignored": 3.5,  # not whole
        # attempts_last_week missing
        "blocked": "no",
        "days_blocked": 4,  # given while not blocked
        "told_no_contact": "maybe",  # not a choice
        "anger": "FURIOUS",  # fine
        "wronged_them": "yes",
        "apologized": "",  # blank
        "bad_blood": "no",
        "last_reply_tone": "never replied",  # fine
        "ex_reached_out": "no",
        "emotional_messages": 20000,  # above range
        "safety_concern": "dunno",  # not a choice
        "favourite_colour": "blue",  # unknown
        "last_contact_date": "2027-01-01",  # future
    }
    with pytest.raises(AnswersError) as err:
        validate_answers(answers, AS_OF)
    got = [(p.column, p.value) for p in err.value.problems]
    assert got == [
        ("days_since_breakup", "-2"),
        ("days_silent", "a week"),
        ("attempts_ignored", 3.5),
        ("attempts_last_week", None),
        ("days_blocked", 4),
        ("told_no_contact", "maybe"),
        ("apologized", ""),
        ("emotional_messages", 20000),
        ("safety_concern", "dunno"),
        ("last_contact_date", "2027-01-01"),
        ("favourite_colour", "blue"),
    ]
    for p in err.value.problems:
        assert p.reason and p.row is None
    message = str(err.value)
    assert message.startswith("11 invalid answer(s):")
    for p in err.value.problems:
        assert f"  - {p}" in message
    assert "days_since_breakup = '-2': below the minimum 0" in message
    assert "attempts_last_week = (blank): missing" in message


def test_answers_error_survives_pickling(good_answers):
    with pytest.raises(AnswersError) as err:
        validate_answers({**good_answers, "anger": "livid"}, AS_OF)
    back = pickle.loads(pickle.dumps(err.value))
    assert back.problems == err.value.problems and str(back) == str(err.value)
    cut = AnswersError(err.value.problems, total=7)
    assert pickle.loads(pickle.dumps(cut)).total == 7
    assert str(cut).startswith("7 invalid answer(s):") and str(cut).endswith("... and 6 more")


def test_check_answers_and_validate_frame_reject_wrong_containers(good_answers):
    with pytest.raises(TypeError, match="mapping"):
        check_answers([good_answers], AS_OF)
    with pytest.raises(TypeError, match="DataFrame"):
        validate_frame([good_answers], AS_OF)
    df = pd.DataFrame([[1, 2]], columns=["anger", "anger"])
    with pytest.raises(ValueError, match="duplicate column names: anger"):
        validate_frame(df, AS_OF)


# ---------------------------------------------------------------- contradictions


@hyp(30)
@given(since=st.integers(0, 200), silent=st.integers(0, 200))
def test_contradiction_silent_longer_than_since_breakup(since, silent, good_answers):
    answers = {
        **good_answers,
        "days_since_breakup": since,
        "days_silent": silent,
        "attempts_last_week": 0 if silent >= 7 else 1,
    }
    if silent <= since:
        assert validate_answers(answers, AS_OF)["days_silent"] == silent
    else:
        p = only_problem(answers)
        assert (p.column, p.value) == ("days_silent", silent)
        assert "days_since_breakup" in p.reason


@pytest.mark.parametrize("blank", [None, "", "<absent>"])
def test_contradiction_silent_longer_than_since_breakup_from_dates(blank, good_answers):
    answers = {**good_answers, "breakup_date": iso(40), "last_contact_date": iso(47)}
    del answers["days_since_breakup"], answers["days_silent"]
    if blank != "<absent>":
        answers["days_silent"] = blank
    p = only_problem(answers)
    # the person typed dates: the problem names the date they typed, not the days worked out from it
    assert (p.column, p.value) == ("last_contact_date", iso(47))
    assert str(p) == (
        f"last_contact_date = '{iso(47)}': the last contact is before the breakup ({iso(40)}, breakup_date): "
        "check both dates"
    )
    answers |= {"days_since_breakup": 40}
    answers.pop("breakup_date")
    p = only_problem(answers)
    assert (p.column, p.reason) == (
        "last_contact_date",
        "the last contact is before the breakup, 40 days ago (days_since_breakup): check both",
    )


def test_contradictions_name_the_breakup_date_when_it_was_typed(good_answers):
    """A breakup given as a date is named as that date, whatever the other side was typed as."""
    answers = {**good_answers, "breakup_date": iso(40), "blocked": "some", "attempts_last_week": 1}
    del answers["days_since_breakup"]
    p = only_problem({**answers, "days_silent": 47, "attempts_last_week": 0, "days_blocked": 3})
    assert (p.column, p.reason) == (
        "days_silent",
        f"more days since last contact than since the breakup ({iso(40)}, breakup_date)",
    )
    p = only_problem({**answers, "days_silent": 2, "days_blocked": 45})
    assert (p.column, p.reason) == (
        "days_blocked",
        f"more days since the block than since the breakup ({iso(40)}, breakup_date)",
    )
    p = only_problem({**answers, "days_silent": 2, "block_date": iso(45)})
    assert (p.column, p.value, p.reason) == (
        "block_date",
        iso(45),
        f"the block is before the breakup ({iso(40)}, breakup_date): check both dates",
    )


@hyp(30)
@given(
    since=st.integers(0, 200),
    blocked_days=st.integers(0, 200),
    blocked=st.sampled_from(["some", "everywhere"]),
)
def test_contradiction_blocked_longer_than_since_breakup(since, blocked_days, blocked, good_answers):
    answers = {
        **good_answers,
        "days_since_breakup": since,
        "days_silent": 0,
        "attempts_last_week": 1,
        "blocked": blocked,
        "days_blocked": blocked_days,
    }
    if blocked_days <= since:
        assert validate_answers(answers, AS_OF)["days_blocked"] == blocked_days
    else:
        p = only_problem(answers)
        assert (p.column, p.value) == ("days_blocked", blocked_days)
        assert "days_since_breakup" in p.reason


@hyp(30)
@given(silent=st.integers(0, 30), last_week=st.integers(0, 20))
def test_contradiction_contact_last_week_after_a_silent_week(silent, last_week, good_answers):
    """Contact in the past 7 days and days since the last contact must agree, both ways round: a last
    contact less than 7 days ago is a contact in the past 7 days (issue 16: "last contacted them today"
    with "0 contacts in the past 7 days" is refused, not scored)."""
    answers = {**good_answers, "days_silent": silent, "attempts_last_week": last_week}
    if (last_week == 0) == (silent >= 7):
        assert validate_answers(answers, AS_OF)["attempts_last_week"] == last_week
    else:
        p = only_problem(answers)
        assert (p.column, p.value) == ("attempts_last_week", last_week)
        assert "days_silent" in p.reason
        assert ("no contact in the past 7 days" in p.reason) == (last_week == 0)


def test_last_contacted_today_with_no_contact_this_week_is_refused_in_the_quizs_words(good_answers):
    p = only_problem({**good_answers, "days_silent": 0, "attempts_last_week": 0})
    assert (p.column, p.value) == ("attempts_last_week", 0)
    assert QUIZ.in_words(p.reason) == (
        "no contact in the past 7 days, but question 2 says the last contact was less than 7 days ago"
    )
    assert QUIZ.named_in(p.reason) == {"days_silent"}


@hyp(40)
@given(
    week=st.integers(0, 30),
    ignored=st.integers(0, 30),
    since=st.integers(0, 60),
    tone=st.sampled_from(QUIZ["last_reply_tone"].values),
)
def test_never_replied_means_every_attempt_this_week_is_unanswered(week, ignored, since, tone, good_answers):
    """They never replied since the breakup: the attempts of the past 7 days all went unanswered, so there
    cannot be fewer unanswered attempts than that (once the breakup is a week old, so all came after it)."""
    answers = {
        **good_answers,
        "days_since_breakup": since,
        "days_silent": 0 if week else min(7, since),
        "attempts_last_week": week,
        "attempts_ignored": ignored,
        "last_reply_tone": tone,
    }
    if since < 7 and week == 0:
        return  # (no consistent silence to give: the breakup is less than a week old)
    if tone == "never_replied" and week > ignored and since >= 7:
        p = only_problem(answers)
        assert (p.column, p.value) == ("attempts_ignored", ignored)
        assert "never replied" in p.reason and QUIZ.named_in(p.reason) == {"attempts_last_week", "last_reply_tone"}
    else:
        assert validate_answers(answers, AS_OF)["attempts_ignored"] == ignored


def test_contradictions_are_not_checked_against_invalid_numbers(good_answers):
    # A number that is itself wrong is reported once, not again as a contradiction.
    p = only_problem({**good_answers, "days_since_breakup": "x", "days_silent": 10})
    assert p.column == "days_since_breakup"
    p = only_problem({**good_answers, "days_silent": -3, "attempts_last_week": 5})
    assert p.column == "days_silent"


# ---------------------------------------------------------------- vectorised == one at a time

_JUNK = st.one_of(
    st.none(),
    st.just(""),
    st.booleans(),
    st.integers(-5, 50_000),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-10, max_value=1e5),
    st.sampled_from(["3", "3.5", "-2", " 7 ", "yes", "No", "TRUE", "maybe", "some", "FURIOUS",
                     "never replied", "x", "2026-10-17", "2027-01-01", "garbage"]),
)  # fmt: skip


@st.composite
def answer_sets(draw: st.DrawFn) -> dict[str, Any]:
    """A valid set, or one broken in one to three ways (bad value, missing key, unknown key, date)."""
    answers = draw(valid_answer_sets())
    for _ in range(draw(st.integers(0, 3))):
        how = draw(st.sampled_from(["value", "drop", "unknown", "date"]))
        if how == "value":
            answers[draw(st.sampled_from(QUIZ.ids))] = draw(_JUNK)
        elif how == "drop" and answers:
            answers.pop(draw(st.sampled_from(sorted(answers))))
        elif how == "unknown":
            answers["extra_" + draw(st.sampled_from("ab"))] = draw(st.sampled_from(["x", 1, True, 2.5]))
        elif how == "date":
            col = draw(st.sampled_from(sorted(QUIZ.date_columns)))
            answers[col] = draw(st.one_of(st.integers(-3, 500).map(iso), _JUNK))
    return answers


def _same_value(a: Any, b: Any) -> bool:
    """Equal as given, allowing a frame's NaN for a blank and 5.0 for 5."""
    if a is None or (not isinstance(a, str) and pd.api.types.is_scalar(a) and pd.isna(a)):
        return b is None or (not isinstance(b, str) and pd.api.types.is_scalar(b) and pd.isna(b))
    if isinstance(a, (int, float, np.number)) and isinstance(b, (int, float, np.number)):
        return bool(a == b) and isinstance(a, (bool, np.bool_)) == isinstance(b, (bool, np.bool_))
    return a == b


@hyp(30)
@given(sets=st.lists(answer_sets(), min_size=1, max_size=8), start=st.integers(-5, 100))
def test_frame_validation_agrees_with_one_answer_set_at_a_time(sets, start):
    df = pd.DataFrame(sets)  # pandas infers the dtypes, as it would for a real export
    df.index = pd.RangeIndex(start, start + len(sets)) * 10  # any labels survive
    result = validate_frame(df, AS_OF)

    assert result.n_rows == len(sets)
    assert result.n_valid + result.n_rejected == result.n_rows
    assert result.valid.dtype == bool and result.valid.shape == (len(sets),)
    assert list(result.clean.index) == list(df.index[result.valid])
    assert set(result.problems["row"]) == set(df.index[~result.valid])
    assert list(result.problems.columns) == ["row", "column", "value", "reason"]

    for label, answers, ok in zip(df.index, sets, result.valid, strict=True):
        clean, problems = check_answers(answers, AS_OF)
        assert ok == (clean is not None), (answers, problems)
        if ok:
            row = result.clean.loc[label]
            assert {q.id: (None if pd.isna(row[q.id]) else row[q.id]) for q in QUIZ} == clean
        # Same problems; unknown columns come last, in the frame's column order.
        frame_rows = result.problems[result.problems["row"] == label]
        mine = sorted(zip(frame_rows["column"], frame_rows["reason"], frame_rows["value"], strict=True))
        single = sorted((p.column, p.reason, p.value) for p in problems)
        assert [m[:2] for m in mine] == [p[:2] for p in single]
        for (_, _, got), (_, _, want) in zip(mine, single, strict=True):
            assert _same_value(got, want), (got, want)
        assert [c for c in frame_rows["column"] if c in QUIZ.columns] == [
            p.column for p in problems if p.column in QUIZ.columns
        ]


@hyp(20)
@given(sets=st.lists(valid_answer_sets(), min_size=1, max_size=20))
def test_clean_frame_dtypes(sets):
    clean = validate_frame(pd.DataFrame(sets), AS_OF).clean
    assert len(clean) == len(sets)
    for q in QUIZ:
        col = clean[q.id]
        if q.id == "days_blocked":
            assert str(col.dtype) == "Int64"
            assert col.isna().tolist() == [a["blocked"] == "no" for a in sets]
        elif q.is_numeric:
            assert col.dtype == np.int64
        else:
            assert isinstance(col.dtype, pd.CategoricalDtype)
            assert list(col.cat.categories) == list(q.values)
            assert not col.isna().any()


@hyp(15)
@given(sets=st.lists(valid_answer_sets(), min_size=1, max_size=10))
def test_validating_a_clean_frame_again_changes_nothing(sets):
    clean = validate_frame(pd.DataFrame(sets), AS_OF).clean
    again = validate_frame(clean, AS_OF)
    assert again.n_rejected == 0
    pd.testing.assert_frame_equal(again.clean, clean)


def test_problem_rows_are_the_input_labels_in_order(good_answers):
    rows = [good_answers, {**good_answers, "anger": "livid"}]
    rows += [good_answers, {**good_answers, "days_silent": 99}]
    df = pd.DataFrame(rows, index=["a", "b", "c", "d"])
    result = validate_frame(df, AS_OF)
    assert result.valid.tolist() == [True, False, True, False]
    assert [(p.row, p.column, p.value) for p in result.problem_list()] == [
        ("b", "anger", "livid"),
        ("d", "days_silent", 99),
    ]
    assert str(result.problem_list()[0]) == (
        "row b: anger = 'livid': not one of the choices: expected one of none, annoyed, angry, furious"
    )


def test_an_unknown_column_counts_only_in_the_rows_that_use_it(good_answers):
    # A JSON list where one record has an extra key: the others are still valid.
    df = pd.DataFrame([good_answers, {**good_answers, "note": "hi"}, good_answers])
    result = validate_frame(df, AS_OF)
    assert result.valid.tolist() == [True, False, True]
    assert [(p.row, p.column, p.value) for p in result.problem_list()] == [(1, "note", "hi")]


def test_problem_values_display_like_the_input(good_answers):
    df = pd.DataFrame([{**good_answers, "days_silent": np.int64(50)}, {**good_answers, "anger": pd.NA}])
    shown = [str(p) for p in validate_frame(df, AS_OF).problem_list()]
    assert shown[0].startswith("row 0: days_silent = 50: ")
    assert shown[1] == "row 1: anger = (blank): missing: this answer is required"


def test_empty_frame_is_valid_and_has_no_rows():
    result = validate_frame(pd.DataFrame({qid: [] for qid in QUIZ.ids}), AS_OF)
    assert (result.n_rows, result.n_valid, result.n_rejected) == (0, 0, 0)
    assert list(result.clean.columns) == list(QUIZ.ids)
    assert result.problems.empty


def test_numeric_columns_take_the_array_path_and_agree(good_answers):
    # int64 / float64 columns go through array checks, not the per-value parser.
    n = [0, 1, 10_000, 10_001, -1]
    df = pd.DataFrame([good_answers] * len(n))
    df["emotional_messages"] = np.array(n, dtype=np.int64)
    df["attempts_ignored"] = np.array([0.0, 2.5, np.nan, 3.0, math.inf])
    result = validate_frame(df, AS_OF)
    assert result.valid.tolist() == [True, False, False, False, False]
    by_row = {(p.row, p.column): p.reason for p in result.problem_list()}
    assert by_row[(1, "attempts_ignored")].startswith("not a whole number")
    assert by_row[(2, "attempts_ignored")] == "missing: this answer is required"
    assert by_row[(3, "emotional_messages")].startswith("above the maximum 10000")
    assert by_row[(4, "emotional_messages")].startswith("below the minimum 0")
    assert by_row[(4, "attempts_ignored")].startswith("above the maximum")


def test_a_control_character_beside_a_number_is_not_a_number(good_answers):
    """str.strip() drops it but float() refuses it: the answer is text, not the number 0."""
    p = only_problem({**roomy(good_answers), "attempts_ignored": "0\x1f"})
    assert (p.column, p.reason) == ("attempts_ignored", f"not a number: expected {QUIZ['attempts_ignored'].expected()}")
    assert problems_of({**roomy(good_answers), "attempts_ignored": " 0 \t"}) == []  # spaces are fine


def test_an_empty_record_is_one_problem_not_one_per_question(good_answers):
    df = pd.DataFrame([dict.fromkeys(good_answers, ""), good_answers], dtype=object)
    result = validate_frame(df, AS_OF)
    assert list(result.valid) == [False, True]
    assert result.problems[["row", "column", "reason"]].values.tolist() == [
        [0, "(record)", "no answers at all: an empty record"]
    ]
    # a table with no quiz column at all is another matter: every question is named as missing
    none = validate_frame(pd.DataFrame({"email": ["a@b"]}), AS_OF, extra="ignore")
    assert len(none.problems) > 10 and "(record)" not in set(none.problems["column"])


def test_the_day_of_a_block_can_be_given_as_a_date(good_answers):
    """block_date answers days_blocked as breakup_date answers days_since_breakup; a problem with
    the days it gives is named on the date that was typed."""
    answers = {**good_answers, "blocked": "some", "block_date": iso(6)}
    answers.pop("days_blocked", None)
    assert validate_answers(answers, AS_OF)["days_blocked"] == 6
    p = only_problem({**answers, "blocked": "no"})
    assert (p.column, p.value, p.reason) == ("block_date", iso(6), "given while blocked is 'no': leave it blank")
    p = only_problem({**answers, "block_date": iso(good_answers["days_since_breakup"] + 5)})
    since = good_answers["days_since_breakup"]
    assert (p.column, p.reason) == (
        "block_date",
        f"the block is before the breakup, {since} days ago (days_since_breakup): check both",
    )
    p = only_problem({**answers, "days_blocked": 3})
    assert (p.column, p.reason) == ("days_blocked", "contradicts block_date, which gives 6 days")


@settings(max_examples=200, deadline=None)
@given(number=st.integers(min_value=1000, max_value=999_999_999), mark=st.sampled_from([".", ","]))
def test_a_number_with_grouped_thousands_is_never_read_as_some_number(number, mark):
    """1.000, 12,500, 3.000.000: refused with a reason, whatever the convention might be."""
    text = f"{number:,}".replace(",", mark)
    reason = number_problem(QUIZ["emotional_messages"], text)
    assert reason is not None and ("ambiguous" in reason or "grouped" in reason), (text, reason)
