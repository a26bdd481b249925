"""Sentence embeddings with a sentence-transformers bi-encoder (default: the bundled MiniLM),
optionally read from / written to the between-runs cache (:mod:`augment.search.embed_cache`)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from schemas.models import resolve_model


def embedder_for(
    name_or_path: str | None,
    precision: str,
    devices: Sequence[str] | None,
    backend: str = "auto",
) -> Any:
    """The bi-encoder that :func:`embed_cached` encodes with for these options (a torch model
    when ``devices`` spread the work over processes)."""
    from train.engine.encoding import pool_backend

    return load_embedder(name_or_path, None, precision, pool_backend(backend, devices))


@lru_cache(maxsize=4)
def load_embedder(
    name_or_path: str | None = None,
    device: str | None = None,
    precision: str = "auto",
    backend: str = "auto",
):
    """Load a bi-encoder once per (model, device, precision, backend): ``precision`` as
    ``--encode-precision`` takes it (:func:`train.engine.encoding.resolve_precision`; ``auto``:
    bf16 on CUDA and on CPUs with native bf16, else fp32, or int8 through ONNX Runtime on a CPU
    without OpenVINO); the resolved one is the model's ``encode_precision``, the runtime its
    ``encode_runtime`` (OpenVINO for fp32 and bf16 on a CPU where it is installed).
    ``backend`` as ``--encode-backend`` takes it (``torch``: a ``SentenceTransformer``, for
    ``embed(..., devices=...)``)."""
    from train.engine.encoding import load_encoder

    return load_encoder.__wrapped__(name_or_path, device, precision, backend)


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
    devices: Sequence[str] | None = None,
) -> np.ndarray:
    """L2-normalised float32 embeddings, shape ``(len(texts), dim)``; with ``devices`` (a
    ``SentenceTransformer`` ``model``), by one process per device (``--devices``).

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
    if devices:
        from train.engine.encoding import encode_in_processes

        out[order] = encode_in_processes(
            model, [texts[i] for i in order], list(devices), batch_size
        )
        return out
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
    precision: str = "auto",
    backend: str = "auto",
    devices: Sequence[str] | None = None,
) -> np.ndarray:
    """:func:`embed` with the model loaded by name in ``precision`` on ``backend`` (by one
    process per entry of ``devices`` when given); rows reused from the cache (kept per model
    and resolved precision and runtime) when ``cache``."""
    from augment.search.embed_cache import EmbeddingCache

    model = embedder_for(name_or_path, precision, devices, backend)

    def encode(batch: Sequence[str]) -> np.ndarray:
        return embed(
            batch, model, batch_size=batch_size, show_progress=show_progress, devices=devices
        )

    if not cache or not texts:
        return encode(texts)
    from train.engine.encoding import precision_label

    cache_id = EmbeddingCache.model_key(resolve_model(name_or_path), precision_label(model))
    return EmbeddingCache(cache_id).embed(texts, encode)
