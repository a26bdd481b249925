"""What ``datagen masked-sentences`` reads from its generator, whichever backend it is.

A :class:`MaskedGenerator` is a :class:`~datagen.generation.Generator` whose :meth:`run` gives
the failures with their stage and afterwards describes the run itself: ``info`` (its section of
the manifest) and ``vocabulary`` (the types' own vocabulary for the own-vocabulary check, when
known). The command never asks which backend it got.
"""

from __future__ import annotations

from typing import Any, Protocol

from datagen.generation import Generator
from datagen.masked.offline.vocabulary import TypeVocabulary


class MaskedGenerator(Generator, Protocol):
    """A generator of ``masked`` rows that describes its run (set by :meth:`run`)."""

    info: dict[str, Any]
    vocabulary: TypeVocabulary | None
