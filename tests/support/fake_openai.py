"""A scriptable OpenAI-compatible HTTP server on 127.0.0.1, for tests and benchmarks.

Real HTTP (``ThreadingHTTPServer`` in a background thread, a random free port), so the real
``openai`` client talks to it exactly as to a remote server. No dependencies.

Usage::

    from tests.support.fake_openai import Fault, FakeOpenAI

    def responder(request: dict) -> str:          # request JSON -> answer content (a string)
        return json.dumps({"word": "hello"})

    with FakeOpenAI(responder, faults=[None, Fault.rate_limit(0.05), Fault.drop()]) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="x")   # ".../v1"
        ...
        server.requests        # every chat request body, in arrival order (faulted ones too)
        server.answered        # bodies answered with HTTP 200 (to check "no repeat")
        server.max_in_flight   # most chat requests handled at the same time
        server.request_headers # their HTTP headers (lower-case names), server.arrivals (times)

Endpoints: ``POST /v1/chat/completions``, ``POST /v1/completions`` (a text completion: the
responder and ``logprobs_fn`` get its request, whose ``prompt`` is the text; logprobs come back
in its ``tokens``/``token_logprobs`` form), ``POST /extras/tokenize`` (llama-cpp-python's route,
with ``tokenizer``); for the Batch API ``POST /v1/files`` (multipart),
``GET /v1/files/{id}``, ``GET /v1/files/{id}/content``, ``POST /v1/batches``,
``GET /v1/batches/{id}``.

Arguments:

- ``responder(request) -> str``: the assistant's content for a chat request (default ``"{}"``).
- ``faults``: what to do with the n-th chat request (0-based, in arrival order): a sequence
  (entry n, ``None`` or past the end = answer normally) or a callable
  ``(n, request) -> Fault | None``. Fault kinds: ``Fault.slow(seconds)`` (sleep, then answer),
  ``Fault.rate_limit(retry_after=0.05, ms=False)`` (429 + ``Retry-After`` or
  ``retry-after-ms``), ``Fault.server_error(status=500)``, ``Fault.error(status, message,
  code=None, headers=None)`` (any status, e.g. 401/400/404, or 429 ``insufficient_quota``),
  ``Fault.drop()`` (close the socket without a response),
  ``Fault.malformed()`` (200 with content that is not JSON), ``Fault.bad_body()`` (200 whose
  body is an HTML page, not a chat completion, as from a misconfigured proxy),
  ``Fault.schema_invalid(content)`` (200 with JSON that does not fit the schema).
- ``latency``: seconds added before every chat answer (benchmarks).
- ``logprobs_fn(request, content) -> list[dict]``: per-token logprobs returned when the request
  asks for ``logprobs`` (default: the content split into word/character tokens, each with
  logprob -0.05 and ``top_logprobs`` alternatives; :func:`llama_cpp_logprobs` for llama.cpp's
  shape). Fields such as llama.cpp's ``grammar`` are not applied, only recorded in
  ``requests``: a responder may read them.
- ``tokenizer``: a :class:`PieceTokenizer` (or any ``text -> ids``) that answers
  ``/extras/tokenize`` (404 without one); the texts it was asked are in ``tokenized``.
- ``response_headers``: extra headers on every 200 (e.g. ``x-ratelimit-remaining-requests``).
- ``batch_polls``: how many ``GET /v1/batches/{id}`` calls before a batch is finished (default 1).
- ``batch_faults(line, batch_number) -> "expired" | "error" | None``: per request line of a
  batch (``line`` is the JSONL request dict, ``batch_number`` counts batches from 0); expired
  lines go to the error file (code ``batch_expired``) and the batch ends ``expired``.

Usage counts are realistic: ~4 characters per token for prompt and completion.
Run ``python -m tests.support.fake_openai --latency 0.1 --answer '{"x": 1}'`` to serve from
another process (prints the base URL, serves until killed).
"""

from __future__ import annotations

