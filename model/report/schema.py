"""The report's JSON schema (``schema.json`` beside this module): the one copy, which the tests validate
every report against, the API serves (``GET /api/report-schema``) and the OpenAPI document embeds.

Why in the package: a schema kept in ``docs/`` beside a hand-written stub in the OpenAPI document said
two different things; now both read this file.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["openapi_report_schema", "report_schema"]


@cache
def _schema_text() -> str:
    return resources.files("model.report").joinpath("schema.json").read_text(encoding="utf-8")


def report_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``build_report``'s output: a fresh copy each call."""
    schema: dict[str, Any] = json.loads(_schema_text())
    return schema


def openapi_report_schema() -> dict[str, Any]:
    """The same schema, self-contained for an OpenAPI document: its ``$defs`` inlined (a ``#/$defs/...``
    reference would point into the OpenAPI document itself), without ``$schema`` and ``$id``."""
    schema = report_schema()
    defs = schema.pop("$defs", {})
    for key in ("$schema", "$id"):
        schema.pop(key, None)

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                target = copy.deepcopy(defs[ref.removeprefix("#/$defs/")])
                rest = {k: v for k, v in node.items() if k != "$ref"}
                return inline({**target, **rest})
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    inlined: dict[str, Any] = inline(schema)
    return inlined
