"""Top-k semantic search over normalised embeddings: exact by default, FAISS when asked."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from schemas.errors import InputError

INDEXES = ("exact", "faiss")


@dataclass(frozen=True)
class Hits:
    """``ids[q, j]`` is the corpus row of query ``q``'s ``j``-th neighbour; -1 pads short rows."""

    ids: np.ndarray
    scores: np.ndarray


def semantic_search(
    queries: np.ndarray, corpus: np.ndarray, top_k: int = 10, *, index: str = "exact"
) -> Hits:
    """Cosine top-k neighbours of each query (rows are L2-normalised, so cosine = dot).

    ``exact`` uses :func:`sentence_transformers.util.semantic_search`; ``faiss`` an exact inner-
    product FAISS index (``IndexFlatIP``; install the optional extra ``mbtikit[faiss]``).
    """
    k = min(top_k, len(corpus))
    if len(queries) == 0 or k == 0:
        return Hits(np.zeros((len(queries), 0), np.int64), np.zeros((len(queries), 0), np.float32))
    if index == "faiss":
        return _faiss_search(queries, corpus, k)
    if index != "exact":
        raise InputError(f"unknown index {index!r} (use one of: {', '.join(INDEXES)})")
    import torch
    from sentence_transformers.util import dot_score
    from sentence_transformers.util import semantic_search as st_search

    device = "cuda" if torch.cuda.is_available() else "cpu"
    found = st_search(
        torch.from_numpy(np.ascontiguousarray(queries)).to(device),
        torch.from_numpy(np.ascontiguousarray(corpus)).to(device),
        top_k=k,
        query_chunk_size=1000,
        score_function=dot_score,
    )
    ids = np.full((len(queries), k), -1, dtype=np.int64)
    scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    for q, row in enumerate(found):
        ids[q, : len(row)] = [h["corpus_id"] for h in row]
        scores[q, : len(row)] = [h["score"] for h in row]
    return Hits(ids, scores)


def _faiss_search(queries: np.ndarray, corpus: np.ndarray, k: int) -> Hits:
    try:
        import faiss
    except ImportError:
        raise InputError(
            "--index faiss needs FAISS: install mbtikit[faiss] (pip install faiss-cpu)"
        ) from None
    idx = faiss.IndexFlatIP(corpus.shape[1])
    idx.add(np.ascontiguousarray(corpus, dtype=np.float32))
    scores, ids = idx.search(np.ascontiguousarray(queries, dtype=np.float32), k)
    return Hits(ids.astype(np.int64), scores.astype(np.float32))
