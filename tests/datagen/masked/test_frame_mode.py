"""``masked-sentences --per-type --slot offline --fill frame``: the answer is the sentence under a
GBNF grammar, against the fake server answering like llama.cpp (raw, pre-grammar top_logprobs)."""

from __future__ import annotations

import json
import math
import re

import pytest

from datagen.masked.frame import frame_grammar, framed_word, read_blank
from tests.datagen.masked.test_masked_sentences import (
    llm_args,
    load,
    offline_slot_per_type,
    write_base,
)
from tests.support.cli import assert_clean_error
from tests.support.fake_openai import FakeOpenAI, Fault, llama_cpp_logprobs

PACK = "I usually pack my suitcase the night before."
PACK_GRAMMAR = 'root ::= "I" " " [a-z]+ " pack my suitcase the night before."'


def _user(request: dict) -> str:
    return request["messages"][1]["content"]


_START = re.compile(r'"((?:[^"\\]|\\.)*)" \[[^\]]*\]\*')


def frame_responder(words: dict[str, str], completions: dict[str, str] | None = None):
    """Writes the masked sentence of the prompt with the type's word in the blank (what the
    grammar allows); ``words``: first letter of the type -> word. A continuation (the grammar
    fixes the word's start) gets ``completions[start]``, else the start alone."""

    def respond(request: dict) -> str:
        label = re.search(r"MBTI type (\w{4})", _user(request)).group(1)
        masked = _user(request).splitlines()[1]
        start = _START.search(request.get("grammar", ""))
        if start is not None:
            word = (completions or {}).get(start.group(1), start.group(1))
        else:
            word = words.get(label[0], words.get("*", ""))
        return masked.replace("[MASK]", word)

    return respond


def raw_alternatives(at: str, alts: list[tuple[str, float]]):
    """At the blank (the first token that is ``at`` or one of ``alts``): ``at`` (-0.5) and the
    raw ``alts``, the same whichever of them the answer chose there."""
    listed = [(at, -0.5), *alts]

    def alternatives(request: dict, tokens: list[str]) -> dict[int, list[tuple[str, float]]]:
        names = {token for token, _ in listed}
        blank = next((i for i, token in enumerate(tokens) if token in names), None)
        return {} if blank is None else {blank: listed}

    return alternatives


ALTS = [(" [", -0.3), (" happily", -1.5), (" spont", -1.6), (",", -2.0), (" pack", -2.2),
        ("always", -2.4), (" Extra", -1.0), (" feeling", -1.1), (" xyz", -9.0)]  # fmt: skip


def test_frame_mode_sends_the_grammar_and_reads_the_words_at_the_blank(
    tmp_path, datagen_in_process
):
    base = write_base(tmp_path / "base.txt", [PACK])
    out = tmp_path / "masked"
    responder = frame_responder({"I": "quietly", "E": "loudly"})
    logprobs = llama_cpp_logprobs(raw_alternatives(" quietly", ALTS))
    with FakeOpenAI(responder, logprobs_fn=logprobs) as server:
        proc = offline_slot_per_type(datagen_in_process, server, base, out, tmp_path, "frame")
    assert proc.returncode == 0, proc.stderr
    first, continued = server.requests[:16], server.requests[16:]
    for request in first:
        assert request["grammar"] == PACK_GRAMMAR
        assert "response_format" not in request  # the grammar, not a JSON schema
        assert request["top_logprobs"] == 20 and request["max_tokens"] == 6
        assert "JSON" not in json.dumps(request["messages"])
    # the 8 I types' word starts at the blank, each continued into a word (greedy); not the
    # raw tokens the grammar forbids there, nor ' xyz' (below MIN_PROB of the blank's mass)
    starts = [re.search(r'" " "(\w+)" \[a-z\]\*', r["grammar"]).group(1) for r in continued]
    assert sorted(set(starts)) == ["feeling", "happily", "pack", "spont"]
    assert len(continued) == 8 * 4 and all(r["temperature"] == 0 for r in continued)
    ds, failures, manifest = load(out)
    assert failures == [] and len(ds) == 16
    istj = ds[0]
    # dropped: ' [' and ',' (no words), ' spont' (a start the fake ends at once: no word of the
    # lexicon), ' xyz' (improbable), ' pack' (in the sentence), 'always' (no leading space: glued
    # to "I"), ' Extra' (upper case, which the grammar forbids there) and ' feeling' (copied from
    # the prompt's type description)
    assert [c["word"] for c in istj["candidates"]] == ["quietly", "happily"]
    total = math.exp(-0.5) + math.exp(-1.5)
    assert istj["candidates"][0]["prob"] == pytest.approx(math.exp(-0.5) / total, abs=1e-4)
    assert {r["target"] for r in ds if r["label"][0] == "E"} == {"loudly"}
    assert manifest["per_type"] == {
        "slot": "offline", "fill": "frame", "type_context": 0, "type_contrast": 0.0
    }  # fmt: skip
    assert "masked_frame.v1.txt" in manifest["prompt_templates"]
    assert set(ds["prompt_sha"]) == {manifest["prompt_sha"]}
    assert manifest["usage"]["masked_frame"]["requests"] == 16 + 8 * 4
    assert "no logprobs" not in proc.stderr


