"""A Hugging Face Hub stand-in on 127.0.0.1 (``HF_ENDPOINT``) that records every request and
accepts repo creation, card-metadata checks, pre-upload checks and commits."""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def _reply(self, body: Any, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self) -> tuple[str, bytes]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.requests.append(  # type: ignore[attr-defined]
            {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body,
            }
        )
        return self.path, body

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._record()
        self._reply({"error": "not here"}, 404)

    def do_POST(self) -> None:  # noqa: N802
        path, body = self._record()
        if path.startswith("/api/repos/create"):
            req = json.loads(body)
            host, port = self.server.server_address[:2]
            kind = "datasets/" if req.get("type") == "dataset" else ""
            repo = f"{req.get('organization')}/{req['name']}"
            self._reply({"url": f"http://{host}:{port}/{kind}{repo}", "name": repo})
        elif "/preupload/" in path:
            files = json.loads(body)["files"]
            self._reply(
                {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                           for f in files], "commitOid": "0" * 40}
            )  # fmt: skip
        elif "/commit/" in path:
            host, port = self.server.server_address[:2]
            repo = path.removeprefix("/api/").split("/commit/")[0].removeprefix("models/")
            self._reply(
                {"commitUrl": f"http://{host}:{port}/{repo}/commit/1", "commitOid": "1" * 40}
            )
        elif path.startswith("/api/validate-yaml"):
            self._reply({})
        else:
            self._reply({"error": f"unexpected {path}"}, 404)


@contextlib.contextmanager
def threaded_server(
    handler: type[BaseHTTPRequestHandler], **attributes: Any
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Serve ``handler`` on 127.0.0.1 in a thread, with ``attributes`` set on the server (the
    handler reads them) and a ``requests`` list it records into; yield (URL, requests)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    for name, value in attributes.items():
        setattr(server, name, value)
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", server.requests  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def fake_hub() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Yield (endpoint URL, list of recorded requests)."""
    with threaded_server(_Handler) as served:
        yield served