import argparse
import email.parser
import email.policy
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Fault:
    """How to misbehave on one chat request (see the module docstring)."""

    kind: str
    seconds: float = 0.0
    status: int = 500
    message: str = "fake server error"
    retry_after: float | None = None
    retry_after_ms: bool = False
    content: str | None = None
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls("slow", seconds=seconds)

    @classmethod
    def rate_limit(cls, retry_after: float | None = 0.05, *, ms: bool = False) -> Fault:
        return cls(
            "status", status=429, message="rate limited", retry_after=retry_after, retry_after_ms=ms
        )

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        return cls("status", status=status)

    @classmethod
    def error(
        cls,
        status: int,
        message: str = "fake client error",
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Fault:
        return cls("status", status=status, message=message, code=code, headers=headers or {})

    @classmethod
    def drop(cls) -> Fault:
        return cls("drop")

    @classmethod
    def malformed(cls) -> Fault:
        return cls("content", content='{"answer": "not closed')

    @classmethod
    def bad_body(cls) -> Fault:
        return cls("bad_body")

    @classmethod
    def schema_invalid(cls, content: str = '{"unexpected": true}') -> Fault:
        return cls("content", content=content)


Responder = Callable[[dict], str]
FaultScript = Sequence["Fault | None"] | Callable[[int, dict], "Fault | None"] | None


def count_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def chat_completion(request: dict, content: str, logprobs: list[dict] | None = None) -> dict:
    """A chat.completion body answering ``request`` with ``content`` (usage ~4 chars/token)."""
    prompt = sum(count_tokens(str(m.get("content") or "")) + 4 for m in request["messages"])
    completion_tokens = count_tokens(content)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
                "logprobs": {"content": logprobs} if logprobs is not None else None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt + completion_tokens,
        },
    }


def default_logprobs(request: dict, content: str) -> list[dict]:
    top_n = int(request.get("top_logprobs") or 0)
    tokens = re.findall(r"\w+|\s+|[^\w\s]", content)
    return [
        {
            "token": tok,
            "logprob": -0.05,
            "bytes": list(tok.encode()),
            "top_logprobs": [
                {"token": tok if i == 0 else f"{tok}~{i}", "logprob": -0.05 - i, "bytes": None}
                for i in range(top_n)
            ],
        }
        for tok in tokens
    ]


def text_completion(request: dict, content: str, logprobs: list[dict] | None = None) -> dict:
    """A text_completion body (``/v1/completions``) answering ``request`` with ``content``."""
    prompt, completion_tokens = count_tokens(request["prompt"]), count_tokens(content)
    legacy = None
    if logprobs is not None:
        legacy = {"tokens": [t["token"] for t in logprobs],
                  "token_logprobs": [t["logprob"] for t in logprobs],
                  "top_logprobs": [{t["token"]: t["logprob"]} for t in logprobs],
                  "text_offset": [0] * len(logprobs)}  # fmt: skip
    return {
        "id": f"cmpl-{uuid.uuid4().hex[:12]}",
        "object": "text_completion",
        "created": int(time.time()),
        "model": request.get("model", "fake"),
        "choices": [{"index": 0, "text": content, "finish_reason": "stop", "logprobs": legacy}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt + completion_tokens,
        },
    }


class PieceTokenizer:
    """A tokenizer for the fake server: GPT-2-style pieces (a word carries its leading space),
    words of more than ``piece`` letters cut into pieces of ``piece`` letters; ids handed out in
    the order pieces are first seen (:meth:`decode` maps them back)."""

    def __init__(self, piece: int = 6) -> None:
        self.piece = piece
        self.ids: dict[str, int] = {}
        self.pieces: list[str] = []
        self._lock = threading.Lock()

    def split(self, text: str) -> list[str]:
        out = []
        for token in re.findall(r" ?[^\W\d_]+| ?\d+| ?[^\w\s]+|\s+", text):
            head = self.piece + (token[0] == " ")
            out += [token[:head]] + [token[i : i + self.piece]
                                     for i in range(head, len(token), self.piece)]  # fmt: skip
        return out

    def __call__(self, text: str) -> list[int]:
        pieces = self.split(text)
        with self._lock:
            for piece in pieces:
                if piece not in self.ids:
                    self.ids[piece] = len(self.pieces)
                    self.pieces.append(piece)
            return [self.ids[piece] for piece in pieces]

    def decode(self, ids: list[int]) -> list[str]:
        return [self.pieces[i] for i in ids]


Alternatives = Callable[[dict, list[str]], dict[int, list[tuple[str, float]]]]


def llama_cpp_logprobs(alternatives: Alternatives) -> Callable[[dict, str], list[dict]]:
    """A ``logprobs_fn`` shaped like llama-cpp-python's server: GPT-2-style tokens (a word
    carries its leading space: `` would``), ``top_logprobs`` from the raw logits, before any
    ``grammar`` (so they may list tokens the grammar forbids, e.g. `` [``), the chosen token
    always among them. ``alternatives(request, tokens)`` gives ``{token index: [(token,
    logprob), ...]}``; other tokens list only themselves (logprob -0.01)."""

    def logprobs(request: dict, content: str) -> list[dict]:
        tokens = re.findall(r" ?[^\W\d_]+| ?\d+| ?[^\w\s]+|\s+", content)
        extra = alternatives(request, tokens)
        out = []
        for i, token in enumerate(tokens):
            top = dict(extra.get(i, []))
            top.setdefault(token, -0.01)
            out.append({"token": token, "logprob": top[token], "bytes": None,
                        "top_logprobs": [{"token": t, "logprob": lp, "bytes": None}
                                         for t, lp in top.items()]})  # fmt: skip
        return out

    return logprobs


