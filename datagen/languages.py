"""Output languages of the generation commands and a cheap check that a text is in one."""

from __future__ import annotations

import re

from schemas.errors import InputError

LANGUAGES: dict[str, str] = {"en": "English", "ko": "Korean"}
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LETTER = re.compile(r"[^\W\d_]")
_ASCII_LETTER = re.compile(r"[A-Za-z]")


def parse_lang(value: str) -> str:
    """``en``/``ko`` (case-insensitive) or an :class:`InputError` listing the known codes."""
    code = value.strip().lower()
    if code not in LANGUAGES:
        known = ", ".join(f"{k} ({v})" for k, v in LANGUAGES.items())
        raise InputError(f"unknown language {value!r} (known: {known})", field="--lang")
    return code


def language_name(code: str) -> str:
    return LANGUAGES[parse_lang(code)]


def letter_share(text: str, lang: str) -> float:
    """Share of the letters in ``text`` that belong to ``lang``'s script (Hangul / ASCII)."""
    letters = _LETTER.findall(text)
    if not letters:
        return 0.0
    script = _HANGUL if lang == "ko" else _ASCII_LETTER
    return sum(1 for c in letters if script.match(c)) / len(letters)


def is_language(text: str, lang: str, min_share: float | None = None) -> bool:
    """Whether ``text`` is written in ``lang``: at least 90 % ASCII letters for English, at least
    50 % Hangul letters for Korean (Korean texts often quote Latin words and type codes)."""
    threshold = min_share if min_share is not None else (0.5 if lang == "ko" else 0.9)
    return letter_share(text, lang) >= threshold
