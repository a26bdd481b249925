"""``masked-sentences --per-type --fill score``: the model scores the offline backend's candidates
under each type's prompt, one text completion per (sentence, type, word) spelt by a grammar of
the word's token ids, against the fake server answering like llama-cpp-python (its
``/extras/tokenize`` and ``/v1/completions`` with ``grammar``)."""

from __future__ import annotations

import json
import math
import re
import zlib
from collections import defaultdict

import pytest

from schemas.labels import MBTI
from tests.datagen.masked.test_masked_sentences import llm_args, load, write_base
from tests.datagen.masked.test_type_context import SENTENCES, masked_articles, owner
from tests.support.cli import assert_clean_error
from tests.support.fake_openai import FakeOpenAI, PieceTokenizer

FIRST = {True: -1.0, False: -2.0}  # a word's first token: of its type's parity or not
LATER = -0.5  # each further token of the word


def contexts(request: dict) -> list[str]:
    return re.findall(r"^- (.*)$", request["prompt"], re.M)


def word_ids(request: dict) -> list[int]:
    return [int(i) for i in re.findall(r"<\[(\d+)\]>", request["grammar"])]


def leans_introvert(word: str) -> bool:
    """The fake model's taste: I types prefer words of one parity, E types the other."""
    return zlib.crc32(word.encode()) % 2 == 1


def expected_logprob(tokenizer: PieceTokenizer, word: str, introvert: bool) -> float:
    pieces = tokenizer.split(" " + word)
    return FIRST[leans_introvert(word) == introvert] + LATER * (len(pieces) - 1)


def fake_model(tokenizer: PieceTokenizer, texts: dict[str, str]):
    """(responder, logprobs_fn): the answer is what the grammar spells; each token's logprob
    follows the type whose article sentences the prompt quotes."""

    def respond(request: dict) -> str:
        return "".join(tokenizer.decode(word_ids(request)))

    def logprobs(request: dict, content: str) -> list[dict]:
        label = owner(contexts(request), texts)
        pieces = tokenizer.decode(word_ids(request))
        first = FIRST[leans_introvert(content.strip()) == (label[0] == "I")]
        return [{"token": piece, "logprob": first if i == 0 else LATER}
                for i, piece in enumerate(pieces)]  # fmt: skip

    return respond, logprobs


def run_score(datagen_in_process, server, base, out, tmp_path, *extra):
    return datagen_in_process(
        "masked-sentences", base, "--out", out, "--per-type", "--fill", "score",
        *llm_args(server, tmp_path), *extra,
    )  # fmt: skip


@pytest.fixture
def articles(sample_dir, tmp_path):
    from tests.datagen.masked.offline_fixtures import articles_from_markdown

    return articles_from_markdown(sample_dir / "articles", tmp_path / "articles")


