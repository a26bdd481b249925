"""How to reach the LLM and how hard to push it: one options dataclass shared by every LLM
command (a :func:`~schemas.options.group` field, its flags under the "LLM" help panel)."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from datagen.llm.pricing import load_prices
from schemas.cache import cache_path
from schemas.errors import InputError
from schemas.options import option

RESPONSE_FORMATS: tuple[str, ...] = ("json_schema", "json_object", "none")
AUTO = "auto"
DEFAULT_CONCURRENCY = 8
DEFAULT_CACHE = cache_path("llm.sqlite")
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

    options_panel = "LLM"

    model: str = option("gpt-4o-mini", help="Model name sent to the server.")
    base_url: str | None = option(
        None,
        help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1 (vLLM, Ollama, "
        "llama.cpp). Default: OpenAI.",
    )
    api_key_env: str = option(
        "OPENAI_API_KEY",
        help="Environment variable holding the API key (not needed for a --base-url on localhost).",
    )
    response_format: str = option(
        "json_schema",
        help="How the JSON schema is sent: json_schema (OpenAI, vLLM), json_object (llama.cpp "
        "server) or none (prompt only).",
    )
    temperature: float | None = option(
        None, help="Sampling temperature (default: the server's).", ge=0
    )
    max_tokens: int | None = option(
        None, help="Answer length limit in tokens (default: the server's).", ge=1
    )
    concurrency: int | str = option(
        DEFAULT_CONCURRENCY,
        cli_type=str,
        help=f"Requests in flight at once (default {DEFAULT_CONCURRENCY}), or 'auto': found while "
        "running, growing while the latency holds and cut when it rises or the server errs "
        "(for vLLM, llama.cpp, TGI: servers that slow down rather than answer 429), up to "
        "--max-concurrency; it starts where the last run against the same server and model "
        "ended (kept in the cache), else at the parallel slots the server reports (llama.cpp's "
        "/props), else at 4.",
    )
    max_concurrency: int = option(
        256, help="Most requests in flight with --concurrency auto.", ge=1
    )
    rpm: int | None = option(None, help="Requests-per-minute limit.", ge=1)
    tpm: int | None = option(None, help="Tokens-per-minute limit.", ge=1)
    timeout: float = option(60.0, help="Seconds per request before it is retried.", gt=0)
    max_retries: int = option(6, help="Retries on 429/5xx/timeouts/connection errors.", ge=0)
    max_validation_retries: int = option(
        2,
        help="Follow-ups after an invalid answer before the row is recorded as a failure.",
        ge=0,
    )
    cache_path: Path = option(
        DEFAULT_CACHE,
        flag="--cache-file",
        help="SQLite response cache (resumes killed runs).",
    )
    use_cache: bool = option(
        True,
        flag="--cache/--no-cache",
        aliases=("--use-cache",),
        help="--no-cache: neither read nor write the response cache.",
    )
    logprobs: bool = option(False, cli=False, help="Ask for token logprobs.")
    top_logprobs: int | None = option(None, cli=False, help="Alternatives per logprob token.", ge=1)
    batch_api: bool = option(
        False, flag="--batch-api", help="Send through the OpenAI Batch API (half price, slow)."
    )
    dry_run: bool = option(
        False, flag="--dry-run", help="Print requests, estimated tokens and cost; send nothing."
    )
    prices: dict[str, dict[str, float]] = option(
        default_factory=dict,
        cli_type=Path,
        help='JSON price table {"model": {"input": usd_per_1M, "output": usd_per_1M}} '
        "overriding the built-in one.",
    )
    backoff_base: float = option(0.5, cli=False, help="First retry delay, seconds.", ge=0)
    backoff_max: float = option(30.0, cli=False, help="Longest retry delay, seconds.", ge=0)
    batch_poll_interval: float = option(10.0, help="First Batch API poll, seconds.", gt=0)
    batch_max_rounds: int = option(3, cli=False, help="Batch API rounds before giving up.", ge=1)

    def __post_init__(self) -> None:
        if self.response_format not in RESPONSE_FORMATS:
            raise InputError(
                f"unknown response format '{self.response_format}' "
                f"(choose from {', '.join(RESPONSE_FORMATS)})",
                field="--response-format",
            )
        self.concurrency = _concurrency(self.concurrency)
        for name in ("concurrency", "max_concurrency", "rpm", "tpm", "max_tokens", "top_logprobs"):
            value = getattr(self, name)
            if value is not None and value != AUTO and value < 1:
                raise InputError(f"must be at least 1, got {value}", field=f"--{_opt(name)}")
        if self.timeout <= 0:
            raise InputError(f"must be positive, got {self.timeout}", field="--timeout")
        for name in ("max_retries", "max_validation_retries"):
            if getattr(self, name) < 0:
                raise InputError("must not be negative", field=f"--{_opt(name)}")
        self.cache_path = Path(self.cache_path).expanduser()
        if self.prices is None or isinstance(self.prices, (str, Path)):  # --prices FILE
            self.prices = load_prices(Path(self.prices)) if self.prices else {}

    @property
    def auto_concurrency(self) -> bool:
        """``--concurrency auto``: the window is found while running (:mod:`datagen.llm.window`)."""
        return self.concurrency == AUTO

    @property
    def connections(self) -> int:
        """The most requests ever in flight: ``--concurrency``, or ``--max-concurrency`` with
        ``auto``."""
        return self.max_concurrency if self.concurrency == AUTO else int(self.concurrency)

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

    @property
    def url_credentials(self) -> bool:
        """The base URL carries ``user:password``: those authenticate instead of the key
        (aiohttp refuses a URL's credentials beside a bearer header)."""
        return bool(self.base_url and urlsplit(self.base_url).username)

    def endpoint(self) -> str:
        """The server answering (base URL without credentials): part of every cache key."""
        return public_url(self.base_url).rstrip("/")


def public_url(url: str | None) -> str:
    """The base URL without any user:password part (safe to print)."""
    if not url:
        return "https://api.openai.com/v1"
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


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


def _concurrency(value: int | str | None) -> int | str:
    """``--concurrency``: a number or ``auto`` (the flag arrives as text, a config file may hold
    either; absent: the default)."""
    if value is None:
        return DEFAULT_CONCURRENCY
    if isinstance(value, str):
        text = value.strip().lower()
        if text == AUTO:
            return AUTO
        try:
            return int(text)
        except ValueError:
            raise InputError(
                f"must be a number or '{AUTO}', got {value!r}", field="--concurrency"
            ) from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"must be a number or '{AUTO}', got {value!r}", field="--concurrency")
    return value


def _opt(name: str) -> str:
    return name.replace("_", "-")
