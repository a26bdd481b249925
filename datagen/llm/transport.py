"""Chat completions over one plain aiohttp session: the hot path of every online run.

openai's client builds an httpx request, an options model and the headers for every call; at
64 requests in flight on 2 cores that per-request CPU is what separated the runner from a bare
aiohttp loop (bench/llm_throughput.py). Here URL and headers are built once and a request is one
aiohttp POST of JSON bytes. Failures come out as openai's exception types (the status errors
made by the openai client itself from the response), so :class:`~datagen.llm.client.ChatClient`
retries and reports them exactly as before. Files and batches still go through openai.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

import aiohttp
import httpx2
import openai

from datagen.llm.cache import LLMResponse
from datagen.llm.config import public_url


class ChatTransport:
    """POST ``/chat/completions`` (or ``path``) under ``api``'s base URL with its headers and
    ``key``.

    A base URL with ``user:password`` sends those as Basic auth instead of the key (as httpx
    does), never in the URL.
    """

    def __init__(
        self,
        api: openai.AsyncOpenAI,
        key: str,
        timeout: float,
        connections: int,
        path: str = "/chat/completions",
    ) -> None:
        self._api = api
        url = str(api.base_url).rstrip("/") + path
        headers = {k: v for k, v in api.default_headers.items() if isinstance(v, str)}
        headers["Authorization"] = f"Bearer {key}"
        parts = urlsplit(url)
        if parts.username:
            user, password = unquote(parts.username), unquote(parts.password or "")
            headers["Authorization"] = aiohttp.encode_basic_auth(user, password)
            url = public_url(url)
        self._url, self._headers = url, headers
        self._request = httpx2.Request("POST", url)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    async def post(self, body: dict) -> tuple[LLMResponse, Mapping[str, str]]:
        """The answer and the response headers; openai's errors on failure."""
        if self._session is None:  # created inside the running event loop
            connector = aiohttp.TCPConnector(limit=self._connections)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        try:
            async with self._session.post(self._url, data=data, headers=self._headers) as resp:
                raw = await resp.read()
                status, headers = resp.status, resp.headers
        except TimeoutError as err:
            raise openai.APITimeoutError(request=self._request) from err
        except aiohttp.ClientError as err:
            raise openai.APIConnectionError(request=self._request) from err
        if not 200 <= status < 300:
            response = httpx2.Response(
                status, headers=list(headers.items()), content=raw, request=self._request
            )
            raise self._api._make_status_error_from_response(response)
        return LLMResponse.from_completion(raw), headers

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
