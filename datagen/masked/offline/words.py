"""Words for the offline backend: tokens with offsets, a function-word stoplist, word shapes.

No POS tagger: English content words are the alphabetic tokens outside a stoplist; Korean words
are Hangul runs with a trailing particle split off (the stem is what gets masked and filled).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_STOP_EN = """
a about above after again against all almost also although am an and another any
anyone anything are aren't around as at away back be because been before being below
between both but by can can't cannot could couldn't did didn't do does doesn't doing don't
down during each either else enough even ever every everyone everything few for from
further get gets getting got had hadn't has hasn't have haven't having he he'd he'll he's
her here here's hers herself him himself his how how's however i i'd i'll i'm i've if in
into is isn't it it's its itself just let let's like lot lots made make makes many may me
might mine more most much must mustn't my myself need next no nor not nothing now of
off on once one ones only onto or other others otherwise ought our ours ourselves out
over own per perhaps quite rather really same say says she she'd she'll she's should
shouldn't since so some someone something still such than that that's the their
theirs them themselves then there there's these they they'd they'll they're they've thing
things this those though through thus to too toward towards under until up upon us
very via was wasn't way we we'd we'll we're we've well were weren't what what's whatever
when when's where where's whether which while who who's whom whose why why's will with
within without won't would wouldn't yes yet you you'd you'll you're you've your yours
yourself yourselves people person type types
"""
_STOP_KO = """
나 나는 내가 저 저는 제가 우리 우리는 너 그 그는 그녀 이 저것 그것 이것 것 수 때 더 잘 좀 또 및 등
그리고 하지만 그러나 그래서 또는 만약 아주 매우 정말 너무 모든 어떤 그런 이런 저런 한 두 세
있다 없다 하다 한다 했다 된다 되다 이다 아니다 같다 것이다 때문에 위해 대해 통해 사람 사람은
사람이 유형
"""
# Longest first, so that 에서는 is split before 는.
_PARTICLES = """은 는 이 가 을 를 에 의 도 로 으로 와 과 만 에서 에게 한테 께 부터 까지 처럼 보다
하고 이나 나 에서는 에게는 으로는 로는 에는 과는 와는 도는 이랑 랑 조차 마저"""
_NOT_ADVERBS_TEXT = "family reply supply apply italy july belly jelly rally ally assembly bully"
STOPWORDS_EN = frozenset(_STOP_EN.split())
STOPWORDS_KO = frozenset(_STOP_KO.split())
KO_PARTICLES = tuple(sorted(_PARTICLES.split(), key=len, reverse=True))
_NOT_ADVERBS = frozenset(_NOT_ADVERBS_TEXT.split())
_EN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]")
_KO_WORD = re.compile(r"[\uac00-\ud7a3]+")


@dataclass(frozen=True)
class Token:
    """A maskable word: ``text[start:end]`` is the stem that a fill replaces."""

    word: str
    start: int
    end: int


def tokens(text: str, lang: str) -> list[Token]:
    """Word tokens with character offsets (Korean: the stem, particle left outside)."""
    if lang == "ko":
        out = []
        for m in _KO_WORD.finditer(text):
            stem = strip_particle(m.group(0))
            out.append(Token(stem, m.start(), m.start() + len(stem)))
        return out
    return [Token(m.group(0), m.start(), m.end()) for m in _EN_WORD.finditer(text)]


def strip_particle(word: str) -> str:
    """``계획을`` -> ``계획`` (keeps at least one syllable)."""
    for particle in KO_PARTICLES:
        if word.endswith(particle) and len(word) > len(particle):
            return word[: -len(particle)]
    return word


def normalise(word: str, lang: str) -> str:
    return word if lang == "ko" else word.lower()


def is_content_word(word: str, lang: str) -> bool:
    """A word that may be masked or offered as a fill (not a function word, not too short)."""
    if lang == "ko":
        return len(word) >= 2 and word not in STOPWORDS_KO
    w = word.lower()
    return len(w) >= 3 and w not in STOPWORDS_EN and "'" not in w


def shape(word: str, lang: str) -> str:
    """A crude part-of-speech stand-in from the ending: ``ly``/``ing``/``ed``/``adj``/``other``
    (English); ``adv``/``other`` (Korean). Fills keep the shape of the word they replace."""
    w = word.lower()
    if lang == "ko":
        return "adv" if w.endswith(("게", "히", "이")) else "other"
    for ending in ("ly", "ing", "ed"):
        if w.endswith(ending) and len(w) > len(ending) + 2 and w not in _NOT_ADVERBS:
            return ending
    if w.endswith(("ful", "ous", "ive", "able", "ible", "less", "ic", "ish", "ent", "ant")):
        return "adj"
    return "other"
