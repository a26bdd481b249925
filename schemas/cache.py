"""Where the toolkit keeps its caches: one root for all of them.

``$MBTIKIT_CACHE`` when set, else ``$XDG_CACHE_HOME/mbtikit`` (an absolute path, as the XDG
base-directory spec asks), else ``~/.cache/mbtikit``. Each cache has its own place under it:
the LLM responses ``llm.sqlite``, the HTTP pages ``http/``, the embeddings ``embeddings/``.
The environment is read at each call (the LLM and HTTP option defaults call it when their
modules are imported: once per command).
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """The folder under which every mbtikit cache lives (not created here)."""
    if os.environ.get("MBTIKIT_CACHE"):
        return Path(os.environ["MBTIKIT_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "mbtikit"
    return Path.home() / ".cache" / "mbtikit"


def cache_path(*parts: str) -> Path:
    """``cache_root()`` joined with ``parts``, e.g. ``cache_path("http")``."""
    return cache_root().joinpath(*parts)
