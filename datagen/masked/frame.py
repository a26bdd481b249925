"""The framed answer of ``--fill frame``: the model writes the masked sentence again, and a GBNF
grammar (llama.cpp's ``grammar`` request field) lets it choose only the word in the blank.

Small models asked for "one word" answer prose, or copy ``[MASK]`` or the sentence's first word;
repeating the sentence is what they do anyway, so the grammar spells it and leaves the blank
free. The answer's word is scored by the sum of its tokens' logprobs; the other word-initial
tokens in the ``top_logprobs`` where the word starts (the model's "probability of the
vocabulary" at the blank) are the starts of other candidates, each continued into a whole word
by a request whose grammar spells that start (:func:`frame_grammar` with ``start``). llama.cpp
computes logprobs from the raw logits, before its grammar, so the list holds tokens the grammar
forbids (`` [`` copying the mask, punctuation): only word starts are kept.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from schemas.records import MASK

# One word of the language's script, as a GBNF character class (inside a sentence English
# words are lower case: small models otherwise copy ``MASK`` or glue capitals into junk) and as
# a regex.
GBNF_WORDS = {"en": "[a-z]+", "ko": "[가-힣]+"}
GBNF_FIRST_WORDS = {"en": "[a-zA-Z]+", "ko": "[가-힣]+"}
_WORD = {"en": re.compile(r"[A-Za-z]+"), "ko": re.compile(r"[가-힣]+")}


def _word_class(head: str, lang: str) -> str:
    return (GBNF_WORDS if head else GBNF_FIRST_WORDS)[lang]


EXTRA_TOKENS = 6  # the word's tokens, beyond the forced text before the blank
NOT_FRAMED = (
    "the answer is not the sentence with one word in the blank (--fill frame needs a server "
    "that applies the request's GBNF `grammar`, such as llama.cpp's; otherwise use --fill word)"
)


def _literal(text: str) -> str:
    """``text`` as a GBNF string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r") + '"'


def split_frame(masked: str) -> tuple[str, str, str]:
    """The text before the blank without its trailing space, that space (or ``""``: a word in
    quotes or brackets) and the text after the blank."""
    before, after = masked.split(MASK)
    head = before.rstrip(" ")
    return head, before[len(head) :], after


def frame_grammar(masked: str, lang: str, start: str = "") -> str:
    """``root ::= "I" " " [a-z]+ " pack my suitcase."`` for ``I [MASK] pack my suitcase.``:
    the space before the word is a literal of its own, so the model may use its usual
    word-initial token (`` would``) there, and the word's alternatives start at that token.
    With ``start`` the word begins with it: ``... " " "spont" [a-z]* ...`` (a continuation)."""
    head, gap, after = split_frame(masked)
    parts = [_literal(text) for text in (head, gap, start) if text]
    parts.append(_word_class(head, lang)[:-1] + "*" if start else _word_class(head, lang))
    if after:
        parts.append(_literal(after))
    return "root ::= " + " ".join(parts)


def frame_max_tokens(masked: str) -> int:
    """Enough tokens for the text before the blank and the word; the rest is not needed."""
    head, _, _ = split_frame(masked)
    return len(head.encode("utf-8")) // 2 + EXTRA_TOKENS


def framed_word(masked: str, answer: str, lang: str) -> str:
    """The word the answer put into the blank; :class:`ValueError` when the answer does not
    follow the frame, or stops inside the word (``--max-tokens`` too small)."""
    head, gap, after = split_frame(masked)
    before = head + gap
    match = _WORD[lang].match(answer, len(before)) if answer.startswith(before) else None
    if match is None:
        raise ValueError(NOT_FRAMED)
    rest = answer[match.end() :]
    if not rest and after and not answer.endswith(after):
        raise ValueError("the answer stops inside the word; raise --max-tokens")
    if rest and not after.startswith(rest[: len(after)]):
        raise ValueError(NOT_FRAMED)
    return match.group()


@dataclass(frozen=True)
class Blank:
    """What the answer's logprobs say at the blank: ``prob``, the probability of its word (the
    product over the word's tokens), and ``starts``, the other word-initial tokens the grammar
    allows there (without the leading space) with their probabilities."""

    prob: float
    starts: dict[str, float]


def read_blank(
    masked: str, word: str, logprobs: list[dict] | None, lang: str, start: str = ""
) -> Blank | None:
    """The :class:`Blank` of an answer whose word is ``word``; ``None`` when the server sent no
    logprobs or no token starts exactly at the blank. In a continuation (the grammar spelt
    ``start``) ``prob`` is that of the tokens after the start: the start's own comes from the
    first answer, as the model chose it there (a server may report a forced token as certain)."""
    if not logprobs:
        return None
    head, gap, _ = split_frame(masked)
    begin, end = len(head), len(head) + len(gap) + len(word)
    first = len(head) + len(gap) + len(start) if start else begin
    positions, position = [], 0
    for item in logprobs:
        positions.append(position)
        position += len(item.get("token", ""))
    if begin not in positions:
        return None
    chosen = logprobs[positions.index(begin)]
    logprob = sum(
        float(item.get("logprob", 0.0))
        for item, at in zip(logprobs, positions, strict=True)
        if first <= at < end  # a token starts at the blank: none straddles it
    )
    allowed = re.compile(_word_class(head, lang))
    starts: dict[str, float] = {}
    for alt in chosen.get("top_logprobs") or []:
        token = alt.get("token", "")
        if token == chosen.get("token") or token[: len(gap)] != gap:
            continue  # the answer's own path, or no word start: punctuation, a glued piece
        piece = token[len(gap) :]
        if allowed.fullmatch(piece):
            prob = math.exp(float(alt.get("logprob", -math.inf)))
            starts[piece] = starts.get(piece, 0.0) + prob
    return Blank(math.exp(logprob), starts)
