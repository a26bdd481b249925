"""``train all``'s options: the inputs, the task, the seeds and fractions, the phase options."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from schemas.errors import InputError
from schemas.options import group, option
from train.engine.args import TrainArgs
from train.engine.encoding import EncodeOptions
from train.tasks.columns import DataOptions
from train.tasks.options import TaskOptions

DEFAULT_MODEL = "bundled:all-MiniLM-L6-v2"


@dataclass(kw_only=True)
class StudyConfig:
    """What ``train all`` runs; ``args.seed`` is the first seed, the others follow it.

    Every task compares plain fine-tuning, TF-IDF and the majority baseline, and the
    three-phase recipe too when the phase-1/2 data are given (``regression`` has no label set
    for them).
    """

    type_sentences: Path | None = option(
        None,
        help="Phase-1 data: label-description sentences (with --masked: adds the three-phase arm).",
    )
    masked: Path | None = option(
        None, help="Phase-2 data: masked sentences per label (with --type-sentences)."
    )
    posts: Path = option(help="Phase-3 data (labelled posts, or any task's labelled texts).")
    out: Path = option(help="Study directory (report, models).")
    model: str | None = option(
        DEFAULT_MODEL, help="Encoder name or path (default: bundled MiniLM)."
    )
    seeds: int = option(3, help="Seeds (--seed, --seed+1, ...), paired across arms.", ge=1)
    fractions: str = option(
        "1.0", help="Fractions of the training posts, e.g. 0.05,0.25,1.0 (in (0,1])."
    )
    silver_weight: float = option(1.0, help="Loss weight of silver posts.", ge=0)
    mlm_mix: float = option(0.0, help="Phase 2: weight of random-masking MLM.", ge=0)
    mask_types: bool = option(True, help="Mask type mentions first.")
    task_options: TaskOptions = group(TaskOptions, panel="Task")
    columns: DataOptions = group(DataOptions, panel="Data")
    args: TrainArgs = group(TrainArgs, panel="Training")
    encoding: EncodeOptions = group(EncodeOptions, panel="Encoding")

    def __post_init__(self) -> None:
        if self.type_sentences is not None or self.masked is not None:
            field = "--type-sentences" if self.type_sentences else "--masked"
            self.task_options.check_label_set(field)
            if self.type_sentences is None or self.masked is None:
                raise InputError(
                    "the three-phase arm needs both --type-sentences and --masked", field=field
                )
        self.out = Path(self.out).resolve()
        parse_fractions(self.fractions)

    @property
    def has_phases(self) -> bool:
        """Whether the three-phase arm runs (phase-1/2 data given)."""
        return self.type_sentences is not None and self.masked is not None

    def seed_args(self, seed: int) -> TrainArgs:
        """The training options of one seed's run (its directory may be replaced)."""
        return replace(self.args, seed=seed, overwrite=True)

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
