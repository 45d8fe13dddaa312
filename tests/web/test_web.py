"""The web app in process: every status of the API, the quiz page from QUIZ, the form round trip, the headers."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import sys
from html.parser import HTMLParser
from typing import Any, ClassVar

import jsonschema
import pytest
from conftest import AS_OF, valid_answer_sets
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from model.quiz.definition import QUIZ
from model.quiz.validation import check_answers
from model.report.build import build_report
from model.report.render import pct, render_html, render_json
from model.web import CSP, create_app
from model.web.form import SCRIPT, form_answers, render_quiz
from model.web.guard import MAX_BODY_BYTES, PERMISSIONS_POLICY
from model.web.openapi import answers_schema

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def app():
    return create_app(as_of=AS_OF)


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as c:
        yield c


class Tree(HTMLParser):
    """Every element with its attributes and the ids of the elements around it; text per id."""

    VOID: ClassVar[set[str]] = {"input", "meta", "br", "img", "link", "hr", "source", "col", "area", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None], tuple[str, ...]]] = []
        self.stack: list[tuple[str, str | None]] = []
        self.texts: dict[str, list[str]] = {}
        self.script: list[str] = []

    @classmethod
    def parse(cls, html: str) -> Tree:
        t = cls()
        t.feed(html)
        t.close()
        return t

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.elements.append((tag, a, tuple(i for _, i in self.stack if i)))
        if tag not in self.VOID:
            self.stack.append((tag, a.get("id")))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        for _, i in self.stack:
            if i:
                self.texts.setdefault(i, []).append(data)
        if self.stack and self.stack[-1][0] == "script":
            self.script.append(data)

    def find(self, tag: str, **attrs: str) -> list[tuple[dict[str, str | None], tuple[str, ...]]]:
        return [
            (a, around)
            for t, a, around in self.elements
            if t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def text(self, element_id: str) -> str:
        return " ".join(" ".join(self.texts.get(element_id, [])).split())


def form_of(answers: dict[str, Any]) -> dict[str, str]:
    """An answer set as a browser sends it: every value as text, blanks left out."""
    return {k: str(v) for k, v in answers.items() if v is not None and str(v).strip()}


# --------------------------------------------------------------------------------------------
# The quiz page is generated from the quiz definition
# --------------------------------------------------------------------------------------------


def test_quiz_page_has_an_input_for_every_question(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = Tree.parse(r.text)
    names = {a["name"] for a, _ in page.find("input")}
    assert names == set(QUIZ.columns)  # every question id, and each date alternative
    for q in QUIZ:
        if q.is_numeric:
            ((a, around),) = page.find("input", name=q.id)
            assert (a["type"], a["min"], a["max"], a["step"]) == ("number", str(q.min), str(q.max), "1")
            assert f"q-{q.id}" in around
            assert page.find("label", for_=q.id)
        else:
            radios = page.find("input", name=q.id)
            assert [a["value"] for a, _ in radios] == list(q.values)
            assert all(a["type"] == "radio" and f"q-{q.id}" in around for a, around in radios)
            for c in q.choices:
                assert c.label in page.text(f"q-{q.id}")
        assert q.text in page.text(f"q-{q.id}")
        assert page.text(f"{q.id}-help")  # the help line, described-by from the input
        for a, _ in page.find("input", name=q.id):
            assert f"{q.id}-help" in a["aria-describedby"].split()
        if q.date_alternative:
            ((a, around),) = page.find("input", name=q.date_alternative)
            assert a["type"] == "date" and a["max"] == AS_OF.isoformat() and f"q-{q.id}" in around
            assert q.date_alternative not in page.text(f"{q.id}-help")  # the page has an input for it
    # a fresh form starts at the defaults, and nothing else is ticked
    checked = {(a["name"], a["value"]) for a, _ in page.find("input") if "checked" in a}
    assert checked == {(q.id, q.default) for q in QUIZ if q.default is not None}
    assert len(page.find("form", method="post", action="/report")) == 1


def test_questions_that_may_not_apply_are_shown_with_a_note_and_hidden_by_the_script(client):
    page = Tree.parse(client.get("/").text)
    for q in QUIZ:
        ((box, _),) = [(a, x) for t, a, x in page.elements if a.get("id") == f"q-{q.id}"]
        if not q.ask_if:
            assert "data-ask-if" not in box and "hidden" not in box
            continue
        # visible without JavaScript (not hidden in the HTML), with a note naming when it applies
        assert "hidden" not in box
        assert json.loads(box["data-ask-if"]) == {k: list(v) for k, v in q.ask_if.items()}
        note = page.text(f"{q.id}-note")
        for k, allowed in q.ask_if.items():
            assert QUIZ[k].text in note
            assert all(c.label in note for c in QUIZ[k].choices if c.value in allowed)
        ((a, _),) = page.find("input", name=q.id)
        assert "required" not in a  # the server decides, from the answer it depends on
    # the one inline script is allowed by its hash, not by 'unsafe-inline'
    script = "".join(page.script)
    assert script == SCRIPT
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in CSP
    assert "unsafe-inline" not in re.search(r"script-src([^;]*)", CSP).group(1)


# --------------------------------------------------------------------------------------------
# Valid answers: the same report as `exodds report`
# --------------------------------------------------------------------------------------------


def test_form_post_shows_the_html_report(client, good_answers):
    r = client.post("/report", data=form_of(good_answers))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    report = build_report(good_answers, as_of=AS_OF)
    assert r.text == render_html(report)  # exactly what `exodds report --format html` writes
    assert pct(report["reversal_odds"]) in r.text


def test_api_score_returns_the_report_json(client, good_answers):
    r = client.post("/api/score", json=good_answers)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert r.text == render_json(build_report(good_answers, as_of=AS_OF))
    assert 0 <= body["odds_low"] <= body["reversal_odds"] <= body["odds_high"] <= 1
    assert body["as_of"] == AS_OF.isoformat()


def test_api_score_takes_an_as_of_date(client, good_answers):
    r = client.post("/api/score?as_of=2026-12-01", json=good_answers)
    assert r.status_code == 200 and r.json()["as_of"] == "2026-12-01"
    r = client.post("/api/score?as_of=yesterday", json=good_answers)
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"question": "as_of", "value": "yesterday", "reason": "as-of date 'yesterday' is not an ISO date (YYYY-MM-DD)"}
    ]


def test_api_accepts_json_with_a_charset_and_numbers_as_text(client, good_answers):
    body = json.dumps({k: str(v) for k, v in good_answers.items()}).encode()
    r = client.post("/api/score", content=body, headers={"content-type": "application/json; charset=utf-8"})
    assert r.status_code == 200
    assert r.json()["reversal_odds"] == client.post("/api/score", json=good_answers).json()["reversal_odds"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=valid_answer_sets())
def test_a_form_gives_the_same_answers_as_json(answers):
    """What a browser sends (all text, blanks dropped) validates to the same clean answers."""
    clean_json, problems_json = check_answers(answers, AS_OF)
    clean_form, problems_form = check_answers(form_answers(form_of(answers).items()), AS_OF)
    assert problems_json == problems_form == []
    assert clean_form == clean_json


# --------------------------------------------------------------------------------------------
# Invalid answers
# --------------------------------------------------------------------------------------------


def test_api_lists_every_validation_error(client, good_answers):
    bad = dict(good_answers, days_silent=99, anger="livid", blocked="some", note="hi")
    r = client.post("/api/score", json=bad)
    assert r.status_code == 422
    errors = r.json()["errors"]
    _, problems = check_answers(bad, AS_OF)
    assert errors == [{"question": p.column, "value": p.value, "reason": p.reason} for p in problems]
    assert {e["question"] for e in errors} == {"days_silent", "anger", "days_blocked", "note"}
    assert r.json()["detail"] == f"{len(errors)} invalid answer(s)"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"[1, 2]", 422),  # JSON, but not an object
        (b'"days"', 422),
        (b"{not json", 400),
        (b'{"days_silent": NaN}', 400),
        (b"\xff\xfe{}", 400),
        (b"", 400),
    ],
)
def test_api_rejects_bodies_that_are_not_an_answer_object(client, body, status):
    r = client.post("/api/score", content=body, headers=JSON)
    assert r.status_code == status
    if status == 422:
        (e,) = r.json()["errors"]
        assert e["question"] == "(body)" and "expected a JSON object" in e["reason"]
    else:
        assert "not valid UTF-8 JSON" in r.json()["detail"]


def test_invalid_form_comes_back_with_messages_beside_the_questions(client, good_answers):
    sent = form_of(dict(good_answers, days_silent=99, blocked="some", anger="furious"))
    r = client.post("/report", data=sent)
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    page = Tree.parse(r.text)
    _, problems = check_answers(form_answers(sent.items()), AS_OF)
    assert {p.column for p in problems} == {"days_silent", "days_blocked"}
    number = {q.id: page.text(f"q-{q.id}").split(".")[0] for q in QUIZ}  # as the page numbers them
    assert number["days_since_breakup"] == "1" and number["days_blocked"] == "5a"
    for p in problems:
        qid = p.column
        ((_, around),) = [(a, x) for t, a, x in page.elements if a.get("id") == f"{qid}-error"]
        assert f"q-{qid}" in around  # inside the question's own box
        # the validator's reason, with question ids in the page's words
        reason = p.reason.replace("(days_since_breakup)", f"(question {number['days_since_breakup']})").replace(
            "when blocked is", f"when question {number['blocked']} is"
        )
        assert reason.lower() in page.text(f"{qid}-error").lower()
        assert not re.search(r"[a-z]_[a-z]", page.text(f"{qid}-error"))
        ((inp, _),) = page.find("input", name=qid)
        assert f"{qid}-error" in inp["aria-describedby"].split() and inp["aria-invalid"] == "true"
        assert reason.lower() in page.text("problems").lower()  # and in the summary at the top, linked
        assert page.find("a", href=f"#q-{qid}")
    # questions without a problem carry no message
    shown = {a["id"] for _, a, _ in page.elements if (a.get("id") or "").endswith("-error")}
    assert shown == {f"{p.column}-error" for p in problems}
    # every answer is kept
    for qid, value in sent.items():
        q = QUIZ[qid]
        if q.is_numeric:
            ((a, _),) = page.find("input", name=qid)
            assert a["value"] == value
        else:
            checked = [a["value"] for a, _ in page.find("input", name=qid) if "checked" in a]
            assert checked == [value]
    assert "safety_concern" not in sent  # not sent: shown unticked, not silently set to the default
    assert not [a for a, _ in page.find("input", name="safety_concern") if "checked" in a]


def test_a_bad_date_is_shown_beside_its_question(client, good_answers):
    sent = form_of(dict(good_answers, days_since_breakup=None, breakup_date="2027-01-05"))
    r = client.post("/report", data=sent)
    assert r.status_code == 422
    page = Tree.parse(r.text)
    ((_, around),) = [(a, x) for t, a, x in page.elements if a.get("id") == "days_since_breakup-error"]
    assert "q-days_since_breakup" in around
    assert "future" in page.text("days_since_breakup-error")
    ((a, _),) = page.find("input", name="breakup_date")
    assert a["value"] == "2027-01-05"


def test_echoed_values_are_escaped(client, good_answers):
    payload = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    sent = form_of(dict(good_answers, days_silent=payload, anger=payload))
    sent[payload] = payload  # an unknown field: listed in the summary
    r = client.post("/report", data=sent)
    assert r.status_code == 422
    assert "<script>alert" not in r.text and "<img src=x" not in r.text
    page = Tree.parse(r.text)
    ((a, _),) = page.find("input", name="days_silent")
    assert a["value"] == payload  # kept, as an attribute value, escaped
    assert len(page.find("script")) == 1 and len(page.find("img")) == 0
    assert payload in page.text("problems")
    # and the API returns it as data, never as markup
    r = client.post("/api/score", json=dict(good_answers, anger=payload))
    assert r.status_code == 422 and r.json()["errors"][0]["value"] == payload


def test_a_field_sent_twice_is_an_error_not_a_guess(client, good_answers):
    sent = [*form_of(good_answers).items(), ("blocked", "everywhere")]
    r = client.post(
        "/report",
        content="&".join(f"{k}={v}" for k, v in sent),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 422
    assert "blocked-error" in Tree.parse(r.text).texts


# --------------------------------------------------------------------------------------------
# Size limit and content types
# --------------------------------------------------------------------------------------------


def test_oversized_body_is_refused_by_content_length(client, good_answers):
    big = json.dumps(dict(good_answers, note="x" * MAX_BODY_BYTES))
    r = client.post("/api/score", content=big, headers=JSON)
    assert r.status_code == 413 and r.headers["content-type"] == "application/json"  # the API's own errors are JSON
    assert "limit" in r.json()["detail"]
    r = client.post("/report", data={"days_silent": "1" * (MAX_BODY_BYTES + 1)})
    assert r.status_code == 413 and r.headers["content-type"] == "application/json"  # the server's own errors too


def test_oversized_body_is_refused_while_streaming():
    small = TestClient(create_app(as_of=AS_OF, max_body=100))

    def chunks(n):  # no Content-Length: sent chunked
        yield from (b"x" * 40 for _ in range(n))

    r = small.post("/api/score", content=chunks(3), headers=JSON)
    assert "content-length" not in r.request.headers and r.status_code == 413
    r = small.post("/api/score", content=b"[" + b" " * 98 + b"]", headers=JSON)  # exactly at the limit
    assert r.status_code == 422
    r = small.post("/api/score", content=b"[" + b" " * 99 + b"]", headers=JSON)
    assert r.status_code == 413 and r.json() == {"detail": "request body too large: the limit is 100 bytes"}


def test_a_content_length_that_lies_is_caught_by_counting(app):
    """Content-Length says 10, the stream brings more: refused, whatever the header says."""
    import asyncio

    from model.web.guard import BodyLimit

    sent: list[dict] = []
    reached = []

    async def inner(scope, receive, send):
        reached.append(True)

    async def run():
        parts = iter([b"x" * 60, b"x" * 60])

        async def receive():
            return {"type": "http.request", "body": next(parts), "more_body": True}

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/api/score", "headers": [(b"content-length", b"10")]}
        await BodyLimit(inner, limit=100)(scope, receive, send)

    asyncio.run(run())
    assert sent[0]["status"] == 413 and not reached


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "", "multipart/form-data"])
def test_api_wants_json(client, content_type, good_answers):
    headers = {"content-type": content_type} if content_type else {}
    r = client.post("/api/score", content=json.dumps(good_answers), headers=headers)
    assert r.status_code == 415 and "application/json" in r.json()["detail"]


def test_form_endpoint_wants_a_urlencoded_form(client, good_answers):
    assert client.post("/report", json=good_answers).status_code == 415
    r = client.post("/report", data=form_of(good_answers), files={"f": ("a.txt", b"x")})  # multipart
    assert r.status_code == 415


# --------------------------------------------------------------------------------------------
# Questions and OpenAPI
# --------------------------------------------------------------------------------------------


def test_api_questions_is_the_quiz(client):
    r = client.get("/api/questions")
    assert r.status_code == 200 and r.json() == QUIZ.to_dict()


def test_openapi_describes_every_endpoint(client):
    r = client.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {"/api/score", "/api/questions", "/api/report-schema"}
    score = doc["paths"]["/api/score"]["post"]
    assert {"200", "400", "413", "415", "422"} <= set(score["responses"])
    schema = score["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["properties"]) == set(QUIZ.columns)
    assert [p["name"] for p in score["parameters"]] == ["as_of"]
    assert "200" in doc["paths"]["/api/questions"]["get"]["responses"]
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):  # they would load scripts from a CDN
        assert client.get(path).status_code == 404
    # one report schema: the API serves the package's file, and the OpenAPI document embeds the same
    from model.report.schema import openapi_report_schema, report_schema

    assert client.get("/api/report-schema").json() == report_schema()
    assert score["responses"]["200"]["content"]["application/json"]["schema"] == openapi_report_schema()


def test_answer_schema_agrees_with_the_validator(good_answers):
    schema = answers_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    ok = jsonschema.Draft202012Validator(schema)
    ok.validate(good_answers)
    ok.validate(dict(good_answers, blocked="some", days_blocked=3))
    ok.validate({**{k: v for k, v in good_answers.items() if k != "days_since_breakup"}, "breakup_date": "2026-10-01"})
    for bad in (
        dict(good_answers, anger="livid"),
        dict(good_answers, days_silent=-1),
        dict(good_answers, blocked="some"),  # days_blocked missing
        dict(good_answers, days_blocked=3),  # days_blocked while not blocked
        {k: v for k, v in good_answers.items() if k != "days_since_breakup"},
        dict(good_answers, note="x"),
    ):
        assert not ok.is_valid(bad)
        assert check_answers(bad, AS_OF)[1]  # the server refuses each too


@settings(max_examples=30, deadline=None)
@given(answers=valid_answer_sets())
def test_every_valid_answer_set_fits_the_schema(answers):
    canonical = {k: v for k, v in answers.items() if not (v is None or (isinstance(v, str) and not v.strip()))}
    jsonschema.Draft202012Validator(answers_schema()).validate(canonical)


# --------------------------------------------------------------------------------------------
# Headers on every response
# --------------------------------------------------------------------------------------------


def _requests(good):
    bad = dict(good, days_silent=999)
    return [
        ("GET", "/", {}, 200),
        ("POST", "/report", {"data": form_of(good)}, 200),
        ("POST", "/report", {"data": form_of(bad)}, 422),
        ("POST", "/report", {"json": good}, 415),
        ("GET", "/report", {}, 405),
        ("GET", "/api/questions", {}, 200),
        ("POST", "/api/score", {"json": good}, 200),
        ("POST", "/api/score", {"json": bad}, 422),
        ("POST", "/api/score", {"content": "x" * (MAX_BODY_BYTES + 1), "headers": JSON}, 413),
        ("POST", "/api/score", {"content": "{}", "headers": {"content-type": "text/plain"}}, 415),
        ("POST", "/api/score", {"content": "{", "headers": JSON}, 400),
        ("GET", "/openapi.json", {}, 200),
        ("GET", "/docs", {}, 404),
        ("GET", "/nowhere", {}, 404),
    ]


def test_every_response_carries_the_privacy_headers(client, good_answers):
    for method, path, kwargs, status in _requests(good_answers):
        r = client.request(method, path, **kwargs)
        assert r.status_code == status, (method, path)
        h = r.headers
        assert h["content-security-policy"] == CSP, (method, path)
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "no-referrer"
        assert h["cache-control"] == "no-store"
        assert h["cross-origin-resource-policy"] == "same-origin"
        assert h["permissions-policy"] == PERMISSIONS_POLICY and "camera=()" in PERMISSIONS_POLICY
        assert "server" not in h or "uvicorn" not in h["server"]
    for directive in ("default-src 'none'", "img-src data:", "form-action 'self'", "frame-ancestors 'none'"):
        assert directive in CSP


def test_an_unexpected_error_is_a_500_with_headers_and_no_answer_in_the_log(good_answers, caplog):
    class Broken:
        def score_clean(self, *a, **k):
            raise RuntimeError(f"secret answer {good_answers['days_silent']}-{good_answers['anger']}")

    c = TestClient(create_app(model=Broken(), as_of=AS_OF))
    with caplog.at_level("INFO", logger="exodds.web"):
        r = c.post("/api/score", json=good_answers)
    assert r.status_code == 500 and r.headers["content-security-policy"] == CSP
    assert "RuntimeError" in caplog.text and "secret" not in caplog.text


def test_the_log_has_method_path_status_and_no_answers(client, good_answers, caplog):
    with caplog.at_level("INFO", logger="exodds.web"):
        client.post("/report", data=form_of(good_answers))
        client.post("/api/score?as_of=2026-11-26", json=dict(good_answers, anger="livid"))
    lines = [r.getMessage() for r in caplog.records if r.name == "exodds.web"]
    assert [ln.split()[:3] for ln in lines] == [["POST", "/report", "200"], ["POST", "/api/score", "422"]]
    assert not any(w in caplog.text for w in ("livid", "annoyed", "as_of", "2026-11-26"))


def test_render_quiz_works_without_a_request():
    page = Tree.parse(render_quiz(as_of=AS_OF))
    assert {a["name"] for a, _ in page.find("input")} == set(QUIZ.columns)


# --------------------------------------------------------------------------------------------
# exodds serve
# --------------------------------------------------------------------------------------------


def test_serve_defaults_to_loopback_and_explains_a_missing_extra(monkeypatch, capsys):
    from model.cli import build_parser, serve

    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port) == ("127.0.0.1", 8000)
    assert serve._is_loopback("127.0.0.1") and serve._is_loopback("::1") and serve._is_loopback("localhost")
    assert not serve._is_loopback("0.0.0.0") and not serve._is_loopback("192.168.1.2")
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if the web extra were missing
    assert args.func(args) == 1
    assert "pip install 'exodds[web]'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("localhost:8000", 200),
        ("127.0.0.1:8000", 200),
        ("[::1]:8000", 200),
        ("LOCALHOST", 200),
        ("attacker.example:8000", 421),  # a rebinding domain pointed at 127.0.0.1
        ("localhost.attacker.example", 421),
        ("localhost:8000@attacker.example", 421),
        ("", 421),
    ],
)
def test_a_quiz_on_loopback_answers_only_its_own_names(host, status):
    from model.web.guard import LOOPBACK_NAMES

    c = TestClient(create_app(as_of=AS_OF, allowed_hosts=LOOPBACK_NAMES))
    r = c.get("/api/questions", headers={"host": host})
    assert r.status_code == status
    if status == 421:
        assert "answers requests for" in r.json()["detail"] and "questions" not in r.text  # JSON on the API
        assert "content-security-policy" in r.headers  # every response carries the headers
        posted = c.post("/api/score", json={"days_since_breakup": 3}, headers={"host": host})
        assert posted.status_code == 421  # refused before the body is read or scored


def test_serve_passes_the_names_it_answers_to(monkeypatch):
    """What `exodds serve` hands uvicorn, and the app each worker builds from it (the Host check)."""
    from model.cli import build_parser
    from model.cli.serve import default_workers
    from model.web.server import ENV, ServeSettings, app_from_env

    seen = {}

    class FakeUvicorn:
        @staticmethod
        def run(app, **kwargs):
            seen.update(app=app, kwargs=kwargs, env=os.environ[ENV])

    monkeypatch.setitem(sys.modules, "uvicorn", FakeUvicorn)
    from model.web import workers

    def fake_supervise(app, **kwargs):  # several workers: a socket each, the same options
        seen.update(app=app, kwargs=kwargs, env=os.environ[ENV], supervised=True)

    monkeypatch.setattr(workers, "supervise", fake_supervise)
    monkeypatch.setenv(ENV, "")  # (restored after the test)
    for argv, allowed in (
        (["serve"], {"localhost", "127.0.0.1", "::1"}),
        (["serve", "--allow-host", "quiz.lan"], {"localhost", "127.0.0.1", "::1", "quiz.lan"}),
        (["serve", "--host", "0.0.0.0"], None),
        (
            ["serve", "--host", "0.0.0.0", "--allow-host", "quiz.lan", "--workers", "3", "--body-timeout", "2.5"],
            {"localhost", "127.0.0.1", "::1", "0.0.0.0", "quiz.lan"},
        ),
    ):
        args = build_parser().parse_args(argv)
        assert args.func(args) == 0
        settings = ServeSettings.from_env()
        assert (None if settings.allowed_hosts is None else set(settings.allowed_hosts)) == allowed
        kwargs = seen["kwargs"]
        assert seen["app"] == "model.web.server:app_from_env" and kwargs["factory"] is True  # built in each worker
        assert kwargs["workers"] == (3 if "--workers" in argv else default_workers())
        assert seen.pop("supervised", False) == (kwargs["workers"] > 1 and workers.balanced_workers_available())
        assert kwargs["http"] == "model.web.protocol:GuardedH11Protocol"
        assert kwargs["access_log"] is False and kwargs["proxy_headers"] is False
        assert kwargs["timeout_graceful_shutdown"] == 10
        assert settings.body_timeout == (2.5 if "--body-timeout" in argv else 10)
        c = TestClient(app_from_env())  # what a worker builds
        assert c.get("/api/questions", headers={"host": "quiz.lan"}).status_code == (
            421 if allowed == {"localhost", "127.0.0.1", "::1"} else 200
        )
        assert c.get("/api/questions", headers={"host": "rebind.example"}).status_code == (421 if allowed else 200)
    args = build_parser().parse_args(["serve", "--workers", "0"])
    assert args.func(args) == 2


def test_a_worker_started_by_hand_answers_loopback_names_and_logs_no_addresses(monkeypatch):
    """`uvicorn model.web.server:app_from_env --factory --workers 2`, without exodds serve's settings."""
    import logging

    from model.web.server import ENV, app_from_env

    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setattr(logging.getLogger("uvicorn.access"), "disabled", False)
    c = TestClient(app_from_env())
    assert c.get("/api/questions", headers={"host": "localhost:8000"}).status_code == 200
    assert c.get("/api/questions", headers={"host": "rebind.example"}).status_code == 421
    assert logging.getLogger("uvicorn.access").disabled  # client addresses and query strings


