"""Which backend a generation command uses, and the one-line notice when it is the offline one."""

from __future__ import annotations

import sys

from datagen.llm.config import LLMConfig, has_api_key, resolve_api_key
from schemas.errors import InputError

BACKENDS = ("auto", "openai", "offline")
OFFLINE_NOTICE = "note: no API key and no --base-url: using the offline {what}, not an LLM"


def resolve_backend(name: str, config: LLMConfig, *, offline_what: str) -> str:
    """``openai`` or ``offline``. ``auto`` is ``openai`` when a key or ``--base-url`` is given,
    else ``offline`` (with a notice on stderr naming ``offline_what``). ``openai`` without a
    usable key is an error (except for ``--dry-run``, which sends nothing)."""
    choice = name.strip().lower()
    if choice not in BACKENDS:
        raise InputError(
            f"unknown backend {name!r} (choose from {', '.join(BACKENDS)})", field="--backend"
        )
    if choice == "auto":
        if config.base_url or has_api_key(config):
            choice = "openai"
        else:
            print(OFFLINE_NOTICE.format(what=offline_what), file=sys.stderr)
            return "offline"
    if choice == "openai" and not config.dry_run:
        resolve_api_key(config)
    return choice
