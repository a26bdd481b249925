"""`datagen masked-sentences` against a real HTTP fake of an OpenAI-compatible server."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import datasets
import pytest

from datagen.llm.cache import ResponseCache
from schemas.io import validate_rows
from schemas.labels import MBTI
from tests.datagen.masked.masking_fake import BROKEN, distinct_sentence, masked_responder
from tests.datagen.masked.offline_fixtures import articles_from_markdown
from tests.support.cli import BIN, assert_clean_error
from tests.support.fake_openai import FakeOpenAI, Fault

ROOT = Path(__file__).resolve().parents[3]


def write_base(path: Path, texts: list[str]) -> Path:
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    return path


def llm_args(server: FakeOpenAI, tmp_path: Path, *extra: str) -> list[str]:
    return ["--base-url", server.base_url, "--cache-file", str(tmp_path / "llm.sqlite"),
            "--no-progress", *extra]  # fmt: skip


def offline_slot_per_type(
    datagen_in_process, server: FakeOpenAI, base: Path, out: Path, tmp_path: Path, fill: str
):
    """``masked-sentences --per-type --slot offline --fill FILL`` with JSON-object answers,
    against ``server``."""
    return datagen_in_process(
        "masked-sentences", base, "--out", out, "--per-type", "--slot", "offline",
        "--fill", fill, "--response-format", "json_object", *llm_args(server, tmp_path),
    )  # fmt: skip


def load(out: Path) -> tuple[datasets.Dataset, list[dict], dict]:
    ds = datasets.load_from_disk(str(out))
    validate_rows(ds, "masked", file=out)
    failures = [json.loads(line) for line in (out / "failures.jsonl").read_text().splitlines()]
    return ds, failures, json.loads((out / "manifest.json").read_text())


def expected_ids(base_ids: list[str]) -> list[str]:
    return [f"{b}-{t}" for b in base_ids for t in MBTI.labels]


def fault_script(n: int, request: dict) -> Fault | None:
    """The first requests meet every kind of trouble; the rest are answered."""
    script = [
        Fault.rate_limit(0.05),
        Fault.server_error(500),
        Fault.drop(),
        Fault.malformed(),
        Fault.schema_invalid(),
    ]
    return script[n] if n < len(script) else None


def test_faults_give_a_complete_valid_data_set_and_recorded_failures(tmp_path, datagen_in_process):
    texts = [distinct_sentence(i) for i in range(5)] + [f"I {BROKEN} my plans often."]
    base = write_base(tmp_path / "base.txt", texts)
    out = tmp_path / "masked"
    with FakeOpenAI(masked_responder, faults=fault_script) as server:
        proc = datagen_in_process(
            "masked-sentences", base, "--out", out, "--max-validation-retries", "1",
            *llm_args(server, tmp_path),
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    ds, failures, manifest = load(out)
    assert ds["id"] == expected_ids([f"b{i:05d}" for i in range(1, 6)])
    assert all(t.count("[MASK]") == 1 for t in ds["text"])
    for candidates in ds["candidates"]:
        assert math.isclose(sum(c["prob"] for c in candidates), 1.0, rel_tol=1e-5)
    assert set(ds["backend"]) == {"openai-compatible"}
    assert set(ds["prompt_sha"]) == {manifest["prompt_sha"]}
    assert [f["row_id"] for f in failures] == ["b00006"]  # the broken one: a failure, not data
    assert failures[0]["stage"] == "masked_all_types"
    assert "exactly one [MASK]" in failures[0]["reason"]
    assert manifest["counts"] == {
        "base_sentences": 6, "sentences_complete": 5, "rows": 80, "failures": 1,
    }  # fmt: skip
    usage = manifest["usage"]["masked_all_types"]
    assert usage["retries"] >= 3 and usage["validation_retries"] >= 2
    assert manifest["type_divergence"]["axis_top1_differs"]["E/I"] == 1.0
    assert manifest["type_divergence"]["axis_top1_differs"]["S/N"] == 1.0


def test_sigkill_mid_run_then_rerun_loses_and_repeats_nothing(tmp_path, datagen_in_process):
    n = 30
    base = write_base(tmp_path / "base.txt", [distinct_sentence(i) for i in range(n)])
    out = tmp_path / "masked"
    cache = tmp_path / "llm.sqlite"
    with FakeOpenAI(masked_responder, latency=0.25) as server:
        args = ["masked-sentences", str(base), "--out", str(out), "--concurrency", "2",
                *llm_args(server, tmp_path)]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
        env["PYTHONPATH"] = str(ROOT)  # the checkout under test, not the venv's install
        worker = subprocess.Popen([str(BIN / "datagen"), *args], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 120
        while len(server.answered) < 6 and time.monotonic() < deadline:
            time.sleep(0.01)
        # The server has sent 6 answers; kill only once the client has stored them too.
        while len(ResponseCache(cache)) < 6 and time.monotonic() < deadline:
            time.sleep(0.01)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        assert worker.returncode == -signal.SIGKILL
        assert not out.exists()  # nothing half-written
        first_run = [json.dumps(r["messages"], sort_keys=True) for r in server.answered]
        cached = len(ResponseCache(cache))
        assert 6 <= cached < n
        before = len(server.requests)
        proc = datagen_in_process(*args)
        second_run = [
            json.dumps(r["messages"], sort_keys=True) for r in server.answered[len(first_run) :]
        ]
        resent = len(server.requests) - before
    assert proc.returncode == 0, proc.stderr
    assert resent == n - cached  # only what the cache lacked was asked again
    repeated = set(first_run) & set(second_run)
    assert len(repeated) <= len(first_run) - cached  # never an answer that had reached the cache
    ds, failures, _ = load(out)
    assert ds["id"] == expected_ids([f"b{i:05d}" for i in range(1, n + 1)])  # no loss, no dups
    assert failures == []


def test_dry_run_sends_nothing_and_writes_nothing(tmp_path, datagen_in_process):
    base = write_base(tmp_path / "base.txt", [distinct_sentence(i) for i in range(7)])
    with FakeOpenAI(masked_responder) as server:
        proc = datagen_in_process(
            "masked-sentences", base, "--out", tmp_path / "masked", "--dry-run",
            *llm_args(server, tmp_path),
        )  # fmt: skip
        assert server.requests == []
    assert proc.returncode == 0, proc.stderr
    assert "dry run" in proc.stdout and "7 requests" in proc.stdout
    assert not (tmp_path / "masked").exists()


def test_llm_with_articles_reports_own_vocabulary_and_staged_failures(
    tmp_path, sample_dir, datagen_in_process
):
    articles = articles_from_markdown(sample_dir / "articles", tmp_path / "articles")
    texts = [distinct_sentence(i) for i in range(3)] + [f"I {BROKEN} my plans."]
    base = write_base(tmp_path / "base.txt", texts)
    out = tmp_path / "masked"
    with FakeOpenAI(masked_responder) as server:
        proc = datagen_in_process(
            "masked-sentences", base, "--out", out, "--articles", articles, "--per-type",
            "--max-validation-retries", "0", *llm_args(server, tmp_path),
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    ds, failures, manifest = load(out)
    assert len(ds) == 3 * 16 and manifest["backend"] == "openai-compatible"
    assert [(f["row_id"], f["stage"]) for f in failures] == [("b00004", "mask_slot")]
    own = manifest["type_divergence"]["own_vocabulary"]
    assert 0 <= own["share_own_higher"] <= 1
    assert set(manifest["usage"]) == {"mask_slot", "masked_per_type"}


def test_llm_with_bad_articles_fails_before_any_request(tmp_path, datagen_in_process):
    base = write_base(tmp_path / "base.txt", [distinct_sentence(0)])
    with FakeOpenAI(masked_responder) as server:
        proc = datagen_in_process(
            "masked-sentences", base, "--out", tmp_path / "masked", "--articles",
            tmp_path / "missing", *llm_args(server, tmp_path),
        )  # fmt: skip
        assert server.requests == []
    assert_clean_error(proc, "missing")


def _logprobs(request: dict, content: str) -> list[dict]:
    """Token logprobs that disagree with the stated probabilities: alpha likely, beta not."""
    values = {"alpha": -0.1, "beta": -1.0}
    return [
        {"token": tok, "logprob": values.get(tok, -0.05), "bytes": None, "top_logprobs": []}
        for tok in re.findall(r"\w+|\s+|[^\w\s]", content)
    ]


def _per_type_responder(request: dict) -> str:
    if "A person of the MBTI type" in request["messages"][1]["content"]:
        return json.dumps(
            {"candidates": [{"word": "beta", "prob": 0.9}, {"word": "alpha", "prob": 0.1}]}
        )
    return masked_responder(request)


def test_per_type_takes_probabilities_from_logprobs(tmp_path, datagen_in_process):
    base = write_base(tmp_path / "base.txt", [distinct_sentence(i) for i in range(2)])
    out = tmp_path / "masked"
    with FakeOpenAI(_per_type_responder, logprobs_fn=_logprobs) as server:
        proc = datagen_in_process(
            "masked-sentences", base, "--out", out, "--per-type", *llm_args(server, tmp_path)
        )
        per_type = [r for r in server.requests if "MBTI type" in r["messages"][1]["content"]]
    assert proc.returncode == 0, proc.stderr
    assert len(server.requests) == 2 + 2 * 16 and len(per_type) == 32
    assert all(r.get("logprobs") is True for r in per_type)
    ds, failures, manifest = load(out)
    assert failures == [] and len(ds) == 32
    expected = math.exp(-0.1) / (math.exp(-0.1) + math.exp(-1.0))
    for row in ds:
        assert row["target"] == "alpha"  # the logprobs, not the stated 0.9 for beta
        assert row["candidates"][0]["prob"] == pytest.approx(expected, abs=1e-4)
    assert set(manifest["prompt_templates"]) == {"mask_slot.v1.txt", "masked_per_type.v1.txt"}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "case",
    [
        "empty",
        "non_text",
        "mixed_types",
        "lang",
        "unreachable",
        "no_key",
        "no_articles",
        "bad_backend",
    ],
)
def test_bad_input_is_one_clean_error_and_nothing_written(case, tmp_path, datagen_in_process):
    base = write_base(tmp_path / "base.txt", [distinct_sentence(0)])
    out = tmp_path / "masked"
    args: list[object] = ["--out", out, "--cache-file", tmp_path / "llm.sqlite", "--no-progress"]
    needles: tuple[str, ...]
    if case == "empty":
        base.write_text("\n\n", encoding="utf-8")
        needles = ("base.txt", "empty")
    elif case == "non_text":
        base = tmp_path / "base.jsonl"
        base.write_text('{"text": 12}\n{"text": 13}\n', encoding="utf-8")
        needles = ("base.jsonl", "row 1", "field 'text'", "must be text")
    elif case == "mixed_types":
        base = tmp_path / "base.jsonl"
        base.write_text('{"text": "I plan ahead."}\n{"text": 12}\n', encoding="utf-8")
        needles = ("base.jsonl: row 2: field 'text'", "is a number (12) but a string in row 1")
    elif case == "lang":
        args += ["--lang", "xx"]
        needles = ("--lang", "unknown language 'xx'")
    elif case == "unreachable":
        url = f"http://127.0.0.1:{_closed_port()}/v1"
        args += ["--base-url", url, "--max-retries", "1", "--timeout", "2"]
        needles = ("127.0.0.1",)
    elif case == "no_key":
        args += ["--backend", "openai"]
        needles = ("OPENAI_API_KEY",)
    elif case == "no_articles":
        needles = ("--articles",)
    else:
        args += ["--backend", "gpt"]
        needles = ("--backend", "unknown backend")
    proc = datagen_in_process("masked-sentences", base, *args)
    assert_clean_error(proc, *needles)
    assert not out.exists()


def _word_responder(request: dict) -> str:
    label = re.search(r"MBTI type (\w{4})", request["messages"][1]["content"]).group(1)
    return json.dumps({"word": "quietly" if label[0] == "I" else "loudly"})


def _llama_logprobs(request: dict, content: str) -> list[dict]:
    """Like llama.cpp: the word's first token (``quiet``) lists raw, pre-grammar alternatives:
    whole words, a word piece (``spont``), punctuation and a word already in the sentence."""
    pieces = re.findall(r'\{"|word|":|\s"|quiet|loud|ly|"\}', content)
    first = pieces.index("quiet") if "quiet" in pieces else pieces.index("loud")
    out = []
    for i, tok in enumerate(pieces):
        top = []
        if i == first:
            alts = [(tok, -0.5), ("happily", -1.5), ("spont", -1.6), (" [", -2.0),
                    ("pack", -2.2), ("always", -2.5), ("xyz", -9.0)]  # fmt: skip
            top = [{"token": t, "logprob": lp, "bytes": None} for t, lp in alts]
        out.append({"token": tok, "logprob": -0.5 if i == first else -0.01, "bytes": None,
                    "top_logprobs": top})  # fmt: skip
    return out


def test_word_mode_slot_offline_candidates_from_top_logprobs(tmp_path, datagen_in_process):
    base = write_base(tmp_path / "base.txt", ["I usually pack my suitcase the night before."])
    out = tmp_path / "masked"
    with FakeOpenAI(_word_responder, logprobs_fn=_llama_logprobs) as server:
        proc = offline_slot_per_type(datagen_in_process, server, base, out, tmp_path, "word")
    assert proc.returncode == 0, proc.stderr
    assert len(server.requests) == 16  # no slot request: the offline chooser picked it
    assert all(r["top_logprobs"] == 20 and r["response_format"]["schema"] for r in server.requests)
    ds, failures, manifest = load(out)
    assert failures == [] and len(ds) == 16
    assert set(ds["text"]) == {"I [MASK] pack my suitcase the night before."}
    row = ds[0]  # ISTJ
    words = [c["word"] for c in row["candidates"]]
    assert words == ["quietly", "happily", "always"]  # no piece, punctuation or sentence word
    total = math.exp(-0.5) + math.exp(-1.5) + math.exp(-2.5)
    assert row["candidates"][0]["prob"] == pytest.approx(math.exp(-0.5) / total, abs=1e-4)
    assert manifest["per_type"] == {"slot": "offline", "fill": "word", "type_context": 0}
    assert set(ds["prompt_sha"]) == {manifest["prompt_sha"]}
    assert "no logprobs" not in proc.stderr
    report = (out / "report.md").read_text()
    assert "fits the slot" in report and "| ISTJ | quietly" in report


def test_word_mode_without_logprobs_samples_and_says_so_once(tmp_path, datagen_in_process):
    texts = ["I usually pack my suitcase early.", "나는 보통 계획을 세운다."]
    out = tmp_path / "masked"

    def responder(request: dict) -> str:
        return json.dumps({"word": "천천히" if "Korean" in request["messages"][1]["content"]
                           else "calmly"})  # fmt: skip

    with FakeOpenAI(responder, logprobs_fn=lambda request, content: None) as server:
        for lang, text in zip(("en", "ko"), texts, strict=True):
            base = write_base(tmp_path / f"{lang}.txt", [text])
            proc = datagen_in_process(
                "masked-sentences", base, "--out", out / lang, "--lang", lang, "--per-type",
                "--slot", "offline", "--fill", "word", *llm_args(server, tmp_path),
            )  # fmt: skip
            assert proc.returncode == 0, proc.stderr
            assert proc.stderr.count("no logprobs") == 1, proc.stderr
            ds, _, _ = load(out / lang)
            assert len(ds) == 16 and {r["prob"] for c in ds["candidates"] for r in c} == {1.0}
    assert set(load(out / "ko")[0]["target"]) == {"천천히"}
    schema = server.requests[-1]["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["word"]["pattern"] == "^[가-힣]+$"
