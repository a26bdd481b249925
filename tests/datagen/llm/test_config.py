"""Request parameters: what each kind of server is sent."""

from __future__ import annotations

import pytest

from datagen.llm import LLMConfig


@pytest.mark.parametrize(
    ("base_url", "name"),
    [
        (None, "max_completion_tokens"),
        ("https://api.openai.com/v1", "max_completion_tokens"),
        ("http://127.0.0.1:8080/v1", "max_tokens"),
        ("https://my-vllm.example.org/v1", "max_tokens"),
    ],
)
def test_the_answer_length_limit_uses_the_servers_parameter_name(base_url, name):
    params = LLMConfig(base_url=base_url, max_tokens=300, temperature=0.0).request_params()
    assert params == {"temperature": 0.0, name: 300}


def test_unset_sampling_parameters_are_not_sent():
    assert LLMConfig(max_tokens=None).request_params() == {}
