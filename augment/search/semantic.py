"""Top-k semantic search over normalised embeddings: exact by default, FAISS when asked.

``--index`` choices: ``exact`` (``sentence_transformers.util.semantic_search``), ``flat`` (exact
FAISS inner product), ``hnsw`` (approximate graph search) and ``ivf`` (approximate inverted
lists, trained on the corpus). The FAISS ones need the optional extra ``mbtikit[faiss]``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from schemas.errors import InputError

INDEXES = ("exact", "flat", "hnsw", "ivf")
ALIASES = {"faiss": "flat"}  # the old name of exact FAISS search, kept for old configs
INDEX_HELP = (
    "Search: 'exact' (default), or with mbtikit[faiss] 'flat' (exact FAISS), 'hnsw' or 'ivf' "
    "(approximate, for large pools)."
)
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
IVF_MIN_ROWS = 2_000  # below this, k-means has too few points per list: flat search instead
IVF_POINTS_PER_LIST = 39  # FAISS's own minimum of training points per centroid

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hits:
    """``ids[q, j]`` is the corpus row of query ``q``'s ``j``-th neighbour; -1 pads short rows."""

    ids: np.ndarray
    scores: np.ndarray


def check_index(index: str) -> str:
    """The canonical name of ``index`` (aliases resolved); :class:`InputError` if unknown."""
    name = ALIASES.get(index, index)
    if name not in INDEXES:
        raise InputError(f"--index must be one of {', '.join(INDEXES)}, got {index!r}")
    return name


def semantic_search(
    queries: np.ndarray,
    corpus: np.ndarray,
    top_k: int = 10,
    *,
    index: str = "exact",
    seed: int = 0,
) -> Hits:
    """Cosine top-k neighbours of each query (rows are L2-normalised, so cosine = dot).

    ``seed`` seeds the k-means of ``ivf``; the other indexes are deterministic without it.
    """
    index = check_index(index)
    k = min(top_k, len(corpus))
    if len(queries) == 0 or k == 0:
        return Hits(np.zeros((len(queries), 0), np.int64), np.zeros((len(queries), 0), np.float32))
    if index != "exact":
        return _faiss_search(queries, corpus, k, index, seed)
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


def ivf_lists(n: int) -> tuple[int, int]:
    """(nlist, nprobe) for ``n`` corpus rows: about 4 sqrt(n) lists with at least 39 training
    points each, and 1/5 of them (at least 8) probed per query: on 18,000 MiniLM embeddings
    (461 lists) 1/16 probed gave recall@10 0.85, 1/5 gave 0.95 (``bench/embed_search.py``)."""
    nlist = max(1, min(round(4 * math.sqrt(n)), n // IVF_POINTS_PER_LIST))
    return nlist, min(nlist, max(8, nlist // 5))


def _faiss_search(queries: np.ndarray, corpus: np.ndarray, k: int, index: str, seed: int) -> Hits:
    try:
        import faiss
    except ImportError:
        raise InputError(
            f"--index {index} needs FAISS: install mbtikit[faiss] (pip install faiss-cpu)"
        ) from None
    corpus = np.ascontiguousarray(corpus, dtype=np.float32)
    if index == "ivf" and len(corpus) < IVF_MIN_ROWS:
        log.warning(
            "--index ivf: %d corpus rows (< %d) are too few to train inverted lists; "
            "searching exactly (flat) instead",
            len(corpus),
            IVF_MIN_ROWS,
        )
        index = "flat"
    idx = build_faiss_index(faiss, index, corpus, k, seed)
    scores, ids = idx.search(np.ascontiguousarray(queries, dtype=np.float32), k)
    scores[ids < 0] = -np.inf
    return Hits(ids.astype(np.int64), scores.astype(np.float32))


def build_faiss_index(faiss: Any, index: str, corpus: np.ndarray, k: int, seed: int = 0) -> Any:
    """A FAISS inner-product index of kind ``index`` (flat, hnsw, ivf) holding ``corpus``, set
    up to search ``k`` neighbours (``bench/embed_search.py`` times build and search apart)."""
    dim = corpus.shape[1]
    if index == "hnsw":
        idx = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        idx.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        idx.hnsw.efSearch = max(64, 2 * k)
    elif index == "ivf":
        nlist, nprobe = ivf_lists(len(corpus))
        idx = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        idx.cp.seed = seed
        idx.train(corpus)
        idx.nprobe = nprobe
    else:
        idx = faiss.IndexFlatIP(dim)
    idx.add(corpus)
    return idx
