"""Sentence embeddings with a sentence-transformers bi-encoder (default: the bundled MiniLM)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from schemas.models import resolve_model
from schemas.text import near_duplicate_mask  # noqa: F401 - augment.selection imports it here


@lru_cache(maxsize=4)
def load_embedder(name_or_path: str | None = None, device: str | None = None):
    """Load a ``SentenceTransformer`` once per (model, device); bf16 weights on CUDA."""
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(resolve_model(name_or_path), device=device)
    if model.device.type == "cuda":
        model = model.to(torch.bfloat16)
    return model


def embed(
    texts: Sequence[str],
    model=None,
    *,
    batch_size: int = 128,
    show_progress: bool = False,
) -> np.ndarray:
    """L2-normalised float32 embeddings, shape ``(len(texts), dim)``.

    ``SentenceTransformer.encode`` already sorts by length (dynamic padding per batch).
    """
    model = model if model is not None else load_embedder()
    if len(texts) == 0:
        return np.zeros((0, model.get_embedding_dimension()), dtype=np.float32)
    emb = model.encode(
        list(texts),
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=show_progress,
    )
    return emb.astype(np.float32, copy=False)
