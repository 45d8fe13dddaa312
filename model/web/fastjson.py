"""The report as JSON, byte for byte what ``model.render.render_json`` writes, in about a third of the time.

Why: with scoring batched, ``json.dumps(indent=2)`` was the largest cost of an API request left
(Python's C encoder does not indent, so the pure-Python one ran for every report). This writer
knows only what a report holds (dicts with text keys, lists, text, whole numbers, floats, true,
false, null) and writes the 91 what-if points, a list of flat records with the same keys, from
keys encoded once. ``render_json`` stays the definition: tests compare the two on many reports
and on arbitrary JSON values, and anything else (a NaN, a key that is not text) is handed to it.
"""

from __future__ import annotations

from json.encoder import encode_basestring  # (the C function where CPython has it)
from typing import Any

from model.report.render import render_json

__all__ = ["report_json"]

_NEWLINES = ["\n" + "  " * i for i in range(64)]
# type -> its JSON text, all C functions; NaN and infinities come out as these and are refused
_SCALARS: dict[type, Any] = {
    str: encode_basestring,
    int: int.__repr__,
    float: float.__repr__,
    bool: {True: "true", False: "false"}.__getitem__,
    type(None): {None: "null"}.__getitem__,
}
_NOT_JSON = frozenset({"nan", "inf", "-inf"})


class _Unusual(Exception):
    """A value this writer leaves to ``render_json``."""


def report_json(report: Any) -> str:
    """``render_json(report)``: pretty JSON (two spaces), UTF-8 text, a trailing newline."""
    parts: list[str] = []
    try:
        _value(report, 0, parts)
    except (_Unusual, KeyError, IndexError):  # (KeyError: another type; IndexError: deeper than _NEWLINES)
        return render_json(report)
    parts.append("\n")
    return "".join(parts)


def _scalar(v: Any) -> str:
    text: str = _SCALARS[type(v)](v)
    if text in _NOT_JSON and type(v) is float:
        raise _Unusual
    return text


def _value(v: Any, level: int, parts: list[str]) -> None:
    t = type(v)
    if t is dict:
        _dict(v, level, parts)
    elif t is list:
        _list(v, level, parts)
    else:
        parts.append(_scalar(v))


def _dict(d: dict[Any, Any], level: int, parts: list[str]) -> None:
    if not d:
        parts.append("{}")
        return
    inner = _NEWLINES[level + 1]
    sep = "{" + inner
    for k, v in d.items():
        if type(k) is not str:
            raise _Unusual
        parts.append(sep)
        parts.append(encode_basestring(k))
        parts.append(": ")
        t = type(v)
        if t is dict or t is list:
            _value(v, level + 1, parts)
        else:
            parts.append(_scalar(v))
        sep = "," + inner
    parts.append(_NEWLINES[level])
    parts.append("}")


def _list(items: list[Any], level: int, parts: list[str]) -> None:
    if not items:
        parts.append("[]")
        return
    inner = _NEWLINES[level + 1]
    flat = len(items) > 2 and type(items[0]) is dict and items[0]
    if flat and _records(items, level + 1, parts, "[" + inner, "," + inner):
        parts.append(_NEWLINES[level])
        parts.append("]")
        return
    sep = "[" + inner
    for v in items:
        parts.append(sep)
        _value(v, level + 1, parts)
        sep = "," + inner
    parts.append(_NEWLINES[level])
    parts.append("]")


def _records(items: list[Any], level: int, parts: list[str], first_sep: str, sep: str) -> bool:
    """A list of flat dicts with the same keys (the what-if points): keys and layout written once.
    False, with nothing written, when the list is not that."""
    keys = tuple(items[0])
    if any(type(k) is not str for k in keys):
        return False
    inner = _NEWLINES[level + 1]
    heads = ["{" + inner + encode_basestring(keys[0]) + ": "]
    heads += ["," + inner + encode_basestring(k) + ": " for k in keys[1:]]
    close = _NEWLINES[level] + "}"
    scalars = _SCALARS
    written: list[str] = [first_sep]
    try:
        for d in items:
            if type(d) is not dict or tuple(d) != keys:
                return False
            values = [scalars[type(v)](v) for v in d.values()]  # (KeyError: a nested or other value)
            if not _NOT_JSON.isdisjoint(values):
                return False
            for head, text in zip(heads, values, strict=True):
                written.append(head)
                written.append(text)
            written.append(close)
            written.append(sep)
    except KeyError:
        return False
    written.pop()  # (the separator after the last record)
    parts.extend(written)
    return True
