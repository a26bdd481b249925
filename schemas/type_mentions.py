"""Find and mask mentions of MBTI types inside texts, which would leak the label.

Covers the 16 types in any case with plural/possessive endings (``INFJ``, ``infjs``,
``ENTP's``), x-wildcards (``INxJ``), cognitive-function codes (``Fi``, ``Ne-dom``, ``dom-Ti``)
and Korean type nicknames (``인프피``, ``엣티제``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_MASK = "[TYPE]"

_TYPE = r"[IEXiex][NSXnsx][TFXtfx][JPXjpx]"
_TYPE_RE = rf"(?<![A-Za-z0-9]){_TYPE}(?:'?s|es)?(?![A-Za-z0-9])"
_FUNC = r"(?:Fi|Fe|Ti|Te|Ni|Ne|Si|Se)"
_ROLE = r"(?:dom|dominant|aux|auxiliary|tert|tertiary|inf|inferior)"
_FUNC_RE = rf"(?<![A-Za-z0-9])(?:{_ROLE}[- ])?{_FUNC}(?:[- ]?{_ROLE})?(?:'?s)?(?![A-Za-z0-9])"
# Korean nicknames: (I|E) + (S|N) + (T|F) + (J|P), e.g. 인프피 = INFP, 엣티제 = ESTJ.
KOREAN_NICKNAMES: dict[str, str] = {
    "인프피": "INFP", "인프제": "INFJ", "인팁": "INTP", "인티제": "INTJ",
    "잇프피": "ISFP", "잇프제": "ISFJ", "잇팁": "ISTP", "잇티제": "ISTJ",
    "엔프피": "ENFP", "엔프제": "ENFJ", "엔팁": "ENTP", "엔티제": "ENTJ",
    "엣프피": "ESFP", "엣프제": "ESFJ", "엣팁": "ESTP", "엣티제": "ESTJ",
}  # fmt: skip
_KO_RE = "|".join(sorted(KOREAN_NICKNAMES, key=len, reverse=True))
_PATTERN = re.compile(rf"{_TYPE_RE}|{_FUNC_RE}|(?:{_KO_RE})")
_TYPE_ONLY = re.compile(_TYPE_RE)


def _is_mention(match: re.Match[str]) -> bool:
    text = match.group(0)
    if _TYPE_ONLY.fullmatch(text):
        core = text[:4]
        if "x" not in core.lower():
            return True
        # With wildcards only uppercase forms with two or more real letters count (``INxJ``).
        letters = [c for c in core if c.lower() != "x"]
        return len(letters) >= 2 and all(c.isupper() for c in letters)
    return True


@dataclass(frozen=True)
class MaskResult:
    text: str
    n_masked: int


def find_type_mentions(text: str) -> list[str]:
    """All type mentions in ``text``, in order."""
    return [m.group(0) for m in _PATTERN.finditer(text) if _is_mention(m)]


def mask_type_mentions(text: str, mask: str = DEFAULT_MASK) -> MaskResult:
    """Replace every type mention with ``mask``; return the text and how many were masked."""
    count = 0

    def repl(m: re.Match[str]) -> str:
        nonlocal count
        if not _is_mention(m):
            return m.group(0)
        count += 1
        return mask

    return MaskResult(_PATTERN.sub(repl, text), count)
