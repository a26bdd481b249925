#!/usr/bin/env bash
# The whole pipeline on data/sample with the embedded offline defaults (no key, no network).
set -euo pipefail
OUT=${1:-demo_out}
BIN=.venv/bin
rm -rf "$OUT" && mkdir -p "$OUT"
echo "== datagen ingest"
$BIN/datagen ingest data/sample/articles --label-from path --out "$OUT/articles"
echo "== datagen sentences"
$BIN/datagen sentences "$OUT/articles" --out "$OUT/type_sentences"
