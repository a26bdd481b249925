"""``--type-context N``: the per-type prompts describe the type by ``N`` sentences of its own
articles (or type sentences) instead of naming it, so that a small model, which does not know
what ``INFJ`` means, still reads a different person for each type.

The sentences come from :func:`~datagen.masked.offline.type_texts.load_type_texts` (type names
and function codes already masked as ``[TYPE]``), kept when they read as a sentence
(:func:`context_pools`), and are chosen per (masked sentence, type) by a generator seeded with
:data:`SEED`, the masked sentence and the type (:func:`choose_context`), or per type alone with
``--fill score`` (one description of a type for all its sentences: a shift of the model's word
scores that is the same for every sentence of a type is what a type probe tested on unseen
sentences can read; 0.641 vs 0.573 per axis on 25 sample sentences, docs/benchmarks.md): the
same inputs give the same prompts, so a rerun is served from the cache, and neither the order of
the articles nor the other sentences of the run change a prompt.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Mapping, Sequence

from datagen.masked.options import MaskedOptions
from schemas.errors import InputError
from schemas.labels import MBTI

SEED = 0
MIN_WORDS, MAX_WORDS = 5, 40
_SENTENCE_END = re.compile(r"[.!?。]$")

MISSING_TYPES = (
    "--type-context needs sentences of every type in --articles; none in language {lang!r} "
    "for {types} (give their articles, or turn the context off with --type-context 0)"
)


def is_context_sentence(text: str) -> bool:
    """A sentence worth showing: ends like one and has :data:`MIN_WORDS` to :data:`MAX_WORDS`
    words (not a heading, a list item of two words or a "Share this article" line)."""
    return bool(_SENTENCE_END.search(text)) and MIN_WORDS <= len(text.split()) <= MAX_WORDS


def context_pools(texts: Mapping[str, Sequence[str]], lang: str) -> dict[str, list[str]]:
    """Each type's context sentences (unique, sorted: the articles' order does not matter);
    :class:`InputError` when a type has none."""
    pools = {
        label: sorted({s for s in texts.get(label, ()) if is_context_sentence(s)})
        for label in MBTI.labels
    }
    missing = [label for label, pool in pools.items() if not pool]
    if missing:
        raise InputError(MISSING_TYPES.format(lang=lang, types=", ".join(missing)))
    return pools


def choose_context(pool: Sequence[str], masked: str, label: str, n: int) -> list[str]:
    """``n`` sentences of ``pool`` (all when it has fewer), drawn by a generator seeded with
    :data:`SEED`, ``masked`` and ``label``, in the pool's order."""
    key = hashlib.sha256(f"{SEED}\0{masked}\0{label}".encode()).digest()
    chosen = random.Random(key).sample(range(len(pool)), min(n, len(pool)))
    return [pool[i] for i in sorted(chosen)]


def with_context(
    rows: Sequence[dict], pools: Mapping[str, Sequence[str]], n: int, *, per_sentence: bool = True
) -> list[dict]:
    """Per-type rows ``{..., masked, label}`` with their ``context`` sentences added (drawn per
    sentence and type, or per type alone)."""
    return [
        {
            **row,
            "context": choose_context(
                pools[row["label"]], row["masked"] if per_sentence else "", row["label"], n
            ),
        }
        for row in rows
    ]


def format_context(sentences: Sequence[str]) -> str:
    """The context as the prompt shows it: one ``- sentence`` a line."""
    return "\n".join(f"- {s}" for s in sentences)


def type_context_info(opts: MaskedOptions) -> dict[str, int]:
    """The manifest's record of the setting (inside ``per_type``): the sentences per prompt (0:
    off) and, when on, the seed of their choice (and with ``--fill score``, that it is per
    type)."""
    n = opts.context_sentences
    if not n:
        return {"type_context": 0}
    return {"type_context": n, "type_context_seed": SEED,
            **({"type_context_choice": "type"} if opts.scores else {})}  # fmt: skip
