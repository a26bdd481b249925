"""``train serve`` under load: dynamic batching against one request per forward pass.

    .venv/bin/python bench/serve_load.py [--model DIR] [--clients 1 8 32] [--texts 8]
                                         [--seconds 8] [--repeat 2] [--device cpu]
                                         [--batched-sizes 32 64]

Servers of the same model, each ``train serve`` in its own process on 127.0.0.1 (a free
port): ``batchN`` for each of ``--batched-sizes`` (default 32, the serve default, and 64): a
batch waits up to the default ``--batch-wait-ms`` 5 for concurrent requests and takes up to
max(N, 64) texts per model call in forward passes of N, in the default ``--encode-precision``
(auto: bf16 on a CPU with native bf16); ``one/fwd`` with batching off: ``--batch-wait-ms 0``
(a model call takes one request) and ``--batch-size`` = texts per request (that request in one
forward pass), in the default precision; and ``one/fp32`` (the anchor: a plain server) the same
in fp32. For 1, 8 and 32 closed-loop clients (each
sends ``POST /predict`` with ``--texts`` posts from data/sample/posts.jsonl, waits for the
answer, sends the next) it measures requests/s and the p50 / p99 latency over ``--seconds``;
the servers take turns, ``--repeat`` times, and the run with the median requests/s is
reported, with ``x anchor`` = its requests/s / one/fwd's at the same client count, and the
texts per model call (from the server's ``/info`` counters).

The model: ``--model`` (a train run or phase-3 model directory), else a phase-3 MBTI model
built first from the bundled all-MiniLM-L6-v2 with ``train phase3 --max-steps 2`` (its accuracy
is irrelevant here; the forward pass is the real one). Every client request has a timeout; the
servers are killed at the end. The load average is printed before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_POSTS = ROOT / "data" / "sample" / "posts.jsonl"
TRAIN = [sys.executable, "-c", "from train.cli import main; main()"]
URL = re.compile(r"http://127\.0\.0\.1:(\d+)/")
REQUEST_TIMEOUT = 30.0


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def build_model(out: Path, device: str) -> Path:
    """A phase-3 MBTI model from the bundled MiniLM, two optimiser steps on the sample posts."""
    command = [
        *TRAIN, "phase3", str(SAMPLE_POSTS), "--out", str(out), "--max-steps", "2",
        "--device", device, "--no-progress", "--quiet", "--overwrite",
    ]  # fmt: skip
    subprocess.run(command, cwd=ROOT, check=True, timeout=900, env=_env())
    return out


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


class Server:
    """``train serve MODEL --port 0 [flags]`` in its own process; ``url`` once it answers."""

    def __init__(self, model: Path, device: str, flags: list[str]) -> None:
        command = [*TRAIN, "serve", str(model), "--port", "0", "--device", device, *flags]
        self.proc = subprocess.Popen(
            command, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, text=True
        )
        self.url = ""

    def wait(self, timeout: float = 300.0) -> str:
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line and self.proc.poll() is not None:
                raise RuntimeError(f"train serve exited with {self.proc.returncode}")
            found = URL.search(line)
            if found:
                self.url = f"http://127.0.0.1:{found.group(1)}"
                return self.url
        raise TimeoutError("train serve did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


async def load(url: str, bodies: list[bytes], clients: int, seconds: float) -> dict:
    """``clients`` closed-loop clients for ``seconds``: requests/s, p50/p99 latency, the texts
    per model call and the model's precision (from ``/info``), errors."""
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=clients)
    headers = {"Content-Type": "application/json"}
    latencies: list[float] = []
    errors = 0
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        before = await (await session.get(f"{url}/info")).json()
        stop = time.monotonic() + seconds
        counter = iter(range(10**9))

        async def client() -> None:
            nonlocal errors
            while time.monotonic() < stop:
                body = bodies[next(counter) % len(bodies)]
                start = time.perf_counter()
                try:
                    async with session.post(f"{url}/predict", data=body, headers=headers) as r:
                        await r.read()
                        ok = r.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - start)
                else:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        wall = time.perf_counter() - started
        after = await (await session.get(f"{url}/info")).json()
    calls = after["batches"] - before["batches"]
    ordered = sorted(latencies)
    return {
        "rps": len(latencies) / wall,
        "p50": _quantile(ordered, 0.50),
        "p99": _quantile(ordered, 0.99),
        "per_call": (after["items"] - before["items"]) / calls if calls else 0.0,
        "errors": errors,
        "n": len(latencies),
        "precision": after["precision"],
    }


