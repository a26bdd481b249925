"""Persistent response cache (SQLite, WAL): a killed run resumes without repeating a request.

Every HTTP-successful answer is stored as soon as it arrives (valid or not: replaying an
invalid answer reproduces the same retry conversation), keyed by model + messages + request
parameters. Never the API key or the base URL. One connection per process; the runner calls it
from the event-loop thread only, so concurrent async tasks are safe.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas.errors import InputError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    content TEXT,
    logprobs TEXT,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    created_at REAL NOT NULL
)
"""


class MalformedResponse(ValueError):
    """An HTTP 200 whose body is not a chat completion (retried like a server error)."""


@dataclass(frozen=True)
class LLMResponse:
    """One answer from the server (or the cache)."""

    content: str | None
    logprobs: list[dict] | None
    prompt_tokens: int
    completion_tokens: int
    cached: bool = False

    @classmethod
    def from_completion(cls, body: dict | bytes | str) -> LLMResponse:
        """The answer in a chat-completion body (JSON text or already decoded): first choice's
        content, its token logprobs (``null`` fields dropped) and the usage counts."""
        if not isinstance(body, dict):
            try:
                body = json.loads(body)
            except ValueError:
                raise MalformedResponse("the body is not JSON") from None
        if not isinstance(body, dict):
            raise MalformedResponse("the body is not a JSON object")
        try:
            choice = (body.get("choices") or [{}])[0]
            message = choice.get("message") or {}
            content = message.get("content")
            tokens = (choice.get("logprobs") or {}).get("content") or None
            logprobs = [_without_nulls(token) for token in tokens] if tokens else None
            usage = body.get("usage") or {}
            prompt_tokens = int(usage.get("prompt_tokens") or 0)
            completion_tokens = int(usage.get("completion_tokens") or 0)
        except (AttributeError, KeyError, TypeError, ValueError):
            raise MalformedResponse("the body is not a chat completion") from None
        return cls(
            content if isinstance(content, str) else None,
            logprobs,
            prompt_tokens,
            completion_tokens,
        )


def _without_nulls(token: dict) -> dict:
    return {
        name: [_without_nulls(t) for t in value] if name == "top_logprobs" else value
        for name, value in token.items()
        if value is not None
    }


def request_key(model: str, messages: list[dict], body: dict[str, Any]) -> str:
    """sha256 of model + messages + request parameters (response_format included)."""
    blob = json.dumps(
        {"model": model, "messages": messages, "params": body},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """SQLite-backed store of raw responses; ``path=None`` keeps it in memory (``--no-cache``)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        target = ":memory:"
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                message = f"cannot create the cache directory: {err.strerror}"
                raise InputError(message, file=path) from None
            target = str(path)
        try:
            self._db = sqlite3.connect(target, timeout=30.0, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
        except sqlite3.DatabaseError as err:
            raise InputError(f"cannot open the LLM cache: {err}", file=path) from None

    def get(self, key: str) -> LLMResponse | None:
        row = self._db.execute(
            "SELECT content, logprobs, prompt_tokens, completion_tokens FROM responses "
            "WHERE key = ?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        content, logprobs, prompt_tokens, completion_tokens = row
        return LLMResponse(
            content,
            json.loads(logprobs) if logprobs is not None else None,
            prompt_tokens,
            completion_tokens,
            cached=True,
        )

    def __contains__(self, key: str) -> bool:
        row = self._db.execute("SELECT 1 FROM responses WHERE key = ?", (key,)).fetchone()
        return row is not None

    def put(self, key: str, model: str, response: LLMResponse) -> None:
        """Store one answer; committed at once (autocommit), so a SIGKILL right after keeps it."""
        self._db.execute(
            "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                model,
                response.content,
                json.dumps(response.logprobs) if response.logprobs is not None else None,
                response.prompt_tokens,
                response.completion_tokens,
                time.time(),
            ),
        )

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        self._db.close()
