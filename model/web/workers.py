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


def _worker(app: str, host: str, port: int, options: dict[str, Any], ready: Any) -> None:
    """One worker process: its own socket on the shared port, one uvicorn server on it; ``ready`` is
    set once the app is built (the model loaded), so a worker that fails before it is known apart."""
    import uvicorn

    sock = listening_socket(host, port)
    config = uvicorn.Config(app, host=host, port=port, **options)
    config.load()
    ready.set()
    uvicorn.Server(config).run(sockets=[sock])


def supervise(app: str, *, host: str, port: int, workers: int, **options: Any) -> None:
    """Run ``workers`` processes serving ``app`` on ``host:port`` until SIGINT or SIGTERM.

    ``options`` are uvicorn's (the same as for one worker). A worker that dies is started again; one
    that dies before its app is built stops the server (exit 3, as uvicorn exits when it cannot start:
    a model that cannot be loaded fails every worker the same way)."""
    import uvicorn

    uvicorn.Config(app, host=host, port=port, **options)  # (sets up uvicorn's logging, as uvicorn.run does)
    grace = float(options.get("timeout_graceful_shutdown") or 0)
    reserved = listening_socket(host, port)  # fixes the port when 0; it never listens, so gets no connection
    port = reserved.getsockname()[1]
    context = multiprocessing.get_context("spawn")  # (a fresh interpreter a worker: nothing shared by accident)

    def start() -> tuple[Any, Any]:
        ready = context.Event()
        proc = context.Process(target=_worker, args=(app, host, port, options, ready), name="exodds-worker")
        proc.start()
        return proc, ready

    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    procs = [start() for _ in range(workers)]
    shown = f"[{host}]" if ":" in host else host
    log.info(
        "exodds running on http://%s:%d with %d workers, a listening socket each (Press CTRL+C to quit)",
        shown,
        port,
        workers,
    )
    failed = False
    try:
        while not stop.wait(0.25):
            for i, (proc, ready) in enumerate(procs):
                if proc.is_alive():
                    continue
                if not ready.is_set():
                    log.error("a worker ended while starting (exit code %s): stopping", proc.exitcode)
                    failed = True
                    stop.set()
                    break
                log.warning("worker %d ended (exit code %s): starting another", proc.pid, proc.exitcode)
                procs[i] = start()
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
