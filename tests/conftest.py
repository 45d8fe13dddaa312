"""Shared answer sets for the tests: one good answer set and a fixed as-of date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import strategies as st
from threadpoolctl import threadpool_limits

from model.quiz.definition import QUIZ

# pytest -n 2 already uses both cores; BLAS threads on top of that only fight each other
threadpool_limits(1)

# Dates in answers are judged against this day, never against today.
AS_OF = dt.date(2026, 11, 26)

_GOOD: dict[str, Any] = {
    "days_since_breakup": 40,
    "days_silent": 10,
    "attempts_ignored": 2,
    "attempts_last_week": 0,
    "blocked": "no",
    "told_no_contact": "no",
    "anger": "annoyed",
    "wronged_them": "no",
    "apologized": "yes",
    "bad_blood": "no",
    "last_reply_tone": "neutral",
    "ex_reached_out": "no",
    "emotional_messages": 1,
}


@pytest.fixture
def good_answers() -> dict[str, Any]:
    """A valid answer set (not blocked, safety_concern left to its default); a fresh copy per test."""
    return dict(_GOOD)


_ABSENT = object()


def make_consistent(answers: dict[str, Any]) -> dict[str, Any]:
    """Mend a drawn answer set so that it breaks none of validation's contradiction rules about contact:
    no contact in the past 7 days after 7 silent days, at least one when the last contact is more recent,
    and never more attempts this week than unanswered ones when they never replied (a week-old breakup)."""
    week = answers["attempts_last_week"]
    if answers["days_silent"] >= 7:
        answers["attempts_last_week"] = 0
    elif week == 0:
        answers["attempts_last_week"] = 1
    if answers["last_reply_tone"] == "never_replied":  # (validation asks it only of a week-old breakup)
        answers["attempts_ignored"] = max(answers["attempts_ignored"], answers["attempts_last_week"])
    return answers


@st.composite
def valid_answer_sets(draw: st.DrawFn) -> dict[str, Any]:
    """Any valid answer set in canonical spelling, built from the quiz definition.

    Numbers span each question's whole range; the contradiction rules are
    respected (silence and block no longer than the breakup, ``make_consistent``,
    days_blocked only when blocked). Optional
    and not-applicable answers are sometimes left out, sometimes blank.
    """
    answers: dict[str, Any] = {}
    for q in QUIZ:
        if q.is_numeric:
            answers[q.id] = draw(st.integers(q.min, q.max))
        else:
            answers[q.id] = draw(st.sampled_from(q.values))
    since = answers["days_since_breakup"]
    answers["days_silent"] = draw(st.integers(QUIZ["days_silent"].min, since))
    make_consistent(answers)
    if answers["blocked"] == "no":
        blank = draw(st.sampled_from([_ABSENT, None, "", "  "]))
        answers.pop("days_blocked")
        if blank is not _ABSENT:
            answers["days_blocked"] = blank
    else:
        answers["days_blocked"] = draw(st.integers(QUIZ["days_blocked"].min, since))
    if draw(st.booleans()):
        answers.pop("safety_concern")
    return answers


def assert_runs_without_scikit_learn(code: str) -> None:
    """Run ``code`` in a fresh interpreter: it must exit 0 and never import scikit-learn (the commands
    and the scoring path that read a model's weights are kept free of it: it costs most of a second)."""
    import subprocess
    import sys

    check = "\nimport sys\nsys.exit(3 if 'sklearn' in sys.modules else 0)"
    done = subprocess.run([sys.executable, "-c", code + check], capture_output=True, text=True, timeout=120)
    assert done.returncode != 3, "scikit-learn was imported"
    assert done.returncode == 0, done.stdout + done.stderr