# A tokenizer whose words at the blank may be two tokens; their logprobs, the same in every
# answer (the blank lists the four word starts, whichever the answer took).
PIECES = {" carefully": [" care", "fully"], " neatly": [" neat", "ly"],
          " spontaneously": [" spont", "aneously"]}  # fmt: skip
BLANK = {" care": -0.4, " neat": -1.2, " always": -1.5, " spont": -2.0}
NEXT = {"fully": -0.3, "ly": -0.1, "aneously": -0.05}


def piece_logprobs(request: dict, content: str) -> list[dict]:
    """As above; in a continuation the forced start is reported as certain (logprob 0), as a
    server that renormalises under the grammar would: its score must come from the first
    answer."""
    words = re.findall(WORDS, content)
    tokens = [piece for word in words for piece in PIECES.get(word, [word])]
    return token_logprobs(request, tokens, BLANK, NEXT)


WORDS = r" ?[^\W\d_]+| ?[^\w\s]+|\s+"


def token_logprobs(
    request: dict, tokens: list[str], blank: dict[str, float], after: dict[str, float]
) -> list[dict]:
    """Each token with its top logprobs: all of ``blank``'s at a token of ``blank``, else the
    token alone at ``after.get(token, -0.01)``; a continuation's forced start is certain."""
    forced = _START.search(request.get("grammar", ""))
    out = []
    for token in tokens:
        top = dict(blank) if token in blank else {token: after.get(token, -0.01)}
        if forced and token == f" {forced.group(1)}":
            top = {token: 0.0}
        out.append({"token": token, "logprob": top[token], "bytes": None,
                    "top_logprobs": [{"token": t, "logprob": lp, "bytes": None}
                                     for t, lp in top.items()]})  # fmt: skip
    return out


@pytest.mark.parametrize(("k", "continued"), [(5, 3), (2, 1)])
def test_word_starts_are_continued_into_whole_words_scored_by_their_pieces(
    k, continued, tmp_path, datagen_in_process
):
    """The answer's word is two tokens (' care' 'fully'); the other starts at the blank are
    continued under a grammar that spells them (' neat' -> 'neatly', ' spont' ->
    'spontaneously'; ' always' ends at once); a word's probability is its pieces' product. With
    ``--k 2`` the starts stop once none can beat the second fill; a rerun sends nothing."""
    base = write_base(tmp_path / "base.txt", [PACK])
    completions = {"neat": "neatly", "spont": "spontaneously"}
    responder = frame_responder({"*": "carefully"}, completions)
    with FakeOpenAI(responder, logprobs_fn=piece_logprobs) as server:
        for out in (tmp_path / "masked", tmp_path / "again"):
            proc = datagen_in_process(
                "masked-sentences", base, "--out", out, "--per-type", "--slot", "offline",
                "--fill", "frame", "--k", k, *llm_args(server, tmp_path),
            )  # fmt: skip
            assert proc.returncode == 0, proc.stderr
            assert len(server.requests) == 16 * (1 + continued)  # the rerun: all from the cache
    grammars = {r["grammar"] for r in server.requests[16:]}
    assert 'root ::= "I" " " "neat" [a-z]* " pack my suitcase the night before."' in grammars
    ds, failures, _ = load(tmp_path / "masked")
    assert failures == [] and len(ds) == 16
    scores = {"carefully": -0.7, "neatly": -1.3, "always": -1.5, "spontaneously": -2.05}
    expected = dict(list(scores.items())[: 1 + continued][:k])
    total = sum(math.exp(lp) for lp in expected.values())
    for row in ds:
        assert [c["word"] for c in row["candidates"]] == list(expected)  # never 'neat' or 'care'
        for c in row["candidates"]:
            assert c["prob"] == pytest.approx(math.exp(expected[c["word"]]) / total, abs=1e-4)


