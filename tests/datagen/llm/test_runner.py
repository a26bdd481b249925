"""The runner over real HTTP: faults recovered, failures recorded, cache replayed, order kept."""

from __future__ import annotations

import json

from datagen.llm import run_task
from datagen.llm.cache import ResponseCache
from tests.datagen.llm.conftest import (
    FEEDBACK_START,
    EchoTask,
    asked_word,
    echo_responder,
    make_rows,
)
from tests.support.fake_openai import FakeOpenAI, Fault


def test_every_fault_kind_is_recovered(make_config):
    faults = [
        Fault.rate_limit(0.01),
        Fault.server_error(500),
        Fault.server_error(503),
        Fault.drop(),
        Fault.malformed(),
        Fault.schema_invalid(),
        Fault.schema_invalid('{"word": "", "score": 3}'),
        Fault.slow(1.0),
        Fault.bad_body(),
    ]
    rows = make_rows(12)
    with FakeOpenAI(echo_responder, faults) as server:
        result = run_task(EchoTask(), rows, make_config(server, timeout=0.3), progress=False)
    assert result.failures == []
    assert [r["row"] for r in result.records] == [r["id"] for r in rows]
    assert all(r["word"] == row["word"] for r, row in zip(result.records, rows, strict=True))
    # 429, 500, 503, dropped connection, timeout, HTML body -> transport retries;
    # malformed JSON and the two schema-invalid answers -> validation follow-ups
    assert result.usage.retries == 6
    assert result.usage.validation_retries == 3
    assert result.usage.requests == 12 + 3
    assert len(server.requests) == 12 + 3 + 6
    follow_ups = [r for r in server.requests if len(r["messages"]) == 4]
    assert len({json.dumps(r, sort_keys=True) for r in follow_ups}) == 3  # some retried
    assert all(r["messages"][3]["content"].startswith(FEEDBACK_START) for r in follow_ups)
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert result.usage.cost_usd > 0


def test_unusable_answers_become_failures_with_reasons(make_config):
    def responder(request: dict) -> str:
        word = asked_word(request)
        if word == "word1":  # never right for this row
            return json.dumps({"word": "other", "score": 0.5})
        if word == "word2":
            return "not json at all"
        return echo_responder(request)

    rows = make_rows(4)
    with FakeOpenAI(responder) as server:
        config = make_config(server, max_validation_retries=1)
        result = run_task(EchoTask(), rows, config, progress=False)
    assert [r["row"] for r in result.records] == ["r000", "r003"]
    assert [f["row_id"] for f in result.failures] == ["r001", "r002"]
    wrong, garbage = result.failures
    assert "must be 'word1'" in wrong["reason"]
    assert wrong["attempts"] == 2
    assert wrong["raw"] == json.dumps({"word": "other", "score": 0.5})
    assert "json" in garbage["reason"].lower()
    assert garbage["raw"] == "not json at all"
    # the reason was fed back to the model in the follow-up
    follow_ups = [r for r in server.requests if len(r["messages"]) == 4]
    follow_up = next(r for r in follow_ups if asked_word(r) == "word1")
    assert "must be 'word1'" in follow_up["messages"][3]["content"]


def test_rerun_is_served_from_the_cache(server, make_config):
    rows = make_rows(10, copies=3)
    config = make_config(server)
    first = run_task(EchoTask(), rows, config, progress=False)
    sent = len(server.requests)
    assert sent == 10 and first.usage.cached_hits == 0
    second = run_task(EchoTask(), rows, config, progress=False)
    assert len(server.requests) == sent  # the server saw nothing new
    assert second.records == first.records
    assert len(second.records) == 30
    assert second.usage.cached_hits == 10
    assert second.usage.requests == 0 and second.usage.cost_usd == 0
    assert len(ResponseCache(config.cache_path)) == 10


def test_no_cache_sends_again_and_writes_nothing(server, make_config):
    config = make_config(server, use_cache=False)
    run_task(EchoTask(), make_rows(3), config, progress=False)
    run_task(EchoTask(), make_rows(3), config, progress=False)
    assert len(server.requests) == 6
    assert not config.cache_path.exists()
    assert "from cache" not in run_task(EchoTask(), [], config, progress=False).usage.summary()


