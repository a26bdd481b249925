"""`datagen base-sentences`: --from files, the offline grammar and an LLM, all filtered."""

from __future__ import annotations

import json
import re
from pathlib import Path

import datasets
import pytest

from schemas.io import validate_rows
from tests.datagen.masked.masking_fake import masked_responder
from tests.support.cli import assert_clean_error
from tests.support.fake_openai import FakeOpenAI


def load(out: Path) -> tuple[datasets.Dataset, dict]:
    ds = datasets.load_from_disk(str(out))
    validate_rows(ds, "base_sentences", file=out)
    return ds, json.loads((out / "manifest.json").read_text())


def test_from_file_filters_length_language_and_duplicates(tmp_path, datagen_in_process):
    lines = [
        "I always plan my weekends a month ahead.",
        "Yes.",  # too short
        "I ALWAYS plan my weekends, a month ahead!",  # exact duplicate up to case/punctuation
        "나는 주말 계획을 한 달 전에 세운다.",  # not English
        "My friends say I am the calm one in every argument.",
        "I always plan my weekends one month ahead.",  # near duplicate (cosine 0.99)
        "I like to cook without a recipe on Sundays.",
    ]
    src = tmp_path / "mine.txt"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "base"
    proc = datagen_in_process("base-sentences", "--from", src, "--out", out)
    assert proc.returncode == 0, proc.stderr
    ds, manifest = load(out)
    assert ds["id"] == ["b00001", "b00005", "b00007"]  # the file's line numbers
    assert set(ds["lang"]) == {"en"}
    assert manifest["filters"]["removed"] == {
        "length": 1, "exact_duplicate": 1, "language": 1, "near_duplicate": 1,
    }  # fmt: skip


def test_korean_from_a_table_keeps_ids_and_n(tmp_path, datagen_in_process):
    src = tmp_path / "mine.jsonl"
    rows = [
        {"id": "k1", "text": "친구가 약속을 취소하면 나는 혼자 영화를 본다."},
        {"id": "k2", "text": "I read every review before buying a phone."},
        {"id": "k3", "text": "마감 전날에는 모든 것을 두 번씩 확인한다."},
        {"id": "k4", "text": "여행을 가면 지도 없이 골목을 걸어 다닌다."},
    ]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    out = tmp_path / "base"
    proc = datagen_in_process(
        "base-sentences", "--from", src, "--lang", "ko", "--n", "2", "--out", out
    )
    assert proc.returncode == 0, proc.stderr
    ds, _ = load(out)
    assert ds["id"] == ["k1", "k3"] and set(ds["lang"]) == {"ko"}


def test_offline_grammar_gives_n_distinct_sentences(tmp_path, datagen_in_process):
    out = tmp_path / "base"
    proc = datagen_in_process("base-sentences", "--n", "40", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "offline template grammar" in proc.stderr and "not an LLM" in proc.stderr
    ds, manifest = load(out)
    assert len(ds) == 40 == len(set(ds["text"]))
    assert manifest["source"] == "offline-grammar"


def test_llm_batches_until_n_remain(tmp_path, datagen_in_process):
    out = tmp_path / "base"
    with FakeOpenAI(masked_responder) as server:
        proc = datagen_in_process(
            "base-sentences", "--n", "30", "--per-request", "10", "--out", out,
            "--base-url", server.base_url, "--cache-file", tmp_path / "llm.sqlite", "--no-progress",
        )  # fmt: skip
        batches = [r["messages"][1]["content"] for r in server.requests]
    assert proc.returncode == 0, proc.stderr
    ds, manifest = load(out)
    assert len(ds) == 30 == len(set(ds["text"]))
    assert len(batches) == len(set(batches)) == 4  # ceil(30 * 1.25 / 10): every prompt differs
    assert manifest["filters"]["removed"]["exact_duplicate"] == 4  # one repeat per answer
    assert manifest["source"] == "llm" and manifest["prompt_sha"]


@pytest.mark.parametrize("case", ["lang", "n", "non_text", "nothing_left", "missing"])
def test_bad_input_is_one_clean_error(case, tmp_path, datagen_in_process):
    src = tmp_path / "mine.jsonl"
    src.write_text('{"text": "I plan everything ahead of time."}\n', encoding="utf-8")
    args: list[object] = ["--from", src]
    if case == "lang":
        args += ["--lang", "fr"]
        needles: tuple[str, ...] = ("--lang", "unknown language 'fr'")
    elif case == "n":
        args += ["--n", "0"]
        needles = ("--n", "must be >= 1, got 0")
    elif case == "non_text":
        src.write_text('{"text": 3.5}\n', encoding="utf-8")
        needles = ("mine.jsonl", "row 1", "field 'text'")
    elif case == "nothing_left":
        args += ["--lang", "ko"]
        needles = ("mine.jsonl", "no sentence passed the filters", "language: 1")
    else:
        args = ["--from", tmp_path / "absent.txt"]
        needles = ("absent.txt",)
    proc = datagen_in_process("base-sentences", *args, "--out", tmp_path / "base")
    assert_clean_error(proc, *needles)
    assert not (tmp_path / "base").exists()


@pytest.mark.parametrize(
    ("lang", "answers", "grammar"),
    [
        ("en", ["I cook without a recipe.", "I fold my socks.", "I fold my socks."],
         'root ::= "I" (" " word){2,9} [.!?]\nword ::= [a-zA-Z]+ ("\'" [a-z]+)? ","?'),
        ("ko", ["나는 주말마다 산책을 한다.", "나는 약속을 미리 정한다.", "나는 산책을 한다."],
         'root ::= word (" " word){2,9} [.!?]\nword ::= [가-힣]+ ","?'),
    ],
)  # fmt: skip
def test_gbnf_asks_one_sentence_per_request_under_a_grammar(
    lang, answers, grammar, tmp_path, datagen_in_process
):
    """Small models on llama.cpp: the answer is the sentence itself (no JSON), spelt by the
    request's GBNF grammar; the sentences are filtered like any others (one repeat dropped)."""

    def responder(request: dict) -> str:
        return answers[int(re.search(r"Sentence number (\d+)", str(request["messages"]))[1])]

    with FakeOpenAI(responder) as server:
        proc = datagen_in_process(
            "base-sentences", "--n", "2", "--out", tmp_path / "base", "--lang", lang, "--gbnf",
            "--min-words", "3", "--max-words", "10", "--base-url", server.base_url,
            "--cache-file", tmp_path / "llm.sqlite", "--no-progress",
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    ds, manifest = load(tmp_path / "base")
    assert ds["text"] == answers[:2]
    # requests run concurrently: find sentence 0's request rather than trusting arrival order
    first = next(r for r in server.requests if "Sentence number 0" in json.dumps(r["messages"]))
    assert first["grammar"] == grammar and "response_format" not in first
    assert all("JSON" not in json.dumps(r["messages"]) for r in server.requests)
    assert manifest["requests_batches"] == len(server.requests) == 3