def typed_logprobs(request: dict, content: str) -> list[dict]:
    """At the blank ' calmly' leads for every type; ' quietly' and ' loudly' follow it, a little
    more probable under the types of their own E/I pole (-1.0 vs -1.2); a continuation's
    forced start is certain, as in :func:`piece_logprobs`."""
    introvert = re.search(r"MBTI type (\w{4})", _user(request)).group(1)[0] == "I"
    blank = {" calmly": -0.3, " quietly": -1.0 if introvert else -1.2,
             " loudly": -1.2 if introvert else -1.0}  # fmt: skip
    return token_logprobs(request, re.findall(WORDS, content), blank, {})


def test_type_contrast_moves_each_types_fills_towards_its_own_words(tmp_path, datagen_in_process):
    """Fills that barely move with the type (E/I shifts a word's logprob by 0.2): with
    ``--type-contrast 2`` each type's own word leads the other pole's by ``3 x 0.2`` (the raw
    0.2 plus 2 x its distance from the mean), the leader stays, the probe sees E/I; a rerun
    with the contrast sends nothing (the reweighting comes after the requests)."""
    base = write_base(tmp_path / "base.txt", [PACK])
    runs = {}
    with FakeOpenAI(frame_responder({"*": "calmly"}), logprobs_fn=typed_logprobs) as server:
        for strength in ("0", "2"):
            out = tmp_path / f"contrast{strength}"
            proc = datagen_in_process(
                "masked-sentences", base, "--out", out, "--per-type", "--slot", "offline",
                "--fill", "frame", "--k", "3", "--type-contrast", strength,
                *llm_args(server, tmp_path),
            )  # fmt: skip
            assert proc.returncode == 0, proc.stderr
            runs[strength] = load(out)
            sent = len(server.requests)
        assert sent == len(server.requests)  # the second run: all from the cache
    for strength, gap in (("0", 0.2), ("2", 0.6)):
        ds, failures, manifest = runs[strength]
        assert failures == [] and len(ds) == 16
        assert manifest["per_type"]["type_contrast"] == float(strength)
        for row in ds:
            probs = {c["word"]: c["prob"] for c in row["candidates"]}
            own, other = ("quietly", "loudly") if row["label"][0] == "I" else ("loudly", "quietly")
            assert row["candidates"][0]["word"] == "calmly"
            assert math.log(probs[own] / probs[other]) == pytest.approx(gap, abs=1e-3)
    assert "type contrast 2" in (tmp_path / "contrast2" / "report.md").read_text()


def test_type_contrast_is_for_frame_fills(tmp_path, datagen_in_process):
    base = write_base(tmp_path / "base.txt", [PACK])
    proc = datagen_in_process(
        "masked-sentences", base, "--out", tmp_path / "out", "--per-type", "--fill", "word",
        "--type-contrast", "1", "--base-url", "http://127.0.0.1:9/v1", "--model", "m",
    )  # fmt: skip
    assert_clean_error(proc, "--type-contrast")


