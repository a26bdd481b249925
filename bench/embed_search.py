"""Benchmark: our encode path vs plain SentenceTransformer.encode, search time vs pool size, and
recall@10 / query speed of the approximate FAISS indexes against exact search.

    python bench/embed_search.py encode [--n-texts 2000] [--texts posts.tsv|posts.jsonl]
        [--precisions fp32,bf16,int8,torch:fp32,torch:bf16] [--repeats 3] [--pools 10000,100000]
    python bench/embed_search.py recall [--n 80000] [--queries 2000] [--repeats 3]
    python bench/embed_search.py recall --embeddings E.npy [--texts train.tsv --max-texts 20000]

``encode`` times our encoding (batches by token count) in each of ``--precisions`` (as
``--encode-precision`` takes them: OpenVINO's fp32 and bf16 where it is installed; ``B:P``: on
``--encode-backend B``, e.g. ``torch:fp32``, torch's as with ``--devices``) against the anchor,
plain fp32 ``SentenceTransformer.encode`` (batches by character count), all batch 32, on
``--texts`` (a TSV's first column or a JSONL's ``text``) or synthetic word strings, in
interleaved rounds (medians, the load average printed before and after), and checks each
precision's quality against the anchor: the cosine of each text's two embeddings and the
overlap of each text's top-10 neighbours among the texts. It then times search on random unit
vectors (384-d, like MiniLM): search cost depends only on sizes, not on content; 1M is timed
only when FAISS is installed. ``recall`` compares ``--index`` flat, hnsw and ivf with exact search
on a synthetic clustered corpus (a Gaussian mixture, so neighbours mean something) and, with
``--embeddings``, on real embeddings: a seeded ``--queries`` rows are the queries, the rest the
corpus (``--texts``: the first column of a TSV, encoded once with the bundled MiniLM and cached in
``--embeddings``). Each index is built once; searches are repeated interleaved (the order rotates)
and medians reported.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from augment.search.embeddings import embed, load_embedder
from augment.search.semantic import build_faiss_index, semantic_search
from train.engine.encoding import precision_label
from train.engine.sentence_fit import load_bi_encoder

K = 10
APPROX = ("flat", "hnsw", "ivf")


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


def _ours(spec: str):
    """Our encoder for a ``--precisions`` entry: ``P`` as ``--encode-precision P`` loads it,
    ``B:P`` with ``--encode-backend B`` too (``torch:fp32``)."""
    backend, _, precision = spec.rpartition(":")
    return load_embedder(None, "cpu", precision, backend or "auto")


def encode_bench(args: argparse.Namespace) -> None:
    """Each ``--precisions`` through our encode path (token-count batches) against the anchor,
    plain fp32 ``SentenceTransformer.encode`` (character-count batches), both batch 32:
    ``--repeats`` interleaved rounds (the order rotates), medians; then each precision's
    quality against the anchor's embeddings (the cosine of each text's two embeddings, and the
    overlap of each text's top-10 neighbours among the texts); then search time per pool."""
    texts = _read_texts(args.texts, args.n_texts) if args.texts else _texts(args.n_texts)
    plain = load_bi_encoder(None, device="cpu")  # fp32, as sentence-transformers loads it
    models = [_ours(p) for p in args.precisions.split(",")]

    def run_plain() -> np.ndarray:
        return plain.encode(texts, batch_size=32, normalize_embeddings=True)

    runs: dict[str, Callable[[], np.ndarray]] = {"plain fp32": run_plain}
    runs |= {f"ours {precision_label(m)}": (lambda m=m: embed(texts, m)) for m in models}
    plain.encode(texts[:64])
    for m in models:
        embed(texts[:64], m)  # warm-up: ONNX Runtime's first runs, torch's kernels
    times: dict[str, list[float]] = {name: [] for name in runs}
    emb: dict[str, np.ndarray] = {}
    names = list(runs)
    print(f"load average before: {_load()}")
    for r in range(args.repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            secs, emb[name] = _timed(runs[name])
            times[name].append(secs)
    print(f"load average after:  {_load()}")
    anchor = statistics.median(times["plain fp32"])
    ref = emb["plain fp32"]
    ref_top = _top10(ref)
    print(f"\nencode {len(texts):,} texts ({args.texts.name if args.texts else 'synthetic'}), "
          f"batch 32, median of {args.repeats} interleaved repeats; anchor: plain "
          f"SentenceTransformer.encode fp32")  # fmt: skip
    print(f"{'run':20s} {'median s':>8s} {'texts/s':>8s} {'x anchor':>8s} {'cos mean':>8s} "
          f"{'cos min':>8s} {'top-10 overlap':>14s}")  # fmt: skip
    for name in names:
        t = statistics.median(times[name])
        cos = (emb[name] * ref).sum(axis=1) / np.linalg.norm(emb[name], axis=1)
        overlap = np.mean(
            [len(set(a) & set(b)) / K for a, b in zip(_top10(emb[name]), ref_top, strict=True)]
        )
        print(f"{name:20s} {t:8.2f} {len(texts) / t:8.1f} {anchor / t:7.2f}x {cos.mean():8.4f} "
              f"{cos.min():8.4f} {overlap:14.3f}")  # fmt: skip
    if args.pools:
        search_bench(args)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _top10(emb: np.ndarray) -> np.ndarray:
    """Each row's 10 nearest other rows (cosine; the rows are normalised)."""
    sims = emb @ emb.T
    np.fill_diagonal(sims, -np.inf)
    return np.argpartition(-sims, K, axis=1)[:, :K]


def search_bench(args: argparse.Namespace) -> None:
    """Exact (and FAISS flat) search time per pool size on random unit vectors."""
    rng = np.random.default_rng(0)
    q = rng.normal(size=(args.queries, 384)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    pools = [int(p) for p in args.pools.split(",")]
    try:
        import faiss  # noqa: F401

        pools.append(1_000_000)
        index = "flat"
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


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def clustered(n: int, dim: int, rng: np.random.Generator, clusters: int = 1000) -> np.ndarray:
    """Unit rows from a Gaussian mixture: each cluster spreads mostly within its own random
    16-d subspace (text embeddings have a low intrinsic dimension) plus a little isotropic
    noise."""
    centres = rng.normal(size=(clusters, dim)).astype(np.float32)
    bases = rng.normal(size=(clusters, 16, dim)).astype(np.float32) / 4.0
    which = rng.integers(clusters, size=n)
    out = np.empty((n, dim), np.float32)
    for c in range(clusters):
        rows = np.nonzero(which == c)[0]
        local = rng.normal(size=(len(rows), 16)).astype(np.float32) @ bases[c]
        out[rows] = centres[c] + local + 0.2 * rng.normal(size=(len(rows), dim))
    return _unit(out)


def _read_texts(path: Path, limit: int) -> list[str]:
    """The first ``limit`` texts of a TSV (its first column) or a JSONL file (``text``)."""
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as f:
            rows = (json.loads(line) for line in f if line.strip())
            return [row["text"] for _, row in zip(range(limit), rows, strict=False)]
    with path.open(encoding="utf-8", newline="") as f:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [row[0] for _, row in zip(range(limit), rows, strict=False) if row]


def _real(args: argparse.Namespace) -> np.ndarray:
    if not args.embeddings.exists():
        if args.texts is None:
            raise SystemExit(f"error: {args.embeddings} does not exist (give --texts to make it)")
        texts = _read_texts(args.texts, args.max_texts)
        t = time.perf_counter()
        emb = embed(texts, load_embedder(), batch_size=128)
        print(f"encoded {len(texts):,} texts in {time.perf_counter() - t:.0f}s")
        np.save(args.embeddings, emb.astype(np.float32))
    return _unit(np.load(args.embeddings))


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def recall_table(name: str, queries: np.ndarray, corpus: np.ndarray, repeats: int) -> None:
    """Print recall@10, build time and median query time of each index, with ratios vs exact.

    Each FAISS index is built once (an HNSW build takes minutes on a busy small machine); the
    searches are repeated, interleaved."""
    import faiss

    modes = ("exact", *APPROX)
    build = {"exact": 0.0}
    index = {}
    for mode in APPROX:
        build[mode], index[mode] = _timed(
            lambda m=mode: build_faiss_index(faiss, m, corpus, K, seed=0)
        )
    semantic_search(queries[:2], corpus[:50], K)  # warm-up: imports, torch start-up
    query: dict[str, list[float]] = {m: [] for m in modes}
    ids: dict[str, np.ndarray] = {}
    for r in range(repeats):
        for mode in modes[r % len(modes) :] + modes[: r % len(modes)]:
            if mode == "exact":
                secs, hits = _timed(lambda: semantic_search(queries, corpus, K, index="exact"))
                found = hits.ids
            else:
                secs, (_, found) = _timed(lambda i=index[mode]: i.search(queries, K))
            query[mode].append(secs)
            ids[mode] = found
    exact = ids["exact"]
    base = statistics.median(query["exact"])
    n, dim = corpus.shape
    print(f"\n{name}: {n:,} x {dim} corpus, {len(queries):,} queries, top {K}, "
          f"query times: median of {repeats} interleaved repeats")  # fmt: skip
    print(f"{'index':6s} {'recall@10':>9s} {'build s':>8s} {'query s':>8s} {'ms/query':>8s} "
          f"{'query speed-up':>14s} {'speed-up with build':>19s}")  # fmt: skip
    for mode in modes:
        rec = np.mean([len(set(a) & set(b)) / K for a, b in zip(ids[mode], exact, strict=True)])
        b, q = build[mode], statistics.median(query[mode])
        print(f"{mode:6s} {rec:9.3f} {b:8.2f} {q:8.2f} {q / len(queries) * 1e3:8.3f} "
              f"{base / q:13.1f}x {base / (b + q):18.1f}x")  # fmt: skip


def recall_bench(args: argparse.Namespace) -> None:
    """Recall@10 and speed of flat / hnsw / ivf vs exact: real embeddings, then synthetic."""
    rng = np.random.default_rng(0)
    if args.embeddings is not None:
        emb = _real(args)
        order = rng.permutation(len(emb))
        q, c = order[: args.queries], order[args.queries :]
        recall_table(f"real ({args.embeddings.name})", emb[q], emb[c], args.repeats)
    if args.n == 0:
        return
    data = clustered(args.n + args.queries, args.dim, rng)
    recall_table("synthetic clustered", data[args.n :], data[: args.n], args.repeats)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    enc = sub.add_parser("encode", help="encode speed, exact search time per pool size")
    enc.add_argument("--n-texts", type=int, default=2000)
    enc.add_argument(
        "--texts", type=Path, help="TSV (first column) or JSONL (text) of real posts to encode"
    )
    enc.add_argument(
        "--precisions",
        default="fp32,bf16,int8,torch:fp32,torch:bf16",
        help="ours: fp32, bf16, int8, auto as --encode-precision takes them; B:P on "
        "--encode-backend B (torch:fp32)",
    )
    enc.add_argument("--repeats", type=int, default=3, help="interleaved rounds (medians)")
    enc.add_argument("--pools", default="10000,100000", help="search pool sizes ('': none)")
    enc.add_argument("--queries", type=int, default=500)
    rec = sub.add_parser("recall", help="recall@10 and speed of flat / hnsw / ivf vs exact")
    rec.add_argument("--n", type=int, default=80_000, help="synthetic corpus rows (0: none)")
    rec.add_argument("--dim", type=int, default=384)
    rec.add_argument("--queries", type=int, default=2000)
    rec.add_argument("--repeats", type=int, default=3)
    rec.add_argument("--embeddings", type=Path, help="N x d .npy of real embeddings")
    rec.add_argument("--texts", type=Path, help="TSV whose first column makes --embeddings")
    rec.add_argument("--max-texts", type=int, default=20_000)
    args = ap.parse_args()
    (encode_bench if args.command == "encode" else recall_bench)(args)


if __name__ == "__main__":
    main()
