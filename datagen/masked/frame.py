"""The framed answer of ``--fill frame``: the model writes the masked sentence again, and a GBNF
grammar (llama.cpp's ``grammar`` request field) lets it choose only the word in the blank.

Small models asked for "one word" answer prose, or copy ``[MASK]`` or the sentence's first word;
repeating the sentence is what they do anyway, so the grammar spells it and leaves the blank
free. The candidate distribution is the ``top_logprobs`` of the token where the free word starts
(the model's "probability of the vocabulary" at the blank). llama.cpp computes them from the raw
logits, before its grammar, so the list holds tokens the grammar forbids (`` [`` copying the
mask, punctuation): the caller keeps the words.
"""

from __future__ import annotations

import math
import re

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


def frame_grammar(masked: str, lang: str) -> str:
    """``root ::= "I" " " [a-z]+ " pack my suitcase."`` for ``I [MASK] pack my suitcase.``:
    the space before the word is a literal of its own, so the model may use its usual
    word-initial token (`` would``) there, and the word's alternatives start at that token."""
    head, gap, after = split_frame(masked)
    parts = [_literal(text) for text in (head, gap) if text]
    parts.append(_word_class(head, lang))
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


def blank_alternatives(
    masked: str, word: str, logprobs: list[dict] | None, lang: str
) -> dict[str, float] | None:
    """``{piece: probability}`` from the ``top_logprobs`` of the token that starts the word:
    the chosen token stands for the whole ``word``, every other word-initial token the grammar
    allows there for its own text (a single token: most fills of a small model are one).
    ``None`` when the server sent no logprobs or no token starts exactly at the blank."""
    if not logprobs:
        return None
    head, gap, _ = split_frame(masked)
    position = 0
    for item in logprobs:
        if position >= len(head):
            break
        position += len(item.get("token", ""))
    else:
        return None
    if position != len(head):
        return None
    chosen = item
    allowed = re.compile(_word_class(head, lang))
    out: dict[str, float] = {}
    for alt in chosen.get("top_logprobs") or []:
        token = alt.get("token", "")
        if token[: len(gap)] != gap or token[len(gap) : len(gap) + 1].isspace():
            continue  # not the start of a word: punctuation or a piece glued to the previous one
        piece = word if token == chosen.get("token") else token[len(gap) :]
        if allowed.fullmatch(piece):
            out[piece] = out.get(piece, 0.0) + math.exp(float(alt.get("logprob", -math.inf)))
    if word not in out:
        out[word] = math.exp(float(chosen.get("logprob", 0.0)))
    return out
