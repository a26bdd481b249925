"""Peak memory of the LLM runner as the number of rows grows (it should stay flat).

    python bench/llm_memory.py [--rows 10000 100000] [--concurrency 64] [--server latency]

For each row count, a fresh child process runs ``run_task`` (on-disk SQLite cache in a
temporary folder) against a local OpenAI-compatible server with no latency in another process,
then iterates every record once (as a command writing the data set does), and prints its peak
RSS (``ru_maxrss``). With finished rows spooled to disk (:mod:`datagen.llm.spool`) and a bounded
number of rows in flight, 100,000 rows should cost about what 10,000 do; what grows is the
input rows themselves (the ``rows`` list the child builds).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.llm_throughput import BenchTask, rows, start_server  # noqa: E402
from datagen.llm import LLMConfig, run_task  # noqa: E402


def child(base_url: str, n: int, concurrency: int) -> None:
    """Run ``n`` rows and print ``rows seconds peak_rss_mib``."""
    with tempfile.TemporaryDirectory() as tmp:
        config = LLMConfig(
            model="bench-model",
            base_url=base_url,
            concurrency=concurrency,
            cache_path=Path(tmp) / "llm.sqlite",
        )
        start = time.perf_counter()
        result = run_task(BenchTask(), rows(n), config, progress=False)
        written = sum(1 for _ in result.records)
        seconds = time.perf_counter() - start
    assert written == n and not result.failures, result.failures[:3]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{n} {seconds:.1f} {peak:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--server", choices=["latency", "fake"], default="latency")
    parser.add_argument("--child", nargs=2, metavar=("BASE_URL", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.concurrency)
        return
    proc, base_url = start_server(0.0, args.server)
    try:
        print(f"{'rows':>8} {'seconds':>8} {'peak RSS MiB':>13}  (concurrency {args.concurrency})")
        for n in args.rows:
            out = subprocess.run(
                [sys.executable, __file__, "--child", base_url, str(n),
                 "--concurrency", str(args.concurrency)],
                capture_output=True, text=True, check=True,
            ).stdout.split()  # fmt: skip
            print(f"{int(out[0]):>8,} {float(out[1]):>8.1f} {float(out[2]):>13.1f}")
    finally:
        proc.kill()
        proc.wait()


if __name__ == "__main__":
    main()
