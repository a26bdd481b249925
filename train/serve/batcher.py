"""Requests batched: the items of concurrent requests go through the model in one call."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class MicroBatcher:
    """``await batcher(items)`` -> results for ``items``, computed by ``fn`` together with the
    items of every request that arrived meanwhile (up to ``max_items``; a batch waits at most
    ``max_wait`` seconds for company). ``fn`` runs in a worker thread, one call at a time."""

    def __init__(
        self, fn: Callable[[list[Any]], list[Any]], *, max_items: int, max_wait: float
    ) -> None:
        self.fn = fn
        self.max_items = max_items
        self.max_wait = max_wait
        self.calls = 0
        self.items = 0
        self._queue: asyncio.Queue[tuple[list[Any], asyncio.Future[list[Any]]]] | None = None
        self._worker: asyncio.Task[None] | None = None

    async def __call__(self, items: list[Any]) -> list[Any]:
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._worker = asyncio.create_task(self._run())
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        await self._queue.put((items, future))
        return await future

    async def _run(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            jobs = [await self._queue.get()]
            size = len(jobs[0][0])
            deadline = loop.time() + self.max_wait
            while size < self.max_items and (left := deadline - loop.time()) > 0:
                try:
                    job = await asyncio.wait_for(self._queue.get(), left)
                except TimeoutError:
                    break
                jobs.append(job)
                size += len(job[0])
            flat = [item for items, _ in jobs for item in items]
            try:
                results = await asyncio.to_thread(self.fn, flat)
            except Exception as err:  # the requests of this batch fail; the server goes on
                for _, future in jobs:
                    future.set_exception(err)
                continue
            self.calls += 1
            self.items += len(flat)
            start = 0
            for items, future in jobs:
                future.set_result(results[start : start + len(items)])
                start += len(items)

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
