"""Sending requests: the async openai client with our own retries, concurrency and rate limits."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
import openai

from datagen.llm.cache import LLMResponse
from datagen.llm.config import LLMConfig, resolve_api_key
from datagen.llm.limits import RateLimiter, backoff_delay, retry_after
from datagen.llm.tokens import estimate_prompt_tokens
from datagen.llm.usage import Usage
from schemas.errors import InputError
from schemas.manifest import redact

T = TypeVar("T")
RETRYABLE_STATUS = {408, 409, 429}
MAX_SERVER_WAIT = 600.0
# httpcore's connection pool does O(connections^2) work per request: at 64 connections that
# costs ~8 ms of CPU per request. Each openai client gets at most this many connections.
CONNECTIONS_PER_CLIENT = 8


class RequestFailed(Exception):
    """A request that still failed after every retry (recorded as a failure of its row)."""

    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


def public_url(url: str | None) -> str:
    """The base URL without any user:password part (safe to print)."""
    if not url:
        return "https://api.openai.com/v1"
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class ChatClient:
    """``openai.AsyncOpenAI`` (its own retries off) plus ours: backoff with jitter on 429, 5xx,
    timeouts and connection errors, ``Retry-After`` / ``x-ratelimit-*`` honoured, ``concurrency``
    requests in flight at most and the RPM/TPM limiter. Non-retryable 4xx answers raise
    :class:`InputError` at once; so does a server never reached after all retries.

    In-flight slots are numbered; slot ``i`` uses client ``i // CONNECTIONS_PER_CLIENT``, so
    every client's connection pool stays small."""

    def __init__(self, config: LLMConfig, body: dict, usage: Usage) -> None:
        self.config = config
        self.body = body
        self.usage = usage
        self._key = resolve_api_key(config)
        n_clients = -(-config.concurrency // CONNECTIONS_PER_CLIENT)
        self._clients = [self._new_client() for _ in range(n_clients)]
        self.limiter = RateLimiter(config.rpm, config.tpm)
        self._slots: asyncio.Queue[int] = asyncio.Queue()
        for slot in range(config.concurrency):
            self._slots.put_nowait(slot)
        self._completion_budget = config.max_tokens or 256

    def _new_client(self) -> openai.AsyncOpenAI:
        limits = httpx.Limits(
            max_connections=CONNECTIONS_PER_CLIENT,
            max_keepalive_connections=CONNECTIONS_PER_CLIENT,
        )
        return openai.AsyncOpenAI(
            api_key=self._key,
            base_url=self.config.base_url,
            timeout=self.config.timeout,
            max_retries=0,
            http_client=openai.DefaultAsyncHttpxClient(limits=limits),
        )

    async def complete(self, messages: list[dict]) -> LLMResponse:
        """One chat completion (no cache here: the runner looks there first)."""
        tokens = estimate_prompt_tokens(messages) + self._completion_budget

        async def send(api: openai.AsyncOpenAI):
            raw = await api.chat.completions.with_raw_response.create(
                model=self.config.model, messages=messages, **self.body
            )
            return raw.parse(), raw.headers

        completion, headers = await self.call(send, tokens=tokens)
        self.limiter.observe(headers)
        usage = completion.usage
        prompt_tokens = usage.prompt_tokens if usage else 0
        completion_tokens = usage.completion_tokens if usage else 0
        self.limiter.settle(tokens, prompt_tokens + completion_tokens)
        self.usage.add_tokens(prompt_tokens, completion_tokens)
        choice = completion.choices[0] if completion.choices else None
        logprobs = None
        if choice is not None and choice.logprobs is not None and choice.logprobs.content:
            logprobs = [t.model_dump(exclude_none=True) for t in choice.logprobs.content]
        content = choice.message.content if choice is not None else None
        return LLMResponse(content, logprobs, prompt_tokens, completion_tokens)

    async def call(
        self, send: Callable[[openai.AsyncOpenAI], Awaitable[T]], *, tokens: int = 0
    ) -> T:
        """Run ``send(client)`` under the concurrency and rate limits, retrying transient
        errors."""
        connection_failed = False
        reason = ""
        retries = self.config.max_retries
        for retry in range(retries + 1):
            wait = None
            try:
                slot = await self._slots.get()
                try:
                    await self.limiter.acquire(tokens)
                    return await send(self._clients[slot // CONNECTIONS_PER_CLIENT])
                finally:
                    self._slots.put_nowait(slot)
            except openai.APIStatusError as err:
                status = err.status_code
                if status not in RETRYABLE_STATUS and status < 500:
                    raise self._rejected(err) from None
                reason = f"HTTP {status}: {self._scrub(_server_message(err))}"
                wait = retry_after(err.response.headers)
                if wait is not None:
                    wait = min(wait, MAX_SERVER_WAIT)
                    if status == 429:
                        self.limiter.pause(wait)
                connection_failed = False
            except openai.APITimeoutError:
                reason = f"timed out after {self.config.timeout:g} s"
                connection_failed = False
            except openai.APIConnectionError as err:
                reason = f"connection error: {self._scrub(str(err.__cause__ or err))}"
                connection_failed = True
            except openai.APIResponseValidationError as err:
                reason = f"malformed response from the server: {self._scrub(str(err))}"
            if retry == retries:
                break
            self.usage.retries += 1
            if wait is None:
                wait = backoff_delay(retry, self.config.backoff_base, self.config.backoff_max)
            await asyncio.sleep(wait)
        if connection_failed and self.usage.requests == 0:
            raise InputError(
                f"cannot reach the LLM server at {public_url(self.config.base_url)} "
                f"after {retries + 1} attempts ({reason})",
                field="--base-url",
            )
        raise RequestFailed(f"{reason} (after {retries + 1} attempts)", retries + 1)

    def _rejected(self, err: openai.APIStatusError) -> InputError:
        status = err.status_code
        message = self._scrub(_server_message(err))
        url = public_url(self.config.base_url)
        if status == 401:
            text = f"the LLM server at {url} refused the API key from ${self.config.api_key_env}"
        elif status == 403:
            text = f"the LLM server at {url} denied access"
        elif status == 404:
            text = f"not found at {url}: check --model '{self.config.model}' and --base-url"
        else:
            text = f"the LLM server at {url} rejected the request"
            if "response_format" in self.body:
                text += (
                    f" (if it does not support --response-format {self.config.response_format},"
                    " try json_object or none)"
                )
        return InputError(f"{text} (HTTP {status}: {message})")

    def _scrub(self, text: str) -> str:
        """Error text with the API key (and anything that looks like one) removed, one line."""
        if self._key and len(self._key) >= 4:
            text = text.replace(self._key, "***")
        return " ".join(redact(text).split())[:300]

    async def close(self) -> None:
        for api in self._clients:
            await api.close()


def _server_message(err: openai.APIStatusError) -> str:
    body = err.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return err.message
