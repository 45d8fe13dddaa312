"""Several workers on one port, each with a listening socket of its own (``SO_REUSEPORT``).

Why not uvicorn's own workers: they share one listening socket, and the first worker awake accepts
every connection waiting, so a burst of new connections lands mostly on one worker (measured: 755
and 0 score requests in one run). With a socket a worker, the kernel shares new connections out
among the workers by a hash of each client's address and port. Each worker is the same uvicorn
server, with the same options, as ``exodds serve --workers 1`` runs: the Host check, the limits and
the path-only log come with the app and its protocol, not from here. This module only starts the
workers, restarts one that dies, and stops them all within the grace period.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from typing import Any

__all__ = ["balanced_workers_available", "listening_socket", "supervise"]

log = logging.getLogger("uvicorn.error")

#: Seconds beyond the grace period a worker gets to end before it is killed.
EXIT_SLACK = 5.0


def balanced_workers_available() -> bool:
    """Whether the kernel shares connections out among sockets on one port (Linux does; macOS
    accepts the option but gives every connection to one socket)."""
    return hasattr(socket, "SO_REUSEPORT") and sys.platform.startswith("linux")


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` that other sockets may bind too (it listens once uvicorn
    serves on it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # (IPPROTO_TCP named: asyncio turns Nagle's algorithm off only on sockets that say they are TCP;
    # with proto 0 every small answer waited for the client's delayed ACK, 40 ms)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _worker(app: str, host: str, port: int, options: dict[str, Any], ready: Any, parent: int) -> None:
    """One worker process: its own socket on the shared port, one uvicorn server on it; ``ready`` is
    set once the app is built (the model loaded), so a worker that fails before it is known apart."""
    import uvicorn

    _die_with(parent)
    try:
        sock = listening_socket(host, port)
    except OSError as exc:  # (another program took the port while this worker started)
        print(f"ERROR: cannot bind {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        raise SystemExit(3) from None
    config = uvicorn.Config(app, host=host, port=port, **options)
    config.load()
    ready.set()
    uvicorn.Server(config).run(sockets=[sock])


def _die_with(parent: int) -> None:
    """Stop this worker (SIGTERM, a graceful stop) when the supervisor dies, even by SIGKILL: a worker
    left behind would go on serving the port beside whatever starts on it next."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # (the supervisor died before the line above took effect)
        raise SystemExit(0)


#: More restarts than this within RESTART_WINDOW seconds stop the server: a worker that keeps dying
#: would otherwise be started again and again, loading the model each time.
MAX_RESTARTS = 5
RESTART_WINDOW = 60.0


def _port_is_free(host: str, port: int) -> int:
    """The port (chosen by the system when 0) if nothing listens on it; ``OSError`` if something does.
    A plain bind (no SO_REUSEPORT) fails beside any listener, another exodds's workers included."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # (TIME_WAIT of a previous run is no listener)
        probe.bind((host, port))
        return int(probe.getsockname()[1])


def supervise(app: str, *, host: str, port: int, workers: int, **options: Any) -> None:
    """Run ``workers`` processes serving ``app`` on ``host:port`` until SIGINT or SIGTERM.

    ``options`` are uvicorn's (the same as for one worker). A port something already listens on, or a
    worker that dies before its app is built, stops the server at start (exit 3, as uvicorn exits when
    it cannot start: a model that cannot be loaded fails every worker the same way). Later, a worker
    that dies is started again, at most MAX_RESTARTS times in RESTART_WINDOW seconds."""
    import uvicorn

    uvicorn.Config(app, host=host, port=port, **options)  # (sets up uvicorn's logging, as uvicorn.run does)
    grace = float(options.get("timeout_graceful_shutdown") or 0)
    try:
        port = _port_is_free(host, port)
        # (held while the workers start; a program that binds with SO_REUSEADDR and listens first
        # still makes the workers fail to bind, which stops the server with exit 3)
        reserved = listening_socket(host, port)
    except OSError as exc:
        log.error("cannot serve on %s:%d: %s", host, port, exc.strerror or exc)
        raise SystemExit(3) from None
    context = multiprocessing.get_context("spawn")  # (a fresh interpreter a worker: nothing shared by accident)

    def start() -> tuple[Any, Any]:
        ready = context.Event()
        args = (app, host, port, options, ready, os.getpid())
        proc = context.Process(target=_worker, args=args, name="exodds-worker")
        proc.start()
        return proc, ready

    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    procs = [start() for _ in range(workers)]
    failed, announced = False, False
    restarts: list[float] = []
    try:
        while not stop.wait(0.25):
            for i, (proc, _) in enumerate(procs):
                if proc.is_alive():
                    continue
                if not announced:
                    log.error("a worker ended while starting (exit code %s): stopping", proc.exitcode)
                    failed = True
                    stop.set()
                    break
                now = time.monotonic()
                restarts = [t for t in restarts if now - t < RESTART_WINDOW] + [now]
                if len(restarts) > MAX_RESTARTS:
                    log.error("workers ended %d times in %d s: stopping", len(restarts), RESTART_WINDOW)
                    failed = True
                    stop.set()
                    break
                log.warning("worker %d ended (exit code %s): starting another", proc.pid, proc.exitcode)
                procs[i] = start()
            if not announced and not stop.is_set() and all(ready.is_set() for _, ready in procs):
                announced = True
                shown = f"[{host}]" if ":" in host else host
                log.info(
                    "exodds running on http://%s:%d with %d workers, a listening socket each (Press CTRL+C to quit)",
                    shown,
                    port,
                    workers,
                )
    finally:
        _stop_all([p for p, _ in procs], grace + EXIT_SLACK)
        reserved.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failed:
        raise SystemExit(3)


def _stop_all(procs: list[Any], seconds: float) -> None:
    """SIGTERM to each worker (each finishes its requests within the grace), then kill what is left."""
    for proc in procs:
        if proc.is_alive() and proc.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
    for proc in procs:
        if proc.is_alive():
            log.warning("worker %d did not stop in time: killed", proc.pid)
            proc.kill()
            proc.join()
