"""A Hugging Face Hub stand-in on 127.0.0.1 (``HF_ENDPOINT``) that serves model repositories
from local directories, the way ``huggingface_hub`` downloads them: ``HEAD``/``GET
/{repo}/resolve/{revision}/{file}`` with the commit and ETag headers, ``/api/models/{repo}``
and its file tree. An unknown repository is a 404 with ``X-Error-Code: RepoNotFound`` (what
the Hub answers for a missing, private or gated repository without a token), an unknown file
a 404 with ``EntryNotFound``. Every request is recorded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.support.fake_hub import threaded_server

COMMIT = "c0ffee" + "0" * 34
_RESOLVE = re.compile(r"^/(?:models/)?(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
_API = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)(?P<rest>/.*)?$")


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: Mapping[str, str], *, head: bool) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _json(self, body: Any, status: int = 200, *, head: bool, **headers: str) -> None:
        data = json.dumps(body).encode()
        self._send(status, data, {"Content-Type": "application/json", **headers}, head=head)

    def _missing(self, code: str, *, head: bool) -> None:
        self._json({"error": code}, 404, head=head, **{"X-Error-Code": code})

    def _answer(self, *, head: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        self.server.requests.append(
            {"method": self.command, "path": path, "headers": dict(self.headers.items())}
        )
        repos: dict[str, Path] = self.server.repos
        if match := _RESOLVE.match(path):
            root = repos.get(match["repo"])
            if root is None:
                return self._missing("RepoNotFound", head=head)
            file = root / match["file"]
            if not file.is_file() or root not in file.resolve().parents:
                return self._missing("EntryNotFound", head=head)
            data = file.read_bytes()
            etag = '"' + hashlib.sha1(data).hexdigest() + '"'
            headers = {"X-Repo-Commit": COMMIT, "ETag": etag}
            return self._send(200, data, headers, head=head)
        if match := _API.match(path):
            root = repos.get(match["repo"])
            if root is None:
                return self._missing("RepoNotFound", head=head)
            files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
            if (match["rest"] or "").startswith("/tree/"):
                tree = [{"type": "file", "path": f, "size": (root / f).stat().st_size,
                         "oid": COMMIT} for f in files]  # fmt: skip
                return self._json(tree, head=head)
            info = {"id": match["repo"], "modelId": match["repo"], "sha": COMMIT,
                    "private": False, "siblings": [{"rfilename": f} for f in files]}  # fmt: skip
            return self._json(info, head=head)
        self._json({"error": f"unexpected {path}"}, 404, head=head)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(head=True)


@contextlib.contextmanager
def model_hub(repos: Mapping[str, Path] | None = None) -> Iterator[tuple[str, list[dict]]]:
    """Serve ``repos`` (``{"org/name": model directory}``); yield (endpoint URL, requests)."""
    resolved = {k: Path(v).resolve() for k, v in (repos or {}).items()}
    with threaded_server(_Handler, repos=resolved) as served:
        yield served
