"""Dynamic micro-batching: the answer sets of concurrent requests are scored together, in one vectorised pass.

Why: one report costs about 10 ms, nearly all of it the fixed cost of the vectorised code (pandas,
numpy) on a single row, and that cost hardly grows with the rows (``model.report.build_reports``).
So, as model servers do, requests that arrive while a batch is being scored wait for it and go into
the next one together. Under load, the replies to one batch bring the next requests a few
milliseconds later; so a batch waits for them (at most ``MAX_WAIT``) while fewer requests wait than
were in flight at once in the last half second: a batch then holds every request in flight, not
half of them. An idle server scores a lone request at once. One batch runs at a time, in a worker thread, so the
event loop keeps reading and answering requests meanwhile. Each request gets its own result: its
report, its own ``AnswersError``, or, if something unexpected fails, its own exception (the batch
is then scored again one request at a time, so one bad request cannot fail the others).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool

__all__ = ["MAX_BATCH", "Batcher"]

T = TypeVar("T")
R = TypeVar("R")

#: The most requests scored together: enough to hold every request of a busy worker, few enough that
#: the first of them is not kept long (a batch of 32 takes about 40 ms on the 2-core machine).
MAX_BATCH = 32
#: The longest a batch waits for requests expected to join it (seconds).
MAX_WAIT = 0.020
#: How long the most requests in flight at once is remembered (seconds).
PEAK_MEMORY = 0.5


class _Failed:
    """An exception raised for one item, carried back to its own request."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error


class Batcher(Generic[T, R]):
    """``await submit(item)`` gives ``work([... item ...])``'s result for that item; concurrent
    items share a call. ``work`` takes a list of items and returns one result per item, in order."""

    def __init__(self, work: Callable[[list[T]], Sequence[R]], max_size: int = MAX_BATCH, max_wait: float = MAX_WAIT):
        self.work = work
        self.max_size = max(1, int(max_size))
        self.max_wait = max_wait
        self.in_flight = 0  # submitted, not yet answered
        self._peak = (0, 0.0)  # (most in flight at once, since when)
        self._joined: asyncio.Event | None = None
        self._waiting: dict[asyncio.AbstractEventLoop, list[tuple[T, asyncio.Future[R | _Failed]]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()  # (a running task must be referenced, or it may be collected)
        self.batches = 0  # (counted for the tests and the benchmark)
        self.items = 0

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R | _Failed] = loop.create_future()
        waiting = self._waiting.get(loop)
        if waiting is None:  # nothing queued or running on this loop: this request starts the scoring
            waiting = self._waiting[loop] = []
            task = loop.create_task(self._drain(loop, waiting))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        waiting.append((item, future))
        self.in_flight += 1
        now = loop.time()
        peak, since = self._peak
        if self.in_flight >= peak or now - since > PEAK_MEMORY:
            self._peak = (self.in_flight, now)
        if self._joined is not None:
            self._joined.set()
        try:
            result = await future
        finally:
            self.in_flight -= 1
        if isinstance(result, _Failed):
            raise result.error
        return result

    async def _drain(
        self, loop: asyncio.AbstractEventLoop, waiting: list[tuple[T, asyncio.Future[R | _Failed]]]
    ) -> None:
        """Score what is waiting, in batches, until nothing is; requests arriving meanwhile join."""
        try:
            await asyncio.sleep(0)  # let requests that are ready in this same turn of the loop join
            while waiting:
                await self._gather(loop, waiting)
                batch = [(item, f) for item, f in waiting[: self.max_size] if not f.done()]  # (done: cancelled)
                del waiting[: self.max_size]
                if not batch:
                    continue
                results = await run_in_threadpool(self._run, [item for item, _ in batch])
                self.batches += 1
                self.items += len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            del self._waiting[loop]
            for _, future in waiting:  # (only if the loop is closing: nobody will score these)
                if not future.done():
                    future.cancel()

    async def _gather(
        self, loop: asyncio.AbstractEventLoop, waiting: list[tuple[T, asyncio.Future[R | _Failed]]]
    ) -> None:
        """Wait (at most ``max_wait``) while fewer requests wait than were lately in flight at once."""
        peak, since = self._peak
        expected = min(self.max_size, peak if loop.time() - since <= PEAK_MEMORY else 1)
        deadline = loop.time() + self.max_wait
        while len(waiting) < expected:
            left = deadline - loop.time()
            if left <= 0:
                return
            self._joined = asyncio.Event()
            try:
                await asyncio.wait_for(self._joined.wait(), left)
            except TimeoutError:
                return
            finally:
                self._joined = None

    def _run(self, items: list[T]) -> list[R | _Failed]:
        try:
            results: list[R | _Failed] = list(self.work(items))
            if len(results) != len(items):
                raise RuntimeError(f"work returned {len(results)} results for {len(items)} items")
            return results
        except Exception as exc:
            if len(items) == 1:
                return [_Failed(exc)]
        return [self._run([item])[0] for item in items]  # one at a time: each gets its own result or error
