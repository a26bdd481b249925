"""A phase's encoder as a frozen sentence encoder: the base model's sentence-transformers
pipeline (its tokenizer, length limit, pooling and normalisation) with the weights the phases
trained, so that a linear model on its embeddings differs from the ``frozen`` arm's in the
weights alone (``train all``'s ``frozen_mlm`` arm)."""

from __future__ import annotations

from pathlib import Path

from schemas.errors import InputError
from train.models.init import load_init


def export_sentence_encoder(phase_dir: str | Path, out: str | Path) -> Path:
    """Write ``phase_dir``'s encoder as a ``SentenceTransformer`` directory ``out`` built on
    its base model's pipeline; returns ``out``."""
    import torch

    from train.engine.logs import no_progress_bars, quiet_loading
    from train.engine.sentence_fit import load_bi_encoder

    with quiet_loading(), no_progress_bars():
        init = load_init(str(phase_dir), phase=3, announce=False)
        model = load_bi_encoder(init.base_model_path, device="cpu")
    transformer = model[0].auto_model
    weights = init.encoder.state_dict()
    own = transformer.state_dict()
    wrong = [k for k, v in weights.items() if k in own and own[k].shape != v.shape]
    if wrong:
        raise InputError(
            f"its encoder does not fit its base model {init.base_model} ({wrong[0]})",
            file=str(phase_dir),
        )
    missing, _ = transformer.load_state_dict(weights, strict=False)
    if any(not k.startswith("pooler.") for k in missing):
        raise InputError(f"its encoder lacks {missing[0]}", file=str(phase_dir))
    with torch.no_grad(), no_progress_bars():
        model.save(str(out))
    return Path(out)
