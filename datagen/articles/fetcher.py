"""A polite HTTP client: timeouts, retries with backoff, per-host delay, robots.txt, disk cache.

* httpx with explicit connect/read timeouts; redirects are *not* followed here but returned
  (status 3xx + ``location``), so the crawler can check host and robots.txt rules for the
  target before fetching it.
* Timeouts, connection errors, 429 and 5xx are retried with exponential backoff
  (``backoff * 2**attempt`` seconds, or the server's ``Retry-After`` if it is shorter than 60 s).
* Requests to one host are spaced at least ``delay`` seconds apart (or robots.txt's
  ``Crawl-delay`` if larger); cache hits never wait.
* Every final answer below 500 (pages, redirects, 404s, robots.txt) is stored in a SQLite file
  keyed by URL, so a rerun fetches nothing twice. Server errors and timeouts are not cached.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from schemas.cache import cache_path
from schemas.options import option

DEFAULT_USER_AGENT = "mbtikit/0.1 (personality-article crawler)"
DEFAULT_CACHE_DIR = cache_path("http")
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass
class FetchConfig:
    """How politely and how hard to fetch (the ``datagen scrape`` request flags)."""

    options_panel = "Fetching"

    user_agent: str = option(DEFAULT_USER_AGENT, help="User-Agent header.")
    timeout: float = option(10.0, help="Seconds before a request times out.", gt=0)
    delay: float = option(1.0, help="Seconds between requests to one host.", ge=0)
    max_retries: int = option(
        3, help="Retries after a timeout, 429 or 5xx.", ge=0, aliases=("--retries",)
    )
    backoff: float = option(0.5, cli=False, help="First retry delay, seconds.", ge=0)
    cache_dir: Path | None = option(
        DEFAULT_CACHE_DIR,
        help="Response cache folder (a rerun fetches nothing twice; default "
        "~/.cache/mbtikit/http).",
    )
    use_cache: bool = option(
        True,
        flag="--cache/--no-cache",
        aliases=("--use-cache",),
        help="--no-cache: neither read nor write the response cache.",
    )

    def __post_init__(self) -> None:
        if not self.use_cache:
            self.cache_dir = None


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    content_type: str
    body: bytes
    fetched_at: str
    location: str | None = None  # absolute redirect target of a 3xx
    from_cache: bool = False

    @property
    def is_html(self) -> bool:
        return self.content_type.split(";")[0].strip().lower() in (
            "text/html",
            "application/xhtml+xml",
        )

    @property
    def is_redirect(self) -> bool:
        return 300 <= self.status < 400 and self.location is not None


class FetchError(Exception):
    """No usable answer after all retries (timeout, connection error)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class ResponseCache:
    """Responses by URL in ``<cache_dir>/responses.sqlite3``."""

    def __init__(self, cache_dir: Path) -> None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        self.path = cache_dir / "responses.sqlite3"
        self._db = sqlite3.connect(self.path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS responses (url TEXT PRIMARY KEY, status INTEGER, "
            "content_type TEXT, location TEXT, body BLOB, fetched_at TEXT)"
        )

    def get(self, url: str) -> Response | None:
        row = self._db.execute(
            "SELECT status, content_type, location, body, fetched_at FROM responses WHERE url=?",
            (url,),
        ).fetchone()
        if row is None:
            return None
        status, content_type, location, body, fetched_at = row
        return Response(url, status, content_type, body, fetched_at, location, from_cache=True)

    def put(self, resp: Response) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?)",
                (resp.url, resp.status, resp.content_type, resp.location, resp.body,
                 resp.fetched_at),
            )  # fmt: skip

    def close(self) -> None:
        self._db.close()


