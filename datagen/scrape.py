"""``datagen scrape``: crawl type-article pages politely -> the ``articles`` data set."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer

from datagen.articles import drop_duplicate_articles
from datagen.crawler import CrawlConfig, Crawler, check_start_urls, compile_label_pattern
from datagen.fetcher import DEFAULT_CACHE_DIR, DEFAULT_USER_AGENT, FetchConfig, Fetcher
from schemas.errors import InputError
from schemas.io import check_output_dir, to_dataset, write_dataset
from schemas.manifest import Manifest


def command(
    urls: list[str] = typer.Argument(
        ..., help="Start URLs (http:// or https://).", show_default=False
    ),
    out: Path = typer.Option(..., "--out", help="Output directory for the articles data set."),
    label_pattern: str | None = typer.Option(
        None,
        "--label-pattern",
        help="Regex over the URL path, then the title, giving the type (named group 'type', "
        "else group 1, else the match). Default: a four-letter MBTI type as a whole word.",
        show_default=False,
    ),
    delay: float = typer.Option(1.0, "--delay", help="Seconds between requests to one host."),
    max_pages: int = typer.Option(100, "--max-pages", help="Most URLs fetched."),
    max_depth: int = typer.Option(3, "--max-depth", help="Most link hops from a start URL."),
    allow_host: list[str] = typer.Option(
        [], "--allow-host", help="Also follow links to this host (repeatable)."
    ),
    cache: Path = typer.Option(
        DEFAULT_CACHE_DIR,
        "--cache",
        help="Response cache folder (a rerun fetches nothing twice).",
        show_default="~/.cache/mbtikit/http",
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the cache."),
    timeout: float = typer.Option(10.0, "--timeout", help="Seconds before a request times out."),
    retries: int = typer.Option(3, "--retries", help="Retries after a timeout, 429 or 5xx."),
    user_agent: str = typer.Option(DEFAULT_USER_AGENT, "--user-agent", help="User-Agent header."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a non-empty --out."),
) -> None:
    """Crawl type-article pages (robots.txt honoured, cached, retried) into articles.

    Exit code 2 with one error line: a URL that is not http(s), robots.txt disallowing every
    start URL (nothing is fetched, no output is written), or no page with main text.
    """
    start_urls = check_start_urls(urls)
    for name, value in (("--delay", delay), ("--timeout", timeout), ("--retries", retries)):
        if value < 0 or (name == "--timeout" and value == 0):
            raise InputError(f"must be positive, got {value}", field=name)
    if max_pages < 1 or max_depth < 0:
        raise InputError("need --max-pages >= 1 and --max-depth >= 0", field="--max-pages")
    check_output_dir(out, overwrite=overwrite)
    manifest = Manifest("datagen scrape")
    crawl_config = CrawlConfig(
        max_pages=max_pages,
        max_depth=max_depth,
        allow_hosts=tuple(allow_host),
        label_pattern=compile_label_pattern(label_pattern),
    )
    fetch_config = FetchConfig(
        user_agent=user_agent,
        timeout=timeout,
        delay=delay,
        retries=retries,
        cache_dir=None if no_cache else cache,
    )
    with Fetcher(fetch_config) as fetcher:
        result = Crawler(fetcher, crawl_config).run(start_urls)
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
        crawl={"max_pages": max_pages, "max_depth": max_depth, "allow_hosts": allow_host,
               "label_pattern": crawl_config.label_pattern.pattern},
        fetch={"delay": delay, "timeout": timeout, "retries": retries, "user_agent": user_agent,
               "cache": None if no_cache else str(cache)},
        per_label=dict(sorted(labels.items())),
    )  # fmt: skip
    write_dataset(
        to_dataset(rows, "articles"), out, manifest=manifest.finish(counts), overwrite=overwrite
    )
    typer.echo(f"wrote {len(rows)} articles to {out} ({summary})")
