"""``datagen scrape`` against real HTTP servers on 127.0.0.1 started by the tests.

The served site is data/sample/html (index, six type pages, about, robots.txt disallowing
/private/) plus routes made here: a page that answers 500 twice and then recovers, a
redirect, a slow page, and a page of links to another server.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import datasets
import pytest

from datagen.articles.crawler import CrawlConfig, Crawler, compile_label_pattern, page_label
from datagen.articles.fetcher import FetchConfig, Fetcher, RobotsRules
from schemas.errors import InputError
from tests.support.cli import assert_clean_error

ROBOTS_SAMPLE = "User-agent: *\nDisallow: /private/\n"
ROBOTS_DENY_ALL = "User-agent: *\nDisallow: /\n"


def article_page(title: str, body: str) -> bytes:
    return (
        f"<html><head><title>{title}</title></head><body>"
        "<nav><a href='/index.html'>Home</a></nav>"
        f"<article><h1>{title}</h1>{body}</article>"
        "<footer>All rights reserved.</footer></body></html>"
    ).encode()


FLAKY_PAGE = article_page(
    "The ISFJ at Home",
    "<p>ISFJs remember every birthday and keep a drawer of spare gifts for emergencies.</p>"
    "<p>They show love through small, practical acts that nobody else notices at first.</p>",
)
SLOW_PAGE = article_page(
    "The ESTP Weekend", "<p>ESTPs would rather try the climbing wall than read about it.</p>"
)


@dataclass
class Site:
    """What one test server serves, and every path it was asked for."""

    root: Path | None
    robots: str | None
    links: list[str] = field(default_factory=list)
    slow_seconds: float = 1.5
    requests: Counter[str] = field(default_factory=Counter)
    times: list[float] = field(default_factory=list)
    base: str = ""

    def url(self, path: str) -> str:
        return self.base + path

    def answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
        html = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/robots.txt":
            if self.robots is None:
                return 404, {}, b"not found"
            return 200, {"Content-Type": "text/plain"}, self.robots.encode()
        if path == "/types/isfj-flaky.html":
            if self.requests[path] <= 2:
                return 500, {}, b"server error"
            return 200, html, FLAKY_PAGE
        if path == "/moved/infj":
            return 301, {"Location": "/types/infj.html"}, b""
        if path == "/slow.html":
            time.sleep(self.slow_seconds)
            return 200, html, SLOW_PAGE
        if path == "/links.html":
            anchors = "".join(f"<a href='{u}'>{u}</a>" for u in self.links)
            return 200, html, f"<html><body>{anchors}</body></html>".encode()
        file = (self.root / path.lstrip("/")) if self.root else None
        if file is None or not file.is_file():
            return 404, {}, b"not found"
        ctype = "text/css" if file.suffix == ".css" else html["Content-Type"]
        return 200, {"Content-Type": ctype}, file.read_bytes()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        site: Site = self.server.site  # type: ignore[attr-defined]
        path = urlsplit(self.path).path
        site.requests[path] += 1
        site.times.append(time.monotonic())
        status, headers, body = site.answer(path)
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def serve_site(sample_dir: Path) -> Iterator[Callable[..., Site]]:
    """``serve_site(robots=..., root=...)`` starts a server on 127.0.0.1 and returns its Site."""
    servers: list[ThreadingHTTPServer] = []

    def start(robots: str | None = ROBOTS_SAMPLE, root: Path | None = None, **kw) -> Site:
        site = Site(root=root if root is not None else sample_dir / "html", robots=robots, **kw)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.site = site  # type: ignore[attr-defined]
        site.base = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return site

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def crawl(
    urls: list[str], cache: Path | None, *, crawl_config: CrawlConfig | None = None, **fetch
) -> tuple[dict, list[dict]]:
    config = FetchConfig(
        **{
            "delay": 0.0,
            "timeout": 5.0,
            "max_retries": 3,
            "backoff": 0.05,
            "cache_dir": cache,
            **fetch,
        }
    )
    with Fetcher(config) as fetcher:
        result = Crawler(fetcher, crawl_config or CrawlConfig()).run(urls)
    return dict(result.counts), result.articles


def test_crawl_follows_links_honours_robots_retries_and_redirects(serve_site, tmp_path):
    site = serve_site()
    starts = [site.url("/index.html"), site.url("/types/isfj-flaky.html"), site.url("/moved/infj")]
    counts, articles = crawl(starts, tmp_path / "cache")

    by_url = {urlsplit(a["url"]).path: a for a in articles}
    labels = {path: a["label"] for path, a in by_url.items()}
    assert labels == {
        "/index.html": None,
        "/about.html": None,
        "/types/isfj-flaky.html": "ISFJ",
        "/types/infj.html": "INFJ",
        "/types/entp.html": "ENTP",
        "/types/istj.html": "ISTJ",
        "/types/esfp.html": "ESFP",
        "/types/intp.html": "INTP",
        "/types/enfj.html": "ENFJ",
    }
    # robots.txt: asked once, and the disallowed page linked from the index never fetched.
    assert site.requests["/robots.txt"] == 1
    assert site.requests["/private/secret.html"] == 0
    assert counts["skipped_robots"] == 1
    # 500, 500, then 200: retried with backoff, and the recovered page is an article.
    assert site.requests["/types/isfj-flaky.html"] == 3
    assert "spare gifts" in by_url["/types/isfj-flaky.html"]["text"]
    # The redirect is followed; its target is fetched once although the index links it too.
    assert counts["redirects"] == 1
    assert site.requests["/types/infj.html"] == 1
    assert counts.get("failed", 0) == 0
    # Main text only: no cookie banner, navigation, share bar, sidebar or footer.
    infj = by_url["/types/infj.html"]
    assert infj["title"] == "The INFJ: Reading Between the Lines"
    assert "introverted Intuition" in infj["text"]
    for furniture in ("cookies", "Share this article", "Related articles", "All rights reserved"):
        assert all(furniture not in a["text"] for a in articles), furniture


ROBOTS_WILDCARDS = """User-agent: *
Disallow: /*.pdf$
Disallow: /private*
Disallow: /*?session=
Disallow: /docs/
Allow: /docs/public/
Allow: /*.html$
Disallow: /shop/*.html
"""


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/papers/a.pdf", False),  # `$`: ends in .pdf
        ("/papers/a.pdf?page=2", True),  # does not end in .pdf
        ("/papers/a.pdfx", True),
        ("/private", False),
        ("/privateer/x", False),  # `/private*` is a prefix with a wildcard
        ("/list?session=42", False),
        ("/list?page=2", True),
        ("/docs/guide", False),
        ("/docs/public/guide", True),  # the longer Allow wins over Disallow: /docs/
        ("/shop/cart.html", False),  # the longer Disallow wins over Allow: /*.html$
        ("/about.html", True),
    ],
)
def test_robots_wildcards_end_anchor_and_longest_match(serve_site, tmp_path, path, allowed):
    site = serve_site(robots=ROBOTS_WILDCARDS)
    config = FetchConfig(delay=0.0, timeout=5.0, max_retries=0, cache_dir=None)
    with Fetcher(config) as fetcher:
        assert RobotsRules(fetcher).allowed(site.url(path)) is allowed


def test_rerun_with_the_cache_fetches_nothing_twice(serve_site, tmp_path):
    site = serve_site()
    starts = [site.url("/index.html"), site.url("/types/isfj-flaky.html")]
    _, first = crawl(starts, tmp_path / "cache")
    requests_after_first = sum(site.requests.values())
    counts, second = crawl(starts, tmp_path / "cache")
    assert sum(site.requests.values()) == requests_after_first
    assert counts["fetched"] == len(second) + counts.get("redirects", 0)
    assert [a["id"] for a in second] == [a["id"] for a in first]


def test_slow_page_times_out_and_is_retried_then_counted_failed(serve_site, tmp_path):
    site = serve_site(slow_seconds=1.0)
    counts, articles = crawl(
        [site.url("/slow.html")], tmp_path / "cache", timeout=0.3, max_retries=1
    )
    assert articles == []
    assert counts["failed"] == 1
    assert site.requests["/slow.html"] == 2  # first try + one retry, both timed out


def test_delay_spaces_requests_to_one_host(serve_site):
    site = serve_site()
    crawl([site.url("/index.html")], None, delay=0.15, crawl_config=CrawlConfig(max_pages=4))
    gaps = [b - a for a, b in zip(site.times, site.times[1:], strict=False)]
    assert len(site.times) == 5  # robots.txt + 4 pages
    assert min(gaps) >= 0.14


def test_max_pages_max_depth_and_other_hosts(serve_site):
    site = serve_site()
    counts, _ = crawl([site.url("/index.html")], None, crawl_config=CrawlConfig(max_pages=3))
    assert counts["fetched"] == 3 and counts["left_in_queue"] > 0

    counts, articles = crawl([site.url("/index.html")], None, crawl_config=CrawlConfig(max_depth=0))
    assert counts["fetched"] == 1 and len(articles) == 1

    other = serve_site(robots=None)  # no robots.txt (404): everything allowed
    hub = serve_site(links=[other.url("/types/enfj.html"), site.url("/types/istj.html")])
    counts, articles = crawl([hub.url("/links.html")], None)
    assert other.requests["/types/enfj.html"] == 0 and counts["skipped_other_host"] == 2
    assert counts["skipped_no_text"] == 1 and articles == []  # the links page has no main text
    netloc = urlsplit(other.base).netloc
    _, articles = crawl(
        [hub.url("/links.html")], None, crawl_config=CrawlConfig(allow_hosts=(netloc,))
    )
    assert other.requests["/types/enfj.html"] == 1
    assert "ENFJ" in {a["label"] for a in articles}
    assert site.requests["/types/istj.html"] == 0  # still not an allowed host


def test_label_pattern_over_url_path_then_title():
    named = compile_label_pattern(r"profiles/(?P<type>\w{4})-")
    assert page_label(named, "http://x/profiles/enfp-at-work.html", "") == "ENFP"
    assert page_label(named, "http://x/profiles/abcd-at-work.html", "") is None
    default = compile_label_pattern(None)
    assert page_label(default, "http://x/articles/42", "Why ISTPs fix things") == "ISTP"
    assert page_label(default, "http://x/about", "About us") is None
    with pytest.raises(InputError, match="--label-pattern"):
        compile_label_pattern("(unclosed")


def test_scrape_cli_writes_articles_with_manifest(serve_site, cli, tmp_path):
    site = serve_site()
    out = tmp_path / "articles"
    proc = cli(
        "datagen", "scrape", site.url("/index.html"), "--out", out,
        "--delay", "0", "--cache-dir", tmp_path / "cache",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    ds = datasets.load_from_disk(str(out))
    assert len(ds) == 8
    assert sorted(x for x in ds["label"] if x) == ["ENFJ", "ENTP", "ESFP", "INFJ", "INTP", "ISTJ"]
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in ds["sha256"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["articles"] == 8
    assert manifest["counts"]["skipped_robots"] == 1
    assert manifest["start_urls"] == [site.url("/index.html")]
    assert (tmp_path / "cache" / "responses.sqlite3").exists()


def test_scrape_cli_rejects_a_url_that_is_not_http(cli, tmp_path):
    out = tmp_path / "articles"
    proc = cli("datagen", "scrape", "ftp://example.org/types/", "--out", out)
    assert_clean_error(proc, "ftp://example.org/types/", "http")
    assert not out.exists()


def test_scrape_cli_robots_disallowing_everything_is_a_clean_error(serve_site, cli, tmp_path):
    site = serve_site(robots=ROBOTS_DENY_ALL)
    out = tmp_path / "articles"
    proc = cli(
        "datagen", "scrape", site.url("/index.html"), "--out", out, "--cache-dir", tmp_path / "c"
    )
    assert_clean_error(proc, "robots.txt", "disallows every start URL", "nothing was fetched")
    assert dict(site.requests) == {"/robots.txt": 1}
    assert not out.exists()
