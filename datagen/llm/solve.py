"""The one conversation loop every LLM backend runs: ask -> validate -> feed the error back ->
parse, for each row, many rows at once (online: answers from the server through the cache;
Batch API: answers the batches put into the cache).

Records come back grouped and ordered by input row; a row whose answers stay unusable after
the validation retries becomes a failure, never data.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tqdm.auto import tqdm

from datagen.llm.cache import LLMResponse, ResponseCache, request_key
from datagen.llm.client import ChatClient, RequestFailed
from datagen.llm.config import LLMConfig
from datagen.llm.messages import feedback_messages, initial_messages, request_body, strip_fences
from datagen.llm.task import LLMTask
from datagen.llm.usage import Usage

RAW_LIMIT = 2000
Ask = Callable[[list[dict]], Awaitable[LLMResponse]]
MakeAsk = Callable[[dict, ResponseCache, Usage, ChatClient, list[dict]], Awaitable[Ask]]


@dataclass
class RunResult:
    """``records``: rows to write, in input order; ``failures``: ``{row_id, reason, attempts,
    raw}`` per row that produced nothing; ``usage``: requests, tokens, cost, time."""

    records: list[dict[str, Any]]
    failures: list[dict[str, Any]]
    usage: Usage


class NotCached(Exception):
    """Raised by a cache-only ``ask``: this request has no stored answer yet."""

    def __init__(self, key: str, messages: list[dict]) -> None:
        super().__init__(key)
        self.key = key
        self.messages = messages


@dataclass
class Outcome:
    records: list[dict] = field(default_factory=list)
    failure: dict | None = None


async def run_conversations(
    task: LLMTask, rows: list[dict], config: LLMConfig, progress: bool, make_ask: MakeAsk
) -> RunResult:
    """Open the cache and the client, get the backend's ``ask`` from ``make_ask(body, cache,
    usage, client, rows)`` and solve every row with it."""
    started = time.monotonic()
    usage = Usage(model=config.model, batch_api=config.batch_api)
    body = request_body(task, config)
    cache = open_cache(config)
    client = ChatClient(config, body, usage)
    try:
        ask = await make_ask(body, cache, usage, client, rows)
        outcomes = await solve_all(task, rows, config, ask, usage, progress)
    finally:
        await client.close()
        cache.close()
    usage.seconds = round(time.monotonic() - started, 3)
    usage.price(config.prices)
    records = [record for outcome in outcomes for record in outcome.records]
    failures = [outcome.failure for outcome in outcomes if outcome.failure is not None]
    return RunResult(records, failures, usage)


def open_cache(config: LLMConfig, *, read_only: bool = False) -> ResponseCache | None:
    if not config.use_cache:
        return None if read_only else ResponseCache(None)
    if read_only and not config.cache_path.exists():
        return None
    return ResponseCache(config.cache_path)


def cached_ask(
    config: LLMConfig, body: dict, cache: ResponseCache, usage: Usage, client: ChatClient
) -> Ask:
    async def ask(messages: list[dict]) -> LLMResponse:
        key = request_key(config.model, messages, body)
        hit = cache.get(key)
        if hit is not None:
            usage.cached_hits += 1
            return hit
        response = await client.complete(messages)
        cache.put(key, config.model, response)
        return response

    return ask


def cache_only_ask(config: LLMConfig, body: dict, cache: ResponseCache, usage: Usage) -> Ask:
    async def ask(messages: list[dict]) -> LLMResponse:
        key = request_key(config.model, messages, body)
        hit = cache.get(key)
        if hit is None:
            raise NotCached(key, messages)
        usage.cached_hits += 1
        return hit

    return ask


async def solve_row(
    task: LLMTask, row: dict, config: LLMConfig, ask: Ask, usage: Usage | None = None
) -> Outcome:
    """One row's conversation: ask, validate, parse; on an unusable answer ask again with the
    reason fed back, up to ``max_validation_retries`` times; then give up with a failure."""
    messages = initial_messages(task, row, config)
    tries = 1 + config.max_validation_retries
    for attempt in range(1, tries + 1):
        try:
            response = await ask(messages)
        except RequestFailed as err:
            return Outcome(failure=_failure(task, row, err.reason, err.attempts, None))
        try:
            content = strip_fences(response.content or "")
            if not content.strip():
                raise ValueError("the answer was empty")
            parsed = task.read_answer(content)
            return Outcome(records=task.parse(row, parsed, response.logprobs))
        except ValueError as err:
            reason = describe_error(err)
            if attempt == tries:
                return Outcome(failure=_failure(task, row, reason, attempt, response.content))
            if usage is not None:
                usage.validation_retries += 1
            messages = feedback_messages(messages, response.content, reason)
    raise AssertionError("unreachable")


async def solve_all(
    task: LLMTask, rows: list[dict], config: LLMConfig, ask: Ask, usage: Usage, progress: bool
) -> list[Outcome]:
    bar = tqdm(total=len(rows), desc=task.name, unit="row", disable=not progress, mininterval=0.5)
    failed = 0
    shown = 0.0

    def show_counts() -> None:
        bar.set_postfix(
            done=bar.n,
            failed=failed,
            cached=usage.cached_hits,
            tokens=usage.prompt_tokens + usage.completion_tokens,
            refresh=False,
        )

    async def one(row: dict) -> Outcome:
        nonlocal failed, shown
        outcome = await solve_row(task, row, config, ask, usage)
        failed += outcome.failure is not None
        if progress and time.monotonic() - shown >= bar.mininterval:
            shown = time.monotonic()
            show_counts()
        bar.update(1)
        return outcome

    if not rows:
        bar.close()
        return []
    tasks = [asyncio.ensure_future(one(row)) for row in rows]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for t in tasks:
            if t.done() and not t.cancelled() and t.exception() is not None:
                raise t.exception()
        return [t.result() for t in tasks]
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        show_counts()
        bar.close()


def describe_error(err: ValueError) -> str:
    """A short human reason for an unusable answer (pydantic errors listed compactly)."""
    errors = getattr(err, "errors", None)
    if callable(errors):
        try:
            items = errors(include_url=False)
        except TypeError:
            items = None
        if items:
            parts = []
            for item in items[:5]:
                loc = ".".join(str(p) for p in item.get("loc", ())) or "answer"
                parts.append(f"{loc}: {item.get('msg', '')}")
            more = f" (+{len(items) - 5} more)" if len(items) > 5 else ""
            return "; ".join(parts) + more
    return " ".join(str(err).split()) or type(err).__name__


def _failure(task: LLMTask, row: dict, reason: str, attempts: int, raw: str | None) -> dict:
    return {
        "row_id": task.row_id(row),
        "reason": reason,
        "attempts": attempts,
        "raw": raw[:RAW_LIMIT] if raw else raw,
    }
