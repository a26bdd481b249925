"""Persistent response cache (SQLite, WAL): a killed run resumes without repeating a request.

Every HTTP-successful answer is stored as soon as it arrives (valid or not: replaying an
invalid answer reproduces the same retry conversation), keyed by endpoint + model + messages +
request parameters (the same model alias on two servers answers differently). The key is a
hash: neither the API key nor the base URL is stored. Answers that arrive in the same turn of the
event loop are committed together at the end of that turn (one transaction, not one per
answer), so a SIGKILL loses at most the answers of the turn it interrupts. The Batch API's
submitted jobs are kept here too (:meth:`ResponseCache.batch_job`), so a killed poll resumes the
same batch, and so is the ``--concurrency auto`` window each server and model ended at
(:meth:`ResponseCache.window`, keyed by a hash of both), where the next run against them
starts. One connection per process, used from the event-loop thread only.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from schemas.errors import InputError

if TYPE_CHECKING:
    from datagen.llm.config import LLMConfig

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    content TEXT,
    logprobs TEXT,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS batch_jobs (
    request_set TEXT PRIMARY KEY,
    input_file_id TEXT NOT NULL,
    batch_id TEXT,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS windows (
    server TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    updated_at REAL NOT NULL
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
        content, its token logprobs (``null`` fields dropped) and the usage counts. A text
        completion's ``text`` is its content and its logprobs (``tokens``, ``token_logprobs``)
        come in the chat form."""
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
            content = message.get("content") if "text" not in choice else choice["text"]
            tokens = (choice.get("logprobs") or {}).get("content") or _chat_form(choice) or None
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


def _chat_form(choice: dict) -> list[dict]:
    """A text completion's logprobs (``tokens`` and ``token_logprobs`` side by side) as the
    chat form's list of ``{token, logprob}``."""
    logprobs = choice.get("logprobs") or {}
    tokens, values = logprobs.get("tokens") or [], logprobs.get("token_logprobs") or []
    return [{"token": t, "logprob": lp} for t, lp in zip(tokens, values, strict=True)]


def _without_nulls(token: dict) -> dict:
    return {
        name: [_without_nulls(t) for t in value] if name == "top_logprobs" else value
        for name, value in token.items()
        if value is not None
    }


class RequestKeys:
    """Cache keys for one run: sha256 of endpoint (base URL without credentials) + model +
    request parameters (response_format included), serialized once, then each request's
    messages."""

    def __init__(self, config: LLMConfig, body: dict[str, Any]) -> None:
        head = {"endpoint": config.endpoint(), "model": config.model, "params": body}
        self._head = hashlib.sha256(_canonical(head))

    def __call__(self, messages: list[dict]) -> str:
        digest = self._head.copy()
        digest.update(_canonical(messages))
        return digest.hexdigest()


def server_key(config: LLMConfig) -> str:
    """The key of the server and model answering (sha256: the base URL is not stored)."""
    return hashlib.sha256(_canonical([config.endpoint(), config.model])).hexdigest()


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


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
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as err:
            raise InputError(f"cannot open the LLM cache: {err}", file=path) from None
        self._pending: dict[str, tuple] = {}

    def get(self, key: str) -> LLMResponse | None:
        pending = self._pending.get(key)
        if pending is not None:
            return _response(pending[2:6])
        row = self._db.execute(
            "SELECT content, logprobs, prompt_tokens, completion_tokens FROM responses "
            "WHERE key = ?",
            (key,),
        ).fetchone()
        return None if row is None else _response(row)

    def __contains__(self, key: str) -> bool:
        if key in self._pending:
            return True
        row = self._db.execute("SELECT 1 FROM responses WHERE key = ?", (key,)).fetchone()
        return row is not None

    def put(self, key: str, model: str, response: LLMResponse) -> None:
        """Store one answer: committed at the end of this event-loop turn (at once outside one)."""
        logprobs = json.dumps(response.logprobs) if response.logprobs is not None else None
        first = not self._pending
        self._pending[key] = (
            key,
            model,
            response.content,
            logprobs,
            response.prompt_tokens,
            response.completion_tokens,
            time.time(),
        )
        if not first:
            return
        try:
            asyncio.get_running_loop().call_soon(self.flush)
        except RuntimeError:
            self.flush()

    def flush(self) -> None:
        """Commit the answers stored since the last flush, in one transaction."""
        if not self._pending:
            return
        rows, self._pending = list(self._pending.values()), {}
        with self._transaction():
            self._db.executemany("INSERT OR REPLACE INTO responses VALUES (?,?,?,?,?,?,?)", rows)

    def batch_job(self, request_set: str) -> tuple[str, str | None] | None:
        """``(input_file_id, batch_id or None)`` of the Batch API job saved for this request set."""
        return self._db.execute(
            "SELECT input_file_id, batch_id FROM batch_jobs WHERE request_set = ?", (request_set,)
        ).fetchone()

    def save_batch_job(self, request_set: str, input_file_id: str, batch_id: str | None) -> None:
        """Remember an uploaded input file (then its batch) before waiting for it."""
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO batch_jobs VALUES (?, ?, ?, ?)",
                (request_set, input_file_id, batch_id, time.time()),
            )

    def drop_batch_job(self, request_set: str) -> None:
        """Forget a job whose answers are stored (its requests are not pending any more)."""
        self.flush()
        with self._transaction():
            self._db.execute("DELETE FROM batch_jobs WHERE request_set = ?", (request_set,))

    def window(self, server: str) -> int | None:
        """The ``--concurrency auto`` window the last run against ``server`` ended at."""
        row = self._db.execute("SELECT size FROM windows WHERE server = ?", (server,)).fetchone()
        return None if row is None else int(row[0])

    def remember_window(self, server: str, size: int) -> None:
        """Where the next ``--concurrency auto`` run against ``server`` starts."""
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO windows VALUES (?, ?, ?)", (server, size, time.time())
            )

    def _transaction(self) -> sqlite3.Connection:
        self._db.execute("BEGIN")
        return self._db

    def __len__(self) -> int:
        self.flush()
        return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        self.flush()
        self._db.close()


def _response(row: tuple) -> LLMResponse:
    content, logprobs, prompt_tokens, completion_tokens = row
    return LLMResponse(
        content,
        json.loads(logprobs) if logprobs is not None else None,
        prompt_tokens,
        completion_tokens,
        cached=True,
    )
