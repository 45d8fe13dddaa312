"""The web quiz and JSON API behind ``exodds serve`` (needs the ``web`` extra: FastAPI, uvicorn).

Modules: ``app`` (routes, ``create_app``), ``form`` (the quiz page from the quiz definition),
``guard`` (body size cap, security headers, path-only access log), ``openapi`` (the API's schema).
"""

from model.web.app import CSP, create_app

__all__ = ["CSP", "create_app"]
