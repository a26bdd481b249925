"""Loading the embedder is quiet: no "Loading weights" bar, whatever ``--no-progress`` says."""

from __future__ import annotations

from augment.embeddings import load_embedder


def test_loading_the_embedder_draws_no_bar(minilm_path, capfd):
    from transformers.utils import logging as hf_logging

    hf_logging.enable_progress_bar()
    load_embedder.__wrapped__(minilm_path, "cpu")  # not the cached one: really load it
    assert "Loading weights" not in capfd.readouterr().err
    assert hf_logging.is_progress_bar_enabled()  # the setting is back as it was
