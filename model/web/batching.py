"""Dynamic micro-batching: the answer sets of concurrent requests are scored together, in one vectorised pass.

Why: one report costs about 10 ms, nearly all of it the fixed cost of the vectorised code (pandas,
numpy) on a single row, and that cost hardly grows with the rows (``model.report.build_reports``).
So, as model servers do, requests that arrive while a batch is being scored wait for it and go into
the next one together: under load a batch holds most of the requests in flight, and an idle server
scores a lone request at once (no fixed wait). One batch runs at a time, in a worker thread, so the
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


class _Failed:
    """An exception raised for one item, carried back to its own request."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error


class Batcher(Generic[T, R]):
    """``await submit(item)`` gives ``work([... item ...])``'s result for that item; concurrent
    items share a call. ``work`` takes a list of items and returns one result per item, in order."""

    def __init__(self, work: Callable[[list[T]], Sequence[R]], max_size: int = MAX_BATCH):
        self.work = work
        self.max_size = max(1, int(max_size))
        self._waiting: dict[asyncio.AbstractEventLoop, list[tuple[T, asyncio.Future]]] = {}
        self._tasks: set[asyncio.Task] = set()  # (a running task must be referenced, or it may be collected)
        self.batches = 0  # (counted for the tests and the benchmark)
        self.items = 0

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        waiting = self._waiting.get(loop)
        if waiting is None:  # nothing queued or running on this loop: this request starts the scoring
            waiting = self._waiting[loop] = []
            task = loop.create_task(self._drain(loop, waiting))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        waiting.append((item, future))
        result = await future
        if isinstance(result, _Failed):
            raise result.error
        return result

    async def _drain(self, loop: asyncio.AbstractEventLoop, waiting: list[tuple[T, asyncio.Future]]) -> None:
        """Score what is waiting, in batches, until nothing is; requests arriving meanwhile join."""
        try:
            await asyncio.sleep(0)  # let requests that are ready in this same turn of the loop join
            while waiting:
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

    def _run(self, items: list[T]) -> list[R | _Failed]:
        try:
            results = list(self.work(items))
            if len(results) != len(items):
                raise RuntimeError(f"work returned {len(results)} results for {len(items)} items")
            return results
        except Exception as exc:
            if len(items) == 1:
                return [_Failed(exc)]
        return [self._run([item])[0] for item in items]  # one at a time: each gets its own result or error