class FakeOpenAI:
    """The server; a context manager (``with FakeOpenAI(...) as server``) or ``start``/``stop``."""

    def __init__(
        self,
        responder: Responder | None = None,
        faults: FaultScript = None,
        *,
        latency: float = 0.0,
        logprobs_fn: Callable[[dict, str], list[dict]] = default_logprobs,
        response_headers: dict[str, str] | None = None,
        batch_polls: int = 1,
        batch_faults: Callable[[dict, int], str | None] | None = None,
        tokenizer: Callable[[str], list[int]] | None = None,
    ) -> None:
        self.responder = responder or (lambda request: "{}")
        self.faults = faults
        self.latency = latency
        self.logprobs_fn = logprobs_fn
        self.response_headers = dict(response_headers or {})
        self.batch_polls = batch_polls
        self.batch_faults = batch_faults
        self.tokenizer = tokenizer
        self.tokenized: list[str] = []
        self.requests: list[dict] = []
        self.answered: list[dict] = []
        self.request_headers: list[dict[str, str]] = []
        self.arrivals: list[float] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.files: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.batch_lines: list[dict] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeOpenAI:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # chat ------------------------------------------------------------------------------
    def _fault_for(self, n: int, request: dict) -> Fault | None:
        if self.faults is None:
            return None
        if callable(self.faults):
            return self.faults(n, request)
        return self.faults[n] if n < len(self.faults) else None

    def completion(self, request: dict, content: str) -> dict:
        """A chat.completion object for ``content`` (also used for batch results), or a
        text_completion for a request with a ``prompt``."""
        logprobs = self.logprobs_fn(request, content) if request.get("logprobs") else None
        if "prompt" in request:
            return text_completion(request, content, logprobs)
        return chat_completion(request, content, logprobs)

    # batch -----------------------------------------------------------------------------
    def _finish_batch(self, batch: dict) -> None:
        number = list(self.batches).index(batch["id"])
        raw = self.files[batch["input_file_id"]]["content"].decode("utf-8")
        output, errors = [], []
        for text in raw.splitlines():
            if not text.strip():
                continue
            line = json.loads(text)
            with self._lock:
                self.batch_lines.append(line)
            verdict = self.batch_faults(line, number) if self.batch_faults else None
            item_id = f"batch_req_{uuid.uuid4().hex[:12]}"
            if verdict == "expired":
                errors.append(
                    {
                        "id": item_id,
                        "custom_id": line["custom_id"],
                        "response": None,
                        "error": {
                            "code": "batch_expired",
                            "message": "This request could not be executed before "
                            "the completion window expired.",
                        },
                    }
                )
                continue
            if verdict == "error":
                body = {"error": {"message": "fake batch error", "type": "server_error"}}
                errors.append(
                    {
                        "id": item_id,
                        "custom_id": line["custom_id"],
                        "response": {"status_code": 500, "request_id": item_id, "body": body},
                        "error": None,
                    }
                )
                continue
            completion = self.completion(line["body"], self.responder(line["body"]))
            output.append(
                {
                    "id": item_id,
                    "custom_id": line["custom_id"],
                    "response": {"status_code": 200, "request_id": item_id, "body": completion},
                    "error": None,
                }
            )
        expired = any((e.get("error") or {}).get("code") == "batch_expired" for e in errors)
        batch["status"] = "expired" if expired else "completed"
        batch["output_file_id"] = self._add_file("batch_output.jsonl", output, "batch_output")
        batch["error_file_id"] = (
            self._add_file("batch_errors.jsonl", errors, "batch_output") if errors else None
        )
        batch["request_counts"] = {
            "total": len(output) + len(errors),
            "completed": len(output),
            "failed": len(errors),
        }

    def _add_file(self, name: str, items: list[dict], purpose: str) -> str:
        data = "".join(json.dumps(item) + "\n" for item in items).encode("utf-8")
        return self._store_file(name, data, purpose)["id"]

    def _store_file(self, name: str, data: bytes, purpose: str) -> dict:
        file_id = f"file-{uuid.uuid4().hex[:16]}"
        meta = {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "created_at": int(time.time()),
            "filename": name,
            "purpose": purpose,
            "status": "processed",
        }
        with self._lock:
            self.files[file_id] = {"meta": meta, "content": data}
        return meta


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (timeouts, killed runs) are expected here: stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms stalls
    fake: FakeOpenAI

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> None:
        data = raw if raw is not None else json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(
        self,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        kind = code or ("rate_limit_exceeded" if status == 429 else "fake_error")
        self._send(status, {"error": {"message": message, "type": kind, "code": kind}}, headers)

    def do_POST(self) -> None:  # noqa: N802
        body = self._body()
        path = self.path.split("?")[0]
        if path.endswith("/completions"):  # chat or text
            self._chat(json.loads(body))
        elif path == "/extras/tokenize" and self.fake.tokenizer is not None:
            text = json.loads(body)["input"]
            with self.fake._lock:
                self.fake.tokenized.append(text)
            self._send(200, {"tokens": self.fake.tokenizer(text)})
        elif path.endswith("/files"):
            self._upload(body)
        elif path.endswith("/batches"):
            self._create_batch(json.loads(body))
        else:
            self._error(404, f"no route POST {path}")

    def do_GET(self) -> None:  # noqa: N802
        fake = self.fake
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) >= 3 and parts[-3] == "files" and parts[-1] == "content":
            entry = fake.files.get(parts[-2])
            if entry is None:
                return self._error(404, "no such file")
            return self._send(200, None, raw=entry["content"], content_type="application/jsonl")
        if len(parts) >= 2 and parts[-2] == "files" and parts[-1] in fake.files:
            return self._send(200, fake.files[parts[-1]]["meta"])
        if len(parts) >= 2 and parts[-2] == "batches" and parts[-1] in fake.batches:
            batch = fake.batches[parts[-1]]
            batch["_polls"] += 1
            if batch["status"] == "in_progress" and batch["_polls"] >= fake.batch_polls:
                fake._finish_batch(batch)
            elif batch["status"] == "validating":
                batch["status"] = "in_progress"
                if batch["_polls"] >= fake.batch_polls:
                    fake._finish_batch(batch)
            return self._send(200, {k: v for k, v in batch.items() if not k.startswith("_")})
        self._error(404, f"no route GET {self.path}")

    def _chat(self, request: dict) -> None:
        fake = self.fake
        with fake._lock:
            n = len(fake.requests)
            fake.requests.append(request)
            fake.request_headers.append({k.lower(): v for k, v in self.headers.items()})
            fake.arrivals.append(time.monotonic())
            fake.in_flight += 1
            fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
        try:
            fault = fake._fault_for(n, request)
            if fake.latency:
                time.sleep(fake.latency)
            if fault is not None and fault.kind == "slow":
                time.sleep(fault.seconds)
            if fault is not None and fault.kind == "drop":
                self.close_connection = True
                return
            if fault is not None and fault.kind == "status":
                headers = dict(fault.headers)
                if fault.retry_after is not None:
                    if fault.retry_after_ms:
                        headers["retry-after-ms"] = str(int(fault.retry_after * 1000))
                    else:
                        headers["Retry-After"] = f"{fault.retry_after:g}"
                return self._error(fault.status, fault.message, headers, fault.code)
            if fault is not None and fault.kind == "bad_body":
                page = b"<html><body>502 Bad Gateway</body></html>"
                return self._send(200, None, raw=page, content_type="text/html")
            if fault is not None and fault.kind == "content":
                content = fault.content or ""
            else:
                content = fake.responder(request)
            completion = fake.completion(request, content)
            try:
                self._send(200, completion, fake.response_headers)
            except OSError:  # the client gave up (timeout): not answered
                self.close_connection = True
                return
            with fake._lock:
                fake.answered.append(request)
        finally:
            with fake._lock:
                fake.in_flight -= 1

    def _upload(self, body: bytes) -> None:
        header = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
        fields: dict[str, Any] = {}
        filename = "upload.jsonl"
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if part.get_filename():
                filename = part.get_filename()
            fields[name] = part.get_payload(decode=True)
        purpose = (fields.get("purpose") or b"").decode()
        if "file" not in fields:
            return self._error(400, "missing file")
        self._send(200, self.fake._store_file(filename, fields["file"], purpose))

    def _create_batch(self, request: dict) -> None:
        fake = self.fake
        if request.get("input_file_id") not in fake.files:
            return self._error(400, "unknown input_file_id")
        batch_id = f"batch_{uuid.uuid4().hex[:16]}"
        batch = {
            "id": batch_id,
            "object": "batch",
            "endpoint": request["endpoint"],
            "errors": None,
            "input_file_id": request["input_file_id"],
            "completion_window": request.get("completion_window", "24h"),
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": int(time.time()),
            "metadata": request.get("metadata"),
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "_polls": 0,
        }
        with fake._lock:
            fake.batches[batch_id] = batch
        self._send(200, {k: v for k, v in batch.items() if not k.startswith("_")})


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a fake OpenAI-compatible API.")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--answer", default="{}", help="the content of every answer")
    args = parser.parse_args()
    server = FakeOpenAI(lambda request: args.answer, latency=args.latency).start()
    print(server.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
