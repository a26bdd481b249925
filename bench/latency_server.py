"""A minimal OpenAI-compatible chat endpoint that answers every request after a fixed latency.

    python -m bench.latency_server --latency 0.1 --answer '{"word": "tidy"}'   # from the repo root

Prints its base URL (``http://127.0.0.1:PORT/v1``) and serves until killed. Built for
throughput benchmarks: one asyncio process (aiohttp), so concurrent requests cost it little CPU
and each waits ``latency`` seconds, close to a remote API's fixed latency. The scriptable test
server (``tests/support/fake_openai.py``, threads + ``http.server``) spends more CPU per request
and adds its own queueing at high concurrency; ``llm_throughput.py --server fake`` uses it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket

from aiohttp import web

from tests.support.fake_openai import chat_completion


def make_app(latency: float, answer: str) -> web.Application:
    async def chat(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        await asyncio.sleep(latency)
        return web.json_response(chat_completion(body, answer))

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    return app


async def serve(latency: float, answer: str) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    runner = web.AppRunner(make_app(latency, answer), access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock, backlog=1024).start()
    print(f"http://127.0.0.1:{sock.getsockname()[1]}/v1", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--answer", default="{}")
    args = parser.parse_args()
    asyncio.run(serve(args.latency, args.answer))


if __name__ == "__main__":
    main()
