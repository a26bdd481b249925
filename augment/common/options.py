"""The options every ``augment`` command shares: gold in, output out, the bi-encoder that
searches, and the knobs of search and encoding."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from schemas.console import ConsoleOptions
from schemas.hub import PUSH_HELP
from schemas.options import group, option
from train.engine.encoding import EncodeOptions


@dataclass(kw_only=True)
class SilverBase(ConsoleOptions):
    """Gold, output, embedder, search breadth, batch size, seed, downstream check."""

    gold: Path = option(
        argument=True,
        help="Gold: labelled texts (augment silver) or scored STS sentence pairs (augment pairs).",
    )
    out: Path = option(help="Output directory (data set + report).")
    embedder: str | None = option(
        None, help="Bi-encoder name/path (default: bundled all-MiniLM-L6-v2)."
    )
    top_k: int | None = option(
        None,
        help="Neighbours per query (default: 100 per gold post in classification mode, where "
        "the teacher then picks; 10 per sentence in pair mode, where each pair costs a "
        "cross-encoder call).",
        ge=1,
    )
    batch_size: int = option(
        32,
        help="Encoding batch size (on a 2-core CPU 32 encoded MBTI posts 26 % faster than 128).",
        ge=1,
    )
    seed: int = option(0, help="Random seed.", ge=0)
    overwrite: bool = option(False, help="Replace a non-empty --out.")
    push_to_hub: str | None = option(None, help=PUSH_HELP)
    eval_file: Path | None = option(
        None,
        flag="--eval",
        help="Labelled test file: the student on gold vs gold + silver (paired, over seeds).",
    )
    eval_seeds: int = option(3, help="--eval seeds (a paired t interval).", ge=3)
    encoding: EncodeOptions = group(EncodeOptions, panel="Encoding")

    #: ``--top-k`` when not given (each mode sets its own)
    default_top_k: ClassVar[int] = 10

    def neighbours(self) -> int:
        """``--top-k``, or this mode's default."""
        return self.top_k if self.top_k is not None else self.default_top_k
