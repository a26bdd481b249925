"""The toolkit's local web servers (``train serve``, ``datagen view``): where they listen, how
they answer errors, and how they start.

Every error is a small JSON object ``{"error": "..."}`` with a 4xx status: malformed JSON is
400, a body over the size cap 413 (counted as it arrives: a chunked body is refused as soon as
it passes the cap, never read whole), a body of the wrong shape 422, a missing or wrong API
key 401. The socket is bound before the server starts, so a port in use is one ``error:`` line
(exit 2), not a traceback; an address other than loopback is a warning on stderr.
"""

from __future__ import annotations

import hmac
import ipaddress
import socket
import sys
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from dataclasses import dataclass
from typing import Any

from schemas.errors import InputError
from schemas.options import option

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class ServerOptions:
    """Where a server listens."""

    options_panel = "Server"

    host: str = option("127.0.0.1", help="Address to listen on (127.0.0.1: this machine only).")
    port: int = option(8000, help="Port to listen on (0: any free port).", ge=0, le=65535)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``; a port in use is an :class:`InputError`."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise InputError(f"cannot resolve host {host!r} ({err.strerror})", field="--host") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as err:
        sock.close()
        raise InputError(
            f"cannot listen on {host}:{port}: {err.strerror}", field="--port"
        ) from None
    sock.listen(128)
    return sock


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Any:
    """The JSON error response every endpoint returns."""
    from fastapi.responses import JSONResponse

    return JSONResponse({"error": message}, status_code=status, headers=headers)


DRAIN_BYTES = 4 * 1024 * 1024
"""How much of a refused body is read and dropped before the 413 (so that a client sending it
whole still reads the answer); beyond it the connection may be cut."""
DRAIN_IDLE = 0.5
"""Seconds without a body byte after which a refused body's 413 is sent at once."""


class BodyLimit:
    """ASGI middleware: a request body over ``max_body_bytes`` is answered 413 as soon as that
    is known, and never held. A ``Content-Length`` over the cap is refused before any body byte
    is kept; a body without one (``Transfer-Encoding: chunked``) is counted chunk by chunk as
    it arrives and refused when it passes the cap, so at most the cap plus one chunk is held.
    A body within the cap is handed on to the app whole."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = error(413, f"the request body is over {self.max_body_bytes} bytes")
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            await self.refuse(too_large, scope, receive, send, more_body=True)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                more = message.get("more_body", False)
                await self.refuse(too_large, scope, receive, send, more_body=more)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body: bytes | None = b"".join(chunks)

        async def replay() -> Message:
            nonlocal body
            if body is None:
                return await receive()
            message, body = {"type": "http.request", "body": body, "more_body": False}, None
            return message

        await self.app(scope, replay, send)

    @staticmethod
    async def refuse(
        answer: Any, scope: Scope, receive: Receive, send: Send, *, more_body: bool
    ) -> None:
        """Answer 413 after reading and dropping what of the body comes at once (nothing is
        kept; at most :data:`DRAIN_BYTES`, until it pauses for :data:`DRAIN_IDLE` seconds): a
        client that sends its whole body before reading (and asks to close the connection, as
        urllib does) gets the 413, not a reset; one that waits for the answer gets it then."""
        import asyncio

        drained = 0
        while more_body and drained <= DRAIN_BYTES:
            try:
                message = await asyncio.wait_for(receive(), DRAIN_IDLE)
            except TimeoutError:
                break
            if message["type"] != "http.request":
                return
            drained += len(message.get("body", b""))
            more_body = message.get("more_body", False)
        await answer(scope, receive, send)


class BearerKey:
    """ASGI middleware: every path but the ``public`` ones and those starting with one of
    ``public_prefixes`` needs ``Authorization: Bearer KEY``; 401 otherwise, before any body is
    read. The key is compared in constant time and never logged or echoed."""

    def __init__(
        self,
        app: ASGIApp,
        key: str,
        public: Collection[str] = (),
        public_prefixes: Collection[str] = (),
    ) -> None:
        self.app = app
        self.expected = b"Bearer " + str(key).encode("utf-8")
        self.public = frozenset(public)
        self.prefixes = tuple(public_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] == "http"
            and path not in self.public
            and not path.startswith(self.prefixes)
        ):
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                why = "a wrong API key" if given else "no API key"
                refuse = error(
                    401,
                    f"{why}: this server needs the header Authorization: Bearer <its API key>",
                    headers={"WWW-Authenticate": "Bearer"},
                )
                await refuse(scope, receive, send)
                return
        await self.app(scope, receive, send)


def install_error_handlers(app: Any, *, max_body_bytes: int) -> None:
    """Errors as ``{"error": ...}`` JSON (400 bad JSON, 413 too large, 422 wrong shape)."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Any, exc: RequestValidationError) -> Any:
        first = exc.errors()[0]
        if first.get("type") == "json_invalid":
            return error(400, "the request body is not valid JSON")
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
        return error(422, f"{where}: {first.get('msg', 'invalid')}")

    @app.exception_handler(HTTPException)
    async def _http(request: Any, exc: HTTPException) -> Any:
        return error(exc.status_code, str(exc.detail))

    app.add_middleware(BodyLimit, max_body_bytes=max_body_bytes)


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/page.css">
</head>
<body>
{body}
</body>
</html>
"""


def add_page(app: Any, package: str, title: str) -> None:
    """``GET /``: ``package``'s ``page.html`` (its style, markup and script) in the shared
    frame; ``GET /page.css``: the style the pages share."""
    from importlib import resources

    from fastapi.responses import HTMLResponse, Response

    body = resources.files(package).joinpath("page.html").read_text(encoding="utf-8")
    html = PAGE.format(title=title, body=body.strip())
    css = resources.files("schemas").joinpath("page.css").read_text(encoding="utf-8")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> str:
        return html

    @app.get("/page.css", include_in_schema=False)
    async def style() -> Any:
        return Response(css, media_type="text/css")


def is_loopback(address: str) -> bool:
    """Whether a bound socket's address is this machine only (127.0.0.0/8, ::1)."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def run_server(
    build: Callable[[], Any], options: ServerOptions, *, what: str, exposed_hint: str = ""
) -> None:
    """Bind (a port in use fails before any model loads), warn on stderr when the address is
    not loopback (``exposed_hint`` says what the server does about it), ``build`` the app,
    print the address, and serve until interrupted."""
    import uvicorn

    sock = bind(options.host, options.port)
    host, port = sock.getsockname()[:2]
    if not is_loopback(host):
        print(
            f"warning: --host {options.host} is not a loopback address: other machines that "
            f"can reach {host}:{port} can use this server over plain HTTP"
            + (f"; {exposed_hint}" if exposed_hint else ""),
            file=sys.stderr,
            flush=True,
        )
    app = build()
    print(f"{what} on http://{host}:{port}/ (API docs at /docs); Ctrl-C stops it", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    server.run(sockets=[sock])
