"""What the LLM must answer (pydantic response models) and the checks that make an answer usable.

The response models are what the server is given as a JSON schema (or shown in the prompt); the
``check_*`` functions add what a schema cannot say (exactly one ``[MASK]``, the rest of the
sentence copied, fills that are not type names) and raise :class:`ValueError` with a reason the
runner feeds back to the model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field, create_model

from schemas.labels import MBTI
from schemas.records import MASK
from schemas.type_mentions import find_type_mentions

MAX_FILL_WORDS = 4
_STRICT = ConfigDict(extra="forbid")


class Fill(BaseModel):
    """One candidate fill of the ``[MASK]`` with the model's probability for it."""

    model_config = _STRICT
    word: str
    prob: float


Fills = list[Fill]

TypeFills = create_model(
    "TypeFills",
    __config__=_STRICT,
    **{label: (Fills, Field(min_length=1)) for label in MBTI.labels},
)


class MaskSlotResponse(BaseModel):
    model_config = _STRICT
    masked: str


class MaskedAllTypesResponse(BaseModel):
    model_config = _STRICT
    masked: str
    fills: TypeFills  # type: ignore[valid-type]


class PerTypeResponse(BaseModel):
    model_config = _STRICT
    candidates: Fills = Field(min_length=1)


WORD_PATTERNS = {"en": r"^[A-Za-z]+$", "ko": r"^[가-힣]+$"}


def word_response(lang: str) -> type[BaseModel]:
    """``{"word": "..."}``: one word of ``lang``'s script (the pattern is part of the schema, so
    a server with constrained decoding cannot answer anything else)."""
    word = (str, Field(pattern=WORD_PATTERNS[lang], min_length=1, max_length=24))
    return create_model("WordResponse", __config__=_STRICT, word=word)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def check_masked(base: str, masked: str) -> str:
    """The masked sentence (whitespace tidied) if it is ``base`` with one short span replaced by
    ``[MASK]``; otherwise a :class:`ValueError` saying what is wrong."""
    count = masked.count(MASK)
    if count != 1:
        raise ValueError(f"the masked sentence must contain exactly one {MASK}, found {count}")
    before, after = (_norm(part) for part in masked.split(MASK))
    whole = _norm(base)
    if not (whole.startswith(before) and whole.endswith(after)):
        raise ValueError(
            f"outside {MASK} the sentence must be copied exactly from: {' '.join(base.split())}"
        )
    span = whole[len(before) : len(whole) - len(after)].strip()
    if not span or not (before or after) or len(before) + len(after) > len(whole):
        raise ValueError(f"{MASK} must replace at least one word of the sentence")
    if len(span.split()) > MAX_FILL_WORDS:
        raise ValueError(f"{MASK} must replace one word or a short phrase, not {span!r}")
    return " ".join(masked.split())


def check_fill(word: str) -> str:
    """A fill with tidied whitespace and quotes, or a :class:`ValueError`."""
    clean = " ".join(str(word).split()).strip("\"'`")
    if not clean:
        raise ValueError("a candidate fill is empty")
    if MASK in clean:
        raise ValueError(f"a candidate fill contains {MASK}")
    if clean in MBTI or find_type_mentions(clean):
        raise ValueError(f"the fill {clean!r} is a type name; give the word itself")
    if len(clean.split()) > MAX_FILL_WORDS:
        raise ValueError(f"the fill {clean!r} is longer than {MAX_FILL_WORDS} words")
    return clean


def normalise_candidates(
    fills: Iterable[tuple[str, float]], k: int, *, label: str | None = None
) -> list[dict[str, float | str]]:
    """Checked candidates: duplicates merged (case-insensitive), the ``k`` most probable kept,
    probabilities normalised to sum to 1 (uniform when the model gave all zeros)."""
    merged: dict[str, list] = {}
    for word, prob in fills:
        clean = check_fill(word)
        if not isinstance(prob, (int, float)) or not math.isfinite(prob) or prob < 0:
            raise ValueError(f"the probability of {clean!r} must be a number >= 0, got {prob!r}")
        entry = merged.setdefault(clean.casefold(), [clean, 0.0])
        entry[1] += float(prob)
    if not merged:
        where = f" for {label}" if label else ""
        raise ValueError(f"no candidate fills{where}")
    ranked = sorted(merged.values(), key=lambda e: -e[1])[:k]
    total = sum(p for _, p in ranked)
    return [{"word": w, "prob": (p / total) if total > 0 else 1.0 / len(ranked)} for w, p in ranked]
