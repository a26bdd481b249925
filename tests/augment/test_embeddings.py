"""Loading the embedder is quiet: no "Loading weights" bar, whatever ``--no-progress`` says;
batches by token count give SentenceTransformer.encode's embeddings, in the input's order."""

from __future__ import annotations

import numpy as np

from augment.search.embeddings import embed, load_embedder, token_length_order


def test_loading_the_embedder_draws_no_bar(minilm_path, capfd):
    from transformers.utils import logging as hf_logging

    hf_logging.enable_progress_bar()
    load_embedder.__wrapped__(minilm_path, "cpu")  # not the cached one: really load it
    assert "Loading weights" not in capfd.readouterr().err
    assert hf_logging.is_progress_bar_enabled()  # the setting is back as it was


def test_batches_by_token_count_keep_the_input_order(minilm_path):
    # fp32 (not the cached bf16 one of a CPU with native bf16, where the batch composition
    # moves the embeddings by ~3e-3): equal embeddings show the rows come back in order
    model = load_embedder.__wrapped__(minilm_path, "cpu", "fp32", "torch")
    texts = ["a b c d e f g", "hi", "see https://example.com/a/b?c=d for more", "x y", "ok"]
    order = token_length_order(texts, model, chunk=2)  # chunks join up
    assert list(order) == [2, 0, 3, 1, 4]  # longest first, ties in input order
    ours = embed(texts, model, batch_size=2)
    plain = model.encode(texts, normalize_embeddings=True)
    np.testing.assert_allclose(ours, plain, atol=1e-5)
    assert embed([], model).shape == (0, model.get_embedding_dimension())


def test_the_embedding_cache_is_kept_per_precision(minilm_path, tmp_path, monkeypatch):
    from augment.search.embed_cache import EmbeddingCache
    from augment.search.embeddings import embed_cached, embedder_for
    from train.engine.encoding import precision_label

    monkeypatch.setenv("MBTIKIT_CACHE", str(tmp_path))
    labels = ("fp32", "bf16", "int8", "fp32-openvino", "bf16-openvino")
    keys = {p: EmbeddingCache.model_key(minilm_path, p) for p in labels}
    assert len(set(keys.values())) == 5 and minilm_path not in keys.values()
    texts = ["one text", "another text"]
    first = embed_cached(texts, minilm_path, precision="fp32")
    fp32 = precision_label(embedder_for(minilm_path, "fp32", None))  # OpenVINO's where installed
    assert EmbeddingCache(keys[fp32]).dir.is_dir()
    assert not any(EmbeddingCache(keys[p]).dir.exists() for p in labels if p != fp32)
    assert not EmbeddingCache(minilm_path).dir.exists()  # the key before precisions
    np.testing.assert_array_equal(embed_cached(texts, minilm_path, precision="fp32"), first)
