"""``train serve`` on a network: a streamed body is capped as it arrives, ``--api-key`` guards
every API route (and the page sends the key), ``/docs`` needs no CDN, and an address other
than loopback is a warning. A real server subprocess (all-MiniLM-L6-v2: similarity only),
real sockets and a real headless Chromium."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import psutil
import pytest

from schemas.http import is_loopback
from tests.support.browser import Browser
from tests.support.cli import assert_clean_error
from tests.support.server import Server, serving

KEY = "s3cret-Key-for-tests"
# --max-texts 2 --max-chars 10: the body cap is 2 * (10 * 6 + 16) + 1024 bytes
LIMIT = 1176
PAIR = {"sentence1": "hi there", "sentence2": "hello"}


def serve(model: str, *args: str, env: dict[str, str] | None = None):
    """``train serve model --port 0 args``; yields the server once it prints its address."""
    return serving("train", "serve", model, "--port", "0", *args, env=env)


def call(url: str, body: object = None, key: str | None = None) -> tuple[int, bytes, dict]:
    """(status, body bytes, headers) of a GET, or a POST of ``body`` as JSON."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if key is not None:
        req.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read(), dict(err.headers)


@pytest.fixture(scope="module")
def server(minilm_path) -> Iterator[Server]:
    with serve(minilm_path, "--max-texts", "2", "--max-chars", "10") as running:
        yield running


@pytest.fixture(scope="module")
def keyed(minilm_path) -> Iterator[Server]:
    """Keyed by the environment variable (the way the help recommends)."""
    with serve(minilm_path, env={"MBTIKIT_API_KEY": KEY}) as running:
        yield running


# --- the body cap, counted as the body arrives -------------------------------------------
def chunked_request(port: int, path: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n".encode()
    )
    return sock


def send_chunk(sock: socket.socket, data: bytes) -> None:
    sock.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n")


