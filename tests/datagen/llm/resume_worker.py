"""``python -m tests.datagen.llm.resume_worker BASE_URL CACHE N``: run the echo task (to be
killed by the SIGKILL resume test)."""

import sys
from pathlib import Path

from datagen.llm import LLMConfig, run_task
from tests.datagen.llm.conftest import EchoTask, make_rows

if __name__ == "__main__":
    base_url, cache, n = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    config = LLMConfig(base_url=base_url, cache_path=cache, concurrency=2, backoff_base=0.01)
    result = run_task(EchoTask(), make_rows(n), config, progress=False)
    print(len(result.records))
