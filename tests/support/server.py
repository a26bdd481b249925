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
from pathlib import Path
from typing import Any

from tests.support.cli import BIN, cli_env


@contextlib.contextmanager
def running(*args: str | Path, timeout: float = 300) -> Iterator[str]:
    """Start ``args`` (a console script and its arguments, with ``--port 0``), yield its base
    URL once it prints it, and stop it afterwards."""
    cmd = [str(BIN / str(args[0])), *map(str, args[1:])]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env()
    )
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "http://" in line:
                found.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not found.wait(timeout):
            proc.kill()
            raise RuntimeError(f"{cmd} printed no address: {lines} {proc.stderr.read()}")
        url = re.search(r"http://[\d.:]+", "".join(lines)).group(0)  # type: ignore[union-attr]
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


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
