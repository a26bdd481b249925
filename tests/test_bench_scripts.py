"""The benchmark scripts keep working: bench/gpu_check.sh in its quick CPU mode, the capacity
model of bench/latency_server.py, and the serve flags bench/serve_load.py starts servers with."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import numpy as np
import pytest

from bench.latency_server import LatencyServer

ROOT = Path(__file__).resolve().parents[1]
GPU_CHECK = ROOT / "bench" / "gpu_check.sh"
BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def gpu_check(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(GPU_CHECK)],
        cwd=ROOT,
        env={**os.environ, "GPU_CHECK_QUICK": "1", "CUDA_VISIBLE_DEVICES": "", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_gpu_check_quick_mode_runs_on_the_cpu():
    done = gpu_check(PYTHON=sys.executable)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr[-2000:]
    assert "cuda=0" in out
    assert "skip: phase-3 bf16 samples/s and MFU need CUDA" in out
    assert "skip: fp16 encode needs CUDA" in out
    assert "skip: the train all --task single smoke run needs CUDA" in out
    assert "fp32 on cpu:" in out and "texts/s" in out
    assert "FAILED" not in out and out.rstrip().splitlines()[-1].startswith("gpu_check: ok")


def test_gpu_check_fails_when_a_step_fails():
    # an interpreter that runs nothing: the encode step fails and no --help lists the flags
    done = gpu_check(PYTHON="/bin/false")
    assert done.returncode == 1
    assert "FAILED: encode" in done.stdout
    assert "FAILED: --gpu is not an option any more" in done.stdout
    assert done.stdout.rstrip().splitlines()[-1].startswith("gpu_check: FAILED")


def test_serve_load_starts_servers_with_flags_that_exist():
    from bench.serve_load import TRAIN

    help_text = subprocess.run(
        [*TRAIN, "serve", "--help"],
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    for flag in ("--batch-wait-ms", "--batch-size", "--port", "--device"):
        assert flag in help_text


async def _timed_requests(url: str, count: int, timeout: float | None = None) -> list:
    async with aiohttp.ClientSession() as session:

        async def one() -> float | str:
            start = time.perf_counter()
            try:
                async with session.post(
                    f"{url}/chat/completions",
                    json=BODY,
                    timeout=aiohttp.ClientTimeout(total=timeout),
                ) as response:
                    await response.read()
                    assert response.status == 200
            except TimeoutError:
                return "timeout"
            return time.perf_counter() - start

        return await asyncio.gather(*(one() for _ in range(count)))


@pytest.mark.serial  # measures latency
def test_latency_server_slows_down_past_its_capacity():
    with LatencyServer(0.1, "{}", capacity=2) as server:
        (alone,) = asyncio.run(_timed_requests(server.base_url, 1))
        crowd = asyncio.run(_timed_requests(server.base_url, 8))  # 4 x capacity: 4 x latency
        held = server.capacity.in_flight_max
    assert 0.1 <= alone < 0.3
    assert all(seconds >= 0.38 for seconds in crowd), crowd
    assert held == 8


@pytest.mark.serial  # measures latency
def test_latency_server_drops_requests_whose_client_hung_up():
    # 6 of 8 give up after 0.1 s (each served 0.025 s by then): the 2 left then have the server
    # to themselves and finish after ~0.275 s in all, where 8 served to the end take 0.8 s
    with LatencyServer(0.2, "{}", capacity=2) as server:

        async def both() -> tuple[list, list]:
            return await asyncio.gather(
                _timed_requests(server.base_url, 6, timeout=0.1),
                _timed_requests(server.base_url, 2),
            )

        quitters, stayers = asyncio.run(both())
    assert quitters == ["timeout"] * 6
    assert all(0.25 <= seconds < 0.6 for seconds in stayers), stayers


def test_silver_real_summarises_every_student_over_the_draws():
    """bench/silver_real.py's summary reads the manifest's ``eval.students`` (tweets) and its
    own MbtiBench check: per student the arms' means, each draw's gain, their mean and sd."""
    from bench.silver_real import student_gains

    def draw(gains: dict[str, tuple[float, float]]) -> dict:
        return {"eval": {"students": {
            n: {"mean_a": a, "mean_b": b, "mean_diff": b - a, "all_gold_diff": (b - a) / 2}
            for n, (a, b) in gains.items()
        }}}  # fmt: skip

    out = student_gains([draw({"frozen": (28.0, 30.0), "tfidf": (20.0, 19.0)}),
                         draw({"frozen": (29.0, 30.0), "tfidf": (21.0, 23.0)})])  # fmt: skip
    assert set(out) == {"frozen", "tfidf"}
    assert out["frozen"]["diff_per_draw"] == [2.0, 1.0] and out["frozen"]["mean_diff"] == 1.5
    assert out["tfidf"]["gold"] == 20.5 and out["tfidf"]["gold_silver"] == 21.0
    assert abs(out["tfidf"]["sd_diff"] - 2.1213) < 1e-3  # gains -1 and +2
    assert out["frozen"]["all_gold_diff_per_draw"] == [1.0, 0.5]  # the user's case, per draw
    assert out["frozen"]["mean_all_gold_diff"] == 0.75
    mbti = {"mbtibench": {"students": {"frozen": {
        "macro_f1_gold": [50.0, 52.0], "macro_f1_gold_silver": [51.0, 53.0], "diff_macro_f1": 1.0
    }}}}  # fmt: skip
    one = student_gains([mbti])["frozen"]
    assert one["draws"] == 1 and one["mean_diff"] == 1.0 and one["sd_diff"] is None
    assert one["mean_all_gold_diff"] is None  # an older result without the all-of-gold arm
    assert student_gains([{"draw": 0, "eval": None}]) == {}


def test_llm_type_probe_reads_scores_that_follow_the_type_and_not_those_that_do_not():
    """bench/llm_type_probe.py's probe of scored cells (no model: the scores are made here).
    Every type sees the same words; in one set the word of the type's E/I pole scores higher
    under that type's prompt, in the other every prompt scores alike. The contrast sharpens a
    faint shift without making one of scores that are all equal."""
    from bench.llm_type_probe import probe_of
    from schemas.labels import MBTI

    rng = np.random.default_rng(0)

    def cells(shift: float) -> dict[str, list[dict]]:
        out = {}
        for s in range(8):
            words = ["alone", "together", *(f"w{s}x{i}" for i in range(6))]
            base = rng.normal(0, 1, len(words)) + np.array([3.0, 3.0, *([0.0] * 6)])
            out[f"b{s}"] = [{
                "label": label, "text": f"I [MASK] sentence {s}.", "words": words,
                "logprob_word": base + shift * np.array(
                    [label[0] == "I", label[0] == "E", *([0.0] * 6)], dtype=float),
                "logprob_rest": np.zeros(len(words)),
            } for label in MBTI.labels]  # fmt: skip
        return out

    following, ignoring = cells(0.3), cells(0.0)
    probe = probe_of(following, "word", 4)
    assert probe["axis_accuracy"]["E/I"] >= 0.9
    assert probe["type_accuracy"] < 0.5  # only E/I follows the type
    flat = probe_of(ignoring, "word", 4)
    assert flat["axis_accuracy"]["E/I"] <= 0.6 and flat["distinct_top_fills_per_sentence"] == 1
