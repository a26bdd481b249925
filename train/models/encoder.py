"""What the phase models share: the wrapped encoder, mean pooling and the study's head.

Every phase model is a :class:`~transformers.PreTrainedModel` whose config stores the
encoder's own config (``encoder``: a dict), the label set and the phase lineage, so a saved
directory rebuilds itself with ``from_pretrained`` and no ``auto_map``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

HEAD_SIZES = (512, 256, 128)


class EncoderHeadConfig(PretrainedConfig):
    """Config of an encoder + head model.

    ``encoder``: the wrapped encoder's config as a dict; ``labels``: the output labels;
    ``lineage``: one ``{phase, data, base_model, ...}`` entry per phase that trained the
    encoder, oldest first; ``head_dropout``: dropout of the head; ``head_sizes``: its hidden
    layers (``None``: the study's 512, 256, 128; empty: one linear layer).
    """

    def __init__(
        self,
        encoder: dict[str, Any] | None = None,
        labels: list[str] | None = None,
        lineage: list[dict[str, Any]] | None = None,
        head_dropout: float = 0.1,
        head_sizes: list[int] | None = None,
        **kwargs: Any,
    ) -> None:
        self.encoder = encoder or {}
        self.labels = list(labels or [])
        self.lineage = list(lineage or [])
        self.head_dropout = head_dropout
        self.head_sizes = list(HEAD_SIZES if head_sizes is None else head_sizes)
        super().__init__(**kwargs)

    def encoder_config(self) -> PretrainedConfig:
        """The wrapped encoder's config object."""
        params = dict(self.encoder)
        return AutoConfig.for_model(params.pop("model_type"), **params)

    @property
    def hidden_size(self) -> int:
        return int(self.encoder["hidden_size"])


def build_encoder(config: PretrainedConfig) -> PreTrainedModel:
    """A randomly initialised bare encoder (no pooler where the family has one)."""
    try:
        return AutoModel.from_config(config, add_pooling_layer=False)
    except TypeError:
        return AutoModel.from_config(config)


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average the token states that the attention mask keeps."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)


class ClassifierHead(nn.Sequential):
    """The classifier head: hidden -> ``hidden_sizes`` -> n_out, ReLU and dropout (the study's:
    512 -> 256 -> 128; no hidden sizes: dropout and one linear layer)."""

    def __init__(
        self, hidden_size: int, n_out: int, dropout: float, hidden_sizes: Sequence[int] = HEAD_SIZES
    ) -> None:
        layers: list[nn.Module] = []
        sizes = (hidden_size, *hidden_sizes)
        for d_in, d_out in zip(sizes, sizes[1:], strict=False):
            layers += [nn.Dropout(dropout), nn.Linear(d_in, d_out), nn.ReLU()]
        layers += [nn.Dropout(dropout), nn.Linear(sizes[-1], n_out)]
        for layer in layers:
            layer.in_study_head = True
        super().__init__(*layers)


class EncoderModel(PreTrainedModel):
    """Base of the phase models: holds the encoder; subclasses add a head and a loss."""

    config_class = EncoderHeadConfig
    base_model_prefix = "encoder"
    # the losses are means over the local batch: the Trainer must not rescale them by the
    # world size (it does for models that accept loss kwargs, i.e. ``**kwargs``)
    accepts_loss_kwargs = False
    _supports_sdpa = True
    main_input_name = "input_ids"

    def encoder_module(self) -> PreTrainedModel:
        """The bare encoder whose weights carry over to the next phase."""
        return self.encoder

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        """The head's layers get PyTorch's default (Kaiming-uniform) init: with the encoder
        init (normal, std 0.02) four stacked layers would start with vanishing outputs."""
        if getattr(module, "in_study_head", False):
            module.reset_parameters()
        else:
            super()._init_weights(module)

    def hidden_states(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The encoder's last hidden states (``[batch, seq, hidden]``)."""
        kwargs = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
        out = self.encoder_module()(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
        return out.last_hidden_state

    def encode(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Mean-pooled sentence vector of each input."""
        hidden = self.hidden_states(input_ids, attention_mask, token_type_ids)
        return mean_pool(hidden, attention_mask)


class PooledHeadModel(EncoderModel):
    """Encoder + mean pooling + the study's head with ``n_outputs`` outputs: the
    classifiers of phases 1 and 3. A subclass gives its output count and :meth:`head_loss`;
    the parameters are ``encoder.*`` and ``head.*``."""

    def __init__(self, config: EncoderHeadConfig, n_outputs: int) -> None:
        super().__init__(config)
        self.encoder = build_encoder(config.encoder_config())
        self.head = ClassifierHead(
            config.hidden_size, n_outputs, config.head_dropout, config.head_sizes
        )
        self.post_init()

    def head_loss(
        self, logits: torch.Tensor, labels: torch.Tensor, sample_weight: torch.Tensor | None
    ) -> torch.Tensor:
        """The training loss of ``logits`` against ``labels`` (``sample_weight``: optional
        per-row weights)."""
        raise NotImplementedError

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        sample_weight: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> SequenceClassifierOutput:
        logits = self.head(self.encode(input_ids, attention_mask, token_type_ids))
        loss = self.head_loss(logits, labels, sample_weight) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)
