"""The app under uvicorn, in one or several worker processes, each with the same settings.

Why settings in the environment: uvicorn starts each worker as a new process that imports the app
by name (``app_from_env``), so whatever ``exodds serve`` decided (the names it answers to, the
limits, a fixed as-of date) must reach it there; a worker built any other way would silently drop
the Host check or log more than paths. The settings are a JSON object in ``EXODDS_SERVE``; without
it (uvicorn run by hand with ``model.web.server:app_from_env --factory``) a worker answers the
loopback names only, and uvicorn's own access log (client addresses, query strings) stays silent.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import asdict, dataclass, fields
from functools import cache
from typing import Any

from model.errors import ConfigError
from model.web.batching import MAX_BATCH
from model.web.guard import BODY_TIMEOUT, LOOPBACK_NAMES, MAX_BODY_BYTES

__all__ = [
    "ENV",
    "GRACE_SECONDS",
    "HEADER_TIMEOUT",
    "KEEP_ALIVE",
    "MAX_CONNECTIONS",
    "ServeSettings",
    "app_from_env",
    "run",
]

ENV = "EXODDS_SERVE"
#: Seconds a request line and headers may take from their first byte (a browser sends them at once).
HEADER_TIMEOUT = 10.0
#: Seconds an idle kept-alive connection stays open.
KEEP_ALIVE = 5
#: Open connections a worker keeps; one more is answered 503 with Retry-After (a browser opens about 6).
MAX_CONNECTIONS = 128
#: Seconds a stop (Ctrl-C, SIGTERM) waits for requests in progress.
GRACE_SECONDS = 10


@dataclass(frozen=True)
class ServeSettings:
    """What every worker is built with. ``allowed_hosts``: None answers any Host."""

    allowed_hosts: tuple[str, ...] | None = LOOPBACK_NAMES
    as_of: str | None = None
    model_dir: str | None = None  # a model directory (None: the shipped model)
    max_body: int = MAX_BODY_BYTES
    body_timeout: float = BODY_TIMEOUT
    header_timeout: float = HEADER_TIMEOUT
    max_connections: int = MAX_CONNECTIONS
    max_batch: int = MAX_BATCH
    grace_seconds: float = GRACE_SECONDS

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> ServeSettings:
        """The settings ``exodds serve`` left for its workers (defaults when there are none)."""
        return _parse(os.environ.get(ENV, ""))


@cache
def _parse(text: str) -> ServeSettings:
    if not text:
        return ServeSettings()
    raw: dict[str, Any] = json.loads(text)
    known = {f.name for f in fields(ServeSettings)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{ENV}: unknown settings {', '.join(unknown)}")
    if raw.get("allowed_hosts") is not None:
        raw["allowed_hosts"] = tuple(raw["allowed_hosts"])
    return ServeSettings(**raw)


def setup_logging() -> None:
    """The path-only access log (``exodds.web``) on stderr, once per process (each worker is one);
    uvicorn's access log (client address, query string) off, however uvicorn was started."""
    logging.getLogger("uvicorn.access").disabled = True
    web_log = logging.getLogger("exodds.web")
    if getattr(web_log, "_exodds_handler", False):
        return
    handler = logging.StreamHandler(sys.stderr)
    # (the worker's process id: with several workers, which one answered)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(message)s", "%H:%M:%S"))
    web_log.addHandler(handler)
    web_log.setLevel(logging.INFO)
    web_log.propagate = False
    web_log._exodds_handler = True  # type: ignore[attr-defined]


def app_from_env() -> Any:
    """uvicorn's factory: the app as the settings in ``EXODDS_SERVE`` say, in this worker."""
    from model.web.app import create_app

    s = ServeSettings.from_env()
    setup_logging()
    model = None
    if s.model_dir:
        from model.odds.artifacts import load_model

        model = load_model(s.model_dir)
    app = create_app(
        model,
        as_of=s.as_of,
        max_body=s.max_body,
        allowed_hosts=s.allowed_hosts,
        body_timeout=s.body_timeout,
        max_batch=s.max_batch,
    )
    _warm_up(model)
    return app


def _warm_up(model: Any = None) -> None:
    """Score one answer set now, so the model's tables and the templates are built before the first
    request rather than during it (half a second)."""
    from model.report.build import build_reports
    from model.web.fastjson import report_json
    from model.web.openapi import example_answers

    (report,) = build_reports([example_answers()], model=model)
    report_json(report)


def run(settings: ServeSettings, host: str, port: int, workers: int, log_level: str = "info") -> None:
    """Serve until stopped: ``workers`` processes share the port, each built by ``app_from_env``."""
    import uvicorn

    os.environ[ENV] = settings.to_env()  # (read by every worker, and by the protocol in each)
    _parse.cache_clear()
    uvicorn.run(
        "model.web.server:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http="model.web.protocol:GuardedH11Protocol",  # header timeout, connection cap, JSON refusals
        access_log=False,  # uvicorn's would print client addresses and query strings; exodds.web logs paths
        server_header=False,
        proxy_headers=False,  # nothing sits in front of it: never take a client address from a header
        log_level=log_level,
        timeout_keep_alive=KEEP_ALIVE,
        timeout_graceful_shutdown=settings.grace_seconds,  # a stalled request cannot hold a stop longer
        lifespan="off",
    )