def test_cache_key_depends_on_messages_and_parameters(server, make_config):
    rows = make_rows(2)
    run_task(EchoTask(), rows, make_config(server), progress=False)
    run_task(EchoTask(), rows, make_config(server, temperature=0.3), progress=False)
    run_task(EchoTask(), rows, make_config(server, model="gpt-4.1-mini"), progress=False)
    run_task(EchoTask(), rows, make_config(server, base_url=server.base_url + "/"), progress=False)
    assert len(server.requests) == 6  # a trailing slash is the same endpoint


def test_the_same_model_alias_on_two_servers_does_not_share_answers(make_config):
    rows = make_rows(3)
    with FakeOpenAI(echo_responder) as first, FakeOpenAI(echo_responder) as second:
        run_task(EchoTask(), rows, make_config(first), progress=False)
        result = run_task(EchoTask(), rows, make_config(second), progress=False)
        again = run_task(EchoTask(), rows, make_config(first), progress=False)
    assert len(first.requests) == 3 and len(second.requests) == 3
    assert result.usage.cached_hits == 0 and result.usage.requests == 3
    assert again.usage.cached_hits == 3  # each server's answers stay its own


def test_concurrency_limit_is_respected(make_config):
    with FakeOpenAI(echo_responder, latency=0.05) as server:
        run_task(EchoTask(), make_rows(16), make_config(server, concurrency=3), progress=False)
    assert server.max_in_flight == 3


def test_response_formats_as_sent(server, make_config):
    task = EchoTask()
    run_task(task, make_rows(1), make_config(server, response_format="json_schema"), progress=False)
    run_task(task, make_rows(1), make_config(server, response_format="json_object"), progress=False)
    run_task(task, make_rows(1), make_config(server, response_format="none"), progress=False)
    strict, obj, plain = server.requests
    assert strict["response_format"]["type"] == "json_schema"
    spec = strict["response_format"]["json_schema"]
    assert spec["name"] == "echo" and spec["strict"] is True
    assert spec["schema"]["required"] == ["word", "score"]
    assert strict["messages"][0]["content"] == "You repeat words."
    assert obj["response_format"] == {
        "type": "json_object",
        "schema": task.response_model.model_json_schema(),
    }
    assert "response_format" not in plain
    for request in (obj, plain):  # schema in the prompt when the server is not given it strictly
        assert '"word"' in request["messages"][0]["content"]


def test_fenced_json_and_logprobs_reach_parse(make_config):
    def fenced(request: dict) -> str:
        return f"```json\n{echo_responder(request)}\n```"

    with FakeOpenAI(fenced) as server:
        config = make_config(server, logprobs=True, top_logprobs=3)
        result = run_task(EchoTask(), make_rows(2), config, progress=False)
    assert result.failures == []
    assert all(r["n_logprobs"] and r["n_logprobs"] > 5 for r in result.records)
    assert server.requests[0]["logprobs"] is True and server.requests[0]["top_logprobs"] == 3
    # replayed from the cache with the same logprobs
    again = run_task(EchoTask(), make_rows(2), config, progress=False)
    assert again.records == result.records


def test_no_rows_is_an_empty_result(server, make_config):
    result = run_task(EchoTask(), [], make_config(server), progress=False)
    assert result.records == [] and result.failures == [] and server.requests == []


def test_a_body_that_is_not_a_completion_is_retried_then_recorded(make_config):
    with FakeOpenAI(echo_responder, lambda n, request: Fault.bad_body()) as server:
        config = make_config(server, max_retries=2)
        result = run_task(EchoTask(), make_rows(1), config, progress=False)
    assert result.records == []
    (failure,) = result.failures
    assert failure["reason"] == (
        "malformed response from the server: the body is not JSON (after 3 attempts)"
    )
    assert len(server.requests) == 3 and result.usage.requests == 0


def test_a_dropped_connection_is_a_connection_error_not_a_timeout(make_config):
    def faults(n: int, request: dict) -> Fault | None:
        return Fault.drop() if asked_word(request) == "word1" else None

    with FakeOpenAI(echo_responder, faults) as server:
        config = make_config(server, max_retries=1, concurrency=1)
        result = run_task(EchoTask(), make_rows(2), config, progress=False)
    assert [r["row"] for r in result.records] == ["r000"]
    (failure,) = result.failures
    assert failure["reason"].startswith("connection error: ")
    assert failure["reason"].endswith("(after 2 attempts)")
