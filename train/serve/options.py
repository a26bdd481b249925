"""``train serve``'s options (one dataclass: the CLI and the app read the same fields)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from schemas.console import ConsoleOptions
from schemas.errors import InputError
from schemas.http import ServerOptions
from schemas.options import group, option
from train.engine.encoding import EncodeOptions


@dataclass
class ServeOptions(ConsoleOptions):
    run: Path = option(
        help="A train run or phase-3 model directory, or a sentence-transformers model "
        "(similarity only).",
        argument=True,
    )
    embedder: str | None = option(
        None,
        help="A sentence-transformers model for /similarity next to a classifier "
        "(e.g. bundled:all-MiniLM-L6-v2).",
    )
    device: str | None = option(None, help="cpu or cuda (default: cuda when available).")
    max_texts: int = option(64, help="At most this many texts per request (413 above).", ge=1)
    max_chars: int = option(2000, help="At most this many characters per text (413 above).", ge=1)
    batch_size: int = option(32, help="Texts per forward pass.", ge=1)
    batch_wait_ms: float = option(
        5.0, help="How long a batch waits for concurrent requests to join it.", ge=0
    )
    api_key: str | None = option(
        None,
        help="Require `Authorization: Bearer KEY` on every API route (401 without it); the page "
        "asks for the key or takes it from /?key=KEY. Default: the MBTIKIT_API_KEY environment "
        "variable (better than the command line, which other users of the machine can see).",
        panel="Server",
    )
    server: ServerOptions = group(ServerOptions, panel="Server")
    encoding: EncodeOptions = group(EncodeOptions, panel="Encoding")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.api_key is None:
            self.api_key = os.environ.get("MBTIKIT_API_KEY") or None
        if self.api_key is not None:
            if not self.api_key.strip() or any(c.isspace() for c in self.api_key):
                raise InputError("must be a non-empty key without spaces", field="--api-key")
            self.api_key = ApiKey(self.api_key)
        self.encoding.require_one_process()


class ApiKey(str):
    """The API key: itself as a string, ``'***'`` in a repr (a log line or a traceback)."""

    def __repr__(self) -> str:
        return "'***'"
