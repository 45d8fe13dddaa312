"""The quiz page: form fields <-> answers, and each question's view with its value and errors.

Why here: the page is generated from the quiz definition (``QUIZ``, via ``question_view``), so
a new question or choice shows up in the browser without touching the template.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from base64 import b64encode
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from model.odds.provenance import introduction as introduction_words
from model.quiz.definition import QUIZ
from model.quiz.presentation import question_view
from model.quiz.validation import Problem
from model.report.render import environment

__all__ = ["SCRIPT", "SCRIPT_HASH", "field_views", "form_answers", "render_quiz"]

#: The page's only script (hides questions that don't apply); allowed by its hash, not 'unsafe-inline'.
SCRIPT = resources.files("model.report").joinpath("templates/quiz_ask_if.js").read_text(encoding="utf-8")
SCRIPT_HASH = "sha256-" + b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()


def form_answers(items: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Form fields -> an answer mapping for validation.

    Blank fields are left out (a blank answer is the same as none); a field sent twice is kept
    as a list, which validation reports instead of picking one.
    """
    return keep_repeats((key, str(value)) for key, value in items if str(value).strip())


def keep_repeats(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Pairs as a mapping, a key given more than once keeping all its values (as a list), which
    validation reports as more than one answer instead of picking one (form fields, JSON keys)."""
    out: dict[str, Any] = {}
    repeated: set[str] = set()
    for key, value in pairs:
        if key in repeated:
            out[key].append(value)
        elif key in out:
            out[key], repeated = [out[key], value], repeated | {key}
        else:
            out[key] = value
    return out


def _message(p: Problem, date_column: bool) -> str:
    """A problem in the page's words: ids like days_since_breakup become 'question 1'."""
    reason = QUIZ.in_words(str(p.reason))
    if date_column:
        return f"The date: {reason}"
    return reason[:1].upper() + reason[1:]


def _web_help(help_text: str, date_alternative: str | None) -> str:
    """The help line without the sentence that names the date column: the page has a date input."""
    if not date_alternative:
        return help_text
    sentences = re.split(r"(?<=\.)\s+", help_text)
    kept = [s for s in sentences if date_alternative not in s]
    return " ".join(kept) if kept else help_text


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return str(value[0])
    return str(value)


def field_views(
    values: Mapping[str, Any], problems: Iterable[Problem]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each question's view with the value to show and its messages; and the problems no question owns."""
    owner = {q.id: q.id for q in QUIZ} | QUIZ.date_columns
    shown = QUIZ.numbers()  # 1, 2, ...; a follow-up 5a (the terminal quiz numbers them alike)
    errors: dict[str, list[str]] = {}
    loose: list[dict[str, Any]] = []
    for p in problems:
        qid = owner.get(str(p.column))
        if qid is None:
            loose.append({"column": str(p.column), "reason": str(p.reason)})
        else:
            errors.setdefault(qid, []).append(_message(p, p.column != qid))
    views = []
    for q in QUIZ:
        v = {"unit": None, "date_alternative": None, **question_view(q)}
        messages = errors.get(q.id, [])
        value = _shown(values.get(q.id))
        if not value and q.default is not None and not values:
            value = q.default  # a fresh form starts at the default; a sent form shows what was sent
        v.update(
            help=_web_help(q.help, q.date_alternative),
            number=shown[q.id],
            value=value,
            date_value=_shown(values.get(q.date_alternative)) if q.date_alternative else "",
            errors=messages,
            describedby=f"{q.id}-help" + (f" {q.id}-error" if messages else ""),
            ask_if_json=json.dumps({k: list(a) for k, a in q.ask_if.items()}) if q.ask_if else "",
            ask_if_words=_ask_if_words(q.ask_if),
            # the browser checks these before sending; the server checks everything again
            html_required=q.required and not q.ask_if and not q.date_alternative,
        )
        views.append(v)
    return views, loose


def _ask_if_words(ask_if: Mapping[str, tuple[str, ...]]) -> str:
    """'Only if blocked is On some apps or my number or Everywhere.' in the quiz's own labels."""
    parts = []
    for qid, allowed in ask_if.items():
        q = QUIZ[qid]
        labels = [c.label for c in q.choices if c.value in allowed]
        parts.append(f"you answered {' or '.join(f'“{x}”' for x in labels)} to “{q.text}”")
    return "Only if " + " and ".join(parts) + "; leave it blank otherwise." if parts else ""


def _env() -> jinja2.Environment:
    return environment("html")  # (the one HTML environment: its filters include long_date)


def render_quiz(
    values: Mapping[str, Any] | None = None,
    problems: Iterable[Problem] = (),
    as_of: dt.date | None = None,
    csp: str = "",
    introduction: str | None = None,
) -> str:
    """The quiz page; with ``values`` and ``problems``, the sent form with each message by its question.
    ``introduction``: what the odds rest on (``model.odds.provenance.introduction``; default: the guide's)."""
    values = values or {}
    problems = list(problems)
    fields, loose = field_views(values, problems)
    day = as_of or dt.date.today()
    return (
        _env()
        .get_template("quiz.html.j2")
        .render(
            fields=fields,
            loose=loose,
            n_problems=len(problems),
            as_of=day,
            today=day.isoformat(),
            csp=csp,
            introduction=introduction or introduction_words({}),
            script=Markup(SCRIPT),
        )
    )
