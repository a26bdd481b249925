"""Phase-2 model: type-conditioned masked-language modelling.

A learned type embedding (``len(labels)`` x hidden, starting at zero) conditions the encoder
family's MLM head, whose distribution over the vocabulary at ``[MASK]`` is trained against the
soft target built from the LLM's candidates. Where it is added (``type_input``):

- ``tokens`` (phase 2's default): to every input token's word embedding, so the encoder reads
  the whole sentence as that type's. In MiniLM a word embedding's norm is ~1.1 (std 0.056 a
  coordinate): at 1e-3 a step (Adam) the offset is as large as a word within ~45 steps;
- ``mask``: to the encoder's hidden state at ``[MASK]``, just before the MLM head (the first
  design, and what a saved model without ``type_input`` does). That state's norm is ~12 in
  MiniLM: at the encoder's 5e-5 the embedding stayed ~1 % of it after 100 steps, and the
  held-out fills moved by ~0.002 nats.

Why *added* and not concatenated + projected: the sum keeps the hidden size, so the MLM
head (pretrained where the checkpoint has one, and always tied to the input embeddings)
applies unchanged; the type embedding starts at zero, so training starts from the plain
MLM prediction and the type signal is learnt as an offset in the same space. The embedding
and a new head learn at ``--head-lr`` (:meth:`TypeConditionedMlm.fresh_parameters`).

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


TYPE_INPUTS = ("tokens", "mask")


class TypeMlmConfig(EncoderHeadConfig):
    """``type_input``: where the type embedding is added: ``tokens`` (every input token's
    embedding, so the encoder reads the sentence knowing the type) or ``mask`` (the encoder's
    hidden state at ``[MASK]``, just before the MLM head; the default here only so that a
    model saved before the option loads as it was trained: phase 2 passes its own)."""

    model_type = "mbti_type_mlm"

    def __init__(self, mlm_mix: float = 0.0, type_input: str = "mask", **kwargs: Any) -> None:
        if type_input not in TYPE_INPUTS:
            raise InputError(f"type_input must be one of {TYPE_INPUTS}, not {type_input!r}")
        self.mlm_mix = mlm_mix
        self.type_input = type_input
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
        self.head_is_new = True  # build_model says otherwise when it loads a trained head

    def fresh_parameters(self) -> list[nn.Parameter]:
        """What is trained from scratch (it learns at ``--head-lr``): the type embedding, and
        the MLM head where it is new, less what it shares with the encoder (a tied decoder)."""
        fresh = list(self.type_embedding.parameters())
        if self.head_is_new:
            encoder = {id(p) for p in self.encoder_module().parameters()}
            for module in mlm_head_modules(self.mlm):
                fresh += [p for p in module.parameters() if id(p) not in encoder]
        return fresh

    def encoder_module(self) -> PreTrainedModel:
        return self.mlm.base_model

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        if module is getattr(self, "type_embedding", None):
            init.zeros_(module.weight)
        else:
            super()._init_weights(module)

    def typed_hidden_states(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        type_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The encoder's last hidden states with the type embedding added to every input
        token's word embedding (``type_input="tokens"``)."""
        encoder = self.encoder_module()
        embeds = encoder.get_input_embeddings()(input_ids)
        embeds = embeds + self.type_embedding(type_ids).to(embeds.dtype)[:, None, :]
        kwargs = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
        out = encoder(inputs_embeds=embeds, attention_mask=attention_mask, **kwargs)
        return out.last_hidden_state

    def type_logits(
        self, hidden: torch.Tensor, type_ids: torch.Tensor, mask_positions: torch.Tensor
    ) -> torch.Tensor:
        """Vocabulary logits at each row's ``[MASK]`` for its type (``[batch, vocab]``), from
        the encoder's hidden states."""
        rows = torch.arange(hidden.size(0), device=hidden.device)
        h = hidden[rows, mask_positions]
        if self.config.type_input == "mask":
            h = h + self.type_embedding(type_ids).to(hidden.dtype)
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
        if self.config.type_input == "tokens":
            hidden = self.typed_hidden_states(input_ids, attention_mask, type_ids, token_type_ids)
        else:
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
