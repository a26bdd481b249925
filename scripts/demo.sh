#!/usr/bin/env bash
# The whole pipeline on data/sample with the embedded offline defaults (no key, no network):
# ingest -> sentences -> base-sentences -> masked-sentences (offline heuristic) -> augment
# silver -> train all. Everything lands under $OUT (default demo_out).
set -euo pipefail
OUT=${1:-demo_out}
BIN=.venv/bin
rm -rf "$OUT" && mkdir -p "$OUT"
step() { echo; echo "== $*"; }

step "datagen ingest: 32 sample articles -> articles"
$BIN/datagen ingest data/sample/articles --label-from path --out "$OUT/articles"
step "datagen sentences: articles -> type_sentences (phase 1)"
$BIN/datagen sentences "$OUT/articles" --out "$OUT/type_sentences"
step "datagen base-sentences: the sample's 100 everyday sentences -> base_sentences"
$BIN/datagen base-sentences --from data/sample/base_sentences.txt --out "$OUT/base_sentences" \
  --no-progress
step "datagen masked-sentences (offline heuristic backend, not an LLM) -> masked (N x 16, phase 2)"
$BIN/datagen masked-sentences "$OUT/base_sentences" --articles "$OUT/articles" \
  --out "$OUT/masked" --no-progress
step "augment silver: balance the sample posts with silver posts from the pool (phase 3)"
$BIN/augment silver data/sample/posts.jsonl --pool data/sample/pool.jsonl --folds 2 \
  --out "$OUT/posts_balanced" --no-progress
# A sample post carries 1-2 noisy cues of its author's type: judged per post, every arm sits
# near the majority baseline; judged per author (their posts' probabilities averaged, as a
# type belongs to a person), the cues add up. The table below shows both.
# The quick demo trains each phase for one epoch (no step floor), two seeds: a few minutes on
# 2 cores. FULL=1 runs the full study instead: three seeds, at least 200 steps per phase.
if [ "${FULL:-0}" = "1" ]; then
  BUDGET=(--seeds 3 --epochs 1 --min-steps 200)
  WHAT="3 seeds, at least 200 steps per phase (about 25 minutes on 2 cores)"
else
  BUDGET=(--seeds 2 --epochs 1 --min-steps 0)
  WHAT="2 seeds, one epoch per phase"
fi
step "train all: phase 1 -> 2 -> 3 vs plain fine-tuning vs TF-IDF vs majority, $WHAT"
$BIN/train all --type-sentences "$OUT/type_sentences" --masked "$OUT/masked" \
  --posts "$OUT/posts_balanced" --out "$OUT/study" "${BUDGET[@]}" --max-length 48 \
  --batch-size 32 --thresholds dynamic --no-progress
cat <<'NOTE'

What the sample can show: every command runs end to end on text the project wrote itself,
and, per author, the fine-tuned arms and TF-IDF sit above the majority baseline on some axes.
What it cannot show: which arm is better. 595 synthetic posts by 120 authors, two seeds and
one epoch give intervals tens of points wide. For that, run the full study (make demo FULL=1)
or the real-data benches in bench/ on ../shared/data (docs/benchmarks.md).
NOTE
echo
echo "Outputs in $OUT/ (report: $OUT/study/report.md)"
