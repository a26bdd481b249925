"""A phase's encoder as a frozen sentence encoder (``train all``'s ``frozen_mlm`` arm): the
base model's pipeline with the phase's weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from train.models.sentence_encoder import export_sentence_encoder
from train.tasks.baselines import FrozenEncoder

TEXTS = ["I love long quiet evenings with a book.", "Parties every weekend, the louder the better."]


def test_a_phase_output_embeds_with_its_own_weights(phase2_dir, tiny_encoder, tmp_path):
    from train.models.encoder import mean_pool
    from train.models.init import load_init

    exported = export_sentence_encoder(phase2_dir.model_dir, tmp_path / "st")
    phase = FrozenEncoder(str(exported), precision="fp32").embed(TEXTS)
    base = FrozenEncoder(str(tiny_encoder), precision="fp32").embed(TEXTS)
    assert not np.allclose(phase, base, atol=1e-3)  # the phases moved the weights
    init = load_init(str(phase2_dir.model_dir), phase=3)
    batch = init.tokenizer(TEXTS, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = init.encoder.eval()(**batch).last_hidden_state
    wanted = torch.nn.functional.normalize(mean_pool(hidden, batch["attention_mask"]), dim=-1)
    assert phase == pytest.approx(wanted.numpy(), abs=1e-5)
