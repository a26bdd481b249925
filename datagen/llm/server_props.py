"""What a server says about itself before the first request: how many requests it decodes at
once, where ``--concurrency auto``'s first run starts.

llama.cpp's server answers ``GET /props`` (beside ``/v1``) with ``total_slots``, its
``--parallel``: that many requests are decoded together, more wait in its queue. Starting the
window there skips the probe from :data:`~datagen.llm.window.INITIAL` that otherwise costs a
first run about one round trip of ``C - 4`` requests. Servers without the route (the OpenAI
API, vLLM, TGI, llama-cpp-python) answer 404 or something else: the window then starts at 4.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from datagen.llm.config import LLMConfig, resolve_api_key

PROPS_TIMEOUT = 2.0  # seconds for the one GET (a server that takes longer is left unasked)

log = logging.getLogger(__name__)


def props_url(base_url: str) -> str:
    """``http://host:8080/v1`` -> ``http://host:8080/props`` (a path prefix in front is kept)."""
    parts = urlsplit(base_url)
    path = parts.path.rstrip("/")
    path = path.removesuffix("/v1")
    return urlunsplit((parts.scheme, parts.netloc, f"{path}/props", "", ""))


async def reported_slots(config: LLMConfig) -> int | None:
    """The ``total_slots`` the server at ``--base-url`` reports, or ``None``: no base URL (the
    OpenAI API), no such route, an error or an answer without a positive integer there."""
    if not config.base_url:
        return None
    key = None if config.url_credentials else resolve_api_key(config)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    timeout = aiohttp.ClientTimeout(total=min(PROPS_TIMEOUT, config.timeout))
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(props_url(config.base_url), headers=headers) as response,
        ):
            if response.status != 200:
                return None
            props = await response.json(content_type=None)
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        return None
    slots = props.get("total_slots") if isinstance(props, dict) else None
    if type(slots) is not int or slots < 1:
        return None
    log.debug("the server reports %d parallel slots: --concurrency auto starts there", slots)
    return slots
