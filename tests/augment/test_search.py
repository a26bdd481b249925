import numpy as np
import pytest

from augment.embeddings import embed, load_embedder
from augment.search import semantic_search
from schemas.errors import InputError


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


def test_faiss_index_without_faiss_is_a_clean_error():
    pytest.importorskip("numpy")
    try:
        import faiss  # noqa: F401

        pytest.skip("faiss is installed")
    except ImportError:
        pass
    x = np.eye(4, dtype=np.float32)
    with pytest.raises(InputError, match=r"mbtikit\[faiss\]"):
        semantic_search(x, x, 2, index="faiss")
