"""``masked-sentences --per-type --articles``: the per-type prompts describe the type by sentences
of its own articles (``--type-context``, templates v2) instead of naming it; ``--type-context 0``
is the prompt as before (templates v1, the same prompt_sha)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from datagen.masked.offline.type_texts import load_type_texts
from datagen.masked.type_context import choose_context, context_pools
from schemas.labels import MBTI
from schemas.type_mentions import find_type_mentions, mask_type_mentions
from tests.datagen.masked.offline_fixtures import articles_from_markdown
from tests.datagen.masked.test_frame_mode import PACK, raw_alternatives
from tests.datagen.masked.test_masked_sentences import llm_args, load, write_base
from tests.support.cli import assert_clean_error
from tests.support.fake_openai import FakeOpenAI, llama_cpp_logprobs

SENTENCES = [PACK, "I always tidy my desk before lunch."]
MODES = ("list", "word", "frame")
# The v1 templates' prompt_sha before --type-context existed: they must not change.
V1_SHA = {"list": "dee8e777b580", "word": "2a6e04def262", "frame": "e7fc39a6755f"}
_START = re.compile(r'"((?:[^"\\]|\\.)*)" \[[^\]]*\]\*')


def _user(request: dict) -> str:
    return request["messages"][1]["content"]


def context_lines(request: dict) -> list[str]:
    return re.findall(r"^- (.*)$", _user(request), re.M)


def masked_line(request: dict) -> str:
    return next(line for line in _user(request).splitlines() if "[MASK]" in line)


def masked_articles(root: Path) -> dict[str, str]:
    """Each type's article text as the prompts may quote it: type names masked."""
    return {
        label: "\n".join(
            mask_type_mentions(p.read_text(encoding="utf-8")).text
            for p in sorted((root / label).glob("*.md"))
        )
        for label in MBTI.labels
    }


def owner(lines: list[str], texts: dict[str, str]) -> str | None:
    """The one type whose article text holds every line (``None``: none or several)."""
    owners = [label for label, text in texts.items() if all(line in text for line in lines)]
    return owners[0] if len(owners) == 1 and lines else None


def context_responder(texts: dict[str, str]):
    """Answers in every fill mode with a word that follows the type the context describes
    (``quietly`` for I types, ``loudly`` for E types; ``unknown`` when the context is no one
    type's): the fills can only follow the type if each row got its own type's sentences."""

    def respond(request: dict) -> str:
        label = owner(context_lines(request), texts)
        word = "unknown" if label is None else {"I": "quietly", "E": "loudly"}[label[0]]
        if "grammar" in request:
            start = _START.search(request["grammar"])
            return masked_line(request).replace("[MASK]", start.group(1) if start else word)
        if "candidates" in _user(request):
            return json.dumps({"candidates": [{"word": word, "prob": 1.0}]})
        return json.dumps({"word": word})

    return respond


def run_masked(datagen_in_process, server, base, out, tmp_path, mode, *extra):
    return datagen_in_process(
        "masked-sentences", base, "--out", out, "--per-type", "--slot", "offline", "--fill",
        mode, "--response-format", "json_object", *llm_args(server, tmp_path), *extra,
    )  # fmt: skip


@pytest.fixture
def articles(sample_dir, tmp_path) -> Path:
    return articles_from_markdown(sample_dir / "articles", tmp_path / "articles")


@pytest.mark.parametrize("mode", MODES)
def test_each_type_is_described_by_its_own_article_sentences_and_never_named(
    mode, articles, sample_dir, tmp_path, datagen_in_process
):
    texts = masked_articles(sample_dir / "articles")
    base = write_base(tmp_path / "base.txt", SENTENCES)
    # frame: a second word start at the blank, continued by one more request per cell
    logprobs = llama_cpp_logprobs(raw_alternatives(" quietly", [(" happily", -1.5)]))
    with FakeOpenAI(context_responder(texts), logprobs_fn=logprobs) as server:
        for out in (tmp_path / "masked", tmp_path / "again"):
            proc = run_masked(datagen_in_process, server, base, out, tmp_path, mode,
                              "--articles", articles)  # fmt: skip
            assert proc.returncode == 0, proc.stderr
            first = [r for r in server.requests if not _START.search(r.get("grammar", ""))]
            assert len(first) == 2 * 16  # the rerun: every request served from the cache
    for request in server.requests:
        assert find_type_mentions(json.dumps(request["messages"])) == [], _user(request)
        assert "MBTI" not in _user(request) and "[TYPE]" in _user(request)
    cells: dict[str, dict[str, tuple[str, ...]]] = {}
    for request in first:
        lines = context_lines(request)
        label = owner(lines, texts)
        assert len(lines) == 3 and label is not None, _user(request)
        by_type = cells.setdefault(masked_line(request), {})
        assert label not in by_type  # each type asked once per sentence
        by_type[label] = tuple(lines)
    assert len(cells) == 2
    for by_type in cells.values():
        assert set(by_type) == set(MBTI.labels)
        assert len(set(by_type.values())) == 16  # different sentences for different types
    one, other = cells.values()
    assert one != other  # and per sentence
    continued = [r for r in server.requests if _START.search(r.get("grammar", ""))]
    assert len(continued) == (8 * 2 if mode == "frame" else 0)  # the I types' ' happily'
    for request in continued:  # the same type's sentences as the cell's first request
        label = owner(context_lines(request), texts)
        assert cells[masked_line(request)][label] == tuple(context_lines(request))
    ds, failures, manifest = load(tmp_path / "masked")
    assert failures == [] and len(ds) == 32
    for row in ds:
        assert row["target"] == {"I": "quietly", "E": "loudly"}[row["label"][0]], row
    assert manifest["type_probe"]["axis_accuracy"]["E/I"] == 1.0
    contrast = {"type_contrast": 0.0} if mode == "frame" else {}
    assert manifest["per_type"] == {"slot": "offline", "fill": mode, "type_context": 3,
                                    "type_context_seed": 0, **contrast}  # fmt: skip
    template = {"list": "masked_per_type", "word": "masked_word", "frame": "masked_frame"}[mode]
    assert f"{template}.v2.txt" in manifest["prompt_templates"]
    assert set(ds["prompt_sha"]) == {manifest["prompt_sha"]} != {V1_SHA[mode]}
    report = (tmp_path / "masked" / "report.md").read_text()
    assert "by 3 sentences of its own articles" in report


