"""The one conversation loop every LLM backend runs: ask -> validate -> feed the error back ->
parse, for each row, many rows at once (online: answers from the server through the cache;
Batch API: answers the batches put into the cache).

Records come back grouped and ordered by input row; a row whose answers stay unusable after
the validation retries becomes a failure, never data.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tqdm.auto import tqdm

from datagen.llm.cache import LLMResponse, RequestKeys, ResponseCache, server_key
from datagen.llm.client import ChatClient, RequestFailed
from datagen.llm.config import LLMConfig
from datagen.llm.messages import feedback_messages, initial_messages, request_body, strip_fences
from datagen.llm.server_props import reported_slots
from datagen.llm.spool import RecordSpool
from datagen.llm.task import LLMTask
from datagen.llm.usage import Usage

RAW_LIMIT = 2000
WINDOW = 1024  # rows in flight at most (their conversations, not their requests)
Ask = Callable[[list[dict]], Awaitable[LLMResponse]]
MakeAsk = Callable[[dict, ResponseCache, Usage, ChatClient, list[dict]], Awaitable[Ask]]


@dataclass
class RunResult:
    """``records``: rows to write, in input order (a list, or a :class:`RecordSpool` on disk
    from the LLM runner); ``failures``: ``{row_id, reason, attempts, raw}`` per row that
    produced nothing; ``usage``: requests, tokens, cost, time."""

    records: Sequence[dict[str, Any]]
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
    usage = Usage(model=config.model, batch_api=config.batch_api, cache=config.use_cache)
    body = request_body(task, config)
    cache = open_cache(config)
    server = server_key(config)
    window_start = cache.window(server)
    if window_start is None and config.auto_concurrency and not config.batch_api:
        usage.window_slots = window_start = await reported_slots(config)
    client = ChatClient(config, body, usage, window_start=window_start, endpoint=task.endpoint)
    try:
        ask = await make_ask(body, cache, usage, client, rows)
        records, failures = await solve_all(task, rows, config, ask, usage, progress)
    finally:
        client.report(usage)
        if client.window is not None:
            cache.remember_window(server, client.window.size)
        await client.close()
        cache.close()
    usage.seconds = round(time.monotonic() - started, 3)
    usage.price(config.prices)
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
    request_key = RequestKeys(config, body)

    async def ask(messages: list[dict]) -> LLMResponse:
        key = request_key(messages)
        hit = cache.get(key)
        if hit is not None:
            usage.cached_hits += 1
            return hit
        response = await client.complete(messages)
        cache.put(key, config.model, response)
        return response

    return ask


def cache_only_ask(
    config: LLMConfig,
    body: dict,
    cache: ResponseCache,
    usage: Usage,
    fresh: frozenset[str] | set[str] = frozenset(),
) -> Ask:
    """Answers from the cache only; those under ``fresh`` keys (delivered in this run, e.g. by
    the Batch API) are not counted as cache hits."""

    request_key = RequestKeys(config, body)

    async def ask(messages: list[dict]) -> LLMResponse:
        key = request_key(messages)
        hit = cache.get(key)
        if hit is None:
            raise NotCached(key, messages)
        if key not in fresh:
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
) -> tuple[RecordSpool, list[dict]]:
    """Solve every row, at most ``WINDOW`` (or 4 x the most requests in flight) rows in flight;
    finished rows go to a :class:`RecordSpool` in input order as soon as the rows before them are
    done, so memory stays flat however many rows there are. Returns the records and the failures."""
    bar = tqdm(total=len(rows), desc=task.name, unit="row", disable=not progress, mininterval=0.5)
    records, failures = RecordSpool(), []
    finished: dict[int, Outcome] = {}
    slots = asyncio.Semaphore(max(WINDOW, 4 * config.connections))
    emitted = 0
    shown = 0.0
    error: Exception | None = None
    over = asyncio.Event()  # every row emitted, or a run-stopping error

    def show_counts() -> None:
        bar.set_postfix(
            done=bar.n,
            failed=len(failures),
            cached=usage.cached_hits,
            tokens=usage.prompt_tokens + usage.completion_tokens,
            refresh=False,
        )

    async def one(index: int, row: dict) -> None:
        nonlocal emitted, shown, error
        try:
            finished[index] = await solve_row(task, row, config, ask, usage)
        except Exception as err:  # a run-stopping error (InputError): the first one is raised
            error = error or err
            over.set()
            return
        finally:
            slots.release()
        while emitted in finished:
            outcome = finished.pop(emitted)
            records.extend(outcome.records)
            if outcome.failure is not None:
                failures.append(outcome.failure)
            emitted += 1
        if emitted == len(rows):
            over.set()
        if progress and time.monotonic() - shown >= bar.mininterval:
            shown = time.monotonic()
            show_counts()
        bar.update(1)

    running: set[asyncio.Task] = set()
    try:
        for index, row in enumerate(rows):
            await slots.acquire()
            if error is not None:
                break
            job = asyncio.ensure_future(one(index, row))
            running.add(job)
            job.add_done_callback(running.discard)
        if rows and error is None:
            await over.wait()
        if error is not None:
            raise error
        return records, failures
    finally:
        for job in running:
            job.cancel()
        await asyncio.gather(*running, return_exceptions=True)
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
