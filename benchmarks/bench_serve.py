"""Throughput and latency of `exodds serve`: `/api/score` beside `/api/questions`, the cheapest endpoint.

    .venv/bin/python benchmarks/bench_serve.py                       # 1 and 2 workers; concurrency 1, 8, 32
    .venv/bin/python benchmarks/bench_serve.py --seconds 5 --repeat 3
    .venv/bin/python benchmarks/bench_serve.py --workers 1 --concurrency 32 --unbatched   # batching off too

For each number of workers it starts `exodds serve --workers N` on a free loopback port and waits
until it answers. A bounded local client (asyncio, raw HTTP/1.1 over keep-alive connections, one
request in flight per connection) then drives each endpoint at each concurrency for ``--seconds``
seconds, the two endpoints one after the other at the same concurrency, and prints requests per
second, the 50th, 95th and 99th percentile latency, and errors (any status but 200, or a dropped
connection), the server's CPU time per request (all its processes, from /proc: less
sensitive than the rates to other work on the machine), and how many requests each worker
answered (from the access log: on Linux each worker has a listening socket of its own and the
kernel shares new connections out among them; with one shared socket, as uvicorn's own workers
have, the first worker to wake took most of a burst). The score requests cycle through
``examples/*.json``. The ratio of the two
endpoints' rates at the highest concurrency is the figure the goal is set in (at least 0.25); it
is measured within one run because this machine is shared and both sides slow down together.
``--unbatched`` adds a server with micro-batching off (``max_batch=1``: each request scored alone),
to show what batching brings. The client shares the machine's two cores with the server: its
load counts against both endpoints alike.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-11-26"
MAX_REQUESTS = 200_000  # per run, whatever the duration: the client stops by itself


class Server:
    """A server in its own process group on a free loopback port; stopped with SIGTERM (killed if it hangs)."""

    def __init__(self, workers: int, unbatched: bool = False):
        if unbatched:
            code = (
                "from model.web.server import ServeSettings, run; from model.web.guard import LOOPBACK_NAMES; "
                f"run(ServeSettings(allowed_hosts=LOOPBACK_NAMES, max_batch=1), '127.0.0.1', 0, {workers})"
            )
            argv = [sys.executable, "-c", code]
        else:
            argv = [sys.executable, "-m", "model", "serve", "--port", "0", "--workers", str(workers)]
        env = {k: v for k, v in os.environ.items() if k != "EXODDS_SERVE"}
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + 120
        self.port = 0
        while not self.port:
            assert self.proc.poll() is None and time.monotonic() < deadline, "\n".join(self.lines)
            for line in list(self.lines):
                m = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
                if m:
                    self.port = int(m.group(1))
            time.sleep(0.05)
        while asyncio.run(_status(self.port)) != 200:
            assert self.proc.poll() is None and time.monotonic() < deadline, "\n".join(self.lines)
            time.sleep(0.2)

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def shares(self, since: int) -> str:
        """Requests each worker answered in the access log since line ``since``, most first ('612+380')."""
        counts: dict[str, int] = {}
        for line in self.lines[since:]:
            m = re.match(r"\S+ INFO \[(\d+)\] ", line)
            if m:
                counts[m.group(1)] = counts.get(m.group(1), 0) + 1
        return "+".join(str(n) for n in sorted(counts.values(), reverse=True)) or "-"

    def cpu_seconds(self) -> float:
        """CPU time the server's processes (the parent and its workers) have used so far."""
        pids = [self.proc.pid]
        try:
            for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
                pids += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            return float("nan")
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


async def _status(port: int) -> int:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return 0
    writer.write(b"GET /api/questions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    head = await reader.read(12)
    writer.close()
    return int(head[9:12]) if head.startswith(b"HTTP/1.1 ") else 0


def requests_for(path: str) -> list[bytes]:
    if path == "/api/questions":
        return [b"GET /api/questions HTTP/1.1\r\nHost: localhost\r\n\r\n"]
    out = []
    for answers in sorted((ROOT / "examples").glob("*.json")):
        body = answers.read_bytes()
        out.append(
            f"POST /api/score?as_of={AS_OF} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
    return out


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] * 1000 if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[int(q) - 1] * 1000


_LENGTH = re.compile(rb"content-length: *(\d+)", re.IGNORECASE)


async def _connection(port: int, requests: list[bytes], start: int, stop_at: float, run: Run, budget: list[int]):
    """One connection, one request in flight at a time, until ``stop_at`` or the run's request budget."""
    reader = writer = None
    i = start
    while time.perf_counter() < stop_at and budget[0] > 0:
        budget[0] -= 1
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            t = time.perf_counter()
            writer.write(requests[i % len(requests)])
            i += 1
            head = await reader.readuntil(b"\r\n\r\n")
            m = _LENGTH.search(head)
            await reader.readexactly(int(m.group(1)) if m else 0)
            run.latencies.append(time.perf_counter() - t)
            if head[9:12] != b"200":
                run.errors += 1
            if b"connection: close" in head.lower():
                writer.close()
                reader = writer = None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            run.errors += 1
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def drive(port: int, path: str, concurrency: int, seconds: float) -> Run:
    requests = requests_for(path)
    run = Run()
    budget = [MAX_REQUESTS]
    start = time.perf_counter()
    stop_at = start + seconds
    await asyncio.gather(*(_connection(port, requests, k, stop_at, run, budget) for k in range(concurrency)))
    run.seconds = time.perf_counter() - start
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=3.0, help="per endpoint and concurrency (default 3)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of the whole table on each server (default 1)")
    parser.add_argument("--unbatched", action="store_true", help="also a server with micro-batching off")
    args = parser.parse_args()

    servers = [(w, False) for w in args.workers] + ([(w, True) for w in args.workers] if args.unbatched else [])
    print(
        f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}; {os.cpu_count()} cores; "
        f"{args.seconds:g} s per endpoint and concurrency"
    )
    print(
        f"{'server':<22}{'conc':>5}  {'endpoint':<15}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}{'cpu ms/req':>11}  per worker"
    )
    ratios: dict[str, list[float]] = {}
    top = max(args.concurrency)
    for workers, unbatched in servers:
        name = f"{workers} worker{'s' if workers > 1 else ''}" + (", unbatched" if unbatched else "")
        server = Server(workers, unbatched)
        try:
            asyncio.run(drive(server.port, "/api/score", 8, 1.0))  # warm: every worker has scored
            for _ in range(args.repeat):
                for c in args.concurrency:
                    rates = {}
                    for path in ("/api/questions", "/api/score"):
                        cpu, logged = server.cpu_seconds(), len(server.lines)
                        run = asyncio.run(drive(server.port, path, c, args.seconds))
                        cpu = (server.cpu_seconds() - cpu) * 1000 / max(1, len(run.latencies))
                        rates[path] = run.rate
                        print(
                            f"{name:<22}{c:>5}  {path:<15}{run.rate:>8.0f}{run.pct(50):>9.1f}{run.pct(95):>9.1f}"
                            f"{run.pct(99):>9.1f}{run.errors:>8}{cpu:>11.2f}  {server.shares(logged)}",
                            flush=True,
                        )
                    if c == top:
                        ratios.setdefault(name, []).append(rates["/api/score"] / rates["/api/questions"])
        finally:
            server.stop()
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for name, values in ratios.items():
        shown = ", ".join(f"{v:.2f}" for v in values)
        print(f"score / questions at concurrency {top}, {name}: {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
