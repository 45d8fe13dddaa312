"""`exodds serve` as it runs: real worker processes on a free loopback port, driven over raw sockets.

Every worker must keep the Host check, the path-only log and the limits; slow clients are answered
and let go; a stop takes at most the grace period. Servers are started once per module, with short
timeouts, and always stopped (their process group is killed if a stop hangs).
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from model.web.guard import PERMISSIONS_POLICY
from model.web.workers import balanced_workers_available

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
GOOD = (ROOT / "examples" / "good.json").read_bytes()
ONE_GET = b"GET /api/questions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


class Served:
    """A server process group, its port and everything it wrote to stderr."""

    def __init__(self, argv: list[str]):
        env = {k: v for k, v in os.environ.items() if k != "EXODDS_SERVE"}
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # (its own process group: the workers can be killed with it)
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.port = self._wait_for(r"running on http://127\.0\.0\.1:(\d+)", 60)
        deadline = time.monotonic() + 90
        while True:  # until the workers answer (each loads the model)
            try:
                if request(self.port, b"GET /api/questions HTTP/1.1\r\nHost: localhost\r\n\r\n")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and self.proc.poll() is None, self.text()
            time.sleep(0.2)

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def _wait_for(self, pattern: str, seconds: float) -> int:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for line in list(self.lines):
                m = re.search(pattern, line)
                if m:
                    return int(m.group(1))
            assert self.proc.poll() is None, self.text()
            time.sleep(0.05)
        raise AssertionError(f"no line like {pattern!r}:\n{self.text()}")

    def text(self) -> str:
        return "\n".join(self.lines)

    def access_log(self) -> list[tuple[int, str]]:
        """(worker pid, 'METHOD /path STATUS') for each line of the access log."""
        out = []
        for line in list(self.lines):
            m = re.match(r"\d\d:\d\d:\d\d INFO \[(\d+)\] (\S+ \S+ \S+) \d+ ms$", line)
            if m:
                out.append((int(m.group(1)), m.group(2)))
        return out

    def stop(self, timeout: float = 30) -> float:
        """SIGTERM, as a service manager stops it; the seconds it took (the group is killed past ``timeout``)."""
        start = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        took = time.monotonic() - start
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # (any worker left behind)
        self.reader.join(timeout=5)
        return took


def request(port: int, raw: bytes, timeout: float = 20) -> tuple[int, dict[str, str], bytes]:
    """One request on a new connection; (status, headers, body) of the answer (the body read to its end)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(raw)
        return read_answer(s)


