"""Reduce an HTML page to its title and main text (navigation, ads and footers removed).

Uses trafilatura, a maintained main-content extractor (readability-style heuristics plus
jusText fallback), rather than hand-written tag rules that break on every new site layout.
"""

from __future__ import annotations

from dataclasses import dataclass

# Below this many words the "main text" is navigation or link residue (a menu page's "Home").
MIN_WORDS = 5


@dataclass(frozen=True)
class PageText:
    """The main content of a page: its title and its text, one paragraph per line."""

    title: str
    text: str


def extract_page_text(html: str | bytes, url: str | None = None) -> PageText:
    """Title and main text of ``html``; ``text`` is empty when there is no main content.

    No main content: nothing extracted, or fewer than ``MIN_WORDS`` words. Bytes are decoded
    by trafilatura (declared charset, else detection).
    """
    import trafilatura

    doc = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        favor_precision=True,
        include_comments=False,
        include_tables=False,
    )
    if doc is None:
        return PageText(title="", text="")
    title = " ".join((doc.title or "").split())
    lines = [" ".join(line.split()) for line in (doc.text or "").splitlines()]
    lines = [line for line in lines if line]
    if lines and title and lines[0] == title:
        lines = lines[1:]  # the page's <h1> repeats the title
    text = "\n".join(lines)
    return PageText(title=title, text=text if len(text.split()) >= MIN_WORDS else "")
