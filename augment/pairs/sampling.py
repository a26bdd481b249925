"""Candidate pairs over the gold sentences, from the AugSBERT paper's sampling strategies:
semantic-search neighbours, BM25 neighbours and random pairs."""

from __future__ import annotations

import numpy as np

from augment.pairs.options import PairConfig
from augment.pairs.reading import Pairs
from augment.search.bm25 import bm25_neighbours
from augment.search.embeddings import embed, embedder_for
from augment.search.semantic import semantic_search


def sample_pairs(gold: Pairs, cfg: PairConfig) -> tuple[list[tuple[str, str]], list[str], int]:
    """Candidate pairs over the unique gold sentences from each source of ``--sampling``:
    top-k semantic neighbours (high/mid scores), top-k BM25 neighbours (mid/low) and one random
    pair per sentence (low); self pairs, gold pairs and repeats skipped. Returns the pairs,
    each pair's source and the number of sentences."""
    samplers = cfg.pair.samplers()
    sentences = sorted(set(gold["sentence1"]) | set(gold["sentence2"]))
    known = {frozenset(p) for p in zip(gold["sentence1"], gold["sentence2"], strict=True)}
    seen: set[frozenset] = set()
    out: list[tuple[str, str]] = []
    source: list[str] = []

    def add(rows: np.ndarray, name: str) -> None:
        for i, row in enumerate(rows):
            for j in row:
                key = frozenset((sentences[i], sentences[int(j)]))
                if j < 0 or j == i or len(key) < 2 or key in known or key in seen:
                    continue
                seen.add(key)
                out.append((sentences[i], sentences[int(j)]))
                source.append(name)

    if "semantic" in samplers:
        devices = cfg.encoding.device_list()
        model = embedder_for(
            cfg.embedder, cfg.encoding.encode_precision, devices, cfg.encoding.encode_backend
        )
        emb = embed(sentences, model, batch_size=cfg.batch_size, devices=devices)
        add(semantic_search(emb, emb, cfg.neighbours() + 1).ids, "semantic")
    if "bm25" in samplers:
        add(bm25_neighbours(sentences, cfg.neighbours()), "bm25")
    if "random" in samplers:
        rng = np.random.default_rng(cfg.seed)
        add(rng.integers(0, len(sentences), size=(len(sentences), 1)), "random")
    return out, source, len(sentences)
