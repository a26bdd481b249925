"""Reading chat-completion bodies into cached answers."""

from __future__ import annotations

import json

import pytest

from datagen.llm.cache import LLMResponse, MalformedResponse


def test_completion_body_gives_content_logprobs_and_usage():
    token = {"token": "a", "bytes": None, "logprob": -0.1}
    top = [{"token": "b", "bytes": [98], "logprob": -2.0}]
    body = {
        "choices": [
            {
                "message": {"role": "assistant", "content": '{"w": 1}'},
                "logprobs": {"content": [{**token, "top_logprobs": top}]},
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 5},
    }
    for raw in (body, json.dumps(body), json.dumps(body).encode()):
        answer = LLMResponse.from_completion(raw)
        assert answer.content == '{"w": 1}'
        assert answer.logprobs == [{"token": "a", "logprob": -0.1, "top_logprobs": top}]
        assert (answer.prompt_tokens, answer.completion_tokens) == (12, 5)


def test_completion_without_choices_or_usage_is_an_empty_answer():
    assert LLMResponse.from_completion({"choices": []}) == LLMResponse(None, None, 0, 0)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"<html>502</html>", "the body is not JSON"),
        (b"[1, 2]", "the body is not a JSON object"),
        (b'{"choices": 3}', "the body is not a chat completion"),
        (b'{"choices": ["text"]}', "the body is not a chat completion"),
        (b'{"choices": [{"message": "hi"}]}', "the body is not a chat completion"),
        (b'{"choices": [{"message": {}, "logprobs": [1]}]}', "the body is not a chat completion"),
        (b'{"choices": [], "usage": {"prompt_tokens": "many"}}', "not a chat completion"),
    ],
)
def test_a_body_that_is_not_a_completion_is_malformed(raw, reason):
    with pytest.raises(MalformedResponse, match=reason):
        LLMResponse.from_completion(raw)
