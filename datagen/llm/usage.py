"""Token, request and cost accounting for one run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from datagen.llm.pricing import cost_usd


@dataclass
class Usage:
    """What a run cost. ``requests``: answers received from the server (paid);
    ``cached_hits``: answers replayed from the cache; ``retries``: transport retries (429, 5xx,
    timeouts, dropped connections); ``validation_retries``: follow-ups after an invalid answer;
    ``cache``: whether a response cache was used (``--no-cache``: none, so no "from cache");
    ``window_start`` / ``window_final`` / ``window_max`` / ``window_cuts``: with ``--concurrency
    auto``, the window at the start (4, where the last run against the server ended, or the
    server's own ``window_slots``), at the end, the largest it reached and how often it was cut
    (``None`` with a fixed one); ``window_slots``: the parallel slots the server reported
    (llama.cpp's ``/props``) when the run started there.
    Token counts and ``cost_usd`` cover the requests sent in this run only."""

    model: str = ""
    requests: int = 0
    cached_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    retries: int = 0
    validation_retries: int = 0
    batch_api: bool = False
    cache: bool = True
    window_start: int | None = None
    window_final: int | None = None
    window_max: int | None = None
    window_cuts: int | None = None
    window_slots: int | None = None

    def add_tokens(self, prompt_tokens: int, completion_tokens: int) -> None:
        self.requests += 1
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens

    def __add__(self, other: Usage) -> Usage:
        """Two runs' counts together (the first one's model; the window: the first run's start,
        the later run's final size, the larger maximum, the cuts of both)."""
        sums = {
            f.name: getattr(self, f.name) + getattr(other, f.name)
            for f in fields(self)
            if f.name not in ("model", "batch_api") and not f.name.startswith("window_")
        }
        windows = [u for u in (self, other) if u.window_final is not None]
        if windows:
            sums["window_start"] = windows[0].window_start
            sums["window_slots"] = windows[0].window_slots
            sums["window_final"] = windows[-1].window_final
            sums["window_max"] = max(u.window_max or 0 for u in windows)
            sums["window_cuts"] = sum(u.window_cuts or 0 for u in windows)
        return Usage(model=self.model, batch_api=self.batch_api, **sums)

    def price(self, overrides: dict | None = None) -> None:
        """Fill ``cost_usd`` from the token counts (Batch API at its discount)."""
        self.cost_usd = round(
            cost_usd(
                self.model,
                self.prompt_tokens,
                self.completion_tokens,
                overrides,
                batch=self.batch_api,
            ),
            6,
        )

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        """One line for the end of a run."""
        return (
            f"LLM usage ({self.model}{', Batch API' if self.batch_api else ''}): "
            f"{self.requests:,} requests sent, "
            f"{f'{self.cached_hits:,} from cache, ' if self.cache else ''}"
            f"{self.prompt_tokens:,} prompt + {self.completion_tokens:,} completion tokens, "
            f"est. ${self.cost_usd:.4f}, {self.retries} retries, "
            f"{self.validation_retries} validation retries, {self.seconds:.1f} s"
            + (
                f", concurrency auto: {self.window_start} at the start"
                f"{' (the slots the server reports)' if self.window_slots else ''}, "
                f"{self.window_final} at the end "
                f"(at most {self.window_max}, cut {self.window_cuts}x)"
                if self.window_final is not None
                else ""
            )
        )
