"""The web app: the quiz page, the HTML report, and a JSON API with its OpenAPI description.

Why FastAPI: it is well kept, builds the OpenAPI document from the routes, and its test client
runs the whole app in process. Nothing is stored: each request is validated, scored, rendered
and forgotten. Requests that arrive together are scored together (``batching``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from model import __version__
from model.errors import AnswersError
from model.odds.provenance import introduction
from model.quiz.definition import QUIZ
from model.quiz.validation import Problem, parse_as_of
from model.report.build import build_reports
from model.report.render import render_html
from model.report.schema import report_schema
from model.web import openapi
from model.web.batching import MAX_BATCH, Batcher
from model.web.fastjson import report_json
from model.web.form import SCRIPT_HASH, form_answers, render_quiz
from model.web.guard import BODY_TIMEOUT, MAX_BODY_BYTES, AccessLog, BodyLimit, HostCheck, SecurityHeaders, csp
from model.web.intake import MAX_FORM_FIELDS, Refused, as_of_date, json_answers, too_many_unknown

__all__ = ["CSP", "create_app"]

CSP = csp([SCRIPT_HASH])
_META_CSP = csp([SCRIPT_HASH], meta=True)  # repeated in the page, for a copy saved to disk
_FORM_TYPE = "application/x-www-form-urlencoded"  # what the quiz form sends; no file uploads


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def _json_value(value: Any) -> Any:
    """A problem's value as JSON: as given where JSON can carry it, else its text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return _json_value(item())
    return str(value)


def problem_json(p: Problem) -> dict[str, Any]:
    return {"question": str(p.column), "value": _json_value(p.value), "reason": str(p.reason)}


def _invalid(problems: list[Problem], total: int | None = None) -> Response:
    total = len(problems) if total is None else total
    return _refused(Refused(422, f"{total} invalid answer(s)", problems))


def _error(status: int, detail: str) -> Response:
    return _refused(Refused(status, detail))


def _refused(r: Refused) -> Response:
    """A refusal as JSON: ASCII (ensure_ascii), so whatever it quotes from the request can be sent."""
    body: dict[str, Any] = {"detail": r.detail}
    if r.problems is not None:
        body["errors"] = [problem_json(p) for p in r.problems]
    return Response(json.dumps(body), status_code=r.status, media_type="application/json")


@dataclass(frozen=True)
class _Job:
    """One request's answers to score, its as-of day, and whether it wants the HTML page (else JSON)."""

    answers: dict[str, Any]
    day: dt.date
    html: bool


def _score(jobs: list[_Job], model: Any) -> list[str | AnswersError]:
    """Reports for a batch of requests, rendered: one ``build_reports`` call for all of them."""
    reports = build_reports([j.answers for j in jobs], [j.day for j in jobs], model)
    return [
        r if isinstance(r, AnswersError) else render_html(r) if j.html else report_json(r)
        for j, r in zip(jobs, reports, strict=True)
    ]


