"""Tiny encoders for tests: a WordPiece vocabulary trained on local text (the ``tokenizers``
library) and a randomly initialised BERT or ELECTRA small enough to train in seconds,
saved like a pretrained encoder (model + tokenizer in one directory)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def train_wordpiece(texts: Iterable[str], *, vocab_size: int = 300, lowercase: bool = True) -> Any:
    """A ``BertTokenizer`` whose WordPiece vocabulary is trained on ``texts``.

    Accents are kept: stripping them (BERT's default with lower-casing) decomposes Hangul
    syllables into jamo.
    """
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertTokenizer

    wp = BertWordPieceTokenizer(lowercase=lowercase, strip_accents=False)
    wp.train_from_iterator(
        list(texts), vocab_size=vocab_size, min_frequency=1, special_tokens=SPECIAL_TOKENS
    )
    return BertTokenizer(vocab=wp.get_vocab(), do_lower_case=lowercase, strip_accents=False)


def tiny_encoder(
    out: Path,
    texts: Iterable[str],
    *,
    family: str = "bert",
    vocab_size: int = 300,
    hidden_size: int = 32,
    dropout: float = 0.1,
    seed: int = 0,
) -> Path:
    """Save a tiny ``family`` (``bert`` or ``electra``) encoder with its tokenizer to ``out``
    (``dropout``: of its hidden states and attention)."""
    import torch
    from transformers import BertConfig, BertModel, ElectraConfig, ElectraModel

    tokenizer = train_wordpiece(texts, vocab_size=vocab_size)
    config_cls, model_cls = {
        "bert": (BertConfig, BertModel),
        "electra": (ElectraConfig, ElectraModel),
    }[family]
    sizes = dict(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=hidden_size * 2,
        max_position_embeddings=128,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
    )
    if family == "electra":
        sizes["embedding_size"] = hidden_size
    torch.manual_seed(seed)
    model_cls(config_cls(**sizes)).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
