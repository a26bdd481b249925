"""A fake LLM for the generation commands, for :class:`tests.support.fake_openai.FakeOpenAI`:
answers their prompts correctly (sentences containing ``BROKEN``: always with two masks)."""

from __future__ import annotations

import json
import re

from schemas.labels import MBTI

BROKEN = "BROKEN"
_SENTENCE = re.compile(r"^Sentence: (.*)$", re.M)


def first_user(request: dict) -> str:
    return next(m["content"] for m in request["messages"] if m["role"] == "user")


_WHEN = ("it rains", "my boss calls", "friends visit", "the train is late", "I wake up early",
         "a parcel arrives", "the kettle boils", "my sister sings", "dinner burns", "exams start",
         "the cat hides", "my bike breaks", "snow falls")  # fmt: skip
_WHAT = ("I bake bread", "I answer emails", "I water the plants", "I phone my grandmother",
         "I paint the fence", "I sort old photos", "I repair the radio", "I jog by the river",
         "I read a thriller", "I tune my guitar", "I study maps")  # fmt: skip


def distinct_sentence(i: int) -> str:
    """The ``i``-th of 143 different everyday sentences."""
    return f"Whenever {_WHEN[i % len(_WHEN)]}, {_WHAT[i // len(_WHEN) % len(_WHAT)]}."


def mask_last_word(sentence: str) -> str:
    """``I pack early.`` -> ``I pack [MASK].``; a ``BROKEN`` sentence gets two masks."""
    masked = re.sub(r"\w+(?=\W*$)", "[MASK]", sentence, count=1)
    return masked.replace(BROKEN, "[MASK]") if BROKEN in sentence else masked


def fills(label: str) -> list[dict]:
    """Per type: its letters as a word (never a type name: ``fill-istj`` would be one)."""
    word = {"I": "quiet", "E": "loud"}[label[0]] + label[1:].lower()
    return [{"word": word, "prob": 0.6}, {"word": "plainly", "prob": 0.2}]


def masked_responder(request: dict) -> str:
    """Answers base-sentence, all-types, mask-slot and per-type prompts (those that describe the
    type by article sentences with the fills of ISTJ)."""
    user = first_user(request)
    if user.startswith("Write "):
        batch = int(re.search(r"batch \(number (\d+)\)", user).group(1))
        n = int(re.search(r"Write (\d+) ", user).group(1))
        sentences = [distinct_sentence(batch * n + i) for i in range(n)]
        return json.dumps({"sentences": [*sentences, sentences[0]]})  # one exact repeat
    if "A person of the MBTI type" in user:
        label = re.search(r"MBTI type (\w{4})", user).group(1)
        return json.dumps({"candidates": fills(label)})
    if "This person says this sentence:" in user:  # --type-context: the type is not named
        return json.dumps({"candidates": fills("ISTJ")})
    sentence = _SENTENCE.search(user).group(1)
    if "For each of the 16 types" in user:
        answer = {"masked": mask_last_word(sentence), "fills": {t: fills(t) for t in MBTI.labels}}
        return json.dumps(answer)
    return json.dumps({"masked": mask_last_word(sentence)})
