"""Client-side rate limits (RPM/TPM token buckets) and server hints (Retry-After, x-ratelimit-*)."""

from __future__ import annotations

import asyncio
import email.utils
import random
import re
import time
from collections.abc import Mapping

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


class TokenBucket:
    """Refills at ``per_minute / 60`` units per second and holds one second's worth.

    A request larger than the bucket may take it into debt, so the average rate holds.
    """

    def __init__(self, per_minute: float) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate)
        self.level = self.capacity
        self.updated = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now

    def wait_time(self, amount: float) -> float:
        self._refill()
        needed = min(amount, self.capacity)
        return 0.0 if self.level >= needed else (needed - self.level) / self.rate

    def take(self, amount: float) -> None:
        self._refill()
        self.level -= amount


class RateLimiter:
    """``--rpm`` / ``--tpm`` limits plus pauses asked for by the server, shared by all requests."""

    def __init__(self, rpm: int | None = None, tpm: int | None = None) -> None:
        self.requests = TokenBucket(rpm) if rpm else None
        self.tokens = TokenBucket(tpm) if tpm else None
        self.paused_until = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self, tokens: int) -> None:
        """Wait (first come, first served) until one request of ~``tokens`` tokens may go."""
        idle = not (self.requests or self.tokens or self._lock.locked())
        if idle and self.paused_until <= time.monotonic():
            return
        async with self._lock:
            while True:
                wait = self.paused_until - time.monotonic()
                if self.requests:
                    wait = max(wait, self.requests.wait_time(1))
                if self.tokens:
                    wait = max(wait, self.tokens.wait_time(tokens))
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            if self.requests:
                self.requests.take(1)
            if self.tokens:
                self.tokens.take(tokens)

    def settle(self, estimated: int, actual: int) -> None:
        """Correct the token bucket once the real token count of a request is known."""
        if self.tokens and actual:
            self.tokens.take(actual - estimated)

    def pause(self, seconds: float) -> None:
        """Hold every request back for ``seconds`` (e.g. after a 429 with Retry-After)."""
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Pause until the reset time when ``x-ratelimit-remaining-*`` reaches zero."""
        for kind in ("requests", "tokens"):
            remaining = headers.get(f"x-ratelimit-remaining-{kind}")
            reset = parse_duration(headers.get(f"x-ratelimit-reset-{kind}"))
            if remaining is not None and reset is not None and _as_float(remaining) == 0:
                self.pause(reset)


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    if not headers:
        return None
    ms = _as_float(headers.get("retry-after-ms"))
    if ms is not None:
        return max(0.0, ms / 1000)
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _as_float(value)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def backoff_delay(retry: int, base: float, cap: float) -> float:
    """Exponential backoff with jitter: between half and all of ``min(cap, base * 2**retry)``."""
    delay = min(cap, base * 2**retry)
    return delay / 2 + random.uniform(0, delay / 2)


def parse_duration(value: str | None) -> float | None:
    """``"1s"``, ``"6m0s"``, ``"20ms"``, ``"1h2m"`` or plain seconds -> seconds."""
    if value is None:
        return None
    plain = _as_float(value)
    if plain is not None:
        return plain
    parts = _DURATION.findall(value)
    if not parts:
        return None
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(n) * scale[unit] for n, unit in parts)


def _as_float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