def create_app(
    model: Any = None,
    as_of: dt.date | str | None = None,
    max_body: int = MAX_BODY_BYTES,
    today: Callable[[], dt.date] = dt.date.today,
    allowed_hosts: Iterable[str] | None = None,
    body_timeout: float | None = BODY_TIMEOUT,
    max_batch: int = MAX_BATCH,
) -> FastAPI:
    """The ASGI app. ``model``: an ``OddsModel`` (default: the shipped one, loaded now, once);
    ``as_of``: a fixed as-of date (tests); otherwise each request uses ``today()``, the server's
    local date. ``max_body``: the request body limit in bytes; ``body_timeout``: the seconds a body
    may take to arrive. ``allowed_hosts``: the only names requests may be addressed to (``exodds
    serve`` on loopback passes ``LOOPBACK_NAMES``); None answers any. ``max_batch``: the most
    requests scored together (1: each alone).
    """
    if model is None:
        from model.odds.artifacts import load_model

        model = load_model()
    intro = introduction(getattr(model, "card", None) or {})  # (what the odds rest on, said before the first question)
    fixed = parse_as_of(as_of) if as_of not in (None, "") else None

    def day() -> dt.date:
        return fixed or today()

    batcher: Batcher[_Job, str | AnswersError] = Batcher(lambda jobs: _score(jobs, model), max_size=max_batch)

    app = FastAPI(
        title="exodds",
        version=__version__,
        summary="Odds that a breakup is reversed, as one breakup guide's assumptions see them.",
        description=openapi.DESCRIPTION,
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN: this app makes no external request
        redoc_url=None,
        openapi_url="/openapi.json",
    )

    # ---------------------------------------------------------------- pages

    @app.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
    def quiz_page() -> HTMLResponse:
        return HTMLResponse(render_quiz(as_of=day(), csp=_META_CSP, introduction=intro))

    @app.post("/report", response_class=HTMLResponse, include_in_schema=False)
    async def report_page(request: Request) -> Response:
        if _media_type(request) != _FORM_TYPE:
            return _error(415, "expected a form (Content-Type: application/x-www-form-urlencoded)")
        form = await request.form(max_fields=MAX_FORM_FIELDS)
        try:
            answers = form_answers(form.multi_items())
        finally:
            await form.close()
        refused = too_many_unknown(answers)
        if refused is not None:
            return _refused(refused)
        when = day()
        page = await batcher.submit(_Job(answers, when, html=True))  # (scored in a worker thread)
        if isinstance(page, AnswersError):
            page_html = render_quiz(answers, page.problems, as_of=when, csp=_META_CSP, introduction=intro)
            return HTMLResponse(page_html, status_code=422)
        return HTMLResponse(page)

    # ---------------------------------------------------------------- API

    @app.get("/api/questions", tags=["quiz"], responses=openapi.QUESTIONS_RESPONSES)
    def questions() -> JSONResponse:
        """The quiz definition: every question with its help line, type, range or choices, and source."""
        return JSONResponse(QUIZ.to_dict())

    app.add_api_route("/api/questions", questions, methods=["HEAD"], include_in_schema=False)

    @app.get("/api/report-schema", tags=["report"])
    def report_schema_route() -> JSONResponse:
        """The JSON Schema (draft 2020-12) of every report ``/api/score`` returns: the package's one copy."""
        return JSONResponse(report_schema())

    app.add_api_route("/api/report-schema", report_schema_route, methods=["HEAD"], include_in_schema=False)

    @app.post(
        "/api/score",
        tags=["report"],
        responses=openapi.SCORE_RESPONSES,
        openapi_extra=openapi.SCORE_REQUEST,
        response_class=JSONResponse,
    )
    async def score(request: Request) -> Response:  # (as_of: openapi.AS_OF_PARAMETER, read by intake)
        """Score one answer set (question ids to answers) and return the results report as JSON."""
        if not _is_json(_media_type(request)):
            return _error(415, "expected Content-Type: application/json")
        try:
            answers = json_answers(await request.body())
            if not isinstance(answers, dict):
                reason = f"expected a JSON object of question id to answer, got {type(answers).__name__}"
                return _invalid([Problem(None, "(body)", None, reason)])
            refused = too_many_unknown(answers)
            if refused is not None:
                return _refused(refused)
            when = as_of_date(request.query_params.getlist("as_of"), day())
        except Refused as r:
            return _refused(r)
        report = await batcher.submit(_Job(answers, when, html=False))
        if isinstance(report, AnswersError):
            return _invalid(report.problems, report.total)
        return Response(report, media_type="application/json")

    # Outermost last: headers reach every response, the 413 and 421 included; the log sees final
    # statuses; a request for another host is refused before its body is read.
    app.add_middleware(BodyLimit, limit=max_body, timeout=body_timeout)
    if allowed_hosts is not None:
        app.add_middleware(HostCheck, allowed=list(allowed_hosts))
    app.add_middleware(AccessLog)
    app.add_middleware(SecurityHeaders, policy=CSP)
    app.state.batcher = batcher  # (the tests and the benchmark read its counts)
    return app
