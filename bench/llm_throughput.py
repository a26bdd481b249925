"""Throughput of the LLM runner against a local OpenAI-compatible server with fixed latency.

    python bench/llm_throughput.py [--latency 0.1] [--n 1500] [--n1 100] [--server fake]
                                   [--repeat 3] [--concurrency 8 32 64] [--curator PYTHON]
    python bench/llm_throughput.py --capacity 4 16 64 --latency 0.2 [--fixed 4 16 64 256]
                                   [--rounds 60] [--timeout S] [--max-retries 2] [--repeat 3]

The server runs in its own process (bench/latency_server.py, asyncio; ``--server fake``: the
scriptable test server tests/support/fake_openai.py, threads). For each concurrency C it sends
N requests each way and reports achieved time against the ideal ``N x latency / C``:
``run_task`` without a cache (``--no-cache``) and with the SQLite cache on disk (a fresh file
per run: every answer written), validation on; ``auto``: the runner with ``--concurrency
auto --max-concurrency C`` (no cache; on this server the window grows from its start to C: the
ramp and the timing of each answer are what it costs against ``runner``); ``warm``: ``auto``
with the on-disk cache in which an earlier ``auto`` run against this server (untimed, before
the repeats) left its window, so it starts there (its anchor: ``cached``); a plain
``openai.AsyncOpenAI`` + semaphore loop
(the library baseline); a bare ``aiohttp`` loop (no openai, no validation: the ceiling that
this server and machine allow any Python client); and, with ``--curator``, Bespoke Curator
(bench/curator_run.py run by that interpreter, e.g. /tmp/curator-venv/bin/python made with
``python3 -m venv /tmp/curator-venv && /tmp/curator-venv/bin/pip install bespokelabs-curator``;
its time is the ``llm(rows)`` call, its own file writing and data set included). The ways are
interleaved, ``--repeat`` times, and the median is reported. It also prints the client's CPU
time per request. Concurrency 1 uses ``--n1`` requests (1,500 x 100 ms would be 150 s).
``--server-slots S``: the server answers llama.cpp's ``GET /props`` with ``total_slots`` S, so
``auto`` starts its first run at ``min(S, C)`` instead of 4 (compare its cost against
``runner`` with and without).
Then it times the resume of a fully cached 14,400-row run, two ways: 900 requests whose
answers each yield 16 rows (one request per base sentence), and 14,400 requests of one row
each (one request per sentence and type). The cache is filled directly (same keys as a run).

``--capacity K ...`` runs the capacity sweep instead: per K, a server that serves K requests at
full speed and slows down past that (``latency_server.py --capacity K``, never a 429), rounds x K
requests with each fixed ``--fixed`` concurrency and with ``auto`` (up to 256), none told K;
requests/s, the share of the server's ideal K / latency, timed-out attempts, auto's window at
the end and at most, and each way's throughput against the best fixed one (the anchor).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import openai  # noqa: E402
from pydantic import BaseModel  # noqa: E402

from datagen.llm import LLMConfig, LLMTask, run_task  # noqa: E402
from datagen.llm.cache import LLMResponse, RequestKeys, ResponseCache  # noqa: E402
from datagen.llm.messages import initial_messages, request_body  # noqa: E402

ANSWER = json.dumps({"word": "tidy", "score": 0.5})


class Fill(BaseModel):
    word: str
    score: float


class BenchTask(LLMTask):
    name = "bench"
    response_model = Fill
    prompt_templates = ("Fill the blank in sentence {id}.",)

    def __init__(self, rows_per_answer: int = 1) -> None:
        self.rows_per_answer = rows_per_answer

    def prompt(self, row: dict) -> list[dict]:
        return [
            {"role": "system", "content": "You fill blanks with one word."},
            {"role": "user", "content": f"Fill the blank in sentence {row['id']}: I [MASK] up."},
        ]

    def parse(self, row: dict, response: Fill, logprobs: list | None) -> list[dict]:
        return [
            {"id": f"{row['id']}-{t}", "base_id": row["id"], "target": response.word}
            for t in range(self.rows_per_answer)
        ]


def start_server(
    latency: float, kind: str = "latency", capacity: int | None = None, slots: int | None = None
) -> tuple[subprocess.Popen, str]:
    module = "bench.latency_server" if kind == "latency" else "tests.support.fake_openai"
    extra = ["--capacity", str(capacity)] if capacity else []
    extra += ["--slots", str(slots)] if slots else []
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "--latency", str(latency), "--answer", ANSWER, *extra],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    return proc, proc.stdout.readline().strip()


def rows(n: int, prefix: str = "s") -> list[dict]:
    return [{"id": f"{prefix}{i:05d}"} for i in range(n)]


def timed(run: Callable[..., object], *args: object) -> tuple[float, float]:
    """Wall seconds and this process's CPU seconds of ``run(*args)`` (or what ``run`` returns,
    when it measured another process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    measured = run(*args)
    if isinstance(measured, tuple):
        return measured
    return time.perf_counter() - wall, time.process_time() - cpu


