"""The small JSON manifest written beside every output: what made it, from what, when."""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
import re
import sys
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

TRACKED_PACKAGES = (
    "mbtikit",
    "torch",
    "transformers",
    "sentence-transformers",
    "datasets",
    "openai",
    "pydantic",
    "scikit-learn",
)
_SECRET = re.compile(r"(sk-[A-Za-z0-9_\-]{8,}|(?i:bearer)\s+\S+)")


def redact(text: str) -> str:
    """Hide anything that looks like an API key."""
    return _SECRET.sub("***", text)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_path(path: str | Path) -> str:
    """Hash of a file, or of a directory's files (names and contents, sorted)."""
    path = Path(path)
    if path.is_file():
        return sha256_file(path)
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        if f.name == "manifest.json":
            continue
        h.update(str(f.relative_to(path)).encode())
        h.update(sha256_file(f).encode())
    return h.hexdigest()


def package_versions(names: Iterable[str] = TRACKED_PACKAGES) -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


class Manifest:
    """Collects a command's provenance; call :meth:`finish` to get the JSON-ready dict."""

    def __init__(self, command: str, *, inputs: Iterable[str | Path] = (), seed: int | None = None):
        self.started = time.time()
        self.data: dict[str, Any] = {
            "command": command,
            "argv": [redact(a) for a in sys.argv],
            "versions": package_versions(),
            "inputs": {str(p): sha256_path(p) for p in inputs if Path(p).exists()},
            "seed": seed,
            "started_at": _iso(self.started),
        }

    def add(self, **fields: Any) -> Manifest:
        self.data.update(fields)
        return self

    def finish(self, counts: Mapping[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        if counts is not None:
            self.data["counts"] = dict(counts)
        self.data.update(fields)
        now = time.time()
        self.data["finished_at"] = _iso(now)
        self.data["seconds"] = round(now - self.started, 3)
        return self.data


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds")
