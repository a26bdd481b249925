"""The Batch API path against the fake server's /v1/files and /v1/batches."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import datasets

from datagen.llm import run_task
from datagen.llm.cache import ResponseCache
from tests.datagen.llm.conftest import EchoTask, asked_word, echo_responder, make_rows
from tests.datagen.masked.masking_fake import distinct_sentence, masked_responder
from tests.support.cli import BIN, assert_clean_error, run_cli
from tests.support.fake_openai import FakeOpenAI

ROOT = Path(__file__).resolve().parents[3]


def test_batch_happy_path_fills_the_cache(make_config):
    rows = make_rows(5, copies=2)
    with FakeOpenAI(echo_responder, batch_polls=3) as server:
        config = make_config(server, batch_api=True)
        result = run_task(EchoTask(), rows, config, progress=False)
        assert server.requests == []  # nothing went through /chat/completions
        assert len(server.batches) == 1 and len(server.batch_lines) == 5
        line = server.batch_lines[0]
        assert line["method"] == "POST" and line["url"] == "/v1/chat/completions"
        assert line["body"]["model"] == "gpt-4o-mini"
        assert line["body"]["response_format"]["type"] == "json_schema"
        assert len(result.records) == 10 and result.failures == []
        assert result.usage.requests == 5 and result.usage.batch_api
        assert result.usage.cached_hits == 0  # answered by the batch, not replayed
        # half price on the Batch API
        full = (result.usage.prompt_tokens * 0.15 + result.usage.completion_tokens * 0.6) / 1e6
        assert abs(result.usage.cost_usd - full / 2) < 1e-6
        # the answers are in the same cache the online path uses
        online = run_task(EchoTask(), rows, make_config(server), progress=False)
        assert online.records == result.records and server.requests == []
        assert online.usage.cached_hits == 5
        assert len(ResponseCache(config.cache_path)) == 5


def test_batch_resubmits_only_expired_failed_and_invalid_requests(make_config):
    def batch_faults(line: dict, batch_number: int) -> str | None:
        word = asked_word(line["body"])
        if batch_number == 0 and word == "word1":
            return "expired"
        if batch_number == 0 and word == "word2":
            return "error"
        return None

    def responder(request: dict) -> str:
        if asked_word(request) == "word3" and len(request["messages"]) == 2:
            return json.dumps({"word": "wrong", "score": 0.5})  # fixed after the feedback
        return echo_responder(request)

    rows = make_rows(5)
    with FakeOpenAI(responder, batch_faults=batch_faults) as server:
        result = run_task(EchoTask(), rows, make_config(server, batch_api=True), progress=False)
        assert result.failures == []
        assert [r["row"] for r in result.records] == [r["id"] for r in rows]
        assert len(server.batches) == 2
        second = server.batch_lines[5:]
        assert sorted(asked_word(line["body"]) for line in second) == ["word1", "word2", "word3"]
        follow_up = next(line for line in second if asked_word(line["body"]) == "word3")
        assert len(follow_up["body"]["messages"]) == 4
        assert server.requests == []


def test_batch_rounds_are_bounded_and_end_in_failures(make_config):
    def always_expire(line: dict, batch_number: int) -> str | None:
        return "expired" if asked_word(line["body"]) == "word0" else None

    with FakeOpenAI(echo_responder, batch_faults=always_expire) as server:
        config = make_config(server, batch_api=True, batch_max_rounds=2, max_validation_retries=0)
        result = run_task(EchoTask(), make_rows(2), config, progress=False)
    assert len(server.batches) == 2
    assert [r["row"] for r in result.records] == ["r001"]
    (failure,) = result.failures
    assert failure["row_id"] == "r000" and "batch_expired" in failure["reason"]


def test_a_run_killed_while_polling_resumes_the_same_batch(tmp_path):
    """``datagen masked-sentences --batch-api`` as a real process, SIGKILLed while it polls; the
    rerun finds the saved batch id: one batch created, every row produced."""
    n = 4
    base = tmp_path / "base.txt"
    base.write_text("".join(distinct_sentence(i) + "\n" for i in range(n)))
    out = tmp_path / "masked"
    with FakeOpenAI(masked_responder, batch_polls=10**6) as server:
        args = ["masked-sentences", str(base), "--out", str(out), "--base-url", server.base_url,
                "--cache-file", str(tmp_path / "llm.sqlite"), "--batch-api",
                "--batch-poll-interval", "0.05", "--no-progress"]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
        env["PYTHONPATH"] = str(ROOT)
        worker = subprocess.Popen([str(BIN / "datagen"), *args], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 120
        while not _polled(server, 3) and time.monotonic() < deadline:
            time.sleep(0.01)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        assert _polled(server, 3) and not out.exists()
        server.batch_polls = 0  # the batch finishes at the next poll
        proc = run_cli("datagen", *args)
    assert proc.returncode == 0, proc.stderr
    assert "resuming Batch API job" in proc.stderr
    assert len(server.batches) == 1  # one batches.create across both runs
    assert len(server.files) == 2  # the input file and the output file: no second upload
    ds = datasets.load_from_disk(str(out))
    assert len(ds) == n * 16 and server.requests == []


def _polled(server: FakeOpenAI, times: int) -> bool:
    return any(batch["_polls"] >= times for batch in server.batches.values())


def test_per_type_through_the_batch_api_is_one_clean_error(tmp_path, datagen_in_process):
    base = tmp_path / "base.txt"
    base.write_text(distinct_sentence(0) + "\n")
    out = tmp_path / "masked"
    with FakeOpenAI(masked_responder) as server:
        proc = datagen_in_process(
            "masked-sentences", base, "--out", out, "--base-url", server.base_url, "--per-type",
            "--batch-api", "--cache-file", tmp_path / "llm.sqlite", "--no-progress",
        )  # fmt: skip
    assert_clean_error(proc, "--batch-api", "--per-type cannot run through the Batch API")
    assert not out.exists() and not server.batches and not server.requests
