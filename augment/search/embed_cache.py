"""Embeddings kept between runs: one folder per bi-encoder, rows keyed by a hash of the text.

The cache lives under ``$MBTIKIT_CACHE`` (default ``$XDG_CACHE_HOME/mbtikit`` or
``~/.cache/mbtikit``) and never inside an input folder. Each run that encodes new texts adds one
``.npz`` shard (keys + float32 rows); lookups read every shard's keys.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from schemas.cache import cache_path


def default_cache_dir() -> Path:
    return cache_path("embeddings")


def text_key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


class EmbeddingCache:
    """Text -> embedding rows of one model (``model_id``: its resolved name or path, with the
    precision it encodes in: :meth:`model_key`)."""

    @staticmethod
    def model_key(model: str, precision: str) -> str:
        """The ``model_id`` of ``model`` encoding in ``precision`` (fp32, bf16, fp16, int8):
        embeddings of one precision are never served for another (the rows cached before
        precisions were told apart, bf16 or fp32 by the CPU, are not read)."""
        return f"{model}\n{precision}"

    def __init__(self, model_id: str, root: Path | None = None) -> None:
        digest = hashlib.sha1(model_id.encode("utf-8")).hexdigest()[:16]
        self.dir = (root or default_cache_dir()) / digest

    def _load(self) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        for shard in sorted(self.dir.glob("*.npz")):
            try:
                with np.load(shard) as data:
                    keys, emb = data["keys"], data["emb"]
            except (OSError, ValueError, KeyError):
                continue  # a shard being written by another run, or damaged: encode again
            found.update(zip((bytes(k) for k in keys), emb, strict=True))
        return found

    def embed(self, texts: Sequence[str], encode: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """Rows for ``texts``: cached ones read, the rest encoded with ``encode`` and stored."""
        keys = [text_key(t) for t in texts]
        known = self._load() if self.dir.is_dir() else {}
        missing = list(dict.fromkeys(k for k in keys if k not in known))
        if missing:
            first = {k: t for k, t in zip(keys, texts, strict=True) if k not in known}
            new = encode([first[k] for k in missing])
            self._store(missing, new)
            known.update(zip(missing, new, strict=True))
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([known[k] for k in keys]).astype(np.float32, copy=False)

    def _store(self, keys: list[bytes], emb: np.ndarray) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f".{uuid.uuid4().hex}.tmp.npz"
        np.savez(tmp, keys=np.array(keys, dtype="S20"), emb=emb.astype(np.float32))
        tmp.replace(self.dir / f"{uuid.uuid4().hex}.npz")
