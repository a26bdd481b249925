"""``train all``'s options: the three inputs, the seeds and fractions, the phase options."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from schemas.errors import InputError
from schemas.options import group, option
from train.phases.args import TrainArgs

DEFAULT_MODEL = "bundled:all-MiniLM-L6-v2"


@dataclass(kw_only=True)
class StudyConfig:
    """What ``train all`` runs; ``args.seed`` is the first seed, the others follow it."""

    type_sentences: Path = option(help="Phase-1 data (type sentences).")
    masked: Path = option(help="Phase-2 data (masked sentences).")
    posts: Path = option(help="Phase-3 data (labelled posts).")
    out: Path = option(help="Study directory (report, models).")
    model: str | None = option(
        DEFAULT_MODEL, help="Encoder name or path (default: bundled MiniLM)."
    )
    seeds: int = option(3, help="Seeds (--seed, --seed+1, ...), paired across arms.")
    fractions: str = option(
        "1.0", help="Fractions of the training posts, e.g. 0.05,0.25,1.0 (in (0,1])."
    )
    dev: float = option(0.1, help="Share of posts (by author) for dev.")
    test: float = option(0.2, help="Share of posts (by author) for test.")
    thresholds: str = option("static", help="static (0.5) or dynamic (tuned on dev per axis).")
    silver_weight: float = option(1.0, help="Loss weight of silver posts.")
    mlm_mix: float = option(0.0, help="Phase 2: weight of random-masking MLM.")
    mask_types: bool = option(True, help="Mask type mentions first.")
    args: TrainArgs = group(TrainArgs, panel="Training")

    def __post_init__(self) -> None:
        if self.thresholds not in ("static", "dynamic"):
            raise InputError(f"{self.thresholds!r} is not static or dynamic", field="--thresholds")
        if self.seeds < 1:
            raise InputError("must be at least 1", field="--seeds")
        self.out = Path(self.out).resolve()
        parse_fractions(self.fractions)

    @property
    def seed_list(self) -> list[int]:
        return [self.args.seed + i for i in range(self.seeds)]

    @property
    def fraction_list(self) -> tuple[float, ...]:
        return parse_fractions(self.fractions)


def parse_fractions(text: str) -> tuple[float, ...]:
    """``"0.05,0.25,1.0"`` -> sorted unique fractions, each in (0, 1]."""
    values = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise InputError(f"{part.strip()!r} is not a number", field="--fractions") from None
        if not 0 < value <= 1 or math.isnan(value):
            raise InputError(f"{value:g} is outside (0, 1]", field="--fractions")
        values.append(value)
    return tuple(sorted(set(values)))
