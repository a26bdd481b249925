"""Sending requests: our own retries, concurrency and rate limits around the chat transport
(:mod:`datagen.llm.transport`, plain aiohttp) and the async openai client (files, batches).

The openai client runs on its aiohttp transport (``openai[aiohttp]``), or httpx for a base URL
with ``user:password``; errors, auth and timeouts are openai's on both paths.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp
import httpx2
import openai

from datagen.llm.cache import LLMResponse, MalformedResponse
from datagen.llm.config import LLMConfig, public_url, resolve_api_key
from datagen.llm.limits import RateLimiter, backoff_delay, retry_after
from datagen.llm.tokens import estimate_prompt_tokens
from datagen.llm.transport import ChatTransport
from datagen.llm.usage import Usage
from datagen.llm.window import Window
from schemas.errors import InputError
from schemas.manifest import redact

T = TypeVar("T")
RETRYABLE_STATUS = {408, 409, 429}
QUOTA_CODE = "insufficient_quota"
MAX_SERVER_WAIT = 600.0


class RequestFailed(Exception):
    """A request that still failed after every retry (recorded as a failure of its row)."""

    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


class ChatClient:
    """``openai.AsyncOpenAI`` (its own retries off) plus ours: backoff with jitter on 429, 5xx,
    timeouts and connection errors, ``Retry-After`` / ``x-ratelimit-*`` honoured, ``concurrency``
    requests in flight at most (``auto``: a :class:`~datagen.llm.window.Window` found while
    running, from ``window_start`` when given: where the last run against the server ended, or
    the slots it reports)
    and the RPM/TPM limiter. Non-retryable 4xx answers, an empty account (429
    ``insufficient_quota``) and ``x-should-retry: false`` raise :class:`InputError` at once; so
    does a server never reached after all retries."""

    def __init__(
        self,
        config: LLMConfig,
        body: dict,
        usage: Usage,
        window_start: int | None = None,
        endpoint: str = "chat",
    ) -> None:
        self.config = config
        self.body = body
        self.usage = usage
        self._key = resolve_api_key(config)
        most = config.connections
        connections = httpx2.Limits(max_connections=most, max_keepalive_connections=most)
        # aiohttp refuses a URL with user:password beside openai's Authorization header; httpx
        # sends the URL's credentials instead, so such URLs keep the httpx transport.
        transport = (
            openai.DefaultAsyncHttpxClient
            if config.url_credentials
            else openai.DefaultAioHttpClient
        )
        self._api = openai.AsyncOpenAI(
            api_key=self._key,
            base_url=config.base_url,
            timeout=config.timeout,
            max_retries=0,
            http_client=transport(limits=connections),
        )
        self._completions = endpoint == "completions"
        path = "/completions" if self._completions else "/chat/completions"
        self._chat = ChatTransport(self._api, self._key, config.timeout, most, path)
        self.limiter = RateLimiter(config.rpm, config.tpm)
        # --concurrency auto: chat requests are timed and move the window (the Batch API's
        # few file and batch calls only take a slot)
        self.window = (
            Window(config.max_concurrency, timeout=config.timeout, remembered=window_start)
            if config.auto_concurrency and not config.batch_api
            else None
        )
        self._slots = self.window or asyncio.Semaphore(most)
        self._completion_budget = config.max_tokens or 256
        self._stopped: InputError | None = None

    async def complete(self, messages: list[dict]) -> LLMResponse:
        """One chat completion, or a text completion whose request fields are ``messages[0]``
        (no cache here: the runner looks there first)."""
        tokens = estimate_prompt_tokens(messages) + self._completion_budget
        if self._completions:
            body = {"model": self.config.model, **self.body, **messages[0]}
        else:
            body = {"model": self.config.model, "messages": messages, **self.body}

        response, headers = await self.call(
            lambda api: self._chat.post(body), tokens=tokens, measure=self.window is not None
        )
        self.limiter.observe(headers)
        self.limiter.settle(tokens, response.prompt_tokens + response.completion_tokens)
        self.usage.add_tokens(response.prompt_tokens, response.completion_tokens)
        return response

    async def call(
        self,
        send: Callable[[openai.AsyncOpenAI], Awaitable[T]],
        *,
        tokens: int = 0,
        measure: bool = False,
    ) -> T:
        """Run ``send(client)`` under the concurrency and rate limits, retrying transient
        errors; ``measure``: its latency and errors move the ``auto`` window."""
        connection_failed = False
        reason = ""
        retries = self.config.max_retries
        for retry in range(retries + 1):
            wait = None
            try:
                async with self._slots:
                    await self.limiter.acquire(tokens)
                    if self._stopped is not None:  # another request hit a final error
                        raise self._stopped
                    if not measure:
                        return await send(self._api)
                    return await self._measured(send)
            except openai.APIStatusError as err:
                status = err.status_code
                if (status not in RETRYABLE_STATUS and status < 500) or _final(err):
                    self._stopped = self._rejected(err)
                    raise self._stopped from None
                reason = f"HTTP {status}: {self._scrub(_server_message(err))}"
                wait = retry_after(err.response.headers)
                if wait is not None:
                    wait = min(wait, MAX_SERVER_WAIT)
                    if status == 429:
                        self.limiter.pause(wait)
                connection_failed = False
            except openai.APIConnectionError as err:  # timeouts included
                connection_failed = not _timed_out(err)
                if connection_failed:
                    reason = f"connection error: {self._scrub(_root_cause(err))}"
                else:
                    reason = f"timed out after {self.config.timeout:g} s"
            except (openai.APIResponseValidationError, MalformedResponse) as err:
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

    async def _measured(self, send: Callable[[openai.AsyncOpenAI], Awaitable[T]]) -> T:
        """``send`` timed for the window: an answer, an overload (timeout, dropped connection,
        408/409/429/5xx) or neither (a rejected or malformed request)."""
        window = self.window
        assert window is not None
        ticket = window.start()
        try:
            result = await send(self._api)
        except openai.APIStatusError as err:
            overloaded = err.status_code in RETRYABLE_STATUS or err.status_code >= 500
            window.finish(ticket, False if overloaded else None)
            raise
        except openai.APIConnectionError:
            window.finish(ticket, False)
            raise
        except BaseException:
            window.finish(ticket, None)
            raise
        window.finish(ticket, True)
        return result

    def report(self, usage: Usage) -> None:
        """The ``auto`` window into ``usage`` (its start, final and largest size, cuts); nothing
        in fixed mode."""
        if self.window is not None:
            usage.window_start = self.window.started
            usage.window_final = self.window.size
            usage.window_max = self.window.largest
            usage.window_cuts = self.window.cuts

    def _rejected(self, err: openai.APIStatusError) -> InputError:
        status = err.status_code
        message = self._scrub(_server_message(err))
        url = public_url(self.config.base_url)
        if err.code == QUOTA_CODE:
            text = (
                f"the account behind ${self.config.api_key_env} has no quota left at {url} "
                "(insufficient_quota): add credit or use another key"
            )
        elif _no_retry_header(err):
            text = f"the LLM server at {url} answered x-should-retry: false; not retrying"
        elif status == 401:
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
        await self._chat.close()
        await self._api.close()


def _final(err: openai.APIStatusError) -> bool:
    """An error no retry can fix: an empty account, the server's ``x-should-retry: false``, or
    a request body the server could not validate: llama-cpp-python's server answers
    ``response_format: json_schema`` with a 500 naming it, which no retry changes."""
    if err.code == QUOTA_CODE or _no_retry_header(err):
        return True
    message = _server_message(err)
    return "validation error" in message and "response_format" in message


def _no_retry_header(err: openai.APIStatusError) -> bool:
    return err.response.headers.get("x-should-retry") == "false"


def _timed_out(err: openai.APIConnectionError) -> bool:
    """Whether the request timed out (rather than failing to connect or losing its connection).

    openai's aiohttp transport reports every ``aiohttp.ClientConnectionError`` (refused,
    dropped) as a connect timeout, so the original exception decides."""
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, TimeoutError):
            return True
        if isinstance(cause, aiohttp.ClientConnectionError):
            return False
        cause = cause.__cause__
    return isinstance(err, openai.APITimeoutError)


def _root_cause(err: BaseException) -> str:
    while err.__cause__ is not None:
        err = err.__cause__
    return str(err) or type(err).__name__


def _server_message(err: openai.APIStatusError) -> str:
    body = err.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return err.message
