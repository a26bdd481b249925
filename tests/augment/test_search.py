import logging
import sys

import numpy as np
import pytest

from augment.search.embeddings import embed, load_embedder
from augment.search.semantic import IVF_MIN_ROWS, check_index, semantic_search
from schemas.errors import InputError
from tests.support.cli import assert_clean_error


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _clustered(n: int, dim: int = 48, clusters: int = 40, seed: int = 0) -> np.ndarray:
    """Unit rows around ``clusters`` random centres, so nearest neighbours mean something."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim))
    return _unit(centres[rng.integers(clusters, size=n)] + 0.35 * rng.normal(size=(n, dim)))


def _brute(queries: np.ndarray, corpus: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-(queries @ corpus.T), axis=1, kind="stable")[:, :k]


def test_exact_search_matches_brute_force_on_real_embeddings(minilm_path):
    model = load_embedder(minilm_path)
    corpus = embed(
        ["A dog runs in the park.", "Stock prices fell today.", "A puppy plays outside.",
         "The market dropped sharply.", "I baked bread this morning."], model,
    )  # fmt: skip
    queries = embed(["dogs playing", "financial news"], model)
    hits = semantic_search(queries, corpus, top_k=2)
    brute = np.argsort(-(queries @ corpus.T), axis=1)[:, :2]
    assert hits.ids.tolist() == brute.tolist()
    assert set(hits.ids[0]) == {0, 2} and set(hits.ids[1]) == {1, 3}
    assert np.all(np.diff(hits.scores, axis=1) <= 1e-6)


def test_top_k_larger_than_corpus_is_clipped():
    rng = np.random.default_rng(0)
    corpus = rng.normal(size=(3, 8)).astype(np.float32)
    corpus /= np.linalg.norm(corpus, axis=1, keepdims=True)
    hits = semantic_search(corpus, corpus, top_k=10)
    assert hits.ids.shape == (3, 3)
    assert hits.ids[:, 0].tolist() == [0, 1, 2]


def test_faiss_index_without_faiss_is_a_clean_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)  # import faiss -> ImportError
    x = np.eye(4, dtype=np.float32)
    with pytest.raises(InputError, match=r"--index hnsw needs FAISS.*mbtikit\[faiss\]"):
        semantic_search(x, x, 2, index="hnsw")


@pytest.mark.parametrize("index", ["flat", "hnsw", "ivf"])
def test_faiss_indexes_find_the_exact_neighbours(index):
    """Queries are jittered corpus rows: every index finds that row first, and the
    approximate ones recall >= 0.9 of the exact top 10."""
    pytest.importorskip("faiss")
    corpus = _clustered(3_000)
    rng = np.random.default_rng(1)
    rows = rng.choice(len(corpus), size=200, replace=False)
    queries = _unit(corpus[rows] + 0.02 * rng.normal(size=(len(rows), corpus.shape[1])))
    hits = semantic_search(queries, corpus, 10, index=index)
    exact = _brute(queries, corpus, 10)
    assert hits.ids.shape == hits.scores.shape == (200, 10)
    assert hits.ids[:, 0].tolist() == rows.tolist()
    recall = np.mean([len(set(h) & set(e)) / 10 for h, e in zip(hits.ids, exact, strict=True)])
    assert recall >= (1.0 if index == "flat" else 0.9), recall
    assert np.all(np.diff(hits.scores, axis=1) <= 1e-5)
    np.testing.assert_allclose(hits.scores[:, 0], (queries * corpus[rows]).sum(1), atol=1e-5)


def test_ivf_on_a_small_corpus_searches_exactly_and_says_so(caplog):
    pytest.importorskip("faiss")
    corpus = _clustered(IVF_MIN_ROWS - 1)
    queries = _clustered(50, seed=2)
    with caplog.at_level(logging.WARNING, logger="augment.search.semantic"):
        hits = semantic_search(queries, corpus, 10, index="ivf")
    assert hits.ids.tolist() == _brute(queries, corpus, 10).tolist()
    [record] = caplog.records
    assert "too few" in record.getMessage() and "flat" in record.getMessage()


def test_index_names_and_the_old_alias():
    assert [check_index(n) for n in ("exact", "flat", "hnsw", "ivf", "faiss")] == [
        "exact", "flat", "hnsw", "ivf", "flat"
    ]  # fmt: skip
    with pytest.raises(InputError, match="exact, flat, hnsw, ivf"):
        check_index("annoy")


def test_cli_rejects_an_unknown_index(cli, gold_posts, pool_posts, tmp_path):
    out = tmp_path / "out"
    proc = cli("augment", "silver", gold_posts, "--pool", pool_posts, "--out", out,
               "--index", "annoy")  # fmt: skip
    assert_clean_error(proc, "--index", "exact, flat, hnsw, ivf", "'annoy'")
    assert not out.exists()
