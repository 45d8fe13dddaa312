"""OpenAPI pieces for the JSON API, derived from the quiz definition (the answer schema is never written by hand).

Why: ``POST /api/score`` reads its raw body (so the size cap, content type and every
validation message stay ours), so FastAPI cannot infer its schema; this module describes it.

What the schema leaves to the server, where it is looser or stricter than the schema, is
``LEFT_TO_THE_SERVER`` and ``SERVER_ALSO_TAKES`` (in the document and in the README);
tests/test_web_openapi.py runs schemathesis against the document and holds the server to them.
"""

from __future__ import annotations

from typing import Any

from model.quiz.definition import QUIZ, Question
from model.report.schema import openapi_report_schema
from model.web.guard import MAX_BODY_BYTES, MAX_HEADER_BYTES, MAX_TARGET_BYTES
from model.web.intake import AS_OF_FIRST, AS_OF_LAST, MAX_UNKNOWN

__all__ = [
    "AS_OF_PARAMETER",
    "DESCRIPTION",
    "LEFT_TO_THE_SERVER",
    "QUESTIONS_RESPONSES",
    "SCORE_REQUEST",
    "SCORE_RESPONSES",
    "SERVER_ALSO_TAKES",
    "answers_schema",
    "example_answers",
]

#: Rules between answers that JSON Schema cannot state: schema-valid answer sets that the server
#: answers 422, naming the rule (the reasons start as here).
LEFT_TO_THE_SERVER = (
    ("days_silent more than days_since_breakup", "more days since last contact than since"),
    (
        "no contact in the past 7 days (attempts_last_week 0) while days_silent is under 7",
        "no contact in the past 7 days, but days_silent says",
    ),
    (
        "fewer attempts_ignored than attempts_last_week while last_reply_tone is never_replied (a breakup a week "
        "old or more)",
        "fewer unanswered attempts than attempts_last_week",
    ),
    ("a last contact date before the breakup date", "the last contact is before"),
    ("days_blocked more than days_since_breakup", "more days since the block than since"),
    ("a block date before the breakup date", "the block is before"),
    (
        "contact in the past 7 days (attempts_last_week above 0) while days_silent is 7 or more",
        "contact in the past 7 days, but days_silent says 7 or more days without contact",
    ),
    ("a date later than as_of", "in the future"),
    ("a date more than 36,500 days before as_of", "more than 36,500 days"),
    ("a date and a number for the same question that disagree", "contradicts"),
)
#: Forms the server reads beyond the schema's (what a form export or a hand-written file sends).
SERVER_ALSO_TAKES = (
    "a whole number written as text, in ASCII digits, with spaces around it, a sign, zero decimals or an "
    'exponent ("12", " 12 ", "+12", "12.0", "1.2E+01")',
    'a choice by its label or in any case, with spaces around it or spaces for underscores ("No", '
    '"On some apps or my number", "prefer not to say")',
    "for a yes/no question: true or false, 1 or 0 (as numbers or text), and y, n, t, f, 1.0, 0.0 as text; "
    "for another question, true for its choice yes and false for its choice no, where it has them",
    "null, an empty string or spaces for a question that is optional or does not apply (the same as leaving it out)",
    "a date with a time after it (2026-11-20T08:00): the day counts",
    "a Content-Type of application/json with parameters (charset=utf-8), or any application/*+json",
)

DESCRIPTION = (
    "Odds that a breakup is reversed, with the guide's next step, from one set of quiz answers. "
    "The odds express one breakup guide's assumptions learned from synthetic data: they are not "
    "measured outcomes. Answers are not stored or logged; request bodies over 16 KiB are refused "
    "(413). The quiz page itself is at `/`.\n\n"
    "The answer schema gives the canonical form of every answer. The server also takes: "
    + "; ".join(SERVER_ALSO_TAKES)
    + ".\n\nRules between answers that the schema cannot state (the server answers 422 naming each): "
    + "; ".join(rule for rule, _ in LEFT_TO_THE_SERVER)
    + "."
)


def _property(q: Question) -> dict[str, Any]:
    desc = f"{q.text} {q.help}"
    if q.is_numeric:
        return {"type": "integer", "minimum": q.min, "maximum": q.max, "description": desc}
    prop: dict[str, Any] = {"type": "string", "enum": list(q.values), "description": desc}
    if q.default is not None:
        prop["default"] = q.default
    return prop


