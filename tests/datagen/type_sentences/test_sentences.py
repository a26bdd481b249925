"""``datagen sentences``: splitting (English, Korean), cleaning, dedup, masking, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pytest

from datagen.articles.readers import ReadOptions, read_articles
from datagen.articles.records import article_row
from datagen.type_sentences.clean import FilterConfig, SentenceFilter, is_boilerplate
from datagen.type_sentences.extract import extract_type_sentences
from datagen.type_sentences.split import split_sentences
from schemas.io import to_dataset, write_dataset
from schemas.text import detect_lang, normalize_sentence
from schemas.type_mentions import find_type_mentions
from tests.support.cli import assert_clean_error

NOW = "2026-01-01T00:00:00+00:00"


@pytest.fixture(scope="module")
def sample_articles(sample_dir: Path, tmp_path_factory) -> Path:
    """data/sample/articles ingested (labels from the folder names) as a saved data set."""
    rows = read_articles(
        [sample_dir / "articles"], ReadOptions(label_from="path"), fetched_at=NOW
    ).rows
    out = tmp_path_factory.mktemp("sentences") / "articles"
    write_dataset(to_dataset(rows, "articles"), out, manifest={})
    return out


def test_sentences_cli_on_the_sample_corpus(cli, sample_articles, tmp_path):
    out = tmp_path / "type_sentences"
    proc = cli("datagen", "sentences", sample_articles, "--out", out)
    assert proc.returncode == 0, proc.stderr
    ds = datasets.load_from_disk(str(out))
    articles = datasets.load_from_disk(str(sample_articles))
    label_of = dict(zip(articles["id"], articles["label"], strict=True))
    assert len(set(ds["label"])) == 16
    assert len(set(ds["id"])) == len(ds)
    assert all(label_of[a] == lab for a, lab in zip(ds["article_id"], ds["label"], strict=True))
    texts = ds["text"]
    assert not [t for t in texts if find_type_mentions(t)]  # every mention masked
    assert any("[TYPE]" in t for t in texts)
    assert not [t for t in texts if is_boilerplate(t)]
    assert not [t for t in texts if "Share this article" in t or t.startswith("Tags:")]
    counts = json.loads((out / "manifest.json").read_text())["counts"]
    assert counts["articles"] == 32 and counts["sentences"] == len(ds)
    assert counts["masked_mentions"] >= counts["sentences_with_masks"] > 0
    assert counts["dropped_boilerplate"] > 0 and counts["dropped_no_end_punct"] > 0
    dropped = sum(v for k, v in counts.items() if k.startswith("dropped_"))
    assert counts["sentences_split"] == counts["sentences"] + dropped


def test_no_mask_types_keeps_mentions(datagen_in_process, sample_articles, tmp_path):
    out = tmp_path / "unmasked"
    proc = datagen_in_process(
        "sentences", sample_articles, "--out", out, "--no-mask-types", "--near-dup", "1.0"
    )
    assert proc.returncode == 0, proc.stderr
    ds = datasets.load_from_disk(str(out))
    assert not any("[TYPE]" in t for t in ds["text"])
    assert any("INFJ" in t for t in ds["text"])
    counts = json.loads((out / "manifest.json").read_text())["counts"]
    assert counts["masked_mentions"] == 0 and "dropped_near_duplicate" not in counts


def test_korean_articles_split_with_kss_and_masked(sample_dir):
    articles = read_articles(
        [sample_dir / "ko"], ReadOptions(label_from="path"), fetched_at=NOW
    ).rows
    assert {detect_lang(a["text"]) for a in articles} == {"ko"}
    result = extract_type_sentences(articles, FilterConfig(), lang="auto")
    assert result.counts["articles_ko"] == 4
    texts = [r["text"] for r in result.rows]
    assert len(texts) >= 8 * 4  # several sentences per article, not one per paragraph
    assert all(t.endswith(("다.", "다", "요.", ".", "?", "!", '"')) for t in texts[:5])
    assert not [t for t in texts if find_type_mentions(t)]  # INFP and 인프피 alike
    assert result.counts["masked_mentions"] > 0
    assert split_sentences("첫 번째 문장이다. 두 번째 문장이다.\n세 번째다.", "ko") == [
        "첫 번째 문장이다.",
        "두 번째 문장이다.",
        "세 번째다.",
    ]


def test_english_split_respects_abbreviations_and_lines():
    text = "Dr. Smith met an INTJ, i.e. a planner. They talked.\nA heading\nLast one!"
    assert split_sentences(text, "en") == [
        "Dr. Smith met an INTJ, i.e. a planner.",
        "They talked.",
        "A heading",
        "Last one!",
    ]
    assert detect_lang("INFP는 조용하지만 생각이 많다.") == "ko"
    assert detect_lang("INFPs are quiet (조용한).") == "en"


def test_normalize_sentence():
    assert normalize_sentence("• “Quoted”\u00a0text’s  end\u200b…") == '"Quoted" text\'s end...'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Share this article", True),
        ("Read more", True),
        ("Related: INFJ vs INFP, the Ni-Fe loop explained", True),
        ("Tags: ISTJ, Si, Te, personality", True),
        ("We use cookies to improve your experience and to show personalised ads.", True),
        ("Subscribe to our newsletter for a new article every week.", True),
        ("© 2024 TypeNotes. All rights reserved.", True),
        ("Visit https://example.org for more.", True),
        ("이 글을 공유하기", True),
        ("INFJs read more novels than most people think.", False),
        ("They share their lunch with anyone who forgot theirs.", False),
    ],
)
def test_boilerplate(text, expected):
    assert is_boilerplate(text) is expected


def test_filter_drops_by_reason_and_counts():
    keep = SentenceFilter(FilterConfig(min_words=4, max_words=12, min_chars=5, max_chars=20))
    long_en = "This sentence has far too many words to be kept by a filter set to twelve."
    verdicts = {
        "ok": keep("INFJs plan quietly for years ahead.", "en"),
        "short": keep("ENFJs combine Fe.", "en"),  # masked: 2 real words left
        "long": keep(long_en, "en"),
        "heading": keep("Cognitive functions of the type", "en"),
        "boilerplate": keep("Share this article", "en"),
        "duplicate": keep("infjs plan quietly, for years ahead!", "en"),
        "ko_short": keep("짧다.", "ko"),
        "ko_long": keep(
            "이 문장은 공백을 빼고도 스무 글자가 훨씬 넘는 아주 긴 한국어 문장이다.", "ko"
        ),
        "ko_ok": keep("인프피는 혼자 쉬어야 힘이 난다.", "ko"),
    }
    assert verdicts["ok"].text == "[TYPE] plan quietly for years ahead."
    assert verdicts["ok"].n_masked == 1
    assert verdicts["ko_ok"].text == "[TYPE]는 혼자 쉬어야 힘이 난다."
    assert {k: v.reason for k, v in verdicts.items() if v.reason} == {
        "short": "too_short",
        "long": "too_long",
        "heading": "no_end_punct",
        "boilerplate": "boilerplate",
        "duplicate": "duplicate",
        "ko_short": "too_short",
        "ko_long": "too_long",
    }
    assert keep.counts["kept"] == 2 and keep.counts["masked_mentions"] == 2
    assert keep.counts["dropped_too_short"] == 2 and keep.counts["dropped_duplicate"] == 1


def test_near_duplicates_removed_above_threshold_only():
    base = "An ESTJ builds a schedule for the whole family before the holiday even starts."
    near = "An ESTJ builds a schedule for the whole family before the holidays even start."
    other = "An ESTJ rarely enjoys a meeting that ends without a clear decision."
    keep = SentenceFilter(FilterConfig(near_duplicate=0.8))
    assert [keep(s, "en").reason for s in (base, near, other)] == [None, "near_duplicate", None]
    exact_only = SentenceFilter(FilterConfig(near_duplicate=1.0))
    assert [exact_only(s, "en").reason for s in (base, near, other)] == [None, None, None]


def test_unlabelled_articles_are_skipped_and_counted():
    rows = [
        article_row(text="INTPs love a good theory.", label="INTP", title="", source="a",
                    fetched_at=NOW),
        article_row(text="Nobody knows this author's type.", label=None, title="", source="b",
                    fetched_at=NOW),
    ]  # fmt: skip
    result = extract_type_sentences(rows, FilterConfig())
    assert [r["label"] for r in result.rows] == ["INTP"]
    assert result.counts["skipped_unlabelled_articles"] == 1


def _unlabelled_articles(d: Path) -> Path:
    rows = [article_row(text="Who knows.", label=None, title="", source="x", fetched_at=NOW)]
    write_dataset(to_dataset(rows, "articles"), d / "unlabelled", manifest={})
    return d / "unlabelled"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


BAD_INPUTS = {
    "missing articles": (lambda d: d / "nope", [], ["nope", "no such file"]),
    "no text column": (
        lambda d: _write(d / "a.jsonl", '{"id": "a1", "body": "x", "label": "INFJ"}\n'),
        [],
        ["a.jsonl", "field 'text'"],
    ),
    "empty text in a row": (
        lambda d: _write(d / "a.jsonl", '{"id": "a1", "text": "ok.", "sha256": "s"}\n'
                                        '{"id": "a2", "text": "", "sha256": "s"}\n'),
        [],
        ["a.jsonl", "row 2", "field 'text'"],
    ),
    "not json": (lambda d: _write(d / "a.jsonl", "{oops\n"), [], ["a.jsonl", "row 1"]),
    "bad --near-dup": (_unlabelled_articles, ["--near-dup", "1.5"], ["--near-dup", "1.5"]),
    "bad --lang": (_unlabelled_articles, ["--lang", "fr"], ["--lang", "fr"]),
    "bad lengths": (_unlabelled_articles, ["--min-words", "9", "--max-words", "3"], ["min-"]),
    "nothing labelled": (_unlabelled_articles, [], ["unlabelled", "no sentences kept"]),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_sentences_bad_input_is_one_line_exit_2_and_writes_nothing(
    case, datagen_in_process, tmp_path
):
    make, flags, needles = BAD_INPUTS[case]
    src = make(tmp_path)
    out = tmp_path / "out" / "type_sentences"
    proc = datagen_in_process("sentences", src, "--out", out, *flags)
    assert_clean_error(proc, *needles)
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_sentences_refuse_a_non_empty_out(datagen_in_process, sample_articles, tmp_path):
    out = _write(tmp_path / "type_sentences" / "x.txt", "keep").parent
    proc = datagen_in_process("sentences", sample_articles, "--out", out)
    assert_clean_error(proc, "not empty", "--overwrite")
    assert [p.name for p in out.iterdir()] == ["x.txt"]
