"""``--batch-api``: answer the requests through the OpenAI Batch API, into the same cache.

Each round: replay every row's conversation from the cache to find the requests still
needed, write them as JSONL, upload (``purpose="batch"``), create the batch, poll with
backoff, download the output and error files and store every answer in the cache. The input
file id and the batch id are saved in the cache, keyed by the set of requests, before the
poll: a run killed while waiting resumes the same batch instead of paying again. Requests
that failed or expired are submitted again in the next round; invalid answers get their
feedback follow-up there too. Rounds are bounded: ``batch_max_rounds`` plus one per
validation retry.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
from typing import Any

from tqdm.auto import tqdm

from datagen.llm.cache import LLMResponse, MalformedResponse, ResponseCache
from datagen.llm.client import ChatClient, RequestFailed
from datagen.llm.config import LLMConfig
from datagen.llm.runner import OnlineGenerator
from datagen.llm.solve import Ask, NotCached, cache_only_ask, solve_row
from datagen.llm.task import LLMTask
from datagen.llm.usage import Usage
from schemas.errors import InputError

ENDPOINT = "/v1/chat/completions"
MAX_REQUESTS_PER_BATCH = 50_000
TERMINAL = {"completed", "expired", "failed", "cancelled"}
MAX_POLL_INTERVAL = 300.0


class BatchGenerator(OnlineGenerator):
    """A :class:`~datagen.generation.Generator` answering through the Batch API: the same
    conversations as :class:`OnlineGenerator`, their answers put into the cache by batches."""

    async def make_ask(
        self, body: dict, cache: ResponseCache, usage: Usage, client: ChatClient, rows: list[dict]
    ) -> Ask:
        delivered: set[str] = set()
        unanswered = await fill_cache_by_batches(
            self.task, rows, self.config, body, client, cache, delivered, progress=self.progress
        )
        ask = cache_only_ask(self.config, body, cache, usage, delivered)
        return _batch_answers(ask, unanswered, self.config)


def _batch_answers(ask: Ask, unanswered: dict[str, str], config: LLMConfig) -> Ask:
    """After the Batch API rounds: answers from the cache; a request still missing fails its row."""

    async def batch_ask(messages: list[dict]) -> LLMResponse:
        try:
            return await ask(messages)
        except NotCached as missing:
            reason = unanswered.get(missing.key, "no answer from the Batch API")
            raise RequestFailed(reason, config.batch_max_rounds) from None

    return batch_ask


async def fill_cache_by_batches(
    task: LLMTask,
    rows: list[dict],
    config: LLMConfig,
    body: dict,
    client: ChatClient,
    cache: ResponseCache,
    delivered: set[str],
    *,
    progress: bool = True,
) -> dict[str, str]:
    """Run Batch API rounds until every conversation is answered or the rounds run out.

    Returns the reason for each request key still unanswered; adds the keys the batches
    answered to ``delivered``.
    """
    probe = cache_only_ask(config, body, cache, Usage())
    unanswered: dict[str, str] = {}
    for round_no in range(1, config.batch_max_rounds + config.max_validation_retries + 1):
        pending: dict[str, list[dict]] = {}
        for row in rows:
            try:
                await solve_row(task, row, config, probe)
            except NotCached as missing:
                pending[missing.key] = missing.messages
        if not pending:
            return {}
        keys = list(pending)
        for start in range(0, len(keys), MAX_REQUESTS_PER_BATCH):
            chunk = {k: pending[k] for k in keys[start : start + MAX_REQUESTS_PER_BATCH]}
            errors = await _run_one_batch(chunk, body, config, client, cache, round_no, progress)
            unanswered.update(errors)
        for key in keys:
            if key in cache:
                delivered.add(key)
                unanswered.pop(key, None)
            else:
                unanswered.setdefault(key, "no answer from the Batch API")
    return unanswered


async def _run_one_batch(
    requests: dict[str, list[dict]],
    body: dict,
    config: LLMConfig,
    client: ChatClient,
    cache: ResponseCache,
    round_no: int,
    progress: bool,
) -> dict[str, str]:
    """Submit one batch, wait for it, store its answers; return errors by request key."""
    ids = {f"req-{key[:32]}": key for key in requests}
    lines = [
        json.dumps(
            {
                "custom_id": custom_id,
                "method": "POST",
                "url": ENDPOINT,
                "body": {"model": config.model, "messages": requests[key], **body},
            },
            ensure_ascii=False,
        )
        for custom_id, key in ids.items()
    ]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    request_set = hashlib.sha256("\n".join(sorted(requests)).encode()).hexdigest()
    batch = await _submit(request_set, data, client, cache)
    batch = await _wait(batch, config, client, round_no, len(ids), progress)
    if batch.status == "failed":
        cache.drop_batch_job(request_set)
        details = "; ".join(e.message or e.code or "" for e in (batch.errors.data or []))[:300]
        raise InputError(f"the Batch API rejected batch {batch.id}: {details or 'no details'}")
    errors: dict[str, str] = {}
    if batch.output_file_id:
        for item in await _read_jsonl(client, batch.output_file_id):
            key = ids.get(item.get("custom_id", ""))
            if key is not None:
                _store_result(item, key, config, client.usage, cache, errors)
    if batch.error_file_id:
        for item in await _read_jsonl(client, batch.error_file_id):
            key = ids.get(item.get("custom_id", ""))
            if key is not None and key not in cache:
                errors[key] = _error_reason(item, batch.status)
    cache.drop_batch_job(request_set)  # its answers are stored (committed here)
    return errors


async def _submit(request_set: str, data: bytes, client: ChatClient, cache: ResponseCache) -> Any:
    """The batch for these requests: the one a killed run submitted (saved in the cache), else a
    new one, its file and batch ids saved before anything waits on it."""
    saved = cache.batch_job(request_set)
    if saved is not None and saved[1] is not None:
        try:
            batch = await client.call(lambda api: api.batches.retrieve(saved[1]))
        except InputError:  # gone (another account or server): submit again
            saved = None
        else:
            print(f"resuming Batch API job {batch.id} ({batch.status})", file=sys.stderr)
            return batch
    file_id = saved[0] if saved is not None else None
    if file_id is None:
        uploaded = await client.call(
            lambda api: api.files.create(file=("requests.jsonl", data), purpose="batch")
        )
        file_id = uploaded.id
        cache.save_batch_job(request_set, file_id, None)
    batch = await client.call(
        lambda api: api.batches.create(
            input_file_id=file_id,
            endpoint=ENDPOINT,
            completion_window="24h",
            metadata={"source": "mbtikit"},
        )
    )
    cache.save_batch_job(request_set, file_id, batch.id)
    return batch


async def _wait(
    batch: Any, config: LLMConfig, client: ChatClient, round_no: int, total: int, progress: bool
) -> Any:
    """Poll the batch with a growing interval until it reaches a terminal status."""
    interval = config.batch_poll_interval
    bar = tqdm(
        total=total,
        desc=f"batch round {round_no}",
        unit="req",
        mininterval=1.0,
        disable=not progress,
    )
    try:
        while batch.status not in TERMINAL:
            await asyncio.sleep(interval)
            interval = min(interval * 1.5, MAX_POLL_INTERVAL)
            batch = await client.call(lambda api, batch_id=batch.id: api.batches.retrieve(batch_id))
            counts = batch.request_counts
            if counts is not None:
                bar.n = counts.completed + counts.failed
                bar.set_postfix(status=batch.status, failed=counts.failed, refresh=True)
    finally:
        bar.close()
    return batch


async def _read_jsonl(client: ChatClient, file_id: str) -> list[dict]:
    content = await client.call(lambda api: api.files.content(file_id))
    return [json.loads(line) for line in content.text.splitlines() if line.strip()]


def _store_result(
    item: dict, key: str, config: LLMConfig, usage: Usage, cache: ResponseCache, errors: dict
) -> None:
    response = item.get("response") or {}
    status = response.get("status_code")
    body = response.get("body") or {}
    if status != 200:
        errors[key] = _error_reason(item, f"HTTP {status}")
        return
    try:
        answer = LLMResponse.from_completion(body)
    except MalformedResponse as err:
        errors[key] = f"Batch API: {err}"
        return
    usage.add_tokens(answer.prompt_tokens, answer.completion_tokens)
    cache.put(key, config.model, answer)


def _error_reason(item: dict, fallback: str) -> str:
    error = item.get("error") or ((item.get("response") or {}).get("body") or {}).get("error")
    if isinstance(error, dict):
        return f"Batch API: {error.get('code') or ''} {error.get('message') or ''}".strip()
    return f"Batch API: {fallback}"
