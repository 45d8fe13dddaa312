"""A request in: the JSON body or form to an answer set, and the as-of date; every refusal a 4xx that names the problem.

Why a module of its own: whatever a client sends (a lone surrogate, a key repeated or unknown two
thousand times, a date in year 1) must end here as a short answer saying what is wrong, never as
a 500 or as work out of proportion to the request. Validation proper stays in ``model.validation``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from model.quiz.dates import AS_OF_FIRST, AS_OF_LAST
from model.quiz.definition import QUIZ
from model.quiz.validation import Problem, parse_as_of
from model.web.form import keep_repeats

__all__ = [
    "AS_OF_FIRST",
    "AS_OF_LAST",
    "MAX_FORM_FIELDS",
    "MAX_UNKNOWN",
    "Refused",
    "as_of_date",
    "json_answers",
    "too_many_unknown",
]

#: Unknown keys listed one by one; beyond this many, the answer only says how many there were.
MAX_UNKNOWN = 5
#: Fields a form may carry (the quiz has 18 inputs); python-multipart stops reading beyond them.
MAX_FORM_FIELDS = 64


class Refused(Exception):
    """A request answered with ``status`` and ``{"detail": ..., "errors": [...]}`` (errors only for 422)."""

    def __init__(self, status: int, detail: str, problems: list[Problem] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.problems = problems


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def json_answers(raw: bytes) -> Any:
    """The parsed body (any JSON value: the caller judges its shape), a repeated key keeping all its values.

    Refused (400) for bytes that are not UTF-8, text that is not JSON, NaN or Infinity, nesting
    deeper than the parser goes, integers of thousands of digits, and strings that are not
    Unicode text (a lone surrogate escape such as "\\ud800": what a script sends when it cuts an
    emoji in half), which could not be echoed back or written anywhere.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        why = f"not UTF-8 text ({exc.reason} at byte {exc.start})"
        raise Refused(400, f"the body is not valid UTF-8 JSON: {why}") from None
    try:
        value = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=keep_repeats)
    except RecursionError:
        raise Refused(400, "the body nests arrays or objects too deeply: expected one JSON object of answers") from None
    except ValueError as exc:
        if "Exceeds the limit" in str(exc):  # (Python's guard against huge integers)
            too_long = "the body holds a number with thousands of digits, far beyond any answer's range"
            raise Refused(400, too_long) from None
        raise Refused(400, f"the body is not valid UTF-8 JSON: {exc}") from None
    where = _not_unicode(value)
    if where is not None:
        raise Refused(
            400,
            f"the body holds a lone surrogate escape (\\ud800 to \\udfff without its pair) {where}: "
            "that is not Unicode text (was an emoji or other character cut in half?)",
        )
    return value


def _not_unicode(value: Any, key: str | None = None) -> str | None:
    """Where ``value`` holds a string that cannot be UTF-8 (a lone surrogate), in words; None if nowhere."""
    stack: list[tuple[Any, str | None]] = [(value, key)]
    while stack:
        item, owner = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return "in a value" if owner is None else f"in the answer to {_shown_key(owner)}"
        elif isinstance(item, dict):
            for k, v in item.items():
                if not k.isascii():
                    try:
                        k.encode("utf-8")
                    except UnicodeEncodeError:
                        return f"in the key {_shown_key(k)}"
                stack.append((v, owner if owner is not None else k))
        elif isinstance(item, list):
            stack.extend((v, owner) for v in item)
    return None


def _shown_key(key: str) -> str:
    """A key as JSON shows it (ASCII: a lone surrogate as its escape), cut short."""
    shown = json.dumps(key)
    return shown if len(shown) <= 60 else shown[:57] + '..."'


def too_many_unknown(answers: Mapping[str, Any]) -> Refused | None:
    """More than ``MAX_UNKNOWN`` keys that are no question (or date) of the quiz: a 422 that lists the
    first few and says how many there were, so a body of two thousand made-up keys costs no more
    than reading it. None for a few (validation reports those beside everything else)."""
    known = set(QUIZ.columns)
    unknown = [k for k in answers if k not in known]
    if len(unknown) <= MAX_UNKNOWN:
        return None
    shown = [Problem(None, k, answers[k], "unknown question: not part of the quiz") for k in unknown[:MAX_UNKNOWN]]
    detail = (
        f"{len(unknown)} unknown questions, not part of the quiz (the first {MAX_UNKNOWN} are listed; "
        "GET /api/questions lists the quiz)"
    )
    return Refused(422, detail, shown)


def as_of_date(given: Iterable[str], today: dt.date) -> dt.date:
    """The ``as_of`` query parameter: ``today`` when absent or blank; refused (422) when given twice,
    when it is no ISO date, or outside ``AS_OF_FIRST`` to ``AS_OF_LAST``."""
    values = list(given)
    if len(values) > 1:
        reason = f"more than one as-of date ({', '.join(values)}): give one"
        raise Refused(422, "1 invalid answer(s)", [Problem(None, "as_of", values, reason)])
    if not values or not values[0]:
        return today
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", values[0]):  # (the date alone: no time, no spaces)
            raise ValueError(f"as-of date {values[0]!r} is not an ISO date (YYYY-MM-DD)")
        day = parse_as_of(values[0])
    except ValueError as exc:
        raise Refused(422, "1 invalid answer(s)", [Problem(None, "as_of", values[0], str(exc))]) from None
    return day  # (parse_as_of refuses a day outside AS_OF_FIRST to AS_OF_LAST)
