"""Does a fill fit its slot? Same part of speech and inflection as the masked word, and not its
antonym (an antonym flips the sentence's meaning and carries no type signal).

English only (``None`` for other languages): the Penn tags a word can carry come from
``lemminflect``'s lexicon (lemmas and their inflections with Penn tags, shipped in the package),
narrowed by the word before the slot (``I [MASK]`` is a verb, ``my [MASK]`` a noun or adjective).
A phrase is judged by its last word. The lexicon knows no frequencies (``job`` can be a verb), so
a generator may add :class:`Roles`, the same context counted in its own texts, to keep
noun/verb homographs in the role they mostly have there. Antonyms: a small curated list of the
poles of frequency, degree and manner words plus the negating affixes (``un-``, ``-less`` ...).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import cache

from lemminflect import getAllInflections, getAllLemmas

_POLES = (
    ("always usually often frequently regularly normally generally typically constantly "
     "routinely mostly", "rarely seldom never hardly barely scarcely"),
    ("always forever", "never"),
    ("early soon beforehand", "late later"),
    ("quickly fast rapidly immediately promptly", "slowly gradually eventually"),
    ("carefully thoroughly precisely exactly strictly", "carelessly loosely roughly vaguely"),
    ("very extremely completely totally fully entirely really", "slightly barely somewhat"),
    ("calm calmly relaxed", "anxious anxiously nervous nervously stressed"),
    ("happy happily glad", "sad sadly unhappy"),
    ("quiet quietly", "loud loudly noisy noisily"),
    ("love loves loved enjoy enjoys enjoyed like likes liked",
     "hate hates hated dislike dislikes disliked"),
    ("yes", "no"),
    ("more", "less fewer"),
    ("many much", "few little"),
    ("big large", "small little"),
    ("messy", "tidy neat organised organized"),
    ("planned", "unplanned spontaneous"),
    ("accept accepts accepted", "refuse refuses refused decline declines declined reject"),
    ("remember remembers remembered", "forget forgets forgot forgotten"),
    ("start starts started begin begins began", "finish finishes finished stop stops stopped"),
)  # fmt: skip
_NEGATING_PREFIXES = ("un", "in", "im", "il", "ir", "dis", "non", "non-")
_SUFFIX_SWAPS = (("ful", "less"), ("fully", "lessly"))
# The word before the slot -> the tags the slot can take there.
_VERB_BEFORE_TEXT = """i we you they to can could will would should must might may do does did
don't didn't always usually often never rarely sometimes also just"""
_NOMINAL_BEFORE_TEXT = "a an the my your his her our their this that these those"
_VERB_BEFORE = frozenset(_VERB_BEFORE_TEXT.split())
_NOMINAL_BEFORE = frozenset(_NOMINAL_BEFORE_TEXT.split())
_VERB_TAGS = frozenset({"VB", "VBP", "VBD", "VBZ", "VBG", "VBN"})
_NOMINAL_TAGS = frozenset({"NN", "NNS", "JJ", "JJR", "JJS"})
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


def _pole_pairs() -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for high, low in _POLES:
        for a, b in ((high.split(), low.split()), (low.split(), high.split())):
            for w in a:
                out.setdefault(w, set()).update(b)
    return {w: frozenset(v) for w, v in out.items()}


ANTONYMS = _pole_pairs()


def _forms(lemma: str, upos: str) -> dict[str, tuple[str, ...]]:
    """``lemma``'s forms by Penn tag (lemminflect leaves out a VBN equal to the VBD)."""
    forms = dict(getAllInflections(lemma, upos))
    if "VBD" in forms and "VBN" not in forms:
        forms["VBN"] = forms["VBD"]
    return forms


@cache
def word_tags(word: str) -> frozenset[str]:
    """The Penn tags ``word`` can carry (empty: not in the lexicon)."""
    w = word.lower()
    tags = set()
    for upos, lemmas in getAllLemmas(w).items():
        for lemma in lemmas:
            tags.update(tag for tag, forms in _forms(lemma, upos).items() if w in forms)
    return frozenset(tags)


@cache
def inflections(word: str) -> dict[str, str]:
    """Every form of ``word``'s lemmas by Penn tag (``plans`` -> ``{"VBD": "planned", ...}``);
    where a tag has several lemmas the first one wins (lexicon order)."""
    out: dict[str, str] = {}
    for upos, lemmas in getAllLemmas(word.lower()).items():
        for lemma in lemmas:
            for tag, forms in _forms(lemma, upos).items():
                out.setdefault(tag, forms[0])
    return out


def _head(phrase: str) -> str:
    words = _WORD.findall(phrase)
    return words[-1].lower() if words else ""


def slot_tags(original: str, before: str = "") -> frozenset[str]:
    """The tags the slot of ``original`` takes, given the text ``before`` it."""
    tags = word_tags(_head(original))
    words = _WORD.findall(before)
    previous = words[-1].lower() if words else ""
    context = (
        _VERB_TAGS
        if previous in _VERB_BEFORE
        else _NOMINAL_TAGS
        if previous in _NOMINAL_BEFORE
        else None
    )
    if context is not None and tags & context:
        return tags & context
    return tags


def is_antonym(original: str, fill: str) -> bool:
    """``usually``/``rarely``, ``happy``/``unhappy``, ``careful``/``careless``."""
    a, b = original.lower().strip(), fill.lower().strip()
    if b in ANTONYMS.get(a, ()):
        return True
    for x, y in ((a, b), (b, a)):
        if any(y == p + x for p in _NEGATING_PREFIXES):
            return True
        if any(x.endswith(s) and y == x[: -len(s)] + t for s, t in _SUFFIX_SWAPS):
            return True
        if any(x.endswith(t) and y == x[: -len(t)] + s for s, t in _SUFFIX_SWAPS):
            return True
    return False


def fits(original: str, fill: str, before: str = "", *, lang: str = "en") -> bool | None:
    """Whether ``fill`` fits the slot of ``original`` (``None``: no check for ``lang``)."""
    if lang != "en":
        return None
    if is_antonym(original, fill):
        return False
    return bool(slot_tags(original, before) & word_tags(_head(fill)))


class Roles:
    """How often each word follows a verb context (``I``, ``to``, a modal) or a nominal one (a
    determiner, a possessive) in some texts."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.verb: Counter[str] = Counter()
        self.nominal: Counter[str] = Counter()
        for text in texts:
            words = [w.lower() for w in _WORD.findall(text)]
            for previous, word in zip(words, words[1:], strict=False):
                if previous in _VERB_BEFORE:
                    self.verb[word] += 1
                elif previous in _NOMINAL_BEFORE:
                    self.nominal[word] += 1

    def allows(self, word: str, tags: frozenset[str]) -> bool:
        """Whether ``word`` may take one of ``tags``: a noun/verb homograph (``job``, ``plan``)
        only in the role it had more often in the texts (a verb needs more verb uses)."""
        own = word_tags(word)
        if not (own & _VERB_TAGS and own & {"NN", "NNS"}):
            return True
        if tags <= _VERB_TAGS:
            return self.verb[word] > self.nominal[word]
        return self.verb[word] <= self.nominal[word] or not tags & _VERB_TAGS
