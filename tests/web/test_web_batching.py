"""Scoring requests together gives each one exactly what scoring it alone gives, byte for byte.

The web server scores the answer sets of concurrent requests in one vectorised pass
(``model.report.build_reports``, driven by ``model.web.batching.Batcher``) and writes the JSON with
``model.web.fastjson``. Here every report of a batch, mixed with invalid sets and other as-of days,
is compared with ``render_json(build_report(...))`` for that set alone; errors stay with their own
request.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
from typing import Any

import httpx2
import pytest
from conftest import AS_OF, valid_answer_sets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.errors import AnswersError
from model.quiz.definition import QUIZ
from model.report.build import build_report, build_reports
from model.report.render import render_json
from model.web import create_app
from model.web.batching import Batcher
from model.web.fastjson import report_json

_ODD_VALUES = st.sampled_from(
    [
        None,
        "",
        "  ",
        "x",
        -1,
        0,
        7,
        99999,
        10**30,
        1.5,
        3.0,
        -0.0,
        True,
        False,
        "3.0",
        " 12 ",
        "1.5E+03",
        "No",
        "YES",
        "Everywhere",
        "prefer not to say",
        [1, 2],
        ["3"],
        {"a": 1},
        "2026-11-20",
        "2026-02-30",
        "0001-01-01",
    ]
)


@st.composite
def answer_sets(draw: st.DrawFn) -> dict[str, Any]:
    """A valid answer set, or one with a few answers changed into something odd, dropped or added."""
    answers = draw(valid_answer_sets())
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from([*QUIZ.columns, "note"]))
        action = draw(st.sampled_from(["set", "set", "drop", "text"]))
        if action == "drop":
            answers.pop(key, None)
        elif action == "text" and answers.get(key) is not None:
            answers[key] = str(answers[key])
        else:
            answers[key] = draw(_ODD_VALUES)
    return answers


_DAYS = st.sampled_from([AS_OF, dt.date(2026, 1, 1), dt.date(1900, 1, 1), dt.date(2999, 12, 31)])


def alone(answers: dict[str, Any], day: dt.date, model: Any) -> str:
    """What the one-answer-set path gives: the report JSON, or the problems it raises."""
    try:
        return render_json(build_report(answers, as_of=day, model=model))
    except AnswersError as exc:
        return "invalid: " + repr([(p.column, p.value, p.reason) for p in exc.problems])


def together(result: dict[str, Any] | AnswersError) -> str:
    if isinstance(result, AnswersError):
        return "invalid: " + repr([(p.column, p.value, p.reason) for p in result.problems])
    return report_json(result)


@pytest.fixture(scope="module")
def model():
    from model.odds.artifacts import load_model

    return load_model()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(st.tuples(answer_sets(), _DAYS), min_size=1, max_size=12))
def test_a_batch_gives_each_answer_set_what_it_gets_alone_byte_for_byte(model, batch):
    results = build_reports([a for a, _ in batch], [d for _, d in batch], model)
    assert len(results) == len(batch)
    for (answers, day), result in zip(batch, results, strict=True):
        assert together(result) == alone(answers, day, model)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=st.lists(valid_answer_sets(), min_size=20, max_size=40))
def test_a_large_batch_of_valid_answer_sets(model, answers):
    """Many valid sets in one call (as under load), one as-of day, every report as alone."""
    results = build_reports(answers, AS_OF, model)
    assert all(not isinstance(r, AnswersError) for r in results)
    assert [report_json(r) for r in results] == [alone(a, AS_OF, model) for a in answers]


def test_the_example_reports_are_written_alike(model):
    from pathlib import Path

    for path in sorted(Path("examples").glob("*.json")):
        report = build_report(json.loads(path.read_text()), as_of=AS_OF, model=model)
        assert report_json(report) == render_json(report), path.name


# --------------------------------------------------------------------------------------------
# The JSON writer on any JSON value
# --------------------------------------------------------------------------------------------

_KEYS = st.text(max_size=6)
_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8))
_VALUES = st.recursive(
    _SCALAR,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(_KEYS, inner, max_size=5)
        | st.lists(st.fixed_dictionaries({"a": _SCALAR, "b": inner}), min_size=3, max_size=5)
    ),  # flat records, or not
    max_leaves=25,
)


def _written(write, value) -> str:
    try:
        return write(value)
    except (ValueError, TypeError) as exc:  # NaN or infinity: render_json refuses them
        return f"{type(exc).__name__}: {exc}"


@settings(max_examples=300, deadline=None)
@given(value=_VALUES)
def test_the_json_writer_writes_what_render_json_writes(value):
    assert _written(report_json, value) == _written(render_json, value)


def test_the_json_writer_on_values_it_leaves_to_render_json():
    deep: Any = 1
    for _ in range(100):  # deeper than the writer's indentation table
        deep = [deep]
    odd = (
        {1: "a"},
        {"a": math.nan},
        [{"a": 1}, {"a": 2}, {"a": math.inf}],
        [{"a": 1}, {"b": 2}, {"a": 3}],
        {"a": (1, 2)},
        deep,
        True,
        "é\u2028\x00",
    )
    for value in odd:
        assert _written(report_json, value) == _written(render_json, value)


# --------------------------------------------------------------------------------------------
# The batcher
# --------------------------------------------------------------------------------------------


def test_concurrent_items_share_a_call_and_each_gets_its_own_result():
    calls: list[list[int]] = []

    def work(items: list[int]) -> list[int]:
        calls.append(list(items))
        if 13 in items:
            raise RuntimeError("13")
        return [i * 10 for i in items]

    batcher: Batcher[int, int] = Batcher(work, max_size=4)

    async def run():
        return await asyncio.gather(*(batcher.submit(i) for i in range(10)), return_exceptions=True)

    assert asyncio.run(run()) == [i * 10 for i in range(10)]
    assert calls == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]  # in arrival order, at most max_size at once
    calls.clear()

    async def run_with_13():
        return await asyncio.gather(*(batcher.submit(i) for i in (11, 12, 13, 14)), return_exceptions=True)

    got = asyncio.run(run_with_13())
    assert got[:2] == [110, 120] and got[3] == 140 and isinstance(got[2], RuntimeError)  # only 13 fails
    assert calls[0] == [11, 12, 13, 14] and [13] in calls  # then each alone


def test_a_cancelled_request_is_left_out_of_its_batch():
    seen: list[list[str]] = []

    def work(items):
        seen.append(list(items))
        return items

    batcher: Batcher[str, str] = Batcher(work)

    async def run():
        gone = asyncio.ensure_future(batcher.submit("gone"))
        kept = asyncio.ensure_future(batcher.submit("kept"))
        await asyncio.sleep(0)
        gone.cancel()
        return await kept

    assert asyncio.run(run()) == "kept" and seen == [["kept"]]


def test_concurrent_api_requests_are_scored_together_each_with_its_own_answer(good_answers):
    """Twenty requests at once, valid and invalid, other days: a few batches; each its own status and body."""
    app = create_app(as_of=AS_OF)
    bad = dict(good_answers, anger="livid")
    requests = [(good_answers, "2026-11-26"), (bad, "2026-11-26"), (good_answers, "2026-01-05"), ([], None)] * 5

    async def run():
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await asyncio.gather(
                *(
                    client.post("/api/score", json=body, params={"as_of": day} if day else None)
                    for body, day in requests
                )
            )

    answers = asyncio.run(run())
    batcher = app.state.batcher
    assert batcher.items == 15 and batcher.batches < 15  # ([] is refused before scoring)
    for (body, day), r in zip(requests, answers, strict=True):
        if body == []:
            assert r.status_code == 422
        elif body is bad:
            assert r.status_code == 422 and [e["question"] for e in r.json()["errors"]] == ["anger"]
        else:
            assert r.status_code == 200
            assert r.text == render_json(build_report(body, as_of=day))
