"""Split article text into sentences: pysbd for English, kss for Korean (no model downloads).

Each line of an article (a paragraph, heading or list item) is split on its own, so a heading
never runs into the sentence after it. kss uses its pure-Python ``punct`` backend; importing kss
takes seconds, so it is imported lazily and only when Korean text appears.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Literal

Lang = Literal["en", "ko"]

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LETTER = re.compile(r"[^\W\d_]")
KOREAN_RATIO = 0.3


def detect_lang(text: str) -> Lang:
    """``"ko"`` when at least 30 % of the letters are Hangul, else ``"en"``."""
    letters = len(_LETTER.findall(text))
    if letters == 0:
        return "en"
    return "ko" if len(_HANGUL.findall(text)) / letters >= KOREAN_RATIO else "en"


@functools.lru_cache(maxsize=1)
def _english_segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def _split_english(blocks: Sequence[str]) -> list[list[str]]:
    seg = _english_segmenter()
    return [[s.strip() for s in seg.segment(b) if s.strip()] for b in blocks]


def _split_korean(blocks: Sequence[str]) -> list[list[str]]:
    import kss  # slow import: only when there is Korean text

    out = kss.split_sentences(list(blocks), backend="punct", num_workers=1)
    return [[s.strip() for s in sents if s.strip()] for sents in out]


def split_sentences(text: str, lang: Lang) -> list[str]:
    """Sentences of ``text`` in order, line by line."""
    blocks = [line.strip() for line in text.splitlines() if line.strip()]
    if not blocks:
        return []
    per_block = _split_korean(blocks) if lang == "ko" else _split_english(blocks)
    return [s for sents in per_block for s in sents]
