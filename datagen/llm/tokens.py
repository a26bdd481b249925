"""Rough token counts for estimates and the TPM limiter (no tokenizer download needed)."""

from __future__ import annotations

import math

MESSAGE_OVERHEAD = 4
REPLY_OVERHEAD = 3


def estimate_text_tokens(text: str) -> int:
    """~4 ASCII characters per token; other scripts (Korean, ...) ~1 character per token."""
    ascii_chars = len(text) if text.isascii() else sum(1 for ch in text if ord(ch) < 128)
    return math.ceil(ascii_chars / 4) + (len(text) - ascii_chars)


def estimate_prompt_tokens(messages: list[dict]) -> int:
    """Estimated prompt tokens of a chat request (OpenAI-style per-message overhead), or of a
    text completion's ``prompt`` (its one dict of request fields)."""
    return REPLY_OVERHEAD + sum(
        MESSAGE_OVERHEAD + estimate_text_tokens(str(m.get("content") or m.get("prompt") or ""))
        for m in messages
    )
