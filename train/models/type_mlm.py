"""Phase-2 model: type-conditioned masked-language modelling.

The encoder's hidden state at the ``[MASK]`` position plus a learned type embedding
(``len(labels)`` x hidden) goes through the encoder family's MLM head to a distribution
over the vocabulary, trained against the soft target built from the LLM's candidates.

Why *added* and not concatenated + projected: the sum keeps the hidden size, so the MLM
head (pretrained where the checkpoint has one, and always tied to the input embeddings)
applies unchanged; the type embedding starts at zero, so training starts from the plain
MLM prediction and the type signal is learnt as an offset in the same space.

The wrapped ``AutoModelForMaskedLM`` gives a real head where the checkpoint has one; for
encoders without one (sentence-transformers checkpoints, ELECTRA discriminators) the head is
new and its decoder is tied to the input embeddings (``tie_word_embeddings``).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from transformers import AutoModelForMaskedLM, PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import MaskedLMOutput

from schemas.errors import InputError
from train.models.encoder import EncoderHeadConfig, EncoderModel

# Attribute names of the MLM head in each supported family, applied in order.
HEAD_LAYOUTS: tuple[tuple[str, ...], ...] = (
    ("cls",),  # BERT, MiniLM
    ("lm_head",),  # RoBERTa, XLM-R, DeBERTa
    ("generator_predictions", "generator_lm_head"),  # ELECTRA
    ("vocab_transform", "activation", "vocab_layer_norm", "vocab_projector"),  # DistilBERT
)


def mlm_head_modules(mlm: PreTrainedModel) -> list[nn.Module]:
    """The modules mapping hidden states to vocabulary logits in ``mlm``."""
    for names in HEAD_LAYOUTS:
        if all(hasattr(mlm, n) for n in names):
            return [getattr(mlm, n) for n in names]
    raise InputError(
        f"encoder family {mlm.config.model_type!r} has no supported MLM head for phase 2"
    )


class TypeMlmConfig(EncoderHeadConfig):
    model_type = "mbti_type_mlm"

    def __init__(self, mlm_mix: float = 0.0, **kwargs: Any) -> None:
        self.mlm_mix = mlm_mix
        super().__init__(**kwargs)


class TypeConditionedMlm(EncoderModel):
    """``AutoModelForMaskedLM`` of the encoder family + a type embedding added at ``[MASK]``."""

    config_class = TypeMlmConfig
    base_model_prefix = "mlm"

    def __init__(self, config: TypeMlmConfig) -> None:
        super().__init__(config)
        self.mlm = AutoModelForMaskedLM.from_config(config.encoder_config())
        self.type_embedding = nn.Embedding(len(config.labels), config.hidden_size)
        self.post_init()
        mlm_head_modules(self.mlm)  # fail early for unsupported families

    def encoder_module(self) -> PreTrainedModel:
        return self.mlm.base_model

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        if module is getattr(self, "type_embedding", None):
            init.zeros_(module.weight)
        else:
            super()._init_weights(module)

    def type_logits(
        self, hidden: torch.Tensor, type_ids: torch.Tensor, mask_positions: torch.Tensor
    ) -> torch.Tensor:
        """Vocabulary logits at each row's ``[MASK]`` for its type (``[batch, vocab]``), from
        the encoder's hidden states."""
        rows = torch.arange(hidden.size(0), device=hidden.device)
        h = hidden[rows, mask_positions] + self.type_embedding(type_ids).to(hidden.dtype)
        for module in mlm_head_modules(self.mlm):
            h = module(h)
        return h

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        type_ids: torch.Tensor,
        mask_positions: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        target_ids: torch.Tensor | None = None,
        target_probs: torch.Tensor | None = None,
        mlm_input_ids: torch.Tensor | None = None,
        mlm_attention_mask: torch.Tensor | None = None,
        mlm_labels: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> MaskedLMOutput:
        """Soft-target cross-entropy (``target_ids``/``target_probs``: ``[batch, k]``, rows
        summing to 1, padded with probability 0), plus ``mlm_mix`` x the ordinary MLM loss
        when ``mlm_input_ids``/``mlm_attention_mask``/``mlm_labels`` are given."""
        hidden = self.hidden_states(input_ids, attention_mask, token_type_ids)
        logits = self.type_logits(hidden, type_ids, mask_positions)
        loss = None
        if target_ids is not None and target_probs is not None:
            logp = torch.log_softmax(logits.float(), dim=-1).gather(1, target_ids)
            loss = -(target_probs.float() * logp).sum(dim=1).mean()
            if mlm_labels is not None and self.config.mlm_mix > 0:
                mlm_loss = self.mlm(
                    input_ids=mlm_input_ids, attention_mask=mlm_attention_mask, labels=mlm_labels
                ).loss
                loss = loss + self.config.mlm_mix * mlm_loss
        return MaskedLMOutput(loss=loss, logits=logits)