def test_web_messages_name_questions_by_number_not_id(client, good_answers):
    """A contradiction between two typed dates names them as the page does: question 1's date."""
    sent = form_of(
        dict(
            good_answers,
            days_since_breakup=None,
            breakup_date="2026-11-20",
            days_silent=None,
            last_contact_date="2026-11-10",
        )
    )
    r = client.post("/report", data=sent)
    assert r.status_code == 422
    text = Tree.parse(r.text).text("days_silent-error")
    assert "the date in question 1" in text and "breakup_date" not in text and "days_since_breakup" not in text


def test_the_block_question_takes_a_date_too(client, good_answers):
    page = Tree.parse(client.get("/").text)
    ((a, _),) = page.find("input", name="block_date")
    assert a["type"] == "date"
    sent = form_of(dict(good_answers, blocked="some", days_blocked=None, block_date="2026-11-20"))
    r = client.post("/report", data=sent)
    assert r.status_code == 200 and "6 days, since 20 November 2026" in r.text  # the date became days


def test_odd_json_bodies_get_a_400_that_says_why(client):
    deep = "[" * 5000 + "]" * 5000  # under the size limit, deeper than the parser goes
    r = client.post("/api/score", content=deep, headers=JSON)
    assert r.status_code == 400 and "nests arrays or objects too deeply" in r.json()["detail"]
    huge = '{"days_silent": ' + "9" * 5000 + "}"
    r = client.post("/api/score", content=huge, headers=JSON)
    assert r.status_code == 400 and "thousands of digits" in r.json()["detail"]


