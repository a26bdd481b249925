"""`make test-llm`: `datagen masked-sentences` against llama.cpp's OpenAI-compatible server
serving SmolLM2-135M-Instruct (started by scripts/test_llm.sh): all types in one JSON answer
(plumbing: the model fails it), and ``--fill frame`` with the sample articles as type context
(must fill >= 90 % of the cells; prints the type probe: whether the fills follow the type).
Each sentence costs minutes on a CI core, so each test takes the fewest its checks need."""

from __future__ import annotations

import json
import os
import time

import datasets
import pytest

from schemas.io import validate_rows
from schemas.labels import MBTI

pytestmark = pytest.mark.llm

SENTENCES = [
    "I usually pack my suitcase the night before we leave.",
    "When friends invite me out at the last minute, I usually say yes.",
    "Before buying a new phone, I read every review I can find.",
    "When my team argues, I try to keep everyone calm.",
    "On holiday I like to wander around without a map.",
]
# x 16 types, each cell one request and a few continuations (--k 3 bounds them): ~3 s a request
# on an idle CI core. Three sentences are the fewest the type probe's grouped folds need (>= 2).
FRAME_SENTENCES = 3
FRAME_K = 3


@pytest.fixture
def server_url() -> str:
    url = os.environ.get("MBTIKIT_LLM_BASE_URL")
    if not url:
        pytest.skip("no LLM server: run `make test-llm`")
    return url


@pytest.mark.timeout(1800)
def test_masked_sentences_with_a_real_llm(server_url, tmp_path, cli):
    """All 16 types in one JSON answer per sentence, on two sentences (up to 1,024 tokens and
    one validation retry each: ~20 s a request on a CI core)."""
    sentences = SENTENCES[:2]
    base = tmp_path / "base.txt"
    base.write_text("\n".join(sentences) + "\n", encoding="utf-8")
    out = tmp_path / "masked"
    proc = cli(
        "datagen", "masked-sentences", base, "--out", out, "--base-url", server_url,
        "--model", os.environ.get("MBTIKIT_LLM_MODEL", "smollm2"),
        "--response-format", "json_object", "--concurrency", "1", "--temperature", "0",
        "--max-tokens", "1024", "--k", "1", "--timeout", "300", "--max-retries", "2",
        "--max-validation-retries", "1",
        "--cache-file", tmp_path / "llm.sqlite", "--no-progress",
        timeout=1200,
    )  # fmt: skip
    print(proc.stderr[-3000:])
    # exit 1 only when no row at all was usable; the data set and failures are written anyway
    assert proc.returncode in (0, 1), proc.stderr
    rows = []  # with no usable answer at all, only failures.jsonl and the manifest are written
    if (out / "dataset_info.json").exists():
        ds = datasets.load_from_disk(str(out))
        validate_rows(ds, "masked", file=out)
        rows = ds.to_list()
    failures = [json.loads(x) for x in (out / "failures.jsonl").read_text().splitlines()]
    done = {r["base_id"] for r in rows}
    failed = {f["row_id"] for f in failures}
    base_ids = {f"b{i:05d}" for i in range(1, len(sentences) + 1)}
    assert done | failed == base_ids and not done & failed  # every sentence: data or failure
    assert len(rows) == 16 * len(done)
    for b in done:
        assert {r["label"] for r in rows if r["base_id"] == b} == set(MBTI.labels)
    manifest = json.loads((out / "manifest.json").read_text())
    usage = manifest["usage"]["masked_all_types"]
    assert usage["requests"] >= len(sentences)
    print(json.dumps({"rows": len(rows), "failures": len(failures), "usage": usage}))


def frame_run(server_url, articles, sentences, out, cli, *, context: int):
    """``--per-type --slot offline --fill frame`` on ``sentences``, each type described by
    ``context`` sentences of its articles; (valid rows, failures, manifest, seconds)."""
    base = out.with_suffix(".txt")
    base.write_text("\n".join(sentences) + "\n", encoding="utf-8")
    started = time.monotonic()
    proc = cli(
        "datagen", "masked-sentences", base, "--out", out, "--base-url", server_url,
        "--model", os.environ.get("MBTIKIT_LLM_MODEL", "smollm2"), "--per-type",
        "--slot", "offline", "--fill", "frame", "--articles", articles, "--k", FRAME_K,
        "--type-context", str(context),
        "--temperature", "0", "--concurrency", "2", "--timeout", "300", "--max-retries", "2",
        "--no-cache", "--no-progress",
        timeout=1500,
    )  # fmt: skip
    seconds = time.monotonic() - started
    print(proc.stderr[-3000:])
    assert proc.returncode in (0, 1), proc.stderr
    failures = (out / "failures.jsonl").read_text().splitlines()
    rows = []
    if (out / "dataset_info.json").exists():
        ds = datasets.load_from_disk(str(out))
        validate_rows(ds, "masked", file=out)
        rows = ds.to_list()
    assert len(rows) + len(failures) == 16 * len(sentences)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["per_type"]["type_context"] == context
    template = "masked_frame.v2.txt" if context else "masked_frame.v1.txt"
    assert template in manifest["prompt_templates"]
    probe = manifest.get("type_probe") or {}
    print(json.dumps({"type_context": context, "type_probe": {
        "mean_axis_accuracy": probe.get("mean_axis_accuracy"),
        "axis_accuracy": probe.get("axis_accuracy"),
        "type_accuracy": probe.get("type_accuracy"),
        "chance": probe.get("chance"),
        "distinct_top_fills_per_sentence": probe.get("distinct_top_fills_per_sentence"),
        "valid_cells_share": round(len(rows) / (16 * len(sentences)), 4),
        "sentences": probe.get("n_sentences"),
    }, "seconds_per_cell": round(seconds / (16 * len(sentences)), 2)}))  # fmt: skip
    return rows, failures, manifest, seconds