def median_run(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """The (wall, cpu) pair of the run with the median wall time."""
    return sorted(runs)[len(runs) // 2]


def stolen_seconds() -> float:
    """CPU seconds the hypervisor gave to other machines so far (Linux ``steal``; else 0)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return 0.0
    return int(fields[8]) / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else 0.0


def run_runner(base_url: str, n: int, concurrency: int, cache: Path | None = None) -> None:
    config = LLMConfig(
        model="bench-model",
        base_url=base_url,
        concurrency=concurrency,
        use_cache=cache is not None,
        cache_path=cache or LLMConfig.cache_path,
    )
    result = run_task(BenchTask(), rows(n, f"c{concurrency}-"), config, progress=False)
    assert len(result.records) == n and not result.failures, result.failures[:3]


def run_auto(base_url: str, n: int, concurrency: int) -> None:
    """The runner with ``--concurrency auto --max-concurrency C``: on this server (no capacity
    limit) the window grows from its start to C, so the difference to ``runner`` is the ramp
    and the per-request cost of timing each answer."""
    config = LLMConfig(
        model="bench-model",
        base_url=base_url,
        concurrency="auto",
        max_concurrency=concurrency,
        use_cache=False,
    )
    result = run_task(BenchTask(), rows(n, f"w{concurrency}-"), config, progress=False)
    assert len(result.records) == n and not result.failures, result.failures[:3]


WARM_RUNS = itertools.count()  # a new row prefix per run: nothing is answered from the cache


def run_auto_warm(base_url: str, n: int, concurrency: int, caches: Path) -> None:
    """``auto`` with the on-disk cache of this concurrency, where the previous ``auto`` run
    against this server left its window (new rows each run: every answer sent and written)."""
    config = LLMConfig(
        model="bench-model",
        base_url=base_url,
        concurrency="auto",
        max_concurrency=concurrency,
        cache_path=caches / f"c{concurrency}.sqlite",
    )
    prefix = f"m{concurrency}-{next(WARM_RUNS)}-"
    result = run_task(BenchTask(), rows(n, prefix), config, progress=False)
    assert len(result.records) == n and not result.failures, result.failures[:3]


def run_runner_cached(base_url: str, n: int, concurrency: int) -> None:
    """The runner writing every answer to a fresh on-disk SQLite cache."""
    with tempfile.TemporaryDirectory() as tmp:
        run_runner(base_url, n, concurrency, Path(tmp) / "llm.sqlite")


def curator_way(python: str) -> Callable[[str, int, int], tuple[float, float]]:
    """Bespoke Curator in its own interpreter; returns the (wall, cpu) it measured itself."""
    runs = iter(range(1_000_000))

    def run(base_url: str, n: int, concurrency: int) -> tuple[float, float]:
        script = str(ROOT / "bench" / "curator_run.py")
        prefix = f"k{concurrency}-{next(runs)}-"
        out = subprocess.run(
            [python, script, base_url, str(n), str(concurrency), prefix],
            capture_output=True, text=True, check=True, cwd=tempfile.gettempdir(),
        ).stdout.split()  # fmt: skip
        return float(out[-2]), float(out[-1])

    return run


def run_plain_openai(base_url: str, n: int, concurrency: int) -> None:
    """The library baseline: AsyncOpenAI + a semaphore, no cache, no validation."""
    task = BenchTask()

    async def main() -> None:
        client = openai.AsyncOpenAI(api_key="x", base_url=base_url, max_retries=0)
        slots = asyncio.Semaphore(concurrency)

        async def one(row: dict) -> None:
            async with slots:
                await client.chat.completions.create(model="bench-model", messages=task.prompt(row))

        await asyncio.gather(*(one(r) for r in rows(n, f"p{concurrency}-")))
        await client.close()

    asyncio.run(main())


def run_bare_aiohttp(base_url: str, n: int, concurrency: int) -> None:
    """The ceiling: aiohttp posts and decodes JSON, nothing else."""
    task = BenchTask()

    async def main() -> None:
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            slots = asyncio.Semaphore(concurrency)

            async def one(row: dict) -> None:
                body = {"model": "bench-model", "messages": task.prompt(row)}
                async with slots, session.post(f"{base_url}/chat/completions", json=body) as r:
                    r.raise_for_status()
                    await r.json()

            await asyncio.gather(*(one(r) for r in rows(n, f"a{concurrency}-")))

    asyncio.run(main())


def fill_cache(config: LLMConfig, task: BenchTask, items: list[dict]) -> None:
    cache = ResponseCache(config.cache_path)
    request_key = RequestKeys(config, request_body(task, config))
    for row in items:
        key = request_key(initial_messages(task, row, config))
        cache.put(key, config.model, LLMResponse(ANSWER, None, 40, 10))
    cache.close()


def time_cached_resume(requests: int, rows_per_answer: int, cache_dir: Path) -> float:
    config = LLMConfig(
        model="bench-model",
        base_url="http://127.0.0.1:9/v1",  # nothing listens: any request would fail
        cache_path=cache_dir / f"resume-{requests}.sqlite",
        max_retries=0,
    )
    task = BenchTask(rows_per_answer)
    items = rows(requests)
    fill_cache(config, task, items)
    start = time.perf_counter()
    result = run_task(task, items, config, progress=False)
    seconds = time.perf_counter() - start
    assert len(result.records) == 14_400 and result.usage.requests == 0
    return seconds


def run_sweep_way(
    base_url: str, n: int, concurrency: int | str, timeout: float, retries: int
) -> dict:
    """One run of the capacity sweep: wall seconds, answered rows, timeouts, the window."""
    config = LLMConfig(
        model="bench-model",
        base_url=base_url,
        concurrency=concurrency,
        max_concurrency=256,
        timeout=timeout,
        max_retries=retries,
        use_cache=False,
    )
    start = time.perf_counter()
    result = run_task(BenchTask(), rows(n, f"k{concurrency}-"), config, progress=False)
    wall = time.perf_counter() - start
    usage = result.usage
    return {
        "wall": wall,
        "answered": len(result.records),
        "timeouts": usage.retries + len(result.failures),  # this server's only errors
        "window": (usage.window_final, usage.window_max),
    }


def capacity_sweep(args: argparse.Namespace) -> None:
    """``--concurrency auto`` against fixed concurrencies on servers that slow down past K in
    flight (bench/latency_server.py --capacity K), none of them told K. Per server: rounds x K
    requests per run, the ways interleaved ``--repeat`` times, the run with the median
    throughput reported. A fixed C below K / 2 is not run: it cannot reach half of what the
    server gives (K answers per latency), so it is never the best fixed one."""
    args.timeout = args.timeout or 10 * args.latency
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(
        f"capacity sweep: base latency {args.latency * 1000:.0f} ms, server = K / latency req/s "
        f"at most; --timeout {args.timeout:g} --max-retries {args.max_retries}; "
        f"median of {args.repeat} interleaved runs; timeouts = timed-out attempts"
    )
    print(f"load average before: {load}")
    print(
        f"{'K':>4} {'N':>6} {'ideal/s':>8} {'way':>7} {'req/s':>8} {'of ideal':>8} "
        f"{'timeouts':>8} {'window end/max':>15} {'vs best fixed':>14}"
    )
    for k in args.capacity:
        n = args.rounds * k
        proc, base_url = start_server(args.latency, capacity=k)
        try:
            ways: list[int | str] = [c for c in args.fixed if c * 2 >= k] + ["auto"]
            run_sweep_way(base_url, 20, 4, args.timeout, args.max_retries)  # warm-up
            runs: dict[int | str, list[dict]] = {way: [] for way in ways}
            for _ in range(args.repeat):
                for way in ways:
                    runs[way].append(
                        run_sweep_way(base_url, n, way, args.timeout, args.max_retries)
                    )
        finally:
            proc.kill()
            proc.wait()
        ideal = k / args.latency
        best: dict[int | str, dict] = {}
        for way, values in runs.items():
            ranked = sorted(values, key=lambda r: r["answered"] / r["wall"])
            best[way] = ranked[len(ranked) // 2]
        fixed = [w for w in ways if w != "auto"]
        anchor = max(fixed, key=lambda w: best[w]["answered"] / best[w]["wall"])
        top = best[anchor]["answered"] / best[anchor]["wall"]
        for way in ways:
            r = best[way]
            rate = r["answered"] / r["wall"]
            window = "" if way != "auto" else f"{r['window'][0]}/{r['window'][1]}"
            mark = " (anchor)" if way == anchor else ""
            print(
                f"{k:>4} {n:>6} {ideal:>8.0f} {way!s:>7} {rate:>8.1f} {rate / ideal:>8.3f} "
                f"{r['timeouts']:>8} {window:>15} {rate / top:>14.3f}{mark}",
                flush=True,
            )
    print(f"load average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--n", type=int, default=1500)
    parser.add_argument("--n1", type=int, default=100, help="requests at concurrency 1")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32, 64])
    parser.add_argument("--curator", help="Python of a virtualenv with bespokelabs-curator")
    parser.add_argument("--no-resume", action="store_true", help="skip the cached-resume timing")
    parser.add_argument(
        "--server", choices=["latency", "fake"], default="latency", help="see the docstring"
    )
    parser.add_argument(
        "--server-slots",
        type=int,
        default=None,
        help="the latency server reports this many parallel slots (llama.cpp's GET /props), so "
        "auto and warm start there on their first run",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per way; median reported")
    sweep = parser.add_argument_group("capacity sweep (--capacity K ...: that mode only)")
    sweep.add_argument(
        "--capacity", type=int, nargs="+", help="servers of these capacities: auto vs fixed"
    )
    sweep.add_argument("--fixed", type=int, nargs="+", default=[4, 16, 64, 256])
    sweep.add_argument(
        "--rounds", type=int, default=60, help="requests per server: rounds x K (K at a time)"
    )
    sweep.add_argument(
        "--timeout", type=float, help="--timeout of every run (default: 10 x --latency)"
    )
    sweep.add_argument("--max-retries", type=int, default=2, help="--max-retries of every run")
    args = parser.parse_args()

    if args.capacity:
        capacity_sweep(args)
        return
    if args.server_slots and args.server != "latency":
        parser.error("--server-slots needs --server latency")
    warm_caches = Path(tempfile.mkdtemp(prefix="bench-warm-"))
    ways: dict[str, Callable] = {
        "runner": run_runner,
        "auto": run_auto,
        "cached": run_runner_cached,
        "warm": partial(run_auto_warm, caches=warm_caches),
        "openai": run_plain_openai,
        "aiohttp": run_bare_aiohttp,
    }
    if args.curator:
        ways["curator"] = curator_way(args.curator)
    proc, base_url = start_server(args.latency, args.server, slots=args.server_slots)
    try:
        for name, run in ways.items():  # warm-up (imports, first connections)
            if name != "curator":
                run(base_url, 20, 8)
        print(
            f"server ({args.server}) latency {args.latency * 1000:.0f} ms, in its own process"
            f"{f', reports {args.server_slots} slots' if args.server_slots else ''}; "
            f"ratio = ideal / achieved, cpu = client CPU ms per request (median of {args.repeat}"
            ", the ways interleaved); steal = share of CPU time the hypervisor took"
        )
        print(f"load average before: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
        header = "".join(f"{name + ' s':>11} {'ratio':>6} {'cpu':>5}" for name in ways)
        print(f"{'conc':>5} {'N':>5} {'ideal s':>8}{header} {'cached-aiohttp':>15} {'steal':>6}")
        for c in args.concurrency:
            n = args.n1 if c == 1 else args.n
            ideal = n * args.latency / c
            ways["warm"](base_url, n, c)  # leaves the window that `warm` starts from
            steal_before = stolen_seconds()
            runs: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
            for _ in range(args.repeat):
                for name, run in ways.items():
                    runs[name].append(timed(run, base_url, n, c))
            steal = stolen_seconds() - steal_before
            times = {name: median_run(values) for name, values in runs.items()}
            cells = "".join(
                f"{wall:>11.2f} {ideal / wall:>6.3f} {cpu / n * 1000:>5.2f}"
                for wall, cpu in times.values()
            )
            gap = ideal / times["cached"][0] - ideal / times["aiohttp"][0]
            wall_total = sum(wall for values in runs.values() for wall, _ in values)
            print(f"{c:>5} {n:>5} {ideal:>8.2f}{cells} {gap:>+15.3f} "
                  f"{steal / (wall_total * os.cpu_count()):>6.1%}", flush=True)  # fmt: skip
        print(f"load average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(warm_caches, ignore_errors=True)
    if args.no_resume:
        return
    with tempfile.TemporaryDirectory() as tmp:
        by_sentence = time_cached_resume(900, 16, Path(tmp))
        by_type = time_cached_resume(14_400, 1, Path(tmp))
    print("cached resume of a 14,400-row run (no request sent):")
    print(f"  900 cached requests x 16 rows each:   {by_sentence:.2f} s")
    print(f"  14,400 cached requests x 1 row each:  {by_type:.2f} s")


if __name__ == "__main__":
    main()
