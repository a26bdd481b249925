"""Online generation: every request answered by the server (through the response cache), and
the ``--dry-run`` estimate of what a run would send."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from datagen.llm.cache import RequestKeys, ResponseCache
from datagen.llm.client import ChatClient
from datagen.llm.config import LLMConfig
from datagen.llm.messages import initial_messages, request_body
from datagen.llm.pricing import cost_usd, price_note
from datagen.llm.solve import Ask, RunResult, cached_ask, open_cache, run_conversations
from datagen.llm.task import LLMTask
from datagen.llm.tokens import estimate_prompt_tokens
from datagen.llm.usage import Usage

BACKEND = "openai-compatible"


@dataclass
class Estimate:
    """What a run would send (``--dry-run``): nothing is sent, the cache is only read."""

    model: str
    rows: int
    requests: int
    cached: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    batch_api: bool = False
    note: str | None = None

    def summary(self) -> str:
        text = (
            f"dry run ({self.model}{', Batch API' if self.batch_api else ''}): "
            f"{self.requests:,} requests to send for {self.rows:,} rows "
            f"({self.cached:,} already cached), ~{self.prompt_tokens:,} prompt + "
            f"~{self.completion_tokens:,} completion tokens, est. ${self.cost_usd:.4f}; "
            "validation retries not included"
        )
        return f"{text}\n{self.note}" if self.note else text

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def estimate(task: LLMTask, rows: Iterable[dict[str, Any]], config: LLMConfig) -> Estimate:
    """Requests, tokens and cost of a run, without sending anything (cache read, never created)."""
    rows = list(rows)
    body = request_body(task, config)
    cache = open_cache(config, read_only=True)
    request_key = RequestKeys(config, body)
    requests = cached = prompt_tokens = 0
    for row in rows:
        messages = initial_messages(task, row, config)
        if cache is not None and request_key(messages) in cache:
            cached += 1
            continue
        requests += 1
        prompt_tokens += estimate_prompt_tokens(messages)
    if cache is not None:
        cache.close()
    completion_tokens = requests * (config.max_tokens or task.est_completion_tokens)
    cost = cost_usd(
        config.model, prompt_tokens, completion_tokens, config.prices, batch=config.batch_api
    )
    return Estimate(
        model=config.model,
        rows=len(rows),
        requests=requests,
        cached=cached,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=round(cost, 6),
        batch_api=config.batch_api,
        note=price_note(config.model, config.prices),
    )


class OnlineGenerator:
    """A :class:`~datagen.generation.Generator` asking an OpenAI-compatible server directly."""

    backend = BACKEND

    def __init__(self, task: LLMTask, config: LLMConfig, *, progress: bool = True) -> None:
        self.task, self.config, self.progress = task, config, progress
        self.model = config.model

    def estimate(self, rows: Iterable[dict[str, Any]]) -> str:
        return estimate(self.task, rows, self.config).summary()

    def run(self, rows: Iterable[dict[str, Any]]) -> RunResult:
        """Answer every row; see :class:`~datagen.llm.solve.RunResult`.

        Raises :class:`~schemas.errors.InputError` for a missing key, a rejected request (401,
        400, 404) or a server never reached.
        """
        coro = run_conversations(self.task, list(rows), self.config, self.progress, self.make_ask)
        return asyncio.run(coro)

    async def make_ask(
        self, body: dict, cache: ResponseCache, usage: Usage, client: ChatClient, rows: list[dict]
    ) -> Ask:
        return cached_ask(self.config, body, cache, usage, client)