def test_answers_off_the_frame_and_copies_are_failures_without_retries(
    tmp_path, datagen_in_process
):
    """A server that ignores the grammar answers prose (vLLM drops unknown fields); a word
    copied from the sentence with nothing else is no fill. Neither is retried."""
    base = write_base(tmp_path / "base.txt", [PACK, "I always tidy my desk before lunch."])

    def responder(request: dict) -> str:
        if "tidy" in _user(request):
            return "This person would say: I [MASK] tidy my desk."
        return frame_responder({"I": "pack", "E": "gladly"})(request)

    with FakeOpenAI(responder) as server:
        proc = datagen_in_process(
            "masked-sentences", base, "--out", tmp_path / "masked", "--per-type", "--slot",
            "offline", "--fill", "frame", *llm_args(server, tmp_path),
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert len(server.requests) == 32  # no validation retries
    ds, failures, _ = load(tmp_path / "masked")
    assert len(ds) == 8 and {r["target"] for r in ds} == {"gladly"}
    assert len(failures) == 24 and {f["stage"] for f in failures} == {"masked_frame"}
    reasons = {f["row_id"].split("-")[0]: f["reason"] for f in failures}
    assert "copy the sentence" in reasons["b00001"]
    assert "--fill word" in reasons["b00002"] and "grammar" in reasons["b00002"]


def test_a_server_that_rejects_the_grammar_is_one_line_naming_the_flag(
    tmp_path, datagen_in_process
):
    base = write_base(tmp_path / "base.txt", [PACK])
    reject = Fault.error(400, "Unrecognized request argument supplied: grammar")
    with FakeOpenAI(faults=lambda n, request: reject) as server:
        proc = datagen_in_process(
            "masked-sentences", base, "--out", tmp_path / "masked", "--per-type", "--slot",
            "offline", "--fill", "frame", *llm_args(server, tmp_path),
        )  # fmt: skip
    assert_clean_error(proc, "--fill word", "grammar")
    assert not (tmp_path / "masked").exists()


def test_korean_frame_has_hangul_in_the_grammar_and_the_fills(tmp_path, datagen_in_process):
    base = write_base(tmp_path / "ko.txt", ["나는 보통 계획을 세운다."])
    alts = [(" 미리", -1.0), (" [", -0.2), (" 계획을", -1.2), (" ab", -1.3), ("천", -1.4)]
    logprobs = llama_cpp_logprobs(raw_alternatives(" 천천히", alts))
    with FakeOpenAI(frame_responder({"*": "천천히"}), logprobs_fn=logprobs) as server:
        proc = datagen_in_process(
            "masked-sentences", base, "--out", tmp_path / "masked", "--lang", "ko",
            "--per-type", "--slot", "offline", "--fill", "frame", *llm_args(server, tmp_path),
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert server.requests[0]["grammar"] == 'root ::= "나는" " " [가-힣]+ " 계획을 세운다."'
    assert "Korean" in server.requests[0]["messages"][0]["content"]
    ds, failures, _ = load(tmp_path / "masked")
    assert failures == [] and len(ds) == 16
    assert [c["word"] for c in ds[0]["candidates"]] == ["천천히", "미리"]


def test_dry_run_counts_one_request_per_cell_and_sends_nothing(tmp_path, datagen_in_process):
    base = write_base(tmp_path / "base.txt", [PACK, "I always tidy my desk before lunch."])
    with FakeOpenAI() as server:
        proc = datagen_in_process(
            "masked-sentences", base, "--out", tmp_path / "masked", "--per-type", "--slot",
            "offline", "--fill", "frame", "--dry-run", *llm_args(server, tmp_path),
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "32 requests to send for 32 rows" in proc.stdout
    assert "one more request per word start" in proc.stdout
    assert server.requests == [] and not (tmp_path / "masked").exists()


def test_frame_with_the_batch_api_is_refused(tmp_path, datagen_in_process):
    base = write_base(tmp_path / "base.txt", [PACK])
    proc = datagen_in_process(
        "masked-sentences", base, "--out", tmp_path / "masked", "--per-type", "--fill", "frame",
        "--batch-api", "--base-url", "http://127.0.0.1:9/v1",
    )  # fmt: skip
    assert_clean_error(proc, "--fill word", "Batch API")


@pytest.mark.parametrize(
    ("masked", "grammar"),
    [
        ("[MASK] plans help me.", 'root ::= [a-zA-Z]+ " plans help me."'),
        ('She said "[MASK]" to me.', 'root ::= "She said \\"" [a-z]+ "\\" to me."'),
        ("I like \\ [MASK]", 'root ::= "I like \\\\" " " [a-z]+'),
    ],
)
def test_grammar_literals(masked, grammar):
    assert frame_grammar(masked, "en") == grammar


def test_framed_word_and_the_token_at_the_blank():
    masked = "I [MASK] pack my bag."
    assert framed_word(masked, "I would pack my", "en") == "would"
    with pytest.raises(ValueError, match="max-tokens"):
        framed_word(masked, "I wou", "en")
    with pytest.raises(ValueError, match="--fill word"):
        framed_word(masked, "I would like to pack my bag.", "en")
    glued = [{"token": "I w", "logprob": -0.1, "top_logprobs": []}, {"token": "ould"}]
    assert read_blank(masked, "would", glued, "en") is None  # no token starts at the blank
    assert read_blank(masked, "would", None, "en") is None