@pytest.mark.parametrize("mode", MODES)
def test_type_context_0_is_the_prompt_as_before(
    mode, articles, sample_dir, tmp_path, datagen_in_process
):
    """With ``--type-context 0`` the prompts are those of a run without articles: the type
    named (template v1), the same prompt_sha as before."""
    base = write_base(tmp_path / "base.txt", [PACK])
    responder = context_responder(masked_articles(sample_dir / "articles"))
    sent = {}
    with FakeOpenAI(responder, logprobs_fn=lambda request, content: None) as server:
        for name, extra in (("plain", []), ("off", ["--articles", articles, "--type-context", 0])):
            before = len(server.requests)
            cache = ["--cache-file", tmp_path / f"{name}.sqlite"]
            proc = run_masked(datagen_in_process, server, base, tmp_path / name, tmp_path,
                              mode, *extra, *cache)  # fmt: skip
            assert proc.returncode == 0, proc.stderr
            sent[name] = sorted(json.dumps(r["messages"]) for r in server.requests[before:])
            manifest = json.loads((tmp_path / name / "manifest.json").read_text())
            assert manifest["prompt_sha"] == V1_SHA[mode]
            assert manifest["per_type"]["type_context"] == 0
            assert "own articles" not in (tmp_path / name / "report.md").read_text()
    assert len(sent["off"]) == 16 and sent["off"] == sent["plain"]
    assert any("A person of the MBTI type ISTJ" in m for m in sent["off"])  # named, as in v1


def test_a_type_without_sentences_stops_before_any_request(
    sample_dir, tmp_path, datagen_in_process
):
    md = tmp_path / "md"
    for label in MBTI.labels[1:]:  # no ISTJ
        (md / label).mkdir(parents=True)
        for path in (sample_dir / "articles" / label).glob("*.md"):
            (md / label / path.name).write_text(path.read_text(encoding="utf-8"))
    articles = articles_from_markdown(md, tmp_path / "articles")
    base = write_base(tmp_path / "base.txt", [PACK])
    with FakeOpenAI() as server:
        proc = run_masked(datagen_in_process, server, base, tmp_path / "masked", tmp_path,
                          "frame", "--articles", articles)  # fmt: skip
        assert server.requests == []
    assert_clean_error(proc, "--type-context", "ISTJ")
    assert not (tmp_path / "masked").exists()


def test_dry_run_counts_the_context_in_the_prompt_tokens(articles, tmp_path, datagen_in_process):
    base = write_base(tmp_path / "base.txt", SENTENCES)
    estimates = {}
    with FakeOpenAI() as server:
        for n in (0, 3):
            proc = run_masked(datagen_in_process, server, base, tmp_path / "masked", tmp_path,
                              "frame", "--articles", articles, "--type-context", n,
                              "--dry-run")  # fmt: skip
            assert proc.returncode == 0, proc.stderr
            assert "32 requests" in proc.stdout
            tokens = re.search(r"~([\d,]+) prompt", proc.stdout).group(1)
            estimates[n] = int(tokens.replace(",", ""))
        assert server.requests == []
    assert estimates[3] > estimates[0] + 32 * 30


def test_the_choice_is_stable_masked_and_depends_on_sentence_and_type(tmp_path):
    path = tmp_path / "texts.jsonl"
    rows = [{"text": f"INFJs notice detail number {i} in a room. Ni sees patterns {i} times.",
             "label": "INFJ"} for i in range(10)]  # fmt: skip
    rows += [{"text": f"Someone of this type plans trip number {i} with care.", "label": t}
             for t in MBTI.labels if t != "INFJ" for i in range(4)]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    pools = context_pools(load_type_texts(path, "en"), "en")
    infj = pools["INFJ"]
    assert len(infj) == 20 and all("INFJ" not in s and " Ni " not in s for s in infj)
    assert any(s.startswith("[TYPE] notice") for s in infj)
    reversed_pools = context_pools(
        {label: list(reversed(texts)) for label, texts in load_type_texts(path, "en").items()},
        "en",
    )
    assert reversed_pools == pools  # the articles' order does not matter
    a = choose_context(infj, "I [MASK] pack.", "INFJ", 3)
    assert a == choose_context(infj, "I [MASK] pack.", "INFJ", 3) and len(set(a)) == 3
    others = {tuple(choose_context(infj, f"I [MASK] pack {i}.", "INFJ", 3)) for i in range(10)}
    assert len(others) > 5  # another sentence, (mostly) other sentences of the type
    assert choose_context(pools["ENTP"], "I [MASK] pack.", "ENTP", 9) == pools["ENTP"]
