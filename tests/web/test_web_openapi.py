"""The OpenAPI document says what the server accepts: schemathesis, against the app in process.

schemathesis sends requests the document allows (positive) and requests it forbids (negative), a
bounded number of each, and checks every answer: never a 5xx, only documented statuses and content
types, bodies that fit the documented response schemas. Where the document and the server part on
purpose, the parting is stated (``openapi.LEFT_TO_THE_SERVER``, ``openapi.SERVER_ALSO_TAKES``, both
in the document and the README), and the two checks below hold the server to exactly that:

- a request the document allows is refused (422) only for a rule between answers that no JSON
  Schema can state;
- a request the document forbids is accepted (200) only when each answer that breaks the schema is
  in one of the other forms the server reads.
"""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import schemathesis
from conftest import AS_OF
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from model.quiz.definition import QUIZ
from model.web import create_app
from model.web.openapi import AS_OF_PARAMETER, LEFT_TO_THE_SERVER, answers_schema

APP = create_app(as_of=AS_OF)
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
_PROPERTY = {k: jsonschema.Draft202012Validator(v) for k, v in answers_schema()["properties"].items()}


def _mode(case) -> str | None:
    meta = getattr(case, "meta", None)
    if meta is None:
        return None
    return "negative" if meta.generation.mode.is_negative else "positive"


def _fits(key: str, value: Any) -> bool:
    return key in _PROPERTY and _PROPERTY[key].is_valid(value)


def _another_form_the_server_reads(key: str, value: Any) -> bool:
    """``SERVER_ALSO_TAKES``, as a test of one answer the schema refuses but the server read."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return True  # a blank: the same as leaving it out
    qid = QUIZ.date_columns.get(key, key)
    if key in QUIZ.date_columns:
        return isinstance(value, str) and re.fullmatch(r"\s*\d{4}-\d\d-\d\d[T ].*", value) is not None
    q = QUIZ[qid]
    if q.is_numeric:
        return isinstance(value, str)  # a number as text
    if q.type == "boolean":
        return isinstance(value, (str, bool, int, float))
    if isinstance(value, bool):
        return ("yes" if value else "no") in q.values
    return isinstance(value, str)  # a label, another case


def documented_partings(ctx, response, case) -> None:
    """Positive data refused only for a rule in LEFT_TO_THE_SERVER; negative data accepted only in
    the forms of SERVER_ALSO_TAKES."""
    if case.path != "/api/score" or _mode(case) is None:
        return
    if _mode(case) == "positive" and response.status_code == 422:
        reasons = [e["reason"] for e in response.json()["errors"]]
        allowed = [start for _, start in LEFT_TO_THE_SERVER]
        unexplained = [r for r in reasons if not any(a in r for a in allowed)]
        assert not unexplained, f"a schema-valid request refused for {unexplained}"
    if _mode(case) == "negative" and response.status_code == 200:
        body = case.body if isinstance(case.body, dict) else {}
        broken = {k: v for k, v in body.items() if not _fits(k, v)}
        odd = {k: v for k, v in broken.items() if not _another_form_the_server_reads(k, v)}
        assert not odd, f"a request the schema forbids was accepted, with answers in no documented form: {odd}"


@SCHEMA.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_as_schemathesis_sees_it(case):
    case.call_and_validate(
        excluded_checks=[positive_data_acceptance, negative_data_rejection],  # (their stricter forms, below)
        additional_checks=[documented_partings],
    )


def test_the_as_of_pattern_states_the_dates_the_server_scores():
    from fastapi.testclient import TestClient

    pattern = re.compile(AS_OF_PARAMETER["schema"]["pattern"])
    c = TestClient(APP)
    body = {"days_since_breakup": 1}
    for day, fits in (
        ("1899-12-31", False),
        ("1900-01-01", True),
        ("2999-12-31", True),
        ("3000-01-01", False),
        ("2026-11-26", True),
        ("2026-13-01", False),
        ("2026-11-26T08:00", False),
        ("0001-01-01", False),
    ):
        assert bool(pattern.fullmatch(day)) is fits, day
        errors = c.post("/api/score", params={"as_of": day}, json=body).json()["errors"]
        assert any(e["question"] == "as_of" for e in errors) is not fits, day  # the server agrees


def test_the_example_answer_set_is_valid_and_fits_the_schema():
    from model.quiz.validation import check_answers
    from model.web.openapi import example_answers

    assert check_answers(example_answers(), AS_OF)[1] == []
    jsonschema.Draft202012Validator(answers_schema()).validate(example_answers())
