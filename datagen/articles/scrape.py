"""``datagen scrape``: crawl type-article pages politely -> the ``articles`` data set."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from datagen.articles.crawler import CrawlConfig, Crawler, check_start_urls
from datagen.articles.fetcher import FetchConfig, Fetcher
from datagen.articles.records import drop_duplicate_articles
from schemas.console import ConsoleOptions
from schemas.errors import InputError
from schemas.io import check_output_dir, to_dataset, write_dataset
from schemas.manifest import Manifest
from schemas.options import group, option


@dataclass
class ScrapeOptions(ConsoleOptions):
    urls: list[str] = option(argument=True, help="Start URLs (http:// or https://).")
    out: Path = option(help="Output directory for the articles data set.")
    crawl: CrawlConfig = group(CrawlConfig, panel="Crawling")
    fetch: FetchConfig = group(FetchConfig, panel="Fetching")
    overwrite: bool = option(False, flag="--overwrite", help="Replace a non-empty --out.")


def run(opts: ScrapeOptions) -> None:
    """Crawl type-article pages (robots.txt honoured, cached, retried) into articles.

    Exit code 2 with one error line: a URL that is not http(s), robots.txt disallowing every
    start URL (nothing is fetched, no output is written), or no page with main text.
    """
    urls, crawl, fetch = opts.urls, opts.crawl, opts.fetch
    start_urls = check_start_urls(urls)
    check_output_dir(opts.out, overwrite=opts.overwrite)
    manifest = Manifest("datagen scrape")
    with Fetcher(fetch) as fetcher:
        result = Crawler(fetcher, crawl).run(start_urls, progress=opts.progress)
        network, cache_hits = fetcher.network_requests, fetcher.cache_hits
    rows, n_duplicates = drop_duplicate_articles(result.articles)
    counts = {
        "articles": len(rows),
        "dropped_duplicate_articles": n_duplicates,
        **dict(result.counts),
        "network_requests": network,
        "cache_hits": cache_hits,
    }
    summary = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
    if not rows:
        raise InputError(f"no page with main text was fetched ({summary})", file=", ".join(urls))
    labels = Counter(r["label"] for r in rows if r["label"])
    manifest.add(
        start_urls=start_urls,
        crawl={"max_pages": crawl.max_pages, "max_depth": crawl.max_depth,
               "allow_hosts": list(crawl.allow_hosts),
               "label_pattern": crawl.label_pattern.pattern},
        fetch={"delay": fetch.delay, "timeout": fetch.timeout, "max_retries": fetch.max_retries,
               "user_agent": fetch.user_agent,
               "cache": None if fetch.cache_dir is None else str(fetch.cache_dir)},
        per_label=dict(sorted(labels.items())),
    )  # fmt: skip
    write_dataset(
        to_dataset(rows, "articles"),
        opts.out,
        manifest=manifest.finish(counts),
        overwrite=opts.overwrite,
    )
    opts.say(f"wrote {len(rows)} articles to {opts.out} ({summary})")
