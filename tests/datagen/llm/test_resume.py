"""A run killed with SIGKILL resumes from the cache: nothing answered is asked again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from datagen.llm import run_task
from datagen.llm.cache import ResponseCache
from tests.datagen.llm.conftest import EchoTask, echo_responder, make_rows
from tests.support.fake_openai import FakeOpenAI

ROOT = Path(__file__).resolve().parents[3]


def test_sigkill_mid_run_then_resume(make_config, tmp_path):
    n = 40
    cache_path = tmp_path / "llm.sqlite"
    with FakeOpenAI(echo_responder, latency=0.03) as server:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.datagen.llm.resume_worker",
                server.base_url,
                str(cache_path),
                str(n),
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while len(server.answered) < 12 and time.monotonic() < deadline:
            time.sleep(0.01)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        assert worker.returncode == -signal.SIGKILL
        cached = len(ResponseCache(cache_path))
        assert 10 <= cached < n  # killed mid-run, its answers kept
        before = len(server.requests)

        config = make_config(server, cache_path=cache_path, concurrency=2)
        result = run_task(EchoTask(), make_rows(n), config, progress=False)
        resent = server.requests[before:]
    assert len(resent) == n - cached  # only what the cache lacked
    assert result.usage.cached_hits == cached
    ids = [r["row"] for r in result.records]
    assert ids == [r["id"] for r in make_rows(n)]  # complete, in order, no duplicates
    assert result.failures == []