def read_response(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        if not piece:
            break
        data += piece
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    while len(rest) < length:
        rest += sock.recv(65536)
    return status, rest


def test_a_chunked_body_over_the_cap_is_413_before_the_client_ends_it(server):
    sock = chunked_request(server.port, "/similarity")
    with sock:
        chunk = b'{"sentence1": "' + b"x" * 1000  # never closed: the body never ends
        for _ in range(2):  # 2016 bytes > LIMIT, and no last (empty) chunk is ever sent
            send_chunk(sock, chunk)
        status, body = read_response(sock)
        assert status == 413
        assert f"over {LIMIT} bytes" in json.loads(body)["error"]
        # what still arrives is dropped, not kept: 64 MB more leave the server's memory as it was
        process = psutil.Process(server.proc.pid)
        before = process.memory_info().rss
        with contextlib.suppress(OSError):  # the server may also close the connection
            for _ in range(1_024):
                send_chunk(sock, b"y" * 65536)
        assert process.memory_info().rss - before < 16 * 2**20


def test_a_chunked_body_within_the_cap_is_read_whole(server):
    body = json.dumps(PAIR).encode()
    sock = chunked_request(server.port, "/similarity")
    with sock:
        for i in range(0, len(body), 5):  # many small chunks
            send_chunk(sock, body[i : i + 5])
        sock.sendall(b"0\r\n\r\n")
        status, answer = read_response(sock)
    assert status == 200, answer
    assert -1 <= json.loads(answer)["score"] <= 1


def test_a_content_length_over_the_cap_is_413_without_reading_the_body(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(
            b"POST /similarity HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 50000000\r\n\r\n"
        )  # and not one byte of it
        status, body = read_response(sock)
    assert status == 413 and "over" in json.loads(body)["error"]


# --- the API key ---------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/info", "/similarity", "/predict", "/predict/author"])
def test_every_api_route_needs_the_key(keyed, path):
    body = None if path == "/info" else PAIR
    status, answer, headers = call(keyed.url + path, body)
    assert status == 401 and "no API key" in json.loads(answer)["error"]
    assert headers.get("www-authenticate", headers.get("WWW-Authenticate")) == "Bearer"
    status, answer, _ = call(keyed.url + path, body, key=KEY + "x")
    assert status == 401 and "wrong API key" in json.loads(answer)["error"]


def test_the_key_opens_the_api(keyed):
    status, info, _ = call(keyed.url + "/info", key=KEY)
    assert status == 200 and json.loads(info)["similarity_model"]
    status, answer, _ = call(keyed.url + "/similarity", PAIR, key=KEY)
    assert status == 200 and -1 <= json.loads(answer)["score"] <= 1


def test_a_keyless_big_body_is_401_before_it_is_read(keyed):
    with socket.create_connection(("127.0.0.1", keyed.port), timeout=30) as sock:
        sock.sendall(b"POST /similarity HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        status, body = read_response(sock)  # no body byte sent yet
    assert status == 401


def test_the_page_and_the_docs_load_without_the_key_and_say_a_key_is_needed(keyed):
    for path in ("/", "/page.css", "/docs", "/openapi.json"):
        status, _, _ = call(keyed.url + path)
        assert status == 200, path
    spec = json.loads(call(keyed.url + "/openapi.json")[1])
    assert spec["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    assert spec["security"] == [{"apiKey": []}]


def test_the_key_never_appears_in_the_servers_output(keyed):
    call(keyed.url + "/similarity", PAIR, key=KEY)
    call(keyed.url + "/info", key=KEY + "-wrong")
    call(keyed.url + "/nope", key=KEY)
    time.sleep(0.5)
    output = "".join(keyed.stdout + keyed.stderr)
    assert "API key required" in output  # what the server said
    assert KEY not in output


def test_the_page_takes_the_key_from_its_address_and_sends_it(keyed):
    with Browser() as page:
        page.goto(f"{keyed.url}/?key={KEY}")
        page.wait_for("document.body.dataset.ready === '1'")
        assert KEY not in page.eval("location.href")  # taken out of the address bar
        assert page.eval("document.getElementById('key-section').hidden") is True
        page.eval("document.getElementById('sentence1').value = 'A man plays a guitar.'")
        page.eval("document.getElementById('sentence2').value = 'Someone plays guitar.'")
        page.eval("document.getElementById('compare').click()")
        score = page.wait_for("document.getElementById('score').dataset.score")
        assert 0.5 < float(score) <= 1


def test_the_page_asks_for_the_key_when_it_has_none(keyed):
    with Browser() as page:
        page.goto(keyed.url + "/")
        page.wait_for("!document.getElementById('key-section').hidden")
        assert page.eval("document.body.dataset.ready") is None  # nothing loaded without it
        page.eval(f"document.getElementById('api-key').value = {json.dumps(KEY)}")
        page.eval("document.getElementById('key-submit').click()")
        page.wait_for("document.body.dataset.ready === '1'")
        assert page.eval("document.getElementById('key-section').hidden") is True
        assert "similarity" in page.eval("document.getElementById('model').textContent")


def test_an_empty_api_key_is_one_error_line(cli, minilm_path):
    proc = cli("train", "serve", minilm_path, "--port", "0", "--api-key", " ")
    assert_clean_error(proc, "--api-key", "non-empty")


# --- /docs without a CDN -------------------------------------------------------------------
def test_the_docs_page_loads_its_assets_from_the_server(server):
    status, html, _ = call(server.url + "/docs")
    assert status == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', html.decode())
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        assert asset.startswith("/"), asset  # on this server, no other host
        status, body, headers = call(server.url + asset)
        assert status == 200 and len(body) > 1000, asset
    assert "cdn" not in html.decode().lower()


def test_the_docs_page_renders_the_endpoints_offline_in_a_browser(server):
    with Browser() as page:  # the test machine reaches no CDN: only local assets can work
        page.goto(server.url + "/docs")
        paths = page.wait_for(
            "[...document.querySelectorAll('.opblock-summary-path')].map(e => e.textContent)"
            ".join(' ') || null"
        )
    assert "/similarity" in paths and "/predict" in paths


# --- where it listens ----------------------------------------------------------------------
def test_loopback_is_silent_and_any_other_address_a_warning(minilm_path, server):
    assert not any("warning" in line for line in server.stderr)
    with serve(minilm_path, "--host", "0.0.0.0", env={"MBTIKIT_API_KEY": KEY}) as exposed:
        status, _, _ = call(exposed.url + "/info", key=KEY)
        assert status == 200
        time.sleep(0.2)
    warning = [line for line in exposed.stderr if line.startswith("warning: ")]
    assert len(warning) == 1, exposed.stderr
    assert "--host 0.0.0.0 is not a loopback address" in warning[0]
    assert "API key" in warning[0]


@pytest.mark.parametrize(
    ("address", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("::ffff:127.0.0.1", True),
     ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("fe80::1%eth0", False)],
)  # fmt: skip
def test_is_loopback(address, loopback):
    assert is_loopback(address) is loopback
