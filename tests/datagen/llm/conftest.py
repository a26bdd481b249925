"""A tiny echo task, a responder that answers it, and the fake server + config fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from datagen.llm import LLMConfig, LLMTask
from datagen.llm.messages import FEEDBACK
from tests.support.fake_openai import FakeOpenAI

FEEDBACK_START = FEEDBACK.split("{reason}")[0]


class EchoAnswer(BaseModel):
    word: str = Field(min_length=1)
    score: float = Field(ge=0, le=1)


class EchoTask(LLMTask):
    """Asks the model to repeat a row's word; ``parse`` insists it is the same word."""

    name = "echo"
    response_model = EchoAnswer
    prompt_templates = ("Repeat the word: {word}",)

    def prompt(self, row: dict) -> list[dict]:
        return [
            {"role": "system", "content": "You repeat words."},
            {"role": "user", "content": f"Repeat the word: {row['word']}"},
        ]

    def parse(self, row: dict, response: EchoAnswer, logprobs: list | None) -> list[dict]:
        if response.word != row["word"]:
            raise ValueError(f"the word must be {row['word']!r}, not {response.word!r}")
        return [
            {
                "id": f"{row['id']}-{i}",
                "row": row["id"],
                "word": response.word,
                "n_logprobs": len(logprobs) if logprobs is not None else None,
            }
            for i in range(row.get("copies", 1))
        ]


def asked_word(request: dict) -> str:
    """The word the first user message asks for."""
    user = next(m for m in request["messages"] if m["role"] == "user")
    return user["content"].rsplit(" ", 1)[-1]


def echo_responder(request: dict) -> str:
    return json.dumps({"word": asked_word(request), "score": 0.5})


def make_rows(n: int, copies: int = 1) -> list[dict]:
    return [{"id": f"r{i:03d}", "word": f"word{i}", "copies": copies} for i in range(n)]


@pytest.fixture
def server():
    with FakeOpenAI(echo_responder) as fake:
        yield fake


@pytest.fixture
def make_config(tmp_path: Path):
    """``make_config(server, **overrides)``: a config for the fake server with tiny backoffs."""

    def make(fake: FakeOpenAI | None = None, **overrides) -> LLMConfig:
        values = dict(
            model="gpt-4o-mini",
            base_url=fake.base_url if fake is not None else None,
            cache_path=tmp_path / "cache" / "llm.sqlite",
            concurrency=4,
            timeout=5.0,
            max_retries=4,
            backoff_base=0.01,
            backoff_max=0.05,
            batch_poll_interval=0.01,
        )
        values.update(overrides)
        return LLMConfig(**values)

    return make
