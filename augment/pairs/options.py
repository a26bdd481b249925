"""Pair mode's options: what only pair mode has (:class:`PairOptions`), the command's whole
configuration (:class:`PairConfig`) and the checks of their values."""

from __future__ import annotations

from dataclasses import dataclass

from augment.common.options import SilverBase
from schemas.errors import InputError
from schemas.options import group, option

BALANCES = ("uniform", "gold")
#: 10 % of STS-B as gold, draw 0: test Spearman of the teacher bi 83.6, mean 81.4, cross 75.3
#: (a cross-encoder from MiniLM's bi-encoder weights; untuned MiniLM 82.0); the student moved
#: by +0.21 / +0.13 / -0.07
PAIR_TEACHERS = ("bi", "cross", "mean")
SAMPLERS = ("semantic", "bm25", "random")


@dataclass
class PairOptions:
    """What only pair mode has."""

    options_panel = "Pair mode"

    scale: str = option("0,5", help="Pair mode: score scale 'LOW,HIGH'.")
    balance: str = option(
        "uniform",
        help="Pair mode: the silver score histogram, uniform or gold's.",
        choices=BALANCES,
    )
    bins: int = option(5, help="Pair mode: score bins for balancing.", ge=1)
    n_silver: int | None = option(
        None, help="Pair mode: silver pairs to add (default: as many as gold).", ge=1
    )
    epochs: int = option(1, help="Pair mode: --eval bi-encoder epochs.", ge=1)
    ce_epochs: int = option(
        4,
        help="Pair mode: cross-encoder epochs over gold (both orders; 0: --ce-min-steps alone).",
        ge=0,
    )
    ce_min_steps: int = option(
        400, help="Pair mode: cross-encoder optimiser steps, at least.", ge=0
    )
    bi_min_steps: int = option(
        200, help="Pair mode: the bi-encoder teacher's optimiser steps, at least (5e-5).", ge=0
    )
    pair_teacher: str = option(
        "bi",
        help="Pair mode: who scores the candidates: bi (the embedder fine-tuned on gold), cross "
        "(a cross-encoder trained on gold), mean (both, averaged), or the name or path of a "
        "pretrained cross-encoder with one output (used as it is).",
    )
    sampling: str = option(
        "semantic,bm25,random", help="Pair mode: candidate sources (semantic, bm25, random)."
    )

    def samplers(self) -> list[str]:
        names = [s.strip() for s in self.sampling.split(",") if s.strip()]
        bad = [s for s in names if s not in SAMPLERS]
        if bad or not names:
            raise InputError(
                f"--sampling takes a comma list of {', '.join(SAMPLERS)}, got {self.sampling!r}"
            )
        return names

    def check(self) -> tuple[float, float]:
        """Refuse a bad ``--sampling`` or ``--scale``; the scale."""
        scale = parse_scale(self.scale)
        self.samplers()
        return scale


@dataclass(kw_only=True)
class PairConfig(SilverBase):
    """``augment pairs``: STS gold pairs in, gold + balanced silver pairs out."""

    pair: PairOptions = group(PairOptions, panel="Pair mode")


def parse_scale(scale: str) -> tuple[float, float]:
    """``"0,5"`` -> ``(0.0, 5.0)``."""
    try:
        low, high = (float(x) for x in scale.split(","))
    except ValueError:
        raise InputError(f"--scale must be 'LOW,HIGH' (e.g. 0,5), got {scale!r}") from None
    if not low < high:
        raise InputError(f"--scale needs LOW < HIGH, got {scale!r}")
    return low, high
