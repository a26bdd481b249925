"""Rate limits over real HTTP (RPM, Retry-After, x-ratelimit-*) and the header parsers."""

from __future__ import annotations

import email.utils
import time

import pytest

from datagen.llm import run_task
from datagen.llm.limits import TokenBucket, backoff_delay, parse_duration, retry_after
from tests.datagen.llm.conftest import EchoTask, echo_responder, make_rows
from tests.support.fake_openai import FakeOpenAI, Fault


def test_rpm_limit_spaces_requests(server, make_config):
    rpm = 1200  # 20 per second, a burst of one second's worth
    run_task(EchoTask(), make_rows(30), make_config(server, rpm=rpm), progress=False)
    start = server.arrivals[0]
    rate, burst = rpm / 60, rpm / 60
    for i, arrived in enumerate(server.arrivals):  # slack: connection set-up, arrival jitter
        assert arrived - start >= (i + 1 - burst) / rate - 0.1, i
    assert server.arrivals[-1] - start >= 0.4


def test_tpm_limit_spaces_requests(server, make_config):
    # each request: ~22 prompt + 20 completion tokens (estimated), 24 used; 100 tokens/s
    config = make_config(server, tpm=6000, max_tokens=20)
    run_task(EchoTask(), make_rows(8), config, progress=False)
    assert server.arrivals[-1] - server.arrivals[0] >= 0.5


@pytest.mark.parametrize("ms", [False, True])
def test_retry_after_is_honoured(make_config, ms):
    with FakeOpenAI(echo_responder, [Fault.rate_limit(0.4, ms=ms)]) as server:
        config = make_config(server, concurrency=1, backoff_base=0.001)
        result = run_task(EchoTask(), make_rows(1), config, progress=False)
    assert result.failures == [] and result.usage.retries == 1
    first, second = server.arrivals
    assert second - first >= 0.39


def test_rate_limit_headers_pause_requests(make_config):
    headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "200ms"}
    with FakeOpenAI(echo_responder, response_headers=headers) as server:
        run_task(EchoTask(), make_rows(3), make_config(server, concurrency=1), progress=False)
    gaps = [b - a for a, b in zip(server.arrivals, server.arrivals[1:], strict=False)]
    assert all(gap >= 0.19 for gap in gaps), gaps


def test_429_without_header_backs_off_and_gives_up(make_config):
    with FakeOpenAI(echo_responder, lambda n, request: Fault.rate_limit(None)) as server:
        config = make_config(server, max_retries=2, concurrency=1)
        result = run_task(EchoTask(), make_rows(2), config, progress=False)
    assert result.records == []
    assert [f["row_id"] for f in result.failures] == ["r000", "r001"]
    assert result.failures[0]["reason"].startswith("HTTP 429: rate limited")
    assert result.failures[0]["attempts"] == 3
    assert len(server.requests) == 6


def test_header_parsers():
    assert retry_after({"retry-after": "2"}) == 2.0
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 < retry_after({"retry-after": future}) <= 30
    assert retry_after({}) is None and retry_after(None) is None
    assert parse_duration("6m0s") == 360.0
    assert parse_duration("20ms") == pytest.approx(0.02)
    assert parse_duration("1h2m3.5s") == pytest.approx(3723.5)
    assert parse_duration("1.5") == 1.5
    assert parse_duration("soon") is None


def test_backoff_grows_with_jitter_and_cap():
    delays = [backoff_delay(r, 0.5, 4.0) for r in range(6)]
    assert 0.25 <= delays[0] <= 0.5
    assert 1.0 <= delays[2] <= 2.0
    assert all(2.0 <= d <= 4.0 for d in delays[3:])


def test_token_bucket_allows_debt_for_large_requests():
    bucket = TokenBucket(per_minute=600)  # 10 per second, holds 10
    assert bucket.wait_time(50) == 0  # a request larger than the bucket may still go
    bucket.take(50)
    assert bucket.wait_time(1) == pytest.approx(4.1, abs=0.05)
