"""A minimal OpenAI-compatible chat endpoint that answers every request after a fixed latency,
or, with ``--capacity K``, like a server that slows down when overloaded.

    python -m bench.latency_server --latency 0.1 --answer '{"word": "tidy"}'   # from the repo root
    python -m bench.latency_server --latency 0.1 --capacity 16

Prints its base URL (``http://127.0.0.1:PORT/v1``) and serves until killed. Built for
throughput benchmarks: one asyncio process (aiohttp), so concurrent requests cost it little CPU
and each waits ``latency`` seconds, close to a remote API's fixed latency. The scriptable test
server (``tests/support/fake_openai.py``, threads + ``http.server``) spends more CPU per request
and adds its own queueing at high concurrency; ``llm_throughput.py --server fake`` uses it.

The capacity model (``--capacity K``): every request needs ``latency`` seconds of service; up to
K requests in flight get it at full speed, more share it (processor sharing, as a vLLM or TGI
batch shares the GPU): with n in flight each advances at ``min(1, K / n)``, so in steady state a
request takes ``latency * max(1, n / K)`` and the server answers at most ``K / latency``
requests per second, however many are sent. It never answers 429: an overloaded server only
gets slower, until clients time out; a request whose client hung up is dropped (as vLLM aborts
it), not served to the end. ``--slots N`` adds llama.cpp's ``GET /props`` answering
``{"total_slots": N}`` (what ``--concurrency auto`` starts from when a server reports it).
``LatencyServer`` runs the same app in a background thread (tests).
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import itertools
import json
import socket
import threading

from aiohttp import web

from tests.support.fake_openai import chat_completion

CAPACITY = web.AppKey("capacity", object)


class SharedCapacity:
    """Processor sharing: each request needs ``latency`` seconds of service, ``capacity`` of
    them are served at full speed at once, more share that speed equally."""

    def __init__(self, latency: float, capacity: int) -> None:
        self.latency, self.capacity = latency, capacity
        self.in_flight_max = 0
        self._served = 0.0  # service each request in flight has got since the server started
        self._updated: float | None = None
        self._due: list[tuple[float, int, asyncio.Future[None]]] = []  # (served at the end, ...)
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        self._advance(loop.time())
        done: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._due, (self._served + self.latency, next(self._order), done))
        self.in_flight_max = max(self.in_flight_max, len(self._due))
        self._schedule(loop)
        try:
            await done
        except asyncio.CancelledError:  # the client hung up (timed out): abort, as vLLM does
            self._advance(loop.time())
            self._due = [item for item in self._due if item[2] is not done]
            heapq.heapify(self._due)
            self._schedule(loop)
            raise

    def _advance(self, now: float) -> None:
        if self._due and self._updated is not None:
            self._served += (now - self._updated) * min(1.0, self.capacity / len(self._due))
        self._updated = now

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._due and self._due[0][0] <= self._served + 1e-9:
            done = heapq.heappop(self._due)[2]
            if not done.done():
                done.set_result(None)
        if self._due:
            rate = min(1.0, self.capacity / len(self._due))
            self._timer = loop.call_later((self._due[0][0] - self._served) / rate, self._tick)

    def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        self._advance(loop.time())
        self._schedule(loop)


def make_app(
    latency: float, answer: str, capacity: int | None = None, slots: int | None = None
) -> web.Application:
    shared = SharedCapacity(latency, capacity) if capacity else None

    async def chat(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        if shared is not None:
            await shared.serve()
        else:
            await asyncio.sleep(latency)
        return web.json_response(chat_completion(body, answer))

    async def props(request: web.Request) -> web.Response:
        return web.json_response({"total_slots": slots})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    if slots:
        app.router.add_get("/props", props)
    app[CAPACITY] = shared
    return app


async def start(
    latency: float, answer: str, capacity: int | None = None, slots: int | None = None
) -> tuple[web.AppRunner, int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    app = make_app(latency, answer, capacity, slots)
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
    await runner.setup()
    await web.SockSite(runner, sock, backlog=1024).start()
    return runner, sock.getsockname()[1]


async def serve(
    latency: float, answer: str, capacity: int | None = None, slots: int | None = None
) -> None:
    _, port = await start(latency, answer, capacity, slots)
    print(f"http://127.0.0.1:{port}/v1", flush=True)
    await asyncio.Event().wait()


class LatencyServer:
    """The server in a background thread: ``with LatencyServer(0.05, answer, capacity=4) as s:
    s.base_url``; ``s.capacity.in_flight_max``: most requests it held at once."""

    def __init__(
        self,
        latency: float,
        answer: str = "{}",
        capacity: int | None = None,
        slots: int | None = None,
    ) -> None:
        self.args = (latency, answer, capacity, slots)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0

    def __enter__(self) -> LatencyServer:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(start(*self.args), self._loop)
        self._runner, self.port = future.result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._runner is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def capacity(self) -> SharedCapacity | None:
        assert self._runner is not None
        return self._runner.app[CAPACITY]  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--answer", default="{}")
    parser.add_argument(
        "--capacity",
        type=int,
        default=None,
        help="K: requests served at full speed; more share it (default: unlimited)",
    )
    parser.add_argument(
        "--slots",
        type=int,
        default=None,
        help="answer GET /props with this total_slots, as llama.cpp's server does (default: no "
        "/props route)",
    )
    args = parser.parse_args()
    asyncio.run(serve(args.latency, args.answer, args.capacity, args.slots))


if __name__ == "__main__":
    main()
