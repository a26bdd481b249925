"""Benchmark: our encode path vs plain SentenceTransformer.encode, and search time vs pool size.

    python bench/embed_search.py [--n-texts 2000] [--pools 10000,100000]

Search timings use synthetic random unit vectors (384-d, like MiniLM): search cost depends only
on sizes, not on content. 1M is timed only when FAISS is installed.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from augment.embeddings import embed, load_embedder
from augment.search import semantic_search


def _texts(n: int) -> list[str]:
    rng = np.random.default_rng(0)
    words = [
        "the",
        "a",
        "cat",
        "dog",
        "runs",
        "home",
        "quickly",
        "slowly",
        "friends",
        "party",
        "quiet",
        "book",
        "plan",
        "idea",
    ]
    return [" ".join(rng.choice(words, size=rng.integers(6, 30))) for _ in range(n)]


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-texts", type=int, default=2000)
    ap.add_argument("--pools", default="10000,100000")
    ap.add_argument("--queries", type=int, default=500)
    args = ap.parse_args()
    model = load_embedder()
    texts = _texts(args.n_texts)
    ours, plain = float("inf"), float("inf")
    for _ in range(3):  # alternate, best of 3 each, so load changes hit both sides alike
        ours = min(ours, _best(lambda: embed(texts, model, batch_size=128), repeat=1))
        plain = min(
            plain,
            _best(lambda: model.encode(texts, batch_size=128, normalize_embeddings=True), 1),
        )
    print(f"encode {len(texts)} texts: ours {ours:.2f}s, plain encode {plain:.2f}s, "
          f"ratio (plain/ours) {plain / ours:.3f}")  # fmt: skip
    rng = np.random.default_rng(0)
    q = rng.normal(size=(args.queries, 384)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    pools = [int(p) for p in args.pools.split(",")]
    try:
        import faiss  # noqa: F401

        pools.append(1_000_000)
        index = "faiss"
    except ImportError:
        index = None
    for n in pools:
        corpus = rng.normal(size=(n, 384)).astype(np.float32)
        corpus /= np.linalg.norm(corpus, axis=1, keepdims=True)
        modes = ["exact"] if n <= 100_000 else []
        modes += [index] if index else []
        for mode in modes:
            t = _best(lambda c=corpus, m=mode: semantic_search(q, c, 10, index=m), repeat=2)
            print(f"search {args.queries} queries x pool {n:>9,}: {mode:5s} {t:.3f}s "
                  f"({t / args.queries * 1e3:.2f} ms/query)")  # fmt: skip


if __name__ == "__main__":
    main()
