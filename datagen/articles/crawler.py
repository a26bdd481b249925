"""Breadth-first crawl of type-article pages into ``articles`` rows.

Starts from the given URLs, follows ``<a href>`` links (and redirects) on the start hosts plus
any allowed extra hosts, asks robots.txt before every request, and turns each HTML page with
main text into an article labelled by a regex over the URL path, then the title.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from tqdm import tqdm

from datagen.articles.fetcher import Fetcher, FetchError, Response, RobotsRules
from datagen.articles.html import extract_page_text
from datagen.articles.records import TYPE_NAME, article_row
from schemas.errors import InputError
from schemas.labels import MBTI
from schemas.options import option

# Links to these are never HTML pages; skipping them saves requests.
_NOT_PAGES = re.compile(
    r"\.(css|js|json|xml|rss|png|jpe?g|gif|svg|webp|ico|pdf|zip|gz|mp3|mp4|webm|woff2?)$", re.I
)


@dataclass
class CrawlConfig:
    """Which links to follow and how far (the ``datagen scrape`` crawl flags)."""

    options_panel = "Crawling"

    max_pages: int = option(100, help="Most URLs fetched.", ge=1)
    max_depth: int = option(3, help="Most link hops from a start URL.", ge=0)
    allow_hosts: tuple[str, ...] = option(
        (),
        flag="--allow-host",
        cli_type=list[str],
        help="Also follow links to this host (repeatable).",
    )
    label_pattern: re.Pattern[str] = option(
        TYPE_NAME,
        cli_type=str,
        help="Regex over the URL path, then the title, giving the type (named group 'type', "
        "else group 1, else the match). Default: a four-letter MBTI type as a whole word.",
    )

    def __post_init__(self) -> None:
        self.allow_hosts = tuple(self.allow_hosts or ())
        if not isinstance(self.label_pattern, re.Pattern):
            self.label_pattern = compile_label_pattern(self.label_pattern)


@dataclass
class CrawlResult:
    articles: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)


def check_start_urls(urls: Sequence[str]) -> list[str]:
    """The start URLs without fragments; a URL that is not http(s) is an :class:`InputError`."""
    out = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise InputError(
                f"not an http(s) URL: {url!r} (the scraper only fetches http:// and https://)",
                field="URL",
            )
        out.append(urldefrag(url).url)
    return out


def compile_label_pattern(pattern: str | None) -> re.Pattern[str]:
    """``--label-pattern``: the named group ``type``, else group 1, else the whole match."""
    if pattern is None:
        return TYPE_NAME
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as err:
        raise InputError(f"not a valid regex ({err})", field="--label-pattern") from None


def page_label(pattern: re.Pattern[str], url: str, title: str) -> str | None:
    """The type found by ``pattern`` in the URL path, then the title; None if none is a type."""
    for text in (urlsplit(url).path, title):
        match = pattern.search(text)
        if match is None:
            continue
        if "type" in pattern.groupindex:
            value = match.group("type")
        else:
            value = match.group(1) if pattern.groups else match.group(0)
        if value and value in MBTI:
            return MBTI.parse(value)
    return None


def page_links(html: bytes, base_url: str) -> list[str]:
    """Absolute http(s) targets of the page's ``<a href>`` links, without fragments."""
    from lxml import etree
    from lxml import html as lxml_html

    try:
        doc = lxml_html.fromstring(html)
    except (ValueError, etree.ParserError):
        return []
    links = []
    for href in doc.xpath("//a/@href"):
        url = urldefrag(urljoin(base_url, href.strip())).url
        if urlsplit(url).scheme in ("http", "https") and not _NOT_PAGES.search(urlsplit(url).path):
            links.append(url)
    return links


class Crawler:
    """One crawl: a queue of (url, depth), the URLs seen, and the counts of what happened."""

    def __init__(self, fetcher: Fetcher, config: CrawlConfig) -> None:
        self.fetcher = fetcher
        self.robots = RobotsRules(fetcher)
        self.config = config
        self.result = CrawlResult()
        self.queue: deque[tuple[str, int]] = deque()
        self.seen: set[str] = set()
        self.hosts: set[str] = {h.lower() for h in config.allow_hosts}

    def _host_allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.netloc.lower() in self.hosts or (parts.hostname or "") in self.hosts

    def _enqueue(self, url: str, depth: int) -> None:
        if url in self.seen:
            return
        self.seen.add(url)
        if not self._host_allowed(url):
            self.result.counts["skipped_other_host"] += 1
            return
        self.queue.append((url, depth))

    def run(self, start_urls: Sequence[str], *, progress: bool = False) -> CrawlResult:
        counts = self.result.counts
        self.hosts |= {urlsplit(u).netloc.lower() for u in start_urls}
        allowed = [u for u in start_urls if self.robots.allowed(u)]
        if not allowed:
            robots = sorted({RobotsRules.robots_url(u) for u in start_urls})
            raise InputError(
                f"robots.txt disallows every start URL for user agent "
                f"{self.fetcher.config.user_agent!r}; nothing was fetched",
                file=", ".join(robots),
            )
        for url in start_urls:
            self._enqueue(url, 0)
        bar = tqdm(total=self.config.max_pages, desc="crawling", unit="page", disable=not progress)
        while self.queue and counts["fetched"] < self.config.max_pages:
            url, depth = self.queue.popleft()
            if not self.robots.allowed(url):
                counts["skipped_robots"] += 1
                continue
            counts["fetched"] += 1
            bar.update(1)
            try:
                resp = self.fetcher.get(url)
            except FetchError:
                counts["failed"] += 1
                continue
            self._handle(resp, depth)
        bar.close()
        counts["left_in_queue"] = len(self.queue)
        return self.result

    def _handle(self, resp: Response, depth: int) -> None:
        counts = self.result.counts
        if resp.is_redirect:
            counts["redirects"] += 1
            self._enqueue(resp.location, depth)
            return
        if resp.status >= 400:
            counts["failed" if resp.status >= 500 else "http_4xx"] += 1
            return
        if not resp.is_html:
            counts["skipped_not_html"] += 1
            return
        if depth < self.config.max_depth:
            for link in page_links(resp.body, resp.url):
                self._enqueue(link, depth + 1)
        page = extract_page_text(resp.body, url=resp.url)
        if not page.text:
            counts["skipped_no_text"] += 1
            return
        label = page_label(self.config.label_pattern, resp.url, page.title)
        counts["labelled" if label else "unlabelled"] += 1
        self.result.articles.append(
            article_row(
                text=page.text,
                label=label,
                title=page.title,
                source=resp.url,
                url=resp.url,
                fetched_at=resp.fetched_at,
            )
        )
