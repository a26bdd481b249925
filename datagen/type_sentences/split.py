"""Split article text into sentences: pysbd for English, kss for Korean (no model downloads).

Each line of an article (a paragraph, heading or list item) is split on its own, so a heading
never runs into the sentence after it. kss uses its pure-Python ``punct`` backend and is loaded
lazily, only when Korean text appears (see :func:`_kss_split_sentences`).
"""

from __future__ import annotations

import functools
import importlib.util
import sys
import types
from collections.abc import Callable, Sequence

from schemas.text import Lang


@functools.lru_cache(maxsize=1)
def _english_segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def _split_english(blocks: Sequence[str]) -> list[list[str]]:
    seg = _english_segmenter()
    return [[s.strip() for s in seg.segment(b) if s.strip()] for b in blocks]


@functools.lru_cache(maxsize=1)
def _kss_split_sentences() -> Callable[..., list[list[str]]]:
    """kss's ``split_sentences`` without running ``kss/__init__``.

    ``import kss`` imports every kss module (g2p, spacing, paradigm dictionaries...), 10-20 s;
    the sentence splitter alone loads in under a second. A bare stand-in package is registered
    only while that submodule is imported and removed afterwards, so a later ``import kss``
    runs the real ``__init__`` and reuses the loaded submodules. Falls back to ``import kss``.
    """
    if "kss" not in sys.modules:
        spec = importlib.util.find_spec("kss")
        if spec is not None and spec.submodule_search_locations:
            stand_in = types.ModuleType("kss")
            stand_in.__path__ = list(spec.submodule_search_locations)
            stand_in.__spec__ = spec
            sys.modules["kss"] = stand_in
            try:
                from kss._modules.sentences.split_sentences import split_sentences as fn

                return fn
            except ImportError:
                pass
            finally:
                del sys.modules["kss"]
    import kss

    return kss.split_sentences


def _split_korean(blocks: Sequence[str]) -> list[list[str]]:
    out = _kss_split_sentences()(list(blocks), backend="punct", num_workers=1)
    return [[s.strip() for s in sents if s.strip()] for sents in out]


def split_sentences(text: str, lang: Lang) -> list[str]:
    """Sentences of ``text`` in order, line by line."""
    blocks = [line.strip() for line in text.splitlines() if line.strip()]
    if not blocks:
        return []
    per_block = _split_korean(blocks) if lang == "ko" else _split_english(blocks)
    return [s for sents in per_block for s in sents]