def test_every_type_scores_the_same_offline_candidates_and_the_fills_follow_the_type(
    articles, sample_dir, tmp_path, datagen_in_process
):
    texts = masked_articles(sample_dir / "articles")
    base = write_base(tmp_path / "base.txt", SENTENCES)
    tokenizer = PieceTokenizer()
    respond, logprobs = fake_model(tokenizer, texts)
    offline = tmp_path / "offline"
    proc = datagen_in_process("masked-sentences", base, "--out", offline, "--backend", "offline",
                              "--articles", articles, "--no-progress")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    offline_words: dict[str, set[str]] = defaultdict(set)
    for row in load(offline)[0]:
        offline_words[row["text"]] |= {c["word"] for c in row["candidates"]}
    with FakeOpenAI(respond, logprobs_fn=logprobs, tokenizer=tokenizer) as server:
        for name in ("masked", "again"):
            proc = run_score(datagen_in_process, server, base, tmp_path / name, tmp_path,
                             "--articles", articles)  # fmt: skip
            assert proc.returncode == 0, proc.stderr
            if name == "masked":
                sent, tokenized = len(server.requests), len(server.tokenized)
        assert (len(server.requests), len(server.tokenized)) == (sent, tokenized)  # all cached
        proc = run_score(datagen_in_process, server, base, tmp_path / "flat", tmp_path,
                         "--articles", articles, "--type-contrast", "0")  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert len(server.requests) == sent  # the contrast is applied after the requests
    words: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    context: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for request in server.requests:
        prompt = request["prompt"]
        masked = re.search(r"This person says this sentence:\n(.*)\n", prompt).group(1)
        head = masked.split("[MASK]")[0].rstrip(" ")
        assert prompt.startswith("<|im_start|>system\n")
        assert prompt.endswith(f"<|im_start|>assistant\n{head}")
        ids = word_ids(request)
        assert request["grammar"] == "root ::= " + " ".join(f"<[{i}]>" for i in ids)
        assert request["max_tokens"] == len(ids) and request["logprobs"] == 1
        assert request["temperature"] == 0 and "messages" not in request
        label = owner(contexts(request), texts)
        assert label is not None and len(contexts(request)) == 6
        context[label].add(tuple(contexts(request)))
        words[masked][label].append("".join(tokenizer.decode(ids)).strip())
    assert all(len(lines) == 1 for lines in context.values())  # one context per type
    assert len({lines.pop() for lines in context.values()}) == 16  # and its own
    assert len(words) == 2 and sent == sum(16 * len(w["ISTJ"]) for w in words.values())
    for masked, by_type in words.items():
        assert set(by_type) == set(MBTI.labels)
        assert all(sorted(w) == sorted(by_type["ISTJ"]) for w in by_type.values())
        assert set(by_type["ISTJ"]) == offline_words[masked]
    assert any(len(tokenizer.split(" " + w)) > 1 for w in words[masked]["ISTJ"])

    ds, failures, manifest = load(tmp_path / "masked")
    assert failures == [] and len(ds) == 32
    for row in ds:
        assert leans_introvert(row["target"]) == (row["label"][0] == "I"), row
    assert manifest["type_probe"]["n_sentences"] == 2
    assert manifest["per_type"] == {
        "slot": "offline", "fill": "score", "type_context": 6, "type_context_seed": 0,
        "type_context_choice": "type", "type_contrast": 4.0, "chat_template": "chatml",
    }  # fmt: skip
    assert set(ds["prompt_sha"]) == {manifest["prompt_sha"]}
    # without contrast the probabilities are the softmax of the words' summed token logprobs
    flat, _, _ = load(tmp_path / "flat")
    for row in flat:
        introvert = row["label"][0] == "I"
        first, *rest = row["candidates"]
        for other in rest:
            gap = expected_logprob(tokenizer, first["word"], introvert) - expected_logprob(
                tokenizer, other["word"], introvert
            )
            assert math.log(first["prob"] / other["prob"]) == pytest.approx(gap, abs=1e-4)


def test_dry_run_counts_one_request_per_word_and_type(articles, tmp_path, datagen_in_process):
    base = write_base(tmp_path / "base.txt", SENTENCES[:1])
    tokenizer = PieceTokenizer()
    with FakeOpenAI(lambda request: "", tokenizer=tokenizer) as server:
        dry = run_score(datagen_in_process, server, base, tmp_path / "masked", tmp_path,
                        "--articles", articles, "--dry-run")  # fmt: skip
        assert dry.returncode == 0, dry.stderr
        assert server.requests == [] and server.tokenized == []
    n = int(re.search(r"([\d,]+) word scorings", dry.stdout).group(1).replace(",", ""))
    assert n % 16 == 0 and n >= 16 * 5
    assert f"{n:,} requests to send" in dry.stdout


def test_a_server_without_a_tokenizer_is_a_clear_error(articles, tmp_path, datagen_in_process):
    base = write_base(tmp_path / "base.txt", SENTENCES[:1])
    with FakeOpenAI() as server:
        proc = run_score(datagen_in_process, server, base, tmp_path / "masked", tmp_path,
                         "--articles", articles)  # fmt: skip
        assert server.requests == []
    assert_clean_error(proc, "--fill score", "/extras/tokenize", "404")
    assert not (tmp_path / "masked").exists()