def test_head_requests_are_answered(client):
    for path in ("/", "/api/questions"):
        r = client.head(path)
        assert r.status_code == 200 and r.content == b""
    paths = client.get("/openapi.json").json()["paths"]
    assert list(paths["/api/questions"]) == ["get"]  # HEAD is not a second operation in the document


def test_a_block_gives_no_date_and_no_curve_in_the_json(client, good_answers):
    blocked = dict(good_answers, blocked="everywhere", days_blocked=40, days_silent=40, days_since_breakup=60)
    r = client.post("/api/score", json=blocked).json()
    assert r["earliest_contact"] is None and r["what_if"] is None and r["odds_display"] == "muted"
    assert "earliest_contact_only_if_unblocked" not in r and r["schema_version"].startswith("2.")


def test_the_request_schema_takes_a_block_date_for_the_days_since_the_block(good_answers):
    import jsonschema

    validator = jsonschema.Draft202012Validator(answers_schema())
    base = {k: v for k, v in good_answers.items() if k != "days_blocked"}
    assert validator.is_valid({**base, "blocked": "some", "block_date": "2026-11-20"})
    assert validator.is_valid({**base, "blocked": "some", "days_blocked": 3})
    assert not validator.is_valid({**base, "blocked": "some"})
    assert not validator.is_valid({**base, "blocked": "no", "block_date": "2026-11-20"})


def test_an_answer_given_twice_is_named_as_such(client, good_answers):
    """A form field sent twice, or a JSON key given twice: 'more than one answer', not 'not a number'."""
    body = "&".join(f"{k}={v}" for k, v in good_answers.items() if k != "days_silent")
    r = client.post(
        "/report",
        content=body + "&days_silent=20&days_silent=30",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 422 and "More than one answer (20, 30): give one" in r.text
    pairs = ", ".join(f'"{k}": {json.dumps(v)}' for k, v in good_answers.items())
    r = client.post("/api/score", content="{" + pairs + ', "days_silent": 3}', headers=JSON)
    assert r.status_code == 422
    first = good_answers["days_silent"]
    assert [e["reason"] for e in r.json()["errors"]] == [f"more than one answer ({first}, 3): give one"]
