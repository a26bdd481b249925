"""Choosing the one word of a sentence that gets masked (shared by all 16 types).

The slot is the content word whose meaning sits closest to the types' distinctive vocabulary
(so that type-specific fills make sense there), with a small bonus for adverbs and adjectives,
where personality tends to show ("I *usually* plan", "a *quiet* evening"). No POS tagger: content
words come from :mod:`datagen.masked.offline.words`.
"""

from __future__ import annotations

from collections.abc import Mapping

from datagen.masked.offline.words import Token, is_content_word, normalise, shape, tokens
from schemas.records import MASK
from schemas.type_mentions import find_type_mentions

SHAPE_BONUS = {"ly": 0.08, "adj": 0.06, "adv": 0.06, "ing": 0.03, "ed": 0.03, "other": 0.0}


def slot_candidates(text: str, lang: str) -> list[Token]:
    """Maskable words: content words, not type names, not capitalised names mid-sentence."""
    out = []
    for i, token in enumerate(tokens(text, lang)):
        if not is_content_word(token.word, lang) or find_type_mentions(token.word):
            continue
        if lang == "en" and i > 0 and token.word[0].isupper():
            continue
        out.append(token)
    return out


def choose_slot(
    text: str, candidates: list[Token], affinity: Mapping[str, float], lang: str
) -> Token | None:
    """The candidate with the best affinity + shape bonus (ties: the earliest); without any
    content word, the last word of the sentence; ``None`` for a sentence without words."""
    if not candidates:
        words = tokens(text, lang)
        return words[-1] if words else None
    scored = [
        (affinity.get(normalise(t.word, lang), 0.0) + SHAPE_BONUS[shape(t.word, lang)], -i, t)
        for i, t in enumerate(candidates)
    ]
    return max(scored, key=lambda s: (s[0], s[1]))[2]


def mask_slot(text: str, slot: Token) -> str:
    """``text`` with the slot's characters replaced by ``[MASK]``."""
    return f"{text[: slot.start]}{MASK}{text[slot.end :]}"
