"""The :class:`Generator` protocol and the one factory that picks a backend for a stage.

Like Bespoke Curator's request-processor factory: the stage says how to build its
LLM generator (usually :func:`datagen.llm.llm_generator`: online, or the Batch API with
``--batch-api``) and its offline one; the factory decides which one runs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from datagen.llm import LLMConfig, RunResult
from datagen.llm.config import has_api_key, resolve_api_key
from schemas.errors import InputError

BACKENDS = ("auto", "openai", "offline")
OFFLINE_NOTICE = "note: no API key and no --base-url: using the offline {what}, not an LLM"


class Generator(Protocol):
    """Turns input rows into output records (and failures)."""

    backend: str  # the manifest's name for it
    model: str

    def estimate(self, rows: Sequence[dict[str, Any]]) -> str:
        """What :meth:`run` would send and cost (``--dry-run``); sends nothing."""

    def run(self, rows: Sequence[dict[str, Any]]) -> RunResult:
        """Records in input order, failures with their reasons, usage."""


G = TypeVar("G", bound=Generator)


def make_generator(
    name: str,
    config: LLMConfig,
    *,
    llm: Callable[[], G],
    offline: Callable[[], G],
    offline_what: str,
    no_batch_api: str | None = None,
) -> G:
    """The generator for ``--backend name``. ``auto`` is an LLM when a key or ``--base-url``
    is given, else ``offline()`` (with a notice on stderr naming ``offline_what``). ``openai``
    without a usable key is an error (except for ``--dry-run``, which sends nothing); so is
    ``--batch-api`` when the stage's mode cannot run through it (``no_batch_api``: why). Both
    builders give the stage's own kind of generator (``G``), which may tell more than
    :class:`Generator` (the masked stage's describe their runs)."""
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
            choice = "offline"
    if choice == "offline":
        return offline()
    if config.batch_api and no_batch_api:
        raise InputError(no_batch_api, field="--batch-api")
    if not config.dry_run:
        resolve_api_key(config)
    return llm()
