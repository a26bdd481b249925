"""Clean candidate sentences: normalise, drop boilerplate, bad lengths and duplicates, mask types.

:class:`SentenceFilter` keeps its counts (why each sentence was dropped, how many type mentions
were masked) so that the command can put them in the manifest.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from schemas.errors import InputError
from schemas.options import option
from schemas.text import Deduplicator, Lang, normalize_sentence
from schemas.type_mentions import DEFAULT_MASK, mask_type_mentions


@dataclass
class FilterConfig:
    """Length limits (English: words; Korean: characters without spaces) and dedup settings."""

    options_panel = "Filters"

    min_words: int = option(4, help="English: fewest words kept.", ge=1)
    max_words: int = option(60, help="English: most words kept.", ge=1)
    min_chars: int = option(10, help="Korean: fewest characters (without spaces) kept.", ge=1)
    max_chars: int = option(200, help="Korean: most characters (without spaces) kept.", ge=1)
    near_duplicate: float = option(
        0.85,
        aliases=("--near-dup",),
        help="Drop a sentence whose character-5-gram Jaccard similarity with an earlier one "
        "is at least this (1.0: exact duplicates only).",
        gt=0,
        le=1,
    )
    mask_types: bool = option(
        True, help="--no-mask-types: keep type mentions (INFJ, Fi, 인프피) instead of [TYPE]."
    )

    def __post_init__(self) -> None:
        for low, high, name in (
            (self.min_words, self.max_words, "words"),
            (self.min_chars, self.max_chars, "chars"),
        ):
            if high < low:
                raise InputError(
                    f"need --min-{name} <= --max-{name}, got {low} and {high}",
                    field=f"--min-{name}",
                )

    def length_limits(self, lang: Lang) -> tuple[int, int]:
        """(min, max) length for ``lang`` in the unit of :func:`sentence_length`."""
        if lang == "en":
            return self.min_words, self.max_words
        return self.min_chars, self.max_chars


# Page furniture: sharing, navigation, newsletters, cookies, legal lines, bylines, tags.
_BOILERPLATE_START = (
    r"share (this|on|via)\b",
    r"read (more|next|also)\b",
    r"related( articles?| posts?| reading)?\s*:",
    r"see also\b",
    r"tags?\s*:",
    r"categor(y|ies)\s*:",
    r"(click|tap) here\b",
    r"(sign up|log in|subscribe|follow us|join \d[\d,]* readers)\b",
    r"advertisement\b",
    r"sponsored\b",
    r"(leave a|post a|\d+) (comment|reply|comments)\b",
    r"(posted|published|written|updated) (on|in|by)\b",
    r"by the .{1,40} team\b",
    r"(next|previous|prev)( article| post)?\s*:",
    r"back to top\b",
    r"\d+ min(ute)? read\b",
)
_BOILERPLATE_ANYWHERE = (
    r"\bcookies?\b.*\b(policy|settings|consent|accept|browse|experience)\b",
    r"\b(accept|manage) (all|cookies|settings)\b",
    r"\ball rights reserved\b",
    r"©|\(c\) ?(19|20)\d\d",
    r"\bprivacy policy\b",
    r"\bterms (of (use|service)|and conditions)\b",
    r"\b(our|the) newsletter\b",
    r"https?://|www\.",
    r"공유하기|구독|무단\s?전재|저작권|관련\s?기사|더\s?보기|댓글|쿠키",
)
_BOILERPLATE = re.compile(
    "|".join([f"^(?:{p})" for p in _BOILERPLATE_START] + list(_BOILERPLATE_ANYWHERE)),
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?…]['\")\]]*$")


def is_boilerplate(text: str) -> bool:
    """True for sharing/navigation/newsletter/cookie/legal lines ("Share this article")."""
    return bool(_BOILERPLATE.search(text))


def sentence_length(text: str, lang: Lang) -> int:
    """Words (English) or characters without spaces (Korean), not counting mask tokens."""
    text = text.replace(DEFAULT_MASK, " ")
    return len(text.split()) if lang == "en" else len("".join(text.split()))


@dataclass(frozen=True)
class Verdict:
    """A kept sentence (``text``, masked) or the reason it was dropped."""

    text: str | None
    reason: str | None = None
    n_masked: int = 0


class SentenceFilter:
    """Apply the cleaning steps in order; remembers sentences kept so far (for dedup)."""

    def __init__(self, config: FilterConfig) -> None:
        self.config = config
        self.duplicates = Deduplicator("jaccard", config.near_duplicate)
        self.counts: Counter[str] = Counter()

    def __call__(self, raw: str, lang: Lang) -> Verdict:
        verdict = self._judge(raw, lang)
        if verdict.text is None:
            self.counts[f"dropped_{verdict.reason}"] += 1
        else:
            self.counts["kept"] += 1
            self.counts["masked_mentions"] += verdict.n_masked
            self.counts["sentences_with_masks"] += int(verdict.n_masked > 0)
        return verdict

    def _judge(self, raw: str, lang: Lang) -> Verdict:
        cfg = self.config
        text = normalize_sentence(raw)
        if not text:
            return Verdict(None, "empty")
        if is_boilerplate(text):
            return Verdict(None, "boilerplate")
        if lang == "en" and not _SENTENCE_END.search(text):
            return Verdict(None, "no_end_punct")  # headings, captions, menu items
        n_masked = 0
        if cfg.mask_types:
            masked = mask_type_mentions(text)
            text, n_masked = masked.text, masked.n_masked
        low, high = cfg.length_limits(lang)
        length = sentence_length(text, lang)
        if length < low:
            return Verdict(None, "too_short")
        if length > high:
            return Verdict(None, "too_long")
        (duplicate,) = self.duplicates.check([text])
        if duplicate:
            return Verdict(None, duplicate)
        return Verdict(text, None, n_masked)
