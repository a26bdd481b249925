"""Clean errors: unreachable server, rejected requests, missing key; the key never leaks."""

from __future__ import annotations

import json
import socket

import pytest

from datagen.llm import LLMConfig, run_task
from datagen.llm.config import LOCAL_PLACEHOLDER_KEY, is_local_url, resolve_api_key
from datagen.llm.usage import Usage
from schemas.errors import InputError
from schemas.manifest import Manifest
from tests.datagen.llm.conftest import EchoTask, echo_responder, make_rows
from tests.datagen.masked.masking_fake import distinct_sentence, masked_responder
from tests.support.cli import assert_clean_error, run_cli
from tests.support.fake_openai import FakeOpenAI, Fault

SECRET = "sk-test-DoNotLeakThis1234567890"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_base_url_is_a_clean_error_after_retries(make_config):
    url = f"http://user:pw@127.0.0.1:{free_port()}/v1"
    config = make_config(None, base_url=url, max_retries=2)
    with pytest.raises(InputError) as err:
        run_task(EchoTask(), make_rows(3), config, progress=False)
    message = str(err.value)
    assert message.startswith(
        "field '--base-url': cannot reach the LLM server at http://127.0.0.1:"
    )
    assert "after 3 attempts" in message and "pw" not in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("status", "needle"),
    [
        (401, "refused the API key from $OPENAI_API_KEY"),
        (403, "denied access"),
        (404, "check --model 'gpt-4o-mini'"),
        (400, "try json_object or none"),
    ],
)
def test_rejected_requests_fail_fast(make_config, monkeypatch, status, needle):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    fault = Fault.error(status, f"Incorrect API key provided: {SECRET}")
    with (
        FakeOpenAI(echo_responder, lambda n, request: fault) as server,
        pytest.raises(InputError) as err,
    ):
        run_task(EchoTask(), make_rows(1), make_config(server, concurrency=1), progress=False)
    assert len(server.requests) == 1  # no retries
    message = str(err.value)
    assert needle in message and f"HTTP {status}" in message
    assert SECRET not in message and "Incorrect API key provided: ***" in message


def test_a_response_format_the_server_cannot_validate_fails_fast_with_the_way_out(make_config):
    # llama-cpp-python's server answers json_schema with a 500, not a 400
    body = ("1 validation error: {'type': 'literal_error', 'loc': ('body', 'response_format', "
            "'type'), 'msg': \"Input should be 'text' or 'json_object'\"}")  # fmt: skip
    fault = Fault.error(500, body)
    with (
        FakeOpenAI(echo_responder, lambda n, request: fault) as server,
        pytest.raises(InputError) as err,
    ):
        run_task(EchoTask(), make_rows(3), make_config(server, concurrency=1), progress=False)
    assert len(server.requests) == 1  # no retries, no second row
    assert "HTTP 500" in str(err.value) and "try json_object or none" in str(err.value)


def test_missing_key_is_a_clean_error_except_for_local_servers(monkeypatch):
    monkeypatch.delenv("MY_KEY", raising=False)
    remote = LLMConfig(base_url="https://llm.example.com/v1", api_key_env="MY_KEY")
    with pytest.raises(InputError, match="set the environment variable MY_KEY"):
        resolve_api_key(remote)
    with pytest.raises(InputError, match="MY_KEY"):
        run_task(EchoTask(), make_rows(1), remote, progress=False)
    local = LLMConfig(base_url="http://localhost:8080/v1", api_key_env="MY_KEY")
    assert resolve_api_key(local) == LOCAL_PLACEHOLDER_KEY
    monkeypatch.setenv("MY_KEY", "k-123")
    assert resolve_api_key(remote) == "k-123"
    assert is_local_url("http://127.0.0.2:1/v1") and is_local_url("http://[::1]:80")
    assert not is_local_url("https://api.openai.com/v1") and not is_local_url(None)


def test_key_sent_only_in_the_header_and_never_stored(make_config, monkeypatch, capfd, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with FakeOpenAI(echo_responder, [Fault.server_error(), Fault.schema_invalid()]) as server:
        config = make_config(server, max_validation_retries=0)
        result = run_task(EchoTask(), make_rows(3), config, progress=True)
    assert server.request_headers[0]["authorization"] == f"Bearer {SECRET}"
    assert SECRET not in json.dumps(server.requests)
    stored = b"".join(p.read_bytes() for p in config.cache_path.parent.iterdir())
    assert SECRET.encode() not in stored
    manifest = Manifest("datagen test").finish(llm=result.usage.to_dict(), failures=result.failures)
    assert SECRET not in json.dumps(manifest) + json.dumps(list(result.records))
    out, err = capfd.readouterr()
    assert SECRET not in out + err
    assert "echo" in err  # the progress bar did run


def test_bad_settings_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="--response-format"):
        LLMConfig(response_format="xml")
    with pytest.raises(InputError, match="--concurrency"):
        LLMConfig(concurrency=0)
    with pytest.raises(InputError, match="--timeout"):
        LLMConfig(timeout=0)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    config = LLMConfig(base_url="http://127.0.0.1:9/v1", cache_path=blocker / "sub" / "c.sqlite")
    with pytest.raises(InputError, match="cache"):
        run_task(EchoTask(), make_rows(1), config, progress=False)


def test_usage_summary_names_costs():
    usage = Usage(model="gpt-4o-mini", requests=2, prompt_tokens=1_000_000, completion_tokens=0)
    usage.price()
    assert usage.cost_usd == pytest.approx(0.15)
    assert "est. $0.1500" in usage.summary()


@pytest.mark.parametrize(
    ("fault", "needle"),
    [
        (
            Fault.error(429, "You exceeded your current quota", code="insufficient_quota"),
            "no quota left",
        ),
        (Fault.error(503, "overloaded", headers={"x-should-retry": "false"}), "x-should-retry"),
    ],
)
def test_an_empty_account_or_should_retry_false_stops_at_once(tmp_path, fault, needle):
    base = tmp_path / "base.txt"
    base.write_text("".join(distinct_sentence(i) + "\n" for i in range(5)))
    out = tmp_path / "masked"
    with FakeOpenAI(masked_responder, lambda n, request: fault) as server:
        proc = run_cli(
            "datagen", "masked-sentences", base, "--out", out, "--base-url", server.base_url,
            "--cache-file", tmp_path / "llm.sqlite", "--concurrency", "1", "--no-progress",
        )  # fmt: skip
    assert_clean_error(proc, needle)
    assert len(server.requests) == 1  # not 7 per row
    assert not out.exists()


def test_credentials_in_the_base_url_go_as_basic_auth(make_config, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with FakeOpenAI(echo_responder) as server:
        url = server.base_url.replace("http://", "http://user:p%40ss@")
        run_task(EchoTask(), make_rows(1), make_config(server, base_url=url), progress=False)
    assert server.request_headers[0]["authorization"] == "Basic dXNlcjpwQHNz"  # user:p@ss
