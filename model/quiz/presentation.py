"""How a question and an answer look to a person: labels, numbered choices, day counts, dates.

Why in the quiz: the terminal quiz, the web form and the report show the same questions and the
same answers, from the quiz definition alone; this is the one place that says how.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from model.quiz.definition import QUIZ, Question
from model.quiz.validation import Problem, check_answers

__all__ = [
    "answer_label",
    "check_question",
    "dated_label",
    "involved_questions",
    "long_date",
    "question_view",
    "quiz_view",
]


def long_date(value: dt.date | str | None) -> str:
    """'Thursday 26 November 2026': every date a person reads, in the plan, the report and the web form."""
    if value is None:
        return ""
    d = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    return f"{d:%A} {d.day} {d:%B %Y}"


def question_view(q: Question | str) -> dict[str, Any]:
    """One question's labels for display: text, help, numbered choices, range, date alternative.

    A web form or a terminal prompt renders from this; the quiz definition stays the one source.
    """
    if isinstance(q, str):
        q = QUIZ[q]
    view: dict[str, Any] = {
        "id": q.id,
        "text": q.text,
        "help": q.help,
        "type": q.type,
        "required": q.required,
        "expected": q.expected(),
        "choices": [{"number": i, "value": c.value, "label": c.label} for i, c in enumerate(q.choices, 1)],
    }
    if q.is_numeric:
        view.update(min=q.min, max=q.max, unit=q.unit)
    if q.default is not None:
        view["default"] = q.default
        view["default_label"] = answer_label(q.id, q.default)
    if q.date_alternative:
        view["date_alternative"] = q.date_alternative
    if q.ask_if:
        view["ask_if"] = {k: list(v) for k, v in q.ask_if.items()}
    return view


def quiz_view(answers: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every question's view, in quiz order; with ``answers``, only the questions that apply."""
    return [question_view(q) for q in QUIZ if answers is None or q.applies(dict(answers))]


def check_question(qid: str, answers: Mapping[str, Any], as_of: Any = None) -> list[Problem]:
    """Problems with one question's answer alone, by the quiz's own validation rules.

    Only ``qid``, its date alternative and the answers it depends on (``ask_if``) are taken from
    ``answers``; contradictions with other questions are left to a final ``check_answers``.
    Used by the terminal quiz to re-ask at once; a web form can use it per field.
    """
    q = QUIZ[qid]
    own = {q.id, *([q.date_alternative] if q.date_alternative else [])}
    partial = {k: v for k, v in answers.items() if k in own or k in q.ask_if}
    _, problems = check_answers(partial, as_of)
    return [p for p in problems if p.column in own]


def involved_questions(problem: Problem) -> list[str]:
    """Question ids a problem is about: its own column (a date answers its question) and any named in it."""
    own = QUIZ.date_columns.get(problem.column, problem.column)
    named = QUIZ.named_in(problem.reason)
    return [qid for qid in QUIZ.ids if qid == own or qid in named]


def answer_label(qid: str, value: Any) -> str:
    """A clean answer as a person reads it: the choice label, or the number with its unit."""
    q = QUIZ[qid]
    if value is None:
        return "not asked"
    if q.is_numeric:
        unit = q.unit or ""
        if unit and int(value) == 1:
            unit = unit.rstrip("s")
        return f"{int(value):,} {unit}".strip()
    for c in q.choices:
        if c.value == value:
            return c.label
    return str(value)


def dated_label(q: Question, value: Any, day: dt.date) -> str:
    """``answer_label``, with the day a count of days goes back to ('40 days, since 17 October 2026'):
    someone who typed a date sees it again, and anyone can check the count."""
    label = answer_label(q.id, value)
    if q.unit != "days" or value is None or int(value) == 0:
        return label
    try:
        since = day - dt.timedelta(days=int(value))
    except OverflowError:  # (a count reaching before year 1)
        return label
    return f"{label}, since {since.day} {since:%B} {since.year}"
