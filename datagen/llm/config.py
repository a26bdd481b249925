"""How to reach the LLM and how hard to push it: one dataclass shared by every LLM command."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from schemas.errors import InputError

ResponseFormat = Literal["json_schema", "json_object", "none"]
RESPONSE_FORMATS: tuple[str, ...] = ("json_schema", "json_object", "none")
DEFAULT_CACHE = Path("~/.cache/mbtikit/llm.sqlite")
LOCAL_PLACEHOLDER_KEY = "local-no-key"


@dataclass
class LLMConfig:
    """Everything the runner needs besides the task and the rows.

    ``temperature`` / ``max_tokens`` left at ``None`` are not sent (the server's default);
    ``max_tokens`` goes to OpenAI's API as ``max_completion_tokens``.
    ``prices`` overrides the price table: ``{model: {"input": usd_per_1m, "output": usd_per_1m}}``.
    ``backoff_base`` / ``backoff_max`` (seconds) shape the retry delays; ``batch_poll_interval``
    and ``batch_max_rounds`` the Batch API path.
    """

    model: str = "gpt-4o-mini"
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    response_format: ResponseFormat = "json_schema"
    temperature: float | None = None
    max_tokens: int | None = None
    concurrency: int = 8
    rpm: int | None = None
    tpm: int | None = None
    timeout: float = 60.0
    max_retries: int = 6
    max_validation_retries: int = 2
    cache_path: Path = DEFAULT_CACHE
    use_cache: bool = True
    logprobs: bool = False
    top_logprobs: int | None = None
    batch_api: bool = False
    dry_run: bool = False
    prices: dict[str, dict[str, float]] = field(default_factory=dict)
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    batch_poll_interval: float = 10.0
    batch_max_rounds: int = 3

    def __post_init__(self) -> None:
        if self.response_format not in RESPONSE_FORMATS:
            raise InputError(
                f"unknown response format '{self.response_format}' "
                f"(choose from {', '.join(RESPONSE_FORMATS)})",
                field="--response-format",
            )
        for name in ("concurrency", "rpm", "tpm", "max_tokens", "top_logprobs"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise InputError(f"must be at least 1, got {value}", field=f"--{_opt(name)}")
        if self.timeout <= 0:
            raise InputError(f"must be positive, got {self.timeout}", field="--timeout")
        for name in ("max_retries", "max_validation_retries"):
            if getattr(self, name) < 0:
                raise InputError("must not be negative", field=f"--{_opt(name)}")
        self.cache_path = Path(self.cache_path).expanduser()

    def request_params(self) -> dict:
        """Sampling parameters sent with every request (and part of every cache key)."""
        params: dict = {}
        if self.temperature is not None:
            params["temperature"] = self.temperature
        if self.max_tokens is not None:
            # OpenAI's reasoning models refuse max_tokens (its API deprecated it for chat);
            # llama.cpp's server and other OpenAI-compatible servers know only max_tokens.
            name = "max_completion_tokens" if is_openai_api(self.base_url) else "max_tokens"
            params[name] = self.max_tokens
        if self.logprobs:
            params["logprobs"] = True
            if self.top_logprobs is not None:
                params["top_logprobs"] = self.top_logprobs
        return params


def _hostname(url: str) -> str:
    return urlsplit(url if "//" in url else f"//{url}").hostname or ""


def is_openai_api(url: str | None) -> bool:
    """True for OpenAI's own API (no base URL, or one on api.openai.com)."""
    return not url or _hostname(url) == "api.openai.com"


def is_local_url(url: str | None) -> bool:
    """True for a base URL on this machine (localhost, 127.0.0.0/8, ::1, 0.0.0.0)."""
    if not url:
        return False
    host = _hostname(url)
    if host == "localhost":
        return True
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return False
    return addr.is_loopback or addr.is_unspecified


def has_api_key(config: LLMConfig) -> bool:
    """Whether the environment variable named by ``api_key_env`` holds a key."""
    return bool(os.environ.get(config.api_key_env, "").strip())


def resolve_api_key(config: LLMConfig) -> str:
    """The API key, read only from the env var ``config.api_key_env``.

    Rule: a key is required, except for a local server (``--base-url`` on localhost/127.x/::1),
    which gets a placeholder key when the variable is unset (local servers ignore it).
    """
    key = os.environ.get(config.api_key_env, "").strip()
    if key:
        return key
    if is_local_url(config.base_url):
        return LOCAL_PLACEHOLDER_KEY
    raise InputError(
        f"no API key: set the environment variable {config.api_key_env} "
        "(or name another one with --api-key-env), or use --backend offline",
        field="--api-key-env",
    )


def _opt(name: str) -> str:
    return name.replace("_", "-")
