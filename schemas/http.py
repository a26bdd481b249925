"""The toolkit's local web servers (``train serve``, ``datagen view``): where they listen, how
they answer errors, and how they start.

Every error is a small JSON object ``{"error": "..."}`` with a 4xx status: malformed JSON is
400, a body over the size cap 413, a body of the wrong shape 422. The socket is bound before
the server starts, so a port in use is one ``error:`` line (exit 2), not a traceback.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from schemas.errors import InputError
from schemas.options import option


@dataclass
class ServerOptions:
    """Where a server listens."""

    options_panel = "Server"

    host: str = option("127.0.0.1", help="Address to listen on (127.0.0.1: this machine only).")
    port: int = option(8000, help="Port to listen on (0: any free port).")

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise InputError(f"--port must be in 0..65535, got {self.port}")


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


def error(status: int, message: str) -> Any:
    """The JSON error response every endpoint returns."""
    from fastapi.responses import JSONResponse

    return JSONResponse({"error": message}, status_code=status)


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

    @app.middleware("http")
    async def _cap_body(request: Any, call_next: Any) -> Any:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > max_body_bytes):
            return error(413, f"the request body is over {max_body_bytes} bytes")
        return await call_next(request)


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


def run_server(build: Callable[[], Any], options: ServerOptions, *, what: str) -> None:
    """Bind (a port in use fails before any model loads), ``build`` the app, print the
    address, and serve until interrupted."""
    import uvicorn

    sock = bind(options.host, options.port)
    app = build()
    host, port = sock.getsockname()[:2]
    print(f"{what} on http://{host}:{port}/ (API docs at /docs); Ctrl-C stops it", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    server.run(sockets=[sock])
