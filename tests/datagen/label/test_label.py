"""`datagen label`: an LLM (a real HTTP fake of an OpenAI-compatible server) or the offline
heuristic labels pool texts into the JSONL that `augment silver --teacher llm` reads."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from augment.classification.teachers import LlmLabelsTeacher
from datagen.label.task import LabelTask, label_confidence
from schemas.type_mentions import mask_type_mentions
from tests.support.cli import assert_clean_error
from tests.support.fake_openai import FakeOpenAI, llama_cpp_logprobs

LABELS = ("Positive", "Negative", "Neutral")
POOL = [
    "As an INFJ, I love this phone; it works great.",
    "Worst purchase ever, it broke in a day.",
    "The package arrived on Tuesday.",
    "Absolutely fantastic service, I love it!",
    "I am really disappointed with the support.",
    "Nobody can tell what this is.",  # the fake always answers an invalid label: a failure
]
GOLD = [
    ("Great value, I love it.", "Positive"), ("Superb quality.", "positive"),
    ("A delight to use.", "Positive"), ("It broke at once.", "Negative"),
    ("Terrible support.", "Negative"), ("It is blue.", "Neutral"),
]  # fmt: skip


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def sentiment(request: dict) -> str:
    """The fake LLM: a keyword rule on the text to label (the first user message's last)."""
    text = re.findall(r"<text>\n(.*?)\n</text>", request["messages"][1]["content"], re.S)[-1]
    if "Nobody" in text:
        return json.dumps({"label": "Maybe"})
    label = "Neutral"
    if "love" in text:
        label = "Positive"
    elif "orst" in text or "disappointed" in text:
        label = "Negative"
    return json.dumps({"label": label.lower() if "Tuesday" in text else label})


def alternatives(request: dict, tokens: list[str]) -> dict[int, list[tuple[str, float]]]:
    """At the label's token: the chosen label 0.7, the other two 0.1 each, a non-label 0.05."""
    names = {lab.casefold() for lab in LABELS}
    at = next((i for i, t in enumerate(tokens) if t.strip().casefold() in names), None)
    if at is None:
        return {}
    others = [(lab, math.log(0.1)) for lab in LABELS if lab.casefold() != tokens[at].casefold()]
    return {at: [(tokens[at], math.log(0.7)), *others, ("I", math.log(0.05))]}


def test_llm_labels_pool_few_shot_and_a_rerun_costs_nothing(tmp_path, cli, datagen_in_process):
    pool = write_jsonl(tmp_path / "pool.jsonl", [{"text": t} for t in [*POOL, "  ", POOL[2]]])
    gold = write_jsonl(tmp_path / "gold.jsonl", [{"text": t, "label": lab} for t, lab in GOLD])
    out = tmp_path / "labels.jsonl"
    inputs = {p: p.read_bytes() for p in (pool, gold)}
    with FakeOpenAI(sentiment, logprobs_fn=llama_cpp_logprobs(alternatives)) as server:
        args = ["label", pool, "--labels", ",".join(LABELS), "--examples", gold,
                "--out", out, "--base-url", server.base_url,
                "--cache-file", tmp_path / "llm.sqlite",
                "--max-validation-retries", "1", "--no-progress"]  # fmt: skip
        first = cli("datagen", *args)  # the console script, in a subprocess
        sent = len(server.requests)
        first_rows = read_jsonl(out)
        again = datagen_in_process(*args, "--overwrite")  # (in-process: 5 s less of CI)
    assert first.returncode == 0, first.stderr
    assert again.returncode == 0, again.stderr
    assert sent == 5 + 2  # one request a distinct text; the invalid one asked twice
    assert len(server.requests) == sent  # the rerun: every answer from the cache
    rows = read_jsonl(out)
    assert rows == first_rows
    assert [r["label"] for r in rows] == ["Positive", "Negative", "Neutral", "Positive", "Negative"]
    assert rows[0]["text"] == "As an [TYPE], I love this phone; it works great."  # as augment masks
    for r in rows:
        assert r["confidence"] == pytest.approx(0.7 / 0.9, abs=1e-5)
    prompt = server.requests[0]["messages"][1]["content"]
    assert prompt.count('{"label": "Positive"}') == 2  # --shots 2 of the three
    assert prompt.count('{"label": "Neutral"}') == 1 and "Labelled examples" in prompt
    assert server.requests[0]["top_logprobs"] == 20
    schema = server.requests[0]["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["label"]["enum"] == list(LABELS)
    failures = read_jsonl(tmp_path / "labels.failures.jsonl")
    assert [(f["row_id"], f["attempts"]) for f in failures] == [("row-6", 2)]
    manifest = json.loads((tmp_path / "labels.manifest.json").read_text())
    assert manifest["counts"] | {"per_label": None} == {
        "pool_rows": 8, "blank": 1, "duplicates": 1, "masked_rows": 1, "texts": 6,
        "labelled": 5, "failures": 1, "per_label": None,
    }  # fmt: skip
    assert manifest["backend"] == "openai-compatible" and manifest["model"] == "gpt-4o-mini"
    assert manifest["prompt_template"] == "label.v1.txt" and len(manifest["prompt_sha"]) == 12
    assert manifest["examples"]["per_label"] == {"Positive": 2, "Negative": 2, "Neutral": 1}
    assert manifest["usage"]["requests"] == 0 and manifest["usage"]["cached_hits"] == 7
    assert manifest["confidence"]["from_logprobs"] == 5
    assert list(tmp_path.glob(".*tmp*")) == []
    assert {p: p.read_bytes() for p in inputs} == inputs  # inputs never modified

    # augment silver --teacher llm --llm-labels OUT reads it: looked up by augment's masked text
    teacher = LlmLabelsTeacher(LABELS, out)
    texts = [mask_type_mentions(t).text for t in POOL]
    probs = teacher.predict_proba(np.zeros((len(texts), 1)), texts)
    assert probs.argmax(axis=1)[:5].tolist() == [0, 1, 2, 0, 1]
    assert probs[:5].max(axis=1) == pytest.approx([0.7 / 0.9] * 5, abs=1e-5)
    assert not probs[5].any()  # the failure: never silver


def test_offline_backend_is_an_honest_embedding_heuristic(tmp_path, datagen_in_process):
    texts = ["The football team won the match: their striker scored twice.",
             "Simmer the tomato sauce for ten minutes, then add basil.",
             "The band played every song from their new album live."]  # fmt: skip
    pool = write_jsonl(tmp_path / "pool.jsonl", [{"body": t} for t in texts])
    out = tmp_path / "labels.jsonl"
    proc = datagen_in_process(
        "label", pool, "--labels", "sports,cooking,music", "--text-col", "body", "--out", out
    )
    assert proc.returncode == 0, proc.stderr
    assert "offline embedding-similarity heuristic" in proc.stderr and "not an LLM" in proc.stderr
    rows = read_jsonl(out)
    assert [r["label"] for r in rows] == ["sports", "cooking", "music"]
    assert all(1 / 3 < r["confidence"] <= 1 for r in rows)
    manifest = json.loads((tmp_path / "labels.manifest.json").read_text())
    assert manifest["backend"] == "offline-embedding-similarity"
    assert manifest["heuristic"].startswith("not an LLM")
    assert manifest["model"] == "bundled:all-MiniLM-L6-v2" and "usage" not in manifest


def test_confidence_from_first_token_logprobs_and_zero_shot_prompt():
    def tok(token: str, p: float, top=()) -> dict:
        return {"token": token, "logprob": math.log(p),
                "top_logprobs": [{"token": t, "logprob": math.log(q)} for t, q in top]}  # fmt: skip

    labels = ("Positive", "Negative", "Neutral")
    # OpenAI-style tokens: the quote glued to the key, the label split in two
    answer = [tok('{"', 1), tok("label", 1), tok('":"', 1),
              tok("Ne", 0.5, [("Ne", 0.5), ("Pos", 0.3), ("The", 0.2)]), tok("gative", 1),
              tok('"}', 1)]  # fmt: skip
    # "Ne" begins Negative and Neutral: they share its mass (first token only)
    assert label_confidence("Negative", labels, answer) == pytest.approx(0.5 / 0.8)
    assert label_confidence("Negative", labels, None) is None
    prompt = LabelTask(labels).prompt({"id": "1", "text": "It is fine."})
    assert "Labels: Positive, Negative, Neutral" in prompt[1]["content"]
    assert "example" not in prompt[1]["content"].lower()


@pytest.mark.parametrize(
    "case", ["unknown_example_label", "empty_labels", "one_label", "one_label_file", "no_text"]
)
def test_bad_input_is_one_clean_error(case, tmp_path, datagen_in_process):
    pool = write_jsonl(tmp_path / "pool.jsonl", [{"text": "Fine."}, {"text": "Bad."}])
    gold = write_jsonl(tmp_path / "gold.jsonl", [{"text": "Ok.", "label": "Positive"},
                                                 {"text": "Meh.", "label": "Mixed"}])  # fmt: skip
    args: list[object] = [pool, "--labels", "Positive,Negative"]
    if case == "unknown_example_label":
        args += ["--examples", gold]
        needles: tuple[str, ...] = ("gold.jsonl", "row 2", "field 'label'", "'Mixed'")
    elif case == "empty_labels":
        args = [pool, "--labels", " , "]
        needles = ("--labels", "two or more labels", "got 0")
    elif case == "one_label":
        args = [pool, "--labels", "Positive"]
        needles = ("--labels", "two or more labels", "got 1")
    elif case == "one_label_file":
        (tmp_path / "labels.txt").write_text("Positive\n\n", encoding="utf-8")
        args = [pool, "--labels-file", tmp_path / "labels.txt"]
        needles = ("labels.txt", "--labels-file", "fewer than two labels")
    else:
        write_jsonl(pool, [{"body": "Fine."}])
        needles = ("pool.jsonl", "field 'text'", "missing required column")
    proc = datagen_in_process("label", *args, "--out", tmp_path / "out" / "labels.jsonl")
    assert_clean_error(proc, *needles)
    assert not (tmp_path / "out").exists()
