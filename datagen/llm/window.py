"""``--concurrency auto``: how many requests to keep in flight, found while running.

Servers that never answer 429 (vLLM, llama.cpp, TGI) just get slower when overloaded, so the
window is found the way TCP finds its congestion window (AIMD):

- slow start: the window starts at :data:`INITIAL` and grows by one per answer that came back
  without a latency rise (doubling every round trip), until the first cut;
- a *round* is one window's worth of answers; at its end the round's mean latency is compared
  with the lowest round mean of the last :data:`HISTORY` rounds (the latency of an unloaded
  server, as far as this run has seen one). Above :data:`RISE` times that, the window is cut to
  :data:`DECREASE` times itself; otherwise, if the window was full (as many requests at the
  server as the window allows), it grows by one (additive increase);
- an error that says "overloaded" (a timeout, HTTP 408/409/429/5xx, a dropped connection) cuts
  the window at once;
- after a cut, answers to requests sent before it are ignored (they saw the old load), and so
  are those of requests sent while any of those was still at the server (they shared it with
  the old load): one overload is cut for once.

The window stays between 1 and ``--max-concurrency``. The RPM/TPM limits bound it too: a
request waiting for the rate limiter is not at the server, so the window only grows while the
server really holds that many requests. Latency is timed from the send to the answer, never the
wait for a slot or for the limiter.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque

INITIAL = 4
RISE = 1.5  # a round this much slower than the fastest recent one: the server is overloaded
DECREASE = 0.5  # a cut keeps this share of the window
HISTORY = 64  # rounds over which the fastest round mean is the reference latency


class Window:
    """An async context manager limiting the requests in flight (like ``asyncio.Semaphore``)
    to ``size``, which :meth:`finish` moves.

    A request holds a slot (``async with window``) and, inside it, wraps the send itself in
    ``ticket = window.start()`` ... ``window.finish(ticket, ok)`` (``ok``: ``True`` answered,
    ``False`` overloaded, ``None`` says nothing about load).
    """

    def __init__(self, maximum: int, initial: int = INITIAL) -> None:
        self.maximum = maximum
        self.size = max(1, min(initial, maximum))
        self.largest = self.size
        self.cuts = 0
        self.in_flight = 0  # requests at the server now (inside start/finish)
        self._held = 0  # slots taken (at the server or waiting for the rate limiter)
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._epoch = 0  # bumped by every cut
        self._draining = 0  # requests sent before the last cut still at the server
        self._slow_start = True
        self._rounds: deque[float] = deque(maxlen=HISTORY)
        self._reference = math.inf
        self._new_round()

    # slots ---------------------------------------------------------------------------------
    async def __aenter__(self) -> None:
        if self._held < self.size and not self._waiters:
            self._held += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # granted, then cancelled: pass it on
                self._release()
            else:
                self._waiters.remove(waiter)
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._release()

    def _release(self) -> None:
        self._held -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._held < self.size:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._held += 1
                waiter.set_result(None)

    # measuring -----------------------------------------------------------------------------
    def start(self) -> tuple[float, int, bool]:
        """A request goes to the server now: its ticket for :meth:`finish`."""
        self.in_flight += 1
        if self.in_flight >= self.size:
            self._full = True
        return time.monotonic(), self._epoch, self._draining == 0

    def finish(self, ticket: tuple[float, int, bool], ok: bool | None) -> None:
        """The request of ``ticket`` came back: answered (``True``), with an overload error
        (``False``) or with something that says nothing about load (``None``)."""
        self.in_flight -= 1
        started, epoch, clean = ticket
        if epoch != self._epoch:  # sent before the last cut
            self._draining -= 1
            return
        if not clean or ok is None:
            return
        if not ok:
            self._cut()
            return
        latency = time.monotonic() - started
        self._sum += latency
        self._count += 1
        if self._slow_start and self._full and latency <= RISE * self._reference:
            self._grow()
        if self._count >= self._round_size:
            self._end_round()

    def _end_round(self) -> None:
        mean = self._sum / self._count
        self._rounds.append(mean)
        self._reference = min(self._rounds)
        if mean > RISE * self._reference:
            self._cut()
            return
        if self._full and not self._slow_start:
            self._grow()
        self._new_round()

    def _new_round(self) -> None:
        self._sum = 0.0
        self._count = 0
        self._round_size = self.size
        self._full = self.in_flight >= self.size

    def _grow(self) -> None:
        if self.size < self.maximum:
            self.size += 1
            self.largest = max(self.largest, self.size)
            self._wake()

    def _cut(self) -> None:
        self.size = max(1, int(self.size * DECREASE))
        self.cuts += 1
        self._slow_start = False
        self._epoch += 1
        self._draining = self.in_flight
        self._new_round()
