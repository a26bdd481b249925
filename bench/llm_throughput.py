"""Throughput of the LLM runner against a local OpenAI-compatible server with fixed latency.

    python bench/llm_throughput.py [--latency 0.1] [--n 900] [--n1 100]

The fake server (tests/support/fake_openai.py) runs in its own process, so it does not share
the client's interpreter lock. For each concurrency C it sends N requests through
``run_task`` (cache in memory, validation on) and through a plain ``openai.AsyncOpenAI`` +
semaphore loop (the library baseline), and reports achieved time against the ideal
``N x latency / C``. Concurrency 1 uses ``--n1`` requests (900 x 100 ms would be 90 s).
Then it times the resume of a fully cached 14,400-row run, two ways: 900 requests whose
answers each yield 16 rows (one request per base sentence), and 14,400 requests of one row
each (one request per sentence and type). The cache is filled directly (same keys as a run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import openai  # noqa: E402
from pydantic import BaseModel  # noqa: E402

from datagen.llm import LLMConfig, LLMTask, run_task  # noqa: E402
from datagen.llm.cache import LLMResponse, ResponseCache, request_key  # noqa: E402
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


def start_server(latency: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_openai", "--latency", str(latency),
         "--answer", ANSWER],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    return proc, proc.stdout.readline().strip()


def rows(n: int, prefix: str = "s") -> list[dict]:
    return [{"id": f"{prefix}{i:05d}"} for i in range(n)]


def time_runner(base_url: str, n: int, concurrency: int) -> float:
    config = LLMConfig(
        model="bench-model", base_url=base_url, concurrency=concurrency, use_cache=False
    )
    start = time.perf_counter()
    result = run_task(BenchTask(), rows(n, f"c{concurrency}-"), config, progress=False)
    seconds = time.perf_counter() - start
    assert len(result.records) == n and not result.failures, result.failures[:3]
    return seconds


def time_plain_openai(base_url: str, n: int, concurrency: int) -> float:
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

    start = time.perf_counter()
    asyncio.run(main())
    return time.perf_counter() - start


def fill_cache(config: LLMConfig, task: BenchTask, items: list[dict]) -> None:
    cache = ResponseCache(config.cache_path)
    body = request_body(task, config)
    for row in items:
        key = request_key(config.model, initial_messages(task, row, config), body)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--n", type=int, default=900)
    parser.add_argument("--n1", type=int, default=100, help="requests at concurrency 1")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32, 64])
    args = parser.parse_args()

    proc, base_url = start_server(args.latency)
    try:
        time_runner(base_url, 20, 8)  # warm-up (imports, first connections)
        print(f"server latency {args.latency * 1000:.0f} ms, fake server in its own process")
        print(f"{'conc':>5} {'N':>5} {'ideal s':>8} {'runner s':>9} {'ratio':>6} "
              f"{'openai s':>9} {'ratio':>6} {'runner/openai':>14}")  # fmt: skip
        for c in args.concurrency:
            n = args.n1 if c == 1 else args.n
            ideal = n * args.latency / c
            ours = time_runner(base_url, n, c)
            plain = time_plain_openai(base_url, n, c)
            print(f"{c:>5} {n:>5} {ideal:>8.2f} {ours:>9.2f} {ideal / ours:>6.3f} "
                  f"{plain:>9.2f} {ideal / plain:>6.3f} {plain / ours:>14.3f}")  # fmt: skip
    finally:
        proc.kill()
        proc.wait()

    with tempfile.TemporaryDirectory() as tmp:
        by_sentence = time_cached_resume(900, 16, Path(tmp))
        by_type = time_cached_resume(14_400, 1, Path(tmp))
    print("cached resume of a 14,400-row run (no request sent):")
    print(f"  900 cached requests x 16 rows each:   {by_sentence:.2f} s")
    print(f"  14,400 cached requests x 1 row each:  {by_type:.2f} s")


if __name__ == "__main__":
    main()
