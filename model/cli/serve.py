"""``exodds serve``: the quiz in a browser and a JSON API, on this computer (loopback) unless told otherwise."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from pathlib import Path

INSTALL_HINT = (
    "exodds serve needs the web extra (FastAPI and uvicorn). Install it with:\n"
    "    pip install 'exodds[web]'\n"
    "or, in a checkout of the repository:\n"
    "    pip install -e '.[web]'"
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve",
        help="run the web quiz and JSON API (needs the 'web' extra)",
        description=__doc__ + " Answers are neither stored nor logged; the log shows method, path and status only."
        " Stop it with Ctrl+C.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this computer only)")
    p.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a name the quiz may be reached by (repeatable). On loopback it answers localhost, 127.0.0.1 "
        "and ::1 only, so another site cannot reach it through a name of its own (DNS rebinding); on "
        "another address it answers any name unless names are given, then those, the address and "
        "this computer's own names",
    )
    p.add_argument(
        "--model",
        metavar="DIR",
        help="model directory (`exodds train --out`, `exodds update --out`); default: the built-in model",
    )
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes sharing the port, each with the same Host check, log and limits "
        f"(default: one a core, here {default_workers()})",
    )
    p.add_argument(
        "--header-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="time a request line and headers may take to arrive (default 10); a request over it is answered "
        "408 and its connection closed",
    )
    p.add_argument(
        "--body-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="time a request body may take to arrive (default 10); over it: 408",
    )
    p.add_argument(
        "--max-connections",
        type=int,
        default=None,
        metavar="N",
        help="open connections a worker keeps (default 128); one more is answered 503 with Retry-After",
    )
    p.set_defaults(func=run)


def default_workers() -> int:
    """One worker a core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # (not on Linux)
        return max(1, os.cpu_count() or 1)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401

        from model.web import server
    except ImportError as exc:
        print(f"error: {exc}\n{INSTALL_HINT}", file=sys.stderr)
        return 1
    if not 0 <= args.port <= 65535:
        print(f"error: --port {args.port}: expected a port number from 0 to 65535", file=sys.stderr)
        return 2
    for name, value in (
        ("--workers", args.workers),
        ("--max-connections", args.max_connections),
        ("--header-timeout", args.header_timeout),
        ("--body-timeout", args.body_timeout),
    ):
        if value is not None and not value > 0:
            print(f"error: {name} {value:g}: expected a number above 0", file=sys.stderr)
            return 2
    if not _is_loopback(args.host):
        print(
            f"warning: listening on {args.host}: other machines on the network can reach the quiz, "
            "over plain HTTP (no TLS). Answers are still neither stored nor logged.",
            file=sys.stderr,
        )
    from model.web.guard import LOOPBACK_NAMES

    allowed = None  # on another address with no names given: any name (the user chose to expose it)
    if _is_loopback(args.host) or args.allow_host:
        allowed = (*LOOPBACK_NAMES, args.host, *args.allow_host)
    limits = {
        "header_timeout": args.header_timeout,
        "body_timeout": args.body_timeout,
        "max_connections": args.max_connections,
    }
    model_dir = str(Path(args.model).resolve()) if args.model else None  # (workers may start elsewhere)
    settings = server.ServeSettings(
        allowed_hosts=allowed, model_dir=model_dir, **{k: v for k, v in limits.items() if v is not None}
    )
    workers = args.workers or default_workers()
    from model.odds.artifacts import load_model
    from model.truth.assumptions import stale_assumptions_warning

    model = load_model(model_dir)  # (a model that cannot load fails here, before any worker)
    stale = stale_assumptions_warning(model)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    where = f"http://{shown}:{args.port}/" if args.port else f"http://{shown}:PORT/ (the port uvicorn reports below)"
    print(
        f"exodds quiz at {where}; API: /api/questions, /api/score, /openapi.json; "
        f"{workers} worker{'s' if workers != 1 else ''}; model {model.version}",
        file=sys.stderr,
    )
    if stale:
        print(f"warning: {stale}", file=sys.stderr)
    server.run(settings, args.host, args.port, workers)
    return 0
