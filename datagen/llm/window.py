"""``--concurrency auto``: how many requests to keep in flight, found while running.

Servers that never answer 429 (vLLM, llama.cpp, TGI) just get slower when overloaded, so the
window is found the way TCP finds its congestion window (AIMD):

- slow start: the window starts at :data:`INITIAL` and grows by one per answer that came back
  without a latency rise (doubling every round trip), until the first cut; a round that ends
  without a rise also lets the window jump to what the timeout allows: ``round x timeout /
  (2 x its slowest answer)``, at most :data:`JUMP` times the round, once the grown window is
  seen full at the server (so a rate limit that holds requests back stops it, as it stops the
  doubling). A server that slows down in proportion to the requests it holds then answers the
  next round within half the timeout, so the probe costs no timeouts, while a server with room
  is reached after one round trip instead of ``log2(C / 4)`` (the ramp from 4 to 64 cost 0.1
  of the ideal throughput on a 1,500-request run). An overload error in slow start goes back
  to the largest round that came back whole (a server that refuses past its capacity costs
  one burst of refusals);
- a *round* is one window's worth of answers; at its end the round's mean latency is compared
  with the lowest round mean of the last :data:`HISTORY` rounds (the latency of an unloaded
  server, as far as this run has seen one). Above :data:`RISE` times that, the window is cut
  to where that latency says the server's knee is, a little below: ``size x reference / mean``
  (a server that slows down in proportion to the requests past its capacity K answers a
  window W > K in ``W / K`` times its unloaded latency) times :data:`BELOW_KNEE`, and never
  below :data:`LEAST_CUT` of itself (a noisy round); otherwise, if the window was full (as many
  requests at the server as the window allows), it grows: half-way back to the size of the last
  cut while below it, by at most an eighth of itself (a cut that noise caused costs a few
  rounds, as in TCP BIC), then by one a round (additive increase);
- an error that says "overloaded" (a timeout, HTTP 408/409/429/5xx, a dropped connection) cuts
  the window to :data:`DECREASE` of itself at once;
- after a cut, answers to requests sent before it are ignored (they saw the old load), and so
  are those of requests sent while any of those was still at the server (they shared it with
  the old load): one overload is cut for once.

A run starts where the last run against the same server and model ended (kept in the LLM
cache: each of a command's runs, e.g. ``--fill frame``'s one per sentence, and the next command
start at the window found, not at 4 again), else at the parallel slots the server reports
(llama.cpp's ``/props``: :mod:`datagen.llm.server_props`), else at :data:`INITIAL`; a
remembered or reported start counts as proven, so an overload error in its first round halves
it rather than going back to 1.

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
DECREASE = 0.5  # an overload error's cut keeps this share of the window
BELOW_KNEE = 0.9  # a latency cut lands this far below the estimated knee (so the reference
#                   latency is seen again, and learnt when the run started above the knee)
LEAST_CUT = 0.25  # a latency cut keeps at least this share
HISTORY = 64  # rounds over which the fastest round mean is the reference latency
JUMP = 16  # a slow-start round's jump multiplies the window by at most this (4 -> 64)


class Window:
    """An async context manager limiting the requests in flight (like ``asyncio.Semaphore``)
    to ``size``, which :meth:`finish` moves.

    A request holds a slot (``async with window``) and, inside it, wraps the send itself in
    ``ticket = window.start()`` ... ``window.finish(ticket, ok)`` (``ok``: ``True`` answered,
    ``False`` overloaded, ``None`` says nothing about load).
    """

    def __init__(
        self, maximum: int, timeout: float | None = None, remembered: int | None = None
    ) -> None:
        self.maximum = maximum
        self.timeout = timeout  # a request's timeout: bounds slow start's jumps (None: none)
        # where the last run against the server ended or its reported slots, else INITIAL
        self.size = max(1, min(remembered or INITIAL, maximum))
        self.started = self.size
        self.largest = self.size
        self.cuts = 0
        self.in_flight = 0  # requests at the server now (inside start/finish)
        self._held = 0  # slots taken (at the server or waiting for the rate limiter)
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._epoch = 0  # bumped by every cut
        self._draining = 0  # requests sent before the last cut still at the server
        self._slow_start = True
        self._jump_to = 0  # slow start's next size, taken when the window is next full
        # the largest window known to come back whole: a remembered one did, last run
        self._proven = self.size if remembered else 1
        self._cut_at = 0  # the size the last cut started from
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
            if self._jump_to > self.size:  # the grown window is full: take the jump
                self._grow(self._jump_to - self.size)
            self._jump_to = 0
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
            proven = self._proven / self.size if self._slow_start else DECREASE
            self._cut(min(DECREASE, proven))
            return
        latency = time.monotonic() - started
        self._sum += latency
        self._count += 1
        self._slowest = max(self._slowest, latency)
        if self._slow_start and self._full and latency <= RISE * self._reference:
            self._grow()
        if self._count >= self._round_size:
            self._end_round()

    def _end_round(self) -> None:
        mean = self._sum / self._count
        self._rounds.append(mean)
        self._reference = min(self._rounds)
        if mean > RISE * self._reference:
            self._cut(max(LEAST_CUT, BELOW_KNEE * self._reference / mean))
            return
        if self._full and not self._slow_start:
            self._grow(max(1, min((self._cut_at - self.size) // 2, self.size // 8)))
        elif self._full:
            self._proven = max(self._proven, self._round_size)
            if self.timeout and self._slowest > 0:
                budget = min(JUMP, self.timeout / (2 * self._slowest))
                self._jump_to = math.floor(self._round_size * budget)
        self._new_round()

    def _new_round(self) -> None:
        self._sum = 0.0
        self._count = 0
        self._slowest = 0.0
        self._round_size = self.size
        self._full = self.in_flight >= self.size

    def _grow(self, step: int = 1) -> None:
        if self.size < self.maximum:
            self.size = min(self.maximum, self.size + step)
            self.largest = max(self.largest, self.size)
            self._wake()

    def _cut(self, keep: float) -> None:
        self._cut_at = self.size
        self.size = max(1, round(self.size * keep))
        self.cuts += 1
        self._slow_start = False
        self._jump_to = 0
        self._epoch += 1
        self._draining = self.in_flight
        self._new_round()