class Fetcher:
    """GET with cache, per-host delay and retries; use as a context manager."""

    def __init__(self, config: FetchConfig) -> None:
        self.config = config
        self.cache = ResponseCache(config.cache_dir) if config.cache_dir else None
        self.client = httpx.Client(
            timeout=httpx.Timeout(config.timeout),
            follow_redirects=False,
            headers={"User-Agent": config.user_agent},
        )
        self.host_delay: dict[str, float] = {}
        self._last_request: dict[str, float] = {}
        self.network_requests = 0
        self.cache_hits = 0

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        if self.cache:
            self.cache.close()

    def get(self, url: str) -> Response:
        """The (cached) answer for ``url``; raises :class:`FetchError` when none came."""
        if self.cache and (hit := self.cache.get(url)) is not None:
            self.cache_hits += 1
            return hit
        resp = self._get_with_retries(url)
        if self.cache and resp.status < 500:
            self.cache.put(resp)
        return resp

    def _get_with_retries(self, url: str) -> Response:
        attempts = self.config.max_retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                resp = self._get_once(url)
            except httpx.TransportError as err:  # timeouts and connection errors
                if last:
                    raise FetchError(url, f"{type(err).__name__} after {attempts} tries") from None
                time.sleep(self._backoff(attempt, None))
                continue
            if resp.status_code not in RETRY_STATUS or last:
                return _to_response(url, resp)
            time.sleep(self._backoff(attempt, resp.headers.get("Retry-After")))
        raise AssertionError("unreachable")

    def _get_once(self, url: str) -> httpx.Response:
        host = urlsplit(url).netloc
        wait = self._last_request.get(host, -1e9) + self._delay(host) - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            self.network_requests += 1
            return self.client.get(url)
        finally:
            self._last_request[host] = time.monotonic()

    def _delay(self, host: str) -> float:
        return max(self.config.delay, self.host_delay.get(host, 0.0))

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        if retry_after and retry_after.strip().isdigit() and int(retry_after) < 60:
            return float(retry_after)
        return self.config.backoff * 2**attempt


def _to_response(url: str, resp: httpx.Response) -> Response:
    location = resp.headers.get("Location")
    return Response(
        url=url,
        status=resp.status_code,
        content_type=resp.headers.get("Content-Type", ""),
        body=resp.content,
        fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        location=urljoin(url, location) if resp.is_redirect and location else None,
    )


class RobotsRules:
    """robots.txt per origin, fetched through the :class:`Fetcher` (so cached too).

    As RFC 9309 says: a 4xx robots.txt allows everything; a 5xx or unreachable one means
    "disallow everything" for that origin. Rules are matched by protego, which follows the RFC
    where ``urllib.robotparser`` does not: ``*`` and ``$`` in paths (``/*.pdf$``, ``/*?session=``)
    and the longest matching rule winning (``Allow: /docs/public/`` inside ``Disallow: /docs/``).
    """

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        self._rules: dict[str, Protego | bool] = {}

    @staticmethod
    def robots_url(url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}/robots.txt"

    def allowed(self, url: str) -> bool:
        rules = self._origin_rules(url)
        if isinstance(rules, bool):
            return rules
        return rules.can_fetch(url, self.fetcher.config.user_agent)

    def _origin_rules(self, url: str) -> Protego | bool:
        """The parsed robots.txt, or ``True``/``False`` for "allow"/"disallow" everything."""
        robots_url = self.robots_url(url)
        if robots_url in self._rules:
            return self._rules[robots_url]
        rules: Protego | bool
        try:
            resp = self.fetcher.get(robots_url)
            for _ in range(5):  # RFC 9309: follow at least five redirects
                if not resp.is_redirect:
                    break
                resp = self.fetcher.get(resp.location)
        except FetchError:
            rules = False
        else:
            if resp.status >= 500:
                rules = False
            elif resp.status >= 400 or resp.is_redirect:
                rules = True
            else:
                rules = Protego.parse(resp.body.decode("utf-8", errors="replace"))
                delay = rules.crawl_delay(self.fetcher.config.user_agent)
                if delay:
                    self.fetcher.host_delay[urlsplit(url).netloc] = float(delay)
        self._rules[robots_url] = rules
        return rules
