"""The MBTI poles spelt out, as the prompts and the offline labeller name a type:
``INFJ`` -> ``Introverted, Intuitive, Feeling, Judging``."""

from __future__ import annotations

from schemas.labels import MBTI

POLE_NAMES: dict[str, str] = {
    "E": "Extraverted", "I": "Introverted", "S": "Sensing", "N": "Intuitive",
    "T": "Thinking", "F": "Feeling", "J": "Judging", "P": "Perceiving",
}  # fmt: skip


def type_description(label: str) -> str:
    """``INFJ`` -> ``Introverted, Intuitive, Feeling, Judging``."""
    return ", ".join(POLE_NAMES[letter] for letter in MBTI.letters(label))
