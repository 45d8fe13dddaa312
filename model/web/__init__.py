"""The web quiz and JSON API behind ``exodds serve`` (needs the ``web`` extra: FastAPI, uvicorn).

Modules: ``app`` (routes, ``create_app``), ``form`` (the quiz page from the quiz definition),
``intake`` (a request to an answer set; every refusal a 4xx that names the problem), ``guard``
(size caps, body timeout, security headers, path-only access log, Host check), ``batching``
(concurrent requests scored together), ``fastjson`` (the report's JSON, fast), ``openapi`` (the
API's schema), ``server`` (uvicorn with workers that share their settings) and ``protocol``
(uvicorn's HTTP/1.1 with a head timeout and a connection cap).
"""

from model.web.app import CSP, create_app

__all__ = ["CSP", "create_app"]
