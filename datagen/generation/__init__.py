"""The generation seam: every backend a generation command can use is a :class:`Generator`,
picked by :func:`make_generator` (online LLM, Batch API, or the stage's offline backend)."""

from datagen.generation.factory import Generator, make_generator

__all__ = ["Generator", "make_generator"]
