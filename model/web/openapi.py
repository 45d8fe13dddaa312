"""OpenAPI pieces for the JSON API, derived from the quiz definition (the answer schema is never written by hand).

Why: ``POST /api/score`` reads its raw body (so the size cap, content type and every
validation message stay ours), so FastAPI cannot infer its schema; this module describes it.
"""

from __future__ import annotations

from typing import Any

from model.quiz.definition import QUIZ, Question

__all__ = ["DESCRIPTION", "QUESTIONS_RESPONSES", "SCORE_REQUEST", "SCORE_RESPONSES", "answers_schema"]

DESCRIPTION = (
    "Odds that a breakup is reversed, with the guide's next step, from one set of quiz answers. "
    "The odds express one breakup guide's assumptions learned from synthetic data: they are not "
    "measured outcomes. Answers are not stored or logged; request bodies over 16 KiB are refused "
    "(413). The quiz page itself is at `/`."
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

    A date alternative (``breakup_date``) may stand in for its question. The server is more
    lenient than this schema (a number as text, "12"; a choice by its label or in any case, "No";
    true/false for yes/no); its checks are the reference, and contradictions between answers are
    reported as 422.
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
            "One answer set: question ids (see GET /api/questions) to answers. The server also accepts "
            'a number as text ("12"), a choice by its label or in any case ("No"), and true/false for '
            "yes/no; its checks are the reference."
        ),
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }
    if rules:
        schema["allOf"] = rules
    return schema


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

_REPORT = {
    "type": "object",
    "title": "Report",
    "description": (
        "The results report, the same JSON as `exodds report --format json` (see its `schema_version`). "
        "Odds are probabilities from 0 to 1."
    ),
    "properties": {
        "schema_version": {"type": "string"},
        "as_of": {"type": "string", "format": "date"},
        "reversal_odds": {"type": "number", "minimum": 0, "maximum": 1},
        "odds_low": {"type": "number", "minimum": 0, "maximum": 1},
        "odds_high": {"type": "number", "minimum": 0, "maximum": 1},
        "band": {"type": "string"},
        "stage": {"type": ["integer", "null"]},
        "earliest_contact": {
            "type": ["string", "null"],
            "format": "date",
            "description": (
                "Earliest day for a next message; null where the plan advises no contact at all (a request "
                "to stop, a block, heavy pursuit, a safety concern)."
            ),
        },
        "odds_display": {"enum": ["full", "muted", "hidden"]},
        "factors": {"type": "object"},
        "plan": {"type": "object"},
    },
    "required": [
        "schema_version", "reversal_odds", "odds_low", "odds_high", "band", "earliest_contact", "odds_display",
        "plan",
    ],
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


SCORE_REQUEST: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": answers_schema()}},
    }
}

SCORE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: _json(_REPORT, "The report."),
    400: _json(_ERROR, "The body is not valid UTF-8 JSON."),
    413: {"description": "The body is over the size limit (16 KiB): `{\"detail\": ...}`.",
          "content": {"application/json": {}}},
    415: _json(_ERROR, "The body is not JSON (Content-Type must be application/json)."),
    422: _json(_PROBLEMS, "Invalid answers: every problem, each with its question, value and reason."),
}

QUESTIONS_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The quiz definition (`exodds questions --format json`)."},
}
