"""Output languages of the generation commands (``--lang``) and their names in prompts."""

from __future__ import annotations

from schemas.errors import InputError

LANGUAGES: dict[str, str] = {"en": "English", "ko": "Korean"}


def parse_lang(value: str) -> str:
    """``en``/``ko`` (case-insensitive) or an :class:`InputError` listing the known codes."""
    code = value.strip().lower()
    if code not in LANGUAGES:
        known = ", ".join(f"{k} ({v})" for k, v in LANGUAGES.items())
        raise InputError(f"unknown language {value!r} (known: {known})", field="--lang")
    return code


def language_name(code: str) -> str:
    return LANGUAGES[parse_lang(code)]
