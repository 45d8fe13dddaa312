"""``exodds serve``: the quiz in a browser and a JSON API, on this computer (loopback) unless told otherwise."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys

INSTALL_HINT = (
    "exodds serve needs the web extra (FastAPI and uvicorn). Install it with:\n"
    "    pip install 'exodds[web]'\n"
    "or, in a checkout of the repository:\n"
    "    pip install -e '.[web]'"
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="run the web quiz and JSON API (needs the 'web' extra)",
        description=__doc__
        + " Answers are neither stored nor logged; the log shows method, path and status only."
        " Stop it with Ctrl+C.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this computer only)")
    p.add_argument(
        "--allow-host", action="append", default=[], metavar="NAME",
        help="a name the quiz may be reached by (repeatable). On loopback it answers localhost, 127.0.0.1 "
        "and ::1 only, so another site cannot reach it through a name of its own (DNS rebinding); on "
        "another address it answers any name unless names are given, then those, the address and "
        "this computer's own names",
    )
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.set_defaults(func=run)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from model.web import create_app
    except ImportError as exc:
        print(f"error: {exc}\n{INSTALL_HINT}", file=sys.stderr)
        return 1
    if not 0 <= args.port <= 65535:
        print(f"error: --port {args.port}: expected a port number from 0 to 65535", file=sys.stderr)
        return 2
    if not _is_loopback(args.host):
        print(
            f"warning: listening on {args.host}: other machines on the network can reach the quiz, "
            "over plain HTTP (no TLS). Answers are still neither stored nor logged.",
            file=sys.stderr,
        )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    web_log = logging.getLogger("exodds.web")
    web_log.addHandler(handler)
    web_log.setLevel(logging.INFO)
    web_log.propagate = False

    from model.web.guard import LOOPBACK_NAMES

    allowed = None  # on another address with no names given: any name (the user chose to expose it)
    if _is_loopback(args.host) or args.allow_host:
        allowed = [*LOOPBACK_NAMES, args.host, *args.allow_host]
    app = create_app(allowed_hosts=allowed)  # loads the model now: the first request is as fast as the rest
    shown = f"[{args.host}]" if ":" in args.host else args.host
    where = f"http://{shown}:{args.port}/" if args.port else f"http://{shown}:PORT/ (the port uvicorn reports below)"
    print(f"exodds quiz at {where}; API: /api/questions, /api/score, /openapi.json", file=sys.stderr)
    from model.odds.artifacts import load_model
    from model.truth.assumptions import stale_assumptions_warning

    stale = stale_assumptions_warning(load_model())  # (the one create_app loaded: cached)
    if stale:
        print(f"warning: {stale}", file=sys.stderr)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        access_log=False,  # uvicorn's would print query strings; exodds.web logs method, path, status only
        server_header=False,
        log_level="info",
        timeout_graceful_shutdown=10,  # a stalled upload cannot hold a stop (Ctrl-C, SIGTERM) longer than this
    )
    return 0
