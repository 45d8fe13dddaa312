"""Hostile and malformed requests: each one is answered 4xx in JSON, naming the problem; never a 500.

The corpus is what a load tester or an attacker tries first (lone surrogates, dates at the ends of the
calendar, deep nesting, huge numbers, wrong encodings, thousands of keys, slow bodies), then
hypothesis sends arbitrary JSON and bytes. The slow-client cases that need a real socket (partial
headers) are in tests/test_web_server.py.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from conftest import AS_OF
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.quiz.definition import QUIZ
from model.web import CSP, create_app
from model.web.guard import MAX_BODY_BYTES, MAX_HEADER_BYTES, MAX_TARGET_BYTES, PERMISSIONS_POLICY, BodyLimit
from model.web.intake import AS_OF_FIRST, AS_OF_LAST, MAX_FORM_FIELDS, MAX_UNKNOWN

JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(as_of=AS_OF), raise_server_exceptions=False) as c:
        yield c


def refused(r, status: int | None = None) -> dict[str, Any]:
    """A refusal as the issue asks for it: 4xx, JSON with a 'detail' that says why, the usual headers."""
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    if status is not None:
        assert r.status_code == status, r.text[:300]
    assert r.headers["content-type"] == "application/json"
    assert r.headers["content-security-policy"] == CSP
    assert r.headers["permissions-policy"] == PERMISSIONS_POLICY
    assert r.headers["cross-origin-resource-policy"] == "same-origin"
    body = r.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in r.text and "/model/" not in r.text and ".py" not in r.text
    return body


def raw(text: str) -> bytes:
    """JSON text as bytes, escapes kept as written (so a lone surrogate escape reaches the server as such)."""
    return text.encode("ascii")


def good_json(answers: dict[str, Any], **changes: str) -> str:
    """The answer set as JSON text, with some values replaced (or keys added) by raw JSON text."""
    parts = [f"{json.dumps(k)}: {changes.get(k, json.dumps(v))}" for k, v in answers.items()]
    parts += [f'"{k}": {v}' for k, v in changes.items() if k not in answers]
    return "{" + ", ".join(parts) + "}"


# --------------------------------------------------------------------------------------------
# Lone surrogates: what a script sends when it cuts an emoji in half
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"anger": '"\\ud800"'}, 'the answer to "anger"'),
        ({"anger": '"none\\udfff"'}, 'the answer to "anger"'),
        ({"days_silent": '["3", "\\ud83d"]'}, 'the answer to "days_silent"'),
        ({"\\ud800": "1"}, 'the key "\\ud800"'),
        ({"note": '{"x\\udc00": 1}'}, 'the key "x\\udc00"'),
    ],
)
def test_a_lone_surrogate_anywhere_in_the_body_is_a_400_that_says_where(client, good_answers, change, where):
    r = client.post("/api/score", content=raw(good_json(good_answers, **change)), headers=JSON)
    detail = refused(r, 400)["detail"]
    assert "lone surrogate" in detail and where in detail


def test_a_whole_emoji_is_just_a_wrong_answer(client, good_answers):
    r = client.post("/api/score", content=raw(good_json(good_answers, anger='"\\ud83d\\ude00"')), headers=JSON)
    body = refused(r, 422)
    reason = f"not one of the choices: expected {QUIZ['anger'].expected()}"
    assert body["errors"] == [{"question": "anger", "value": "\U0001f600", "reason": reason}]


def test_text_that_is_not_utf8_is_refused_in_the_query_and_the_form(client, good_answers):
    r = client.post("/api/score?as_of=%ED%A0%80", json=good_answers)  # a surrogate, UTF-8 encoded
    assert refused(r, 422)["errors"][0]["question"] == "as_of"
    form = "&".join(f"{k}={v}" for k, v in good_answers.items() if k != "anger") + "&anger=%ED%A0%80"
    r = client.post("/report", content=form, headers=FORM)
    assert r.status_code == 422 and "not one of the choices" in r.text.lower()  # the page, \ufffd shown


# --------------------------------------------------------------------------------------------
# Dates at the ends of the calendar
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_of", ["0001-01-01", "0001-03-01", "0100-01-01", "1899-12-31", "3000-01-01", "9999-12-31"])
def test_an_as_of_date_far_from_now_is_a_422_that_names_the_range(client, good_answers, as_of):
    body = refused(client.post(f"/api/score?as_of={as_of}", json=good_answers), 422)
    (error,) = body["errors"]
    assert error["question"] == "as_of" and error["value"] == as_of
    assert f"outside the dates exodds scores ({AS_OF_FIRST} to {AS_OF_LAST})" in error["reason"]


@pytest.mark.parametrize("as_of", [AS_OF_FIRST, AS_OF_LAST])
def test_the_first_and_last_as_of_dates_score_even_the_longest_answers(client, good_answers, as_of):
    longest = dict(
        good_answers,
        days_since_breakup=36500,
        days_silent=36500,
        blocked="some",
        days_blocked=36500,
        attempts_ignored=10000,
        emotional_messages=10000,
    )
    for answers in (good_answers, longest):
        r = client.post(f"/api/score?as_of={as_of}", json=answers)
        assert r.status_code == 200 and r.json()["as_of"] == as_of.isoformat()


@pytest.mark.parametrize(
    "query",
    ["as_of=2026-01-01&as_of=2026-01-02", "as_of=yesterday", "as_of=2026-02-30", "as_of=%00", "as_of=" + "9" * 5000],
)
def test_an_as_of_that_is_not_one_date_is_a_422(client, good_answers, query):
    (error,) = refused(client.post(f"/api/score?{query}", json=good_answers), 422)["errors"]
    assert error["question"] == "as_of"


@pytest.mark.parametrize("date", ["0001-01-01", "9999-12-31", "10000-01-01", "2026-02-30", "-2026-01-01", "2026-1-1"])
def test_a_date_answer_at_the_ends_of_the_calendar_is_a_422(client, good_answers, date):
    answers = dict(good_answers, breakup_date=date)
    del answers["days_since_breakup"]
    (error,) = refused(client.post("/api/score", json=answers), 422)["errors"]
    assert error["question"] == "breakup_date" and error["value"] == date


# --------------------------------------------------------------------------------------------
# Shapes and sizes: nesting, numbers, encodings, keys
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"[" * 5000 + b"]" * 5000, 400, "nests arrays or objects too deeply"),
        (b'{"anger": ' + b"[" * 5000 + b"]" * 5000 + b"}", 400, "nests arrays or objects too deeply"),
        (b'{"days_silent": ' + b"9" * 5000 + b"}", 400, "thousands of digits"),
        (b'{"days_silent": NaN}', 400, "NaN is not valid JSON"),
        (b'{"days_silent": -Infinity}', 400, "-Infinity is not valid JSON"),
        (b"\xef\xbb\xbf{}", 400, "BOM"),
        ('{"anger": "ça"}'.encode("utf-16"), 400, "not UTF-8"),
        ('{"anger": "ça"}'.encode("latin-1"), 400, "not UTF-8"),
        (b'{"anger": "\xff\xfe"}', 400, "not UTF-8"),
        (b"", 400, "not valid UTF-8 JSON"),
        (b"{", 400, "not valid UTF-8 JSON"),
        (b'{"a": 1} {"b": 2}', 400, "not valid UTF-8 JSON"),
        (b"[]", 422, "expected a JSON object"),
        (b"null", 422, "expected a JSON object"),
        (b'"days_silent"', 422, "expected a JSON object"),
        (b"1e999", 422, "expected a JSON object"),
    ],
)
def test_bodies_that_are_not_one_json_object_of_answers(client, body, status, says):
    r = client.post("/api/score", content=body, headers=JSON)
    assert says in json.dumps(refused(r, status))


@pytest.mark.parametrize("number", ["1e999", "-1e999", "1e308", str(10**300), "-0.5", "36501", "0.1"])
def test_numbers_out_of_any_range_are_wrong_answers(client, good_answers, number):
    r = client.post("/api/score", content=raw(good_json(good_answers, days_since_breakup=number)), headers=JSON)
    errors = refused(r, 422)["errors"]
    assert errors and errors[0]["question"] == "days_since_breakup"


def test_thousands_of_unknown_keys_stop_after_a_few_and_say_how_many(client, good_answers):
    keys = [format(i, "x") for i in range(2000)]
    body = "{" + ",".join(f'"{k}":0' for k in keys) + "}"
    assert len(body) < MAX_BODY_BYTES  # under the cap: cheap to send
    r = client.post("/api/score", content=body, headers=JSON)
    answer = refused(r, 422)
    assert answer["detail"].startswith("2000 unknown questions")
    assert [e["question"] for e in answer["errors"]] == keys[:MAX_UNKNOWN]
    assert len(r.content) < 2000  # not a problem per key
    # the same from a form (python-multipart stops reading past MAX_FORM_FIELDS)
    form = "&".join(f"{k}=1" for k in keys[: MAX_FORM_FIELDS - 1])
    answer = refused(client.post("/report", content=form, headers=FORM), 422)
    assert answer["detail"].startswith(f"{MAX_FORM_FIELDS - 1} unknown questions")
    form = "&".join(f"{k}=1" for k in keys)
    assert "Too many fields" in refused(client.post("/report", content=form, headers=FORM), 400)["detail"]


def test_a_few_unknown_keys_are_listed_beside_every_other_problem(client, good_answers):
    answers = dict(good_answers, anger="livid", **{f"extra{i}": i for i in range(MAX_UNKNOWN)})
    errors = refused(client.post("/api/score", json=answers), 422)["errors"]
    assert sorted(e["question"] for e in errors) == sorted(["anger", *(f"extra{i}" for i in range(MAX_UNKNOWN))])


def test_a_key_repeated_hundreds_of_times_is_one_problem(client, good_answers):
    body = good_json(good_answers)[:-1] + "".join(', "anger": "none"' for _ in range(800)) + "}"
    assert len(body) < MAX_BODY_BYTES
    (error,) = refused(client.post("/api/score", content=body, headers=JSON), 422)["errors"]
    assert error["question"] == "anger" and error["reason"].startswith("more than one answer")


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("POST", "/api/score", {"content": "{}", "headers": {"content-type": "text/plain"}}, 415),
        ("POST", "/report", {"json": {}}, 415),
        ("POST", "/api/score", {"content": "{}", "headers": {**JSON, "content-length": "x"}}, 400),
        ("POST", "/report", {"content": "a=" + "1" * MAX_BODY_BYTES, "headers": FORM}, 413),
        ("GET", "/api/score", {}, 405),
        ("GET", "/api/questions?q=" + "a" * MAX_TARGET_BYTES, {}, 414),
        ("GET", "/api/questions", {"headers": {"x-big": "a" * MAX_HEADER_BYTES}}, 431),
        ("GET", "/nowhere", {}, 404),
        ("DELETE", "/", {}, 405),
    ],
)
def test_the_servers_own_refusals_are_json_too(client, method, path, kwargs, status):
    refused(client.request(method, path, **kwargs), status)


# --------------------------------------------------------------------------------------------
# Slow bodies
# --------------------------------------------------------------------------------------------


def test_a_body_that_stops_arriving_is_a_408_and_the_app_never_runs():
    sent: list[dict] = []
    reached = []

    async def inner(scope, receive, send):
        reached.append(True)

    async def run():
        parts = iter([{"type": "http.request", "body": b'{"days', "more_body": True}])

        async def receive():
            part = next(parts, None)
            if part is None:
                await asyncio.sleep(3600)  # the client stopped sending
            return part

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/api/score", "headers": [(b"content-length", b"200")]}
        await asyncio.wait_for(BodyLimit(inner, limit=1000, timeout=0.2)(scope, receive, send), 5)

    asyncio.run(run())
    assert not reached and sent[0]["status"] == 408
    assert (b"connection", b"close") in sent[0]["headers"]
    assert json.loads(sent[1]["body"]) == {"detail": "the request body did not arrive within 0.2 seconds"}


# --------------------------------------------------------------------------------------------
# Whatever else arrives
# --------------------------------------------------------------------------------------------

_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)  # surrogates included
_KEYS = st.one_of(st.sampled_from(QUIZ.columns), _TEXT)
_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False),
    _TEXT,
    st.sampled_from([v for q in QUIZ for v in q.values]),
)
_JSON = st.recursive(
    _LEAF, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4), max_leaves=12
)


def _dumps(value: Any) -> bytes:
    """JSON text with lone surrogates escaped, as a browser's JSON.stringify writes them."""
    return json.dumps(value, ensure_ascii=True).encode("ascii")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(_JSON, st.dictionaries(_KEYS, _JSON, max_size=20)))
def test_any_json_body_is_a_report_or_a_4xx_json_answer(client, body):
    r = client.post("/api/score", content=_dumps(body), headers=JSON)
    if r.status_code != 200:
        refused(r)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=200), form=st.booleans())
def test_any_bytes_are_a_4xx_json_answer_or_a_page(client, body, form):
    r = client.post("/report" if form else "/api/score", content=body, headers=FORM if form else JSON)
    assert r.status_code < 500
    if r.headers["content-type"] == "application/json":
        refused(r)
    else:  # the quiz page sent back with its messages
        assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