def read_answer(s: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body


def post(path: str, body: bytes, host: str = "localhost") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


def closed_within(s: socket.socket, seconds: float) -> bytes:
    """What the server sends before it closes ``s``; fails if it keeps it open longer than ``seconds``."""
    s.settimeout(seconds)
    data = b""
    try:
        while chunk := s.recv(65536):
            data += chunk
    except TimeoutError:
        raise AssertionError(f"still open after {seconds} s; got {data!r}") from None
    return data


@pytest.fixture(scope="module")
def server() -> Iterator[Served]:
    """`exodds serve` with two workers, one-second read timeouts and four connections a worker."""
    s = Served(
        [
            sys.executable,
            "-m",
            "model",
            "serve",
            "--port",
            "0",
            "--workers",
            "2",
            "--header-timeout",
            "1",
            "--body-timeout",
            "1",
            "--max-connections",
            "4",
        ]
    )
    yield s
    s.stop()


def test_every_worker_keeps_the_host_check_and_logs_paths_only(server):
    seen_pids: set[int] = set()
    deadline = time.monotonic() + 60
    sent = 0
    while len(seen_pids) < 2 and time.monotonic() < deadline:  # until both workers have answered some
        status, headers, body = request(server.port, post("/api/score?as_of=2026-11-26", GOOD, host="rebind.example"))
        sent += 1
        assert status == 421 and json.loads(body)["detail"].startswith("this quiz answers requests for")
        assert headers["permissions-policy"] == PERMISSIONS_POLICY
        seen_pids = {pid for pid, line in server.access_log() if line.endswith(" 421")}
        time.sleep(0.02)
    assert len(seen_pids) == 2, f"only {seen_pids} answered {sent} requests:\n{server.text()}"
    status, _, body = request(server.port, post("/api/score?as_of=2026-11-26", GOOD, host="localhost:1"))
    assert status == 200 and json.loads(body)["as_of"] == "2026-11-26"
    deadline = time.monotonic() + 10  # (a line is logged once its response is sent, and read from a pipe)
    while "POST /api/score 200" not in [line for _, line in server.access_log()] and time.monotonic() < deadline:
        time.sleep(0.05)
    logged = [line for _, line in server.access_log()]
    assert "POST /api/score 421" in logged and "POST /api/score 200" in logged
    text = server.text()
    assert "as_of" not in text and "2026-11-26" not in text and "rebind" not in text  # no query, no Host
    assert not re.search(r"127\.0\.0\.1:\d+ -", text)  # uvicorn's access log (client address) is off
    assert len({pid for pid, _ in server.access_log()}) == 2


@pytest.mark.skipif(not balanced_workers_available(), reason="the kernel shares connections out on Linux only")
def test_new_connections_are_shared_out_among_the_workers(server):
    """Forty connections one after another: each worker, with a socket of its own, answers a share."""
    before = len(server.access_log())
    for _ in range(40):
        status, _, _ = request(server.port, ONE_GET)
        assert status == 200
    deadline = time.monotonic() + 10
    while len(server.access_log()) < before + 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    log = server.access_log()[before:]
    answered = collections.Counter(pid for pid, line in log if line == "GET /api/questions 200")
    assert sum(answered.values()) == 40 and len(answered) == 2 and min(answered.values()) >= 5, answered


def test_a_worker_that_dies_is_replaced_and_one_that_cannot_start_stops_the_server():
    code = "from model.web.server import ServeSettings, run; run(ServeSettings({}), '127.0.0.1', 0, 2)"
    s = Served([sys.executable, "-c", code.format("allowed_hosts=('localhost',)")])
    try:
        pids: set[int] = set()
        deadline = time.monotonic() + 60
        while len(pids) < 2 and time.monotonic() < deadline:
            request(s.port, ONE_GET)
            time.sleep(0.02)
            pids = {pid for pid, _ in s.access_log()}
        assert len(pids) == 2, s.text()
        victim = min(pids)
        os.kill(victim, signal.SIGKILL)
        s._wait_for(rf"worker {victim} ended \(exit code (-9)\): starting another", 30)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # every request answered; a third worker among them in time
            status, _, _ = request(s.port, ONE_GET)
            assert status == 200
            if {pid for pid, _ in s.access_log()} - pids:
                break
            time.sleep(0.05)
        assert {pid for pid, _ in s.access_log()} - pids - {victim}, s.text()
    finally:
        assert s.stop() < 30 and s.proc.returncode == 0
    broken = subprocess.run(
        [sys.executable, "-c", code.format("model_dir='/nonexistent/model'")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert broken.returncode == 3 and "a worker ended while starting" in broken.stderr, broken.stderr


def test_a_head_that_stops_arriving_is_answered_408_and_closed(server):
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(b"GET /api/questions HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        data = closed_within(s, 10)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ") and b"content-type: application/json" in head
    assert b"permissions-policy: " in head and b"cross-origin-resource-policy: same-origin" in head
    assert json.loads(body) == {"detail": "the request line and headers did not arrive within 1 seconds"}
    with socket.create_connection(("127.0.0.1", server.port)) as s:  # nothing sent at all: closed, no answer
        assert closed_within(s, 10) == b""


def test_a_body_that_stops_arriving_is_answered_408_and_closed(server):
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(post("/api/score", GOOD)[: -len(GOOD) // 2])
        data = closed_within(s, 10)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ")
    assert json.loads(body) == {"detail": "the request body did not arrive within 1 seconds"}


def test_a_request_http_cannot_read_is_a_json_400(server):
    for raw in (
        b"GET /api/questions HTTP/1.1\r\nHost: localhost\r\nno colon here\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40 + b"\r\n\r\n",  # TLS to plain HTTP
        b"GET /api/questions HTTP/1.1\r\nHost: localhost\r\nX: " + b"a" * 40_000 + b"\r\n\r\n",
    ):
        status, headers, body = request(server.port, raw)
        assert status in (400, 431) and headers["content-type"] == "application/json", body
        assert json.loads(body)["detail"]


def test_beyond_its_connections_a_worker_answers_503_with_retry_after(server):
    """Twelve connections open at once on two workers taking four each: at least four are refused."""
    conns = [socket.create_connection(("127.0.0.1", server.port), timeout=20) for _ in range(12)]
    try:
        time.sleep(0.3)  # (each accepted by a worker)
        for s in conns:
            s.sendall(b"GET /api/questions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        answers = [read_answer(s) for s in conns]
    finally:
        for s in conns:
            s.close()
    busy = [(h, b) for status, h, b in answers if status == 503]
    assert len(busy) >= 4 and all(status in (200, 503) for status, _, _ in answers)
    for headers, body in busy:
        assert headers["retry-after"] == "1" and headers["content-type"] == "application/json"
        assert "connections" in json.loads(body)["detail"] and headers["permissions-policy"] == PERMISSIONS_POLICY


def test_a_stop_waits_for_a_stalled_request_no_longer_than_the_grace_period():
    """Two workers, a grace of 2 s, a body that never arrives (its own timeout 30 s): stopped within the grace."""
    code = (
        "from model.web.server import ServeSettings, run; "
        "run(ServeSettings(allowed_hosts=('localhost',), body_timeout=30, grace_seconds=2), '127.0.0.1', 0, 2)"
    )
    s = Served([sys.executable, "-c", code])
    try:
        with socket.create_connection(("127.0.0.1", s.port)) as held:
            held.sendall(post("/api/score", GOOD)[:-10])
            time.sleep(0.5)
            took = s.stop(timeout=30)
            assert took < 2 + 6, s.text()  # the grace, and the time processes take to end
            assert s.proc.returncode == 0
            closed_within(held, 5)
    finally:
        s.stop()


@pytest.mark.skipif(not balanced_workers_available(), reason="a socket a worker on Linux only")
def test_a_workers_socket_says_it_is_tcp_so_small_answers_are_not_held_back():
    """asyncio turns Nagle's algorithm off only for sockets whose protocol is TCP; a socket made with
    protocol 0 held every small answer for the client's delayed ACK (44 ms a request at concurrency 1)."""
    from model.web.workers import listening_socket

    with listening_socket("127.0.0.1", 0) as sock:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
        sock.listen()
        with socket.create_connection(sock.getsockname()), sock.accept()[0] as accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


@pytest.mark.skipif(not balanced_workers_available(), reason="a socket a worker on Linux only")
def test_a_port_in_use_stops_the_server_and_workers_do_not_outlive_it():
    code = "from model.web.server import ServeSettings, run; run(ServeSettings(), '127.0.0.1', {}, 2)"
    with socket.create_server(("127.0.0.1", 0)) as taken:  # another program listening on the port
        busy = subprocess.run(
            [sys.executable, "-c", code.format(taken.getsockname()[1])],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert busy.returncode == 3 and "cannot serve on 127.0.0.1:" in busy.stderr, busy.stderr
    assert "Traceback" not in busy.stderr
    s = Served([sys.executable, "-c", code.format(0)])
    try:
        pids: set[int] = set()
        deadline = time.monotonic() + 60
        while len(pids) < 2 and time.monotonic() < deadline:
            request(s.port, ONE_GET)
            pids = {pid for pid, _ in s.access_log()}
        assert len(pids) == 2, s.text()
        os.kill(s.proc.pid, signal.SIGKILL)  # the supervisor alone, as the OOM killer would
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in pids), "workers outlived their supervisor"
    finally:
        s.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(FileNotFoundError):  # (a zombie has ended: only its exit status is left)
        return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    return False
