"""The LLM command-line options, shared by every command that talks to an LLM.

Decorate a typer command with :func:`llm_options`; it receives the parsed options as one
``llm: LLMConfig`` argument::

    @llm_options
    def command(base: Path, out: Path = typer.Option(...), *, llm: LLMConfig) -> None: ...
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from datagen.llm.config import DEFAULT_CACHE, LLMConfig
from datagen.llm.pricing import load_prices

PANEL = "LLM"


def _opt(*names: str, help: str, **kwargs: Any) -> Any:  # noqa: A002 - typer's name
    return typer.Option(*names, help=help, rich_help_panel=PANEL, **kwargs)


_OPTIONS: list[inspect.Parameter] = [
    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
    for name, annotation, default in [
        (
            "model",
            Annotated[str, _opt("--model", help="Model name sent to the server.")],
            "gpt-4o-mini",
        ),
        (
            "base_url",
            Annotated[
                str | None,
                _opt(
                    "--base-url",
                    help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1 "
                    "(vLLM, Ollama, llama.cpp). Default: OpenAI.",
                ),
            ],
            None,
        ),
        (
            "api_key_env",
            Annotated[
                str,
                _opt(
                    "--api-key-env",
                    help="Environment variable holding the API key (not needed for a "
                    "--base-url on localhost).",
                ),
            ],
            "OPENAI_API_KEY",
        ),
        (
            "response_format",
            Annotated[
                str,
                _opt(
                    "--response-format",
                    help="How the JSON schema is sent: json_schema (OpenAI, vLLM), "
                    "json_object (llama.cpp server) or none (prompt only).",
                ),
            ],
            "json_schema",
        ),
        (
            "temperature",
            Annotated[
                float | None,
                _opt("--temperature", help="Sampling temperature (default: the server's)."),
            ],
            None,
        ),
        (
            "max_tokens",
            Annotated[
                int | None,
                _opt("--max-tokens", help="Answer length limit in tokens (default: the server's)."),
            ],
            None,
        ),
        (
            "concurrency",
            Annotated[int, _opt("--concurrency", help="Requests in flight at once.")],
            8,
        ),
        ("rpm", Annotated[int | None, _opt("--rpm", help="Requests-per-minute limit.")], None),
        ("tpm", Annotated[int | None, _opt("--tpm", help="Tokens-per-minute limit.")], None),
        (
            "timeout",
            Annotated[float, _opt("--timeout", help="Seconds per request before it is retried.")],
            60.0,
        ),
        (
            "max_retries",
            Annotated[
                int, _opt("--max-retries", help="Retries on 429/5xx/timeouts/connection errors.")
            ],
            6,
        ),
        (
            "max_validation_retries",
            Annotated[
                int,
                _opt(
                    "--max-validation-retries",
                    help="Follow-ups after an invalid answer before the row "
                    "is recorded as a failure.",
                ),
            ],
            2,
        ),
        (
            "cache",
            Annotated[Path, _opt("--cache", help="SQLite response cache (resumes killed runs).")],
            DEFAULT_CACHE,
        ),
        (
            "no_cache",
            Annotated[bool, _opt("--no-cache", help="Neither read nor write the response cache.")],
            False,
        ),
        (
            "batch_api",
            Annotated[
                bool,
                _opt("--batch-api", help="Send through the OpenAI Batch API (half price, slow)."),
            ],
            False,
        ),
        (
            "dry_run",
            Annotated[
                bool,
                _opt("--dry-run", help="Print requests, estimated tokens and cost; send nothing."),
            ],
            False,
        ),
        (
            "prices",
            Annotated[
                Path | None,
                _opt(
                    "--prices",
                    help='JSON price table {"model": {"input": usd_per_1M, "output": '
                    "usd_per_1M}} overriding the built-in one.",
                ),
            ],
            None,
        ),
    ]
]
OPTION_NAMES = tuple(p.name for p in _OPTIONS)


def config_from_options(**options: Any) -> LLMConfig:
    """Build the :class:`LLMConfig` from the parsed option values (names as in ``_OPTIONS``)."""
    prices = load_prices(options.pop("prices")) if options.get("prices") else {}
    options.pop("prices", None)
    return LLMConfig(
        cache_path=options.pop("cache"),
        use_cache=not options.pop("no_cache"),
        prices=prices,
        **options,
    )


def llm_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the LLM options to a typer command, passed to it as ``llm: LLMConfig``."""
    signature = inspect.signature(command)
    own = [p for p in signature.parameters.values() if p.name != "llm"]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        values = {name: kwargs.pop(name) for name in OPTION_NAMES}
        return command(**kwargs, llm=config_from_options(**values))

    wrapper.__signature__ = signature.replace(parameters=[*own, *_OPTIONS])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {
        **{k: v for k, v in command.__annotations__.items() if k != "llm"},
        **{p.name: p.annotation for p in _OPTIONS},
    }
    return wrapper
