"""Sentence embeddings with a sentence-transformers bi-encoder (default: the bundled MiniLM),
optionally read from / written to the between-runs cache (:mod:`augment.search.embed_cache`)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from schemas.models import resolve_model


def cpu_has_native_bf16() -> bool:
    """True when the CPU multiplies bf16 natively (AVX512_BF16 or AMX); elsewhere PyTorch
    emulates it and bf16 encodes 2-6x slower than fp32 (measured on an AVX2-only EPYC)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


@lru_cache(maxsize=4)
def load_embedder(name_or_path: str | None = None, device: str | None = None):
    """Load a ``SentenceTransformer`` once per (model, device); bf16 weights on CUDA and on
    CPUs with native bf16, fp32 elsewhere."""
    import torch

    from train.engine.sentence_fit import load_bi_encoder

    model = load_bi_encoder(name_or_path, device=device)
    if model.device.type == "cuda" or (model.device.type == "cpu" and cpu_has_native_bf16()):
        model = model.to(torch.bfloat16)
    return model


def token_length_order(texts: Sequence[str], model, chunk: int = 10_000) -> np.ndarray:
    """Row indices, longest first by token count (truncated at the model's maximum); texts
    are tokenised ``chunk`` at a time so that only their lengths stay in memory."""
    lengths = np.zeros(len(texts), dtype=np.int32)
    for start in range(0, len(texts), chunk):
        ids = model.tokenizer(
            list(texts[start : start + chunk]),
            truncation=True,
            max_length=model.max_seq_length,
            verbose=False,
        )["input_ids"]
        lengths[start : start + len(ids)] = [len(row) for row in ids]
    return np.argsort(-lengths, kind="stable")


def embed(
    texts: Sequence[str],
    model=None,
    *,
    batch_size: int = 32,
    show_progress: bool = False,
) -> np.ndarray:
    """L2-normalised float32 embeddings, shape ``(len(texts), dim)``.

    Batches are formed by token count, not by ``SentenceTransformer.encode``'s character
    count: posts with URLs and emoji have very different token counts at one character
    count, and padding to the longest in a batch cost 20-36 % of the throughput on Kaggle
    MBTI posts (same embeddings, cosine 1.0).
    """
    from tqdm.auto import tqdm

    model = model if model is not None else load_embedder()
    out = np.zeros((len(texts), model.get_embedding_dimension()), dtype=np.float32)
    if len(texts) == 0:
        return out
    order = token_length_order(texts, model)
    with tqdm(total=len(texts), desc="Encoding", unit="text", disable=not show_progress) as bar:
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = model.encode(
                [texts[i] for i in rows],
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            bar.update(len(rows))
    return out


def embed_cached(
    texts: Sequence[str],
    name_or_path: str | None,
    *,
    batch_size: int = 32,
    cache: bool = True,
    show_progress: bool = False,
) -> np.ndarray:
    """:func:`embed` with the model loaded by name; rows reused from the cache when ``cache``."""
    from augment.search.embed_cache import EmbeddingCache

    model = load_embedder(name_or_path)

    def encode(batch: Sequence[str]) -> np.ndarray:
        return embed(batch, model, batch_size=batch_size, show_progress=show_progress)

    if not cache or not texts:
        return encode(texts)
    return EmbeddingCache(resolve_model(name_or_path)).embed(texts, encode)