def answers_schema() -> dict[str, Any]:
    """JSON Schema (2020-12, as OpenAPI 3.1 uses) of one answer set, from ``QUIZ``.

    A date alternative (``breakup_date``) may stand in for its question. The server also takes the
    forms in ``SERVER_ALSO_TAKES``, and refuses the answer sets ``LEFT_TO_THE_SERVER`` describes.
    """
    props: dict[str, Any] = {}
    rules: list[dict[str, Any]] = []
    for q in QUIZ:
        props[q.id] = _property(q)
        if q.date_alternative:
            props[q.date_alternative] = {
                "type": "string",
                "format": "date",
                "description": f"Instead of {q.id}: the date (YYYY-MM-DD); days are counted to the as-of date.",
            }
        if not q.required:
            continue
        if q.ask_if:
            given = [q.id, *([q.date_alternative] if q.date_alternative else [])]  # either answers it
            rules.append(
                {
                    "if": {
                        "properties": {k: {"enum": list(v)} for k, v in q.ask_if.items()},
                        "required": list(q.ask_if),
                    },
                    "then": {"anyOf": [{"required": [k]} for k in given]},
                    "else": {"not": {"anyOf": [{"required": [k]} for k in given]}},
                }
            )
        elif q.date_alternative:
            rules.append({"anyOf": [{"required": [q.id]}, {"required": [q.date_alternative]}]})
    required = [q.id for q in QUIZ if q.required and not q.ask_if and not q.date_alternative]
    schema: dict[str, Any] = {
        "type": "object",
        "title": "Answers",
        "description": (
            "One answer set: question ids (see GET /api/questions) to answers, in their canonical form. "
            "The server also takes other forms, and refuses contradictions between answers that a schema "
            "cannot state: see the API's description."
        ),
        "properties": props,
        "required": required,
        "additionalProperties": False,
        "examples": [example_answers()],
    }
    if rules:
        schema["allOf"] = rules
    return schema


def example_answers() -> dict[str, Any]:
    """A valid answer set (the document's example; the server scores it once at start): six weeks
    after the breakup, a month of silence, no block, the rest at each question's default, else its
    last choice, else its least number (tests/test_web_openapi.py checks it is valid)."""
    answers = {
        q.id: q.default if q.default is not None else q.values[-1] if not q.is_numeric else q.min
        for q in QUIZ
        if not q.ask_if
    }
    return {**answers, "days_since_breakup": 45, "days_silent": 32, "blocked": "no"}


_DAY = "(0[1-9]|[12][0-9]|3[01])"
#: The ``as_of`` query parameter: a date from AS_OF_FIRST to AS_OF_LAST (the pattern states their years,
#: 1900 to 2999; a test holds it to them).
AS_OF_PARAMETER: dict[str, Any] = {
    "name": "as_of",
    "in": "query",
    "required": False,
    "description": (
        f"The day the answers were given, YYYY-MM-DD, from {AS_OF_FIRST} to {AS_OF_LAST}. "
        "Default: today, the server's local date. Given twice: 422."
    ),
    "schema": {"type": "string", "format": "date", "pattern": f"^(19[0-9]{{2}}|2[0-9]{{3}})-(0[1-9]|1[0-2])-{_DAY}$"},
}


_ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}

_PROBLEMS = {
    "type": "object",
    "title": "InvalidAnswers",
    "properties": {
        "detail": {"type": "string", "examples": ["2 invalid answer(s)"]},
        "errors": {
            "type": "array",
            "description": "Every problem, not just the first.",
            "items": {
                "type": "object",
                "properties": {
                    "question": {
                        "type": "string",
                        "description": "The question id (or date column, or as_of) the problem is about.",
                    },
                    "value": {"description": "The value given (null when it was missing)."},
                    "reason": {"type": "string", "description": "What is wrong and what was expected."},
                },
                "required": ["question", "value", "reason"],
            },
        },
    },
    "required": ["detail", "errors"],
}

_REPORT = openapi_report_schema()  # the one report schema (model/report/schema.json), self-contained


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


SCORE_REQUEST: dict[str, Any] = {
    "parameters": [AS_OF_PARAMETER],
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": answers_schema()}},
    },
}

# What any request may get from the server itself, before the route runs.
_REFUSALS: dict[int | str, dict[str, Any]] = {
    408: _json(_ERROR, "The request line and headers, or the body, did not arrive in time; the connection closes."),
    414: _json(_ERROR, f"The path and query are longer than {MAX_TARGET_BYTES} bytes."),
    421: _json(_ERROR, "The Host is not a name this server answers to (on loopback: localhost, 127.0.0.1, ::1)."),
    431: _json(_ERROR, f"The headers are larger than {MAX_HEADER_BYTES} bytes."),
    503: _json(_ERROR, "The worker has all the connections it takes; try again after Retry-After seconds."),
}

SCORE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: _json(_REPORT, "The report."),
    400: _json(_ERROR, "The body is not valid UTF-8 JSON (or holds a lone surrogate escape, or nests too deeply)."),
    413: _json(_ERROR, f"The body is over the size limit ({MAX_BODY_BYTES // 1024} KiB)."),
    415: _json(_ERROR, "The body is not JSON (Content-Type must be application/json)."),
    422: _json(
        _PROBLEMS,
        "Invalid answers: every problem, each with its question, value and reason; or, past "
        f"{MAX_UNKNOWN} keys that are no question, the first {MAX_UNKNOWN} and how many there were; or a bad as_of.",
    ),
    **_REFUSALS,
}

QUESTIONS_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The quiz definition (`exodds questions --format json`)."},
    **_REFUSALS,
}