def test_a_server_that_does_not_spell_the_tokens_gives_failures_not_data(
    articles, tmp_path, datagen_in_process
):
    """A server that ignores the grammar (or sends no logprobs) scores no word: every cell is a
    failure, with the reason on the console; nothing is retried."""
    base = write_base(tmp_path / "base.txt", SENTENCES[:1])
    tokenizer = PieceTokenizer()
    with FakeOpenAI(lambda request: " yes", logprobs_fn=lambda r, c: [],
                    tokenizer=tokenizer) as server:  # fmt: skip
        proc = run_score(datagen_in_process, server, base, tmp_path / "masked", tmp_path,
                         "--articles", articles)  # fmt: skip
        words = len(server.requests) // 16
    assert proc.returncode == 1, proc.stderr
    assert "token grammar" in proc.stderr and f"{16 * words} of {16 * words}" in proc.stderr
    failures = [
        json.loads(x) for x in (tmp_path / "masked" / "failures.jsonl").read_text().splitlines()
    ]
    assert len(failures) == 16 and {f["reason"] for f in failures} == {"no word was scored"}


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (["--fill", "score"], "--articles"),
        (["--fill", "score", "--slot", "llm"], "--slot"),  # it scores the offline slots
        (["--fill", "list", "--type-contrast", "1"], "--type-contrast"),
    ],
)
def test_options_the_mode_needs(extra, field, tmp_path, datagen_in_process):
    base = write_base(tmp_path / "base.txt", SENTENCES[:1])
    proc = datagen_in_process(
        "masked-sentences", base, "--out", tmp_path / "out", "--per-type", *extra,
        "--base-url", "http://127.0.0.1:9/v1", "--model", "m",
    )  # fmt: skip
    assert_clean_error(proc, field)


def test_type_context_0_names_the_type(articles, tmp_path, datagen_in_process):
    """``--type-context 0``: the type named (template v1), no article sentence in the prompt."""
    base = write_base(tmp_path / "base.txt", SENTENCES[:1])
    tokenizer = PieceTokenizer()
    with FakeOpenAI(lambda request: "".join(tokenizer.decode(word_ids(request))),
                    logprobs_fn=lambda r, c: [{"token": "x", "logprob": -1.0}] * len(word_ids(r)),
                    tokenizer=tokenizer) as server:  # fmt: skip
        proc = run_score(datagen_in_process, server, base, tmp_path / "masked", tmp_path,
                         "--articles", articles, "--type-context", "0")  # fmt: skip
        prompts = [r["prompt"] for r in server.requests]
    assert proc.returncode == 0, proc.stderr
    assert prompts and all(contexts({"prompt": p}) == [] for p in prompts)
    assert any("ENFP" in p for p in prompts) and any("ISTJ" in p for p in prompts)
    _, _, manifest = load(tmp_path / "masked")
    assert manifest["per_type"]["type_context"] == 0
    assert "masked_frame.v1.txt" in manifest["prompt_templates"]


def test_word_ids_are_the_tail_after_the_sentence_start_without_what_the_server_adds():
    """A tokenizer that puts a BOS token (999) in front of every text: the word's ids are what
    follows the sentence up to the blank, or, with the blank first, what follows the BOS."""
    from datagen.llm.config import LLMConfig
    from datagen.masked.score import ServerTokenizer

    pieces = PieceTokenizer()
    with FakeOpenAI(tokenizer=lambda text: [999, *pieces(text)]) as server:
        config = LLMConfig(base_url=server.base_url, model="m", use_cache=False)
        tokenizer = ServerTokenizer(config)
        try:
            after_head = tokenizer.word_ids("I", " ", "spontaneously")
            first = tokenizer.word_ids("", "", "Often")
        finally:
            tokenizer.close()
    assert pieces.decode(after_head) == [" sponta", "neousl", "y"]
    assert pieces.decode(first) == ["Often"]
