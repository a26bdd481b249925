"""Bespoke Curator's side of bench/llm_throughput.py, run by the virtualenv that holds Curator.

    /tmp/curator-venv/bin/python bench/curator_run.py BASE_URL N CONCURRENCY PREFIX

Sends the bench's N prompts through ``curator.LLM`` (backend ``openai`` with the local
``base_url`` and a dummy key, its cache, telemetry and rich display off, tiktoken offline, the
same response schema) and prints ``wall_seconds cpu_seconds`` of the call alone (imports and
setup excluded).
It imports nothing from this repository: Curator's dependencies stay out of our environment.
"""

import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

# tiktoken downloads cl100k_base on first use; litellm (a Curator dependency) ships that file
# under the name tiktoken's cache uses, so pointing the cache there keeps this offline.
LITELLM = Path(importlib.util.find_spec("litellm").origin).parent
os.environ.update(
    CURATOR_DISABLE_CACHE="1",
    CURATOR_DISABLE_RICH_DISPLAY="1",
    TELEMETRY_ENABLED="false",
    OPENAI_API_KEY="bench-dummy-key",
    TIKTOKEN_CACHE_DIR=str(LITELLM / "litellm_core_utils" / "tokenizers"),
)

from bespokelabs import curator  # noqa: E402
from bespokelabs.curator.request_processor.online import (  # noqa: E402
    openai_online_request_processor as online,
)
from pydantic import BaseModel  # noqa: E402

# With a base_url Curator probes structured-output support with a sample request whose answer
# the bench server (fixed content) cannot give; the server accepts any response_format.
online.OpenAIOnlineRequestProcessor.check_structured_output_support = lambda self: True


class Fill(BaseModel):
    word: str
    score: float


class Filler(curator.LLM):
    def prompt(self, row: dict) -> list[dict]:
        return [
            {"role": "system", "content": "You fill blanks with one word."},
            {"role": "user", "content": f"Fill the blank in sentence {row['id']}: I [MASK] up."},
        ]

    def parse(self, row: dict, response: Fill) -> dict:
        return {"id": row["id"], "target": response.word}


def main() -> None:
    base_url, n, concurrency, prefix = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    llm = Filler(
        model_name="gpt-4o-mini",  # a name Curator knows (cost tables); the server ignores it
        backend="openai",
        response_format=Fill,
        backend_params={
            "base_url": base_url,
            "api_key": "bench-dummy-key",
            "max_concurrent_requests": concurrency,
            "max_requests_per_minute": 10_000_000,
            "max_tokens_per_minute": 10_000_000_000,
            "max_retries": 0,
        },
    )
    rows = [{"id": f"{prefix}{i:05d}"} for i in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        wall, cpu = time.perf_counter(), time.process_time()
        result = llm(rows, working_dir=tmp)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    dataset = getattr(result, "dataset", result)
    assert len(dataset) == n, len(dataset)
    print(f"{wall:.4f} {cpu:.4f}")


if __name__ == "__main__":
    main()
