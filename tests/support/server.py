"""A server command (``train serve``, ``datagen view``) as a real subprocess on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.cli import BIN, cli_env


@dataclass
class Server:
    """A running server subprocess: its base URL and what it printed so far."""

    url: str
    proc: subprocess.Popen
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


@contextlib.contextmanager
def serving(
    *args: str | Path, env: dict[str, str] | None = None, timeout: float = 300
) -> Iterator[Server]:
    """Start ``args`` (a console script and its arguments, with ``--port 0``), yield the
    :class:`Server` once it prints its address (both streams read as they come), and stop
    it afterwards."""
    cmd = [str(BIN / str(args[0])), *map(str, args[1:])]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(env)
    )
    server = Server("", proc)
    found = threading.Event()

    def read(stream: Any, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)
            if match := re.search(r"http://[\d.:]+", line):
                server.url = match.group(0).replace("0.0.0.0", "127.0.0.1")
                found.set()

    threading.Thread(target=read, args=(proc.stdout, server.stdout), daemon=True).start()
    threading.Thread(target=read, args=(proc.stderr, server.stderr), daemon=True).start()
    try:
        if not found.wait(timeout):
            proc.kill()
            raise RuntimeError(f"{cmd} printed no address: {server.stdout} {server.stderr}")
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def running(*args: str | Path, timeout: float = 300) -> Iterator[str]:
    """:func:`serving`, yielding only the base URL."""
    with serving(*args, timeout=timeout) as server:
        yield server.url


def request(
    url: str, body: Any = None, *, raw: bytes | None = None, method: str | None = None
) -> tuple[int, Any]:
    """(status, parsed JSON) of a GET, or of a POST of ``body`` as JSON (or ``raw`` bytes)."""
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())
