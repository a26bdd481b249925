"""Phase-2 soft targets: the candidates' probabilities mapped onto the tokenizer's vocabulary.

Each candidate word is tokenised on its own; a word of several pieces puts its whole mass
on its **first** piece (the single ``[MASK]`` position predicts one token, and the first
piece is what the word starts with there). A word whose first piece is the unknown token
(or that tokenises to nothing) is *unmapped*: its mass is dropped and the remaining mass
renormalised per row. The statistics report how much mass mapped, and how much of it sat on
single-piece words (mapped exactly).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from schemas.errors import InputError
from schemas.records import MASK


@dataclass
class SoftTargetStats:
    """Candidate mass accounting over a data set (masses are sums of probabilities)."""

    rows: int = 0
    rows_dropped_no_mapped_mass: int = 0
    rows_dropped_mask_truncated: int = 0
    candidates: int = 0
    total_mass: float = 0.0
    mapped_mass: float = 0.0
    single_piece_mass: float = 0.0

    @property
    def mapped_share(self) -> float:
        return self.mapped_mass / self.total_mass if self.total_mass else 0.0

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["mapped_share"] = round(self.mapped_share, 6)
        out["single_piece_share"] = (
            round(self.single_piece_mass / self.total_mass, 6) if self.total_mass else 0.0
        )
        out["multi_piece_policy"] = "first piece"
        return out


class CandidateMapper:
    """Maps candidate words to (first-piece token id, pieces); cached per word."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.cache: dict[str, tuple[int | None, int]] = {}

    def __call__(self, word: str) -> tuple[int | None, int]:
        if word not in self.cache:
            ids = self.tokenizer(word.strip(), add_special_tokens=False)["input_ids"]
            unk = self.tokenizer.unk_token_id
            first = ids[0] if ids and ids[0] != unk else None
            self.cache[word] = (first, len(ids))
        return self.cache[word]


def soft_target(
    candidates: list[dict[str, Any]], mapper: CandidateMapper, stats: SoftTargetStats
) -> tuple[list[int], list[float]]:
    """Token ids and renormalised probabilities of one row (empty when nothing maps)."""
    mass: dict[int, float] = {}
    for cand in candidates:
        p = float(cand["prob"])
        stats.candidates += 1
        stats.total_mass += p
        token, pieces = mapper(cand["word"])
        if token is None:
            continue
        stats.mapped_mass += p
        if pieces == 1:
            stats.single_piece_mass += p
        mass[token] = mass.get(token, 0.0) + p
    total = sum(mass.values())
    if total <= 0:
        return [], []
    ids = sorted(mass, key=lambda t: -mass[t])
    return ids, [mass[t] / total for t in ids]


def mask_text(text: str, tokenizer: Any) -> str:
    """The data's literal ``[MASK]`` replaced by the tokenizer's mask token."""
    if tokenizer.mask_token is None:
        raise InputError("the encoder's tokenizer has no mask token; phase 2 needs one")
    return text.replace(MASK, tokenizer.mask_token)