def _quantile(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def request_bodies(texts_per_request: int, count: int = 200, seed: int = 0) -> list[bytes]:
    posts = [json.loads(line)["text"] for line in SAMPLE_POSTS.read_text().splitlines() if line]
    rng = random.Random(seed)
    return [
        json.dumps({"texts": rng.sample(posts, texts_per_request)}).encode() for _ in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, help="train run or phase-3 model directory")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--texts", type=int, default=8, help="texts per request")
    parser.add_argument("--seconds", type=float, default=8.0, help="per measurement")
    parser.add_argument("--repeat", type=int, default=2, help="alternating runs; median shown")
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--batched-sizes",
        type=int,
        nargs="+",
        default=[32, 64],
        help="a batched server per --batch-size (32: the serve default)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="serve-load-") as tmp:
        model = args.model
        if model is None:
            started = time.monotonic()
            model = build_model(Path(tmp) / "phase3", args.device)
            took = time.monotonic() - started
            print(f"built a phase-3 model from the bundled MiniLM in {took:.0f} s")
        one = ["--batch-wait-ms", "0", "--batch-size", str(args.texts)]
        setups = {"one/fp32": [*one, "--encode-precision", "fp32"], "one/fwd": one}
        for size in args.batched_sizes:
            setups[f"batch{size}"] = ["--batch-size", str(size)]
        servers = {name: Server(model, args.device, flags) for name, flags in setups.items()}
        try:
            for server in servers.values():
                server.wait()
            bodies = request_bodies(args.texts)
            warm = {  # warm-up: first calls, allocator, thread pools
                name: asyncio.run(load(server.url, bodies, 4, 1.5))
                for name, server in servers.items()
            }
            precision = warm["one/fwd"]["precision"]
            print(
                f"train serve on {args.device}, {args.texts} texts per request, closed-loop "
                f"clients for {args.seconds:g} s each, median of {args.repeat} alternating "
                "runs; one/fp32 (anchor): --batch-wait-ms 0 --batch-size "
                f"{args.texts} --encode-precision fp32; one/fwd: the same in the default "
                f"precision ({precision}); batchN: --batch-size N, the default --batch-wait-ms "
                f"(5), the default precision ({precision})"
            )
            print(f"load average before: {load_average()}")
            print(
                f"{'clients':>7} {'server':>8} {'req/s':>8} {'x anchor':>8} {'p50 ms':>8} "
                f"{'p99 ms':>8} {'texts/call':>10} {'errors':>6}"
            )
            for clients in args.clients:
                runs: dict[str, list[dict]] = {name: [] for name in servers}
                for _ in range(args.repeat):
                    for name, server in servers.items():
                        run = load(server.url, bodies, clients, args.seconds)
                        runs[name].append(asyncio.run(run))
                medians = {
                    name: sorted(values, key=lambda r: r["rps"])[len(values) // 2]
                    for name, values in runs.items()
                }
                anchor = medians["one/fp32"]["rps"]
                for name, r in medians.items():
                    print(
                        f"{clients:>7} {name:>8} {r['rps']:>8.1f} {r['rps'] / anchor:>8.2f} "
                        f"{r['p50'] * 1000:>8.0f} {r['p99'] * 1000:>8.0f} "
                        f"{r['per_call']:>10.1f} {r['errors']:>6}",
                        flush=True,
                    )
            print(f"load average after: {load_average()}")
        finally:
            for server in servers.values():
                server.stop()


if __name__ == "__main__":
    main()