@pytest.mark.timeout(1800)
def test_frame_mode_fills_at_least_90_percent_of_cells(server_url, sample_dir, tmp_path, cli):
    """The mode for small models on llama.cpp: the slot from the offline chooser, the answer the
    sentence itself under a GBNF grammar with the blank free, candidates from top_logprobs.
    Asserted with the type named (``--type-context 0``, templates v1); then, on one sentence,
    each type described by 3 sentences of its sample articles (the default with
    ``--articles``): its valid share is printed, not asserted (SmolLM2 rambles inside the blank
    more often with the longer prompt; a type probe needs more sentences than a CI run pays
    for: bench/llm_type_probe.py measures it)."""
    articles = tmp_path / "articles"
    proc = cli("datagen", "ingest", sample_dir / "articles", "--label-from", "path",
               "--out", articles, "-q", timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    sentences = SENTENCES[:FRAME_SENTENCES]
    rows, failures, _, _ = frame_run(
        server_url, articles, sentences, tmp_path / "named", cli, context=0
    )
    cells = 16 * len(sentences)
    assert len(rows) >= 0.9 * cells, f"{len(rows)} valid cells, failures: {failures[:3]}"
    for row in rows:  # every fill a word of the sentence's language, none copied from it
        assert row["text"].count("[MASK]") == 1
        for c in row["candidates"]:
            assert c["word"].isalpha() and c["word"].lower() not in row["text"].lower().split()
    targets: dict[str, set[str]] = {}
    for row in rows:
        targets.setdefault(row["text"], set()).add(row["target"])
    print(json.dumps({"distinct_targets": {t: len(w) for t, w in targets.items()}}))
    first = rows[0]["text"] if rows else None
    for row in rows:  # every type of the first sentence, the first type of the others
        if row["text"] == first or row["label"] == MBTI.labels[0]:
            fills = ", ".join(f"{c['word']} {c['prob']:.2f}" for c in row["candidates"])
            print(f"{row['label']} | {row['text']} | {fills}")
    described, _, _, _ = frame_run(
        server_url, articles, SENTENCES[:1], tmp_path / "described", cli, context=3
    )
    for row in described:
        assert row["text"].count("[MASK]") == 1


@pytest.mark.timeout(900)
def test_base_sentences_from_a_small_model_under_a_grammar(server_url, tmp_path, cli):
    """``--gbnf``: one sentence per request spelt by a GBNF grammar (SmolLM2 writes a parsable
    JSON list of sentences in about 1 of 4 answers)."""
    out = tmp_path / "base"
    proc = cli(
        "datagen", "base-sentences", "--n", "4", "--out", out, "--gbnf", "--base-url",
        server_url, "--model", os.environ.get("MBTIKIT_LLM_MODEL", "smollm2"),
        "--temperature", "0.7", "--min-words", "5", "--max-words", "20", "--max-tokens", "64",
        "--concurrency", "2", "--timeout", "300", "--no-cache", "--no-progress",
        timeout=600,
    )  # fmt: skip
    print(proc.stderr[-2000:])
    assert proc.returncode == 0, proc.stderr
    ds = datasets.load_from_disk(str(out))
    validate_rows(ds, "base_sentences", file=out)
    assert len(ds) >= 3, ds["text"]  # of 4 wanted, from 5 requests
    for text in ds["text"]:
        assert text.startswith("I ") and text[-1] in ".!?" and 5 <= len(text.split()) <= 20
    print(json.dumps({"base_sentences": list(ds["text"])}))


@pytest.mark.timeout(900)
def test_score_mode_scores_every_candidate_and_a_rerun_sends_nothing(
    server_url, sample_dir, tmp_path, cli
):
    """``--fill score`` (SmolLM2's type probe over 25 and 50 sample sentences is in
    docs/benchmarks.md): on two sentences every (sentence, type, word) is scored through the
    server's tokenizer and token grammar (no failure), and a rerun is served from the cache,
    token ids included. Two sentences are too few for the probe to mean anything: printed."""
    articles = tmp_path / "articles"
    proc = cli("datagen", "ingest", sample_dir / "articles", "--label-from", "path",
               "--out", articles, "-q", timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    base = tmp_path / "base.txt"
    base.write_text("\n".join(SENTENCES[:2]) + "\n", encoding="utf-8")
    usage = {}
    for name in ("score", "again"):
        out = tmp_path / name
        proc = cli(
            "datagen", "masked-sentences", base, "--out", out, "--base-url", server_url,
            "--model", os.environ.get("MBTIKIT_LLM_MODEL", "smollm2"), "--per-type",
            "--fill", "score", "--articles", articles, "--concurrency", "2", "--timeout", "300",
            "--cache-file", tmp_path / "llm.sqlite", "--no-progress",
            timeout=800,
        )  # fmt: skip
        print(proc.stderr[-2000:])
        assert proc.returncode == 0, proc.stderr
        assert "failed" not in proc.stderr
        ds = datasets.load_from_disk(str(out))
        validate_rows(ds, "masked", file=out)
        assert len(ds) == 32 and (out / "failures.jsonl").read_text() == ""
        manifest = json.loads((out / "manifest.json").read_text())
        usage[name] = manifest["usage"]["masked_score"]
    assert usage["score"]["requests"] >= 32 * 5 and usage["again"]["requests"] == 0
    print(json.dumps({"type_probe": manifest["type_probe"], "usage": usage["score"]}))
