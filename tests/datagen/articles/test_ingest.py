"""``datagen ingest``: the sample corpus, every supported format, and every bad input."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import datasets
import pandas as pd
import pytest

from datagen.articles.readers import ReadOptions, markdown_to_text, read_articles
from schemas.errors import InputError
from tests.support.cli import assert_clean_error

NOW = "2026-01-01T00:00:00+00:00"
COOKIE_PAGE = """<html><head><title>ENTJ at work | Site</title></head><body>
<div class="cookie">We use cookies to improve your experience. Accept all cookies.</div>
<nav><a href="/">Home</a> <a href="/types">Types</a></nav>
<article><h1>ENTJ at work</h1>
<p>ENTJs take charge of a meeting within minutes, and they like decisions more than debate.</p>
<p>Give them a goal and a deadline, and they will build a plan to reach both.</p></article>
<footer>Copyright 2024, all rights reserved.</footer></body></html>"""


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_ingest_cli_sample_corpus_labels_from_path(cli, sample_dir, tmp_path):
    out = tmp_path / "articles"
    proc = cli("datagen", "ingest", sample_dir / "articles", "--label-from", "path", "--out", out)
    assert proc.returncode == 0, proc.stderr
    ds = datasets.load_from_disk(str(out))
    assert len(ds) == 32
    assert len(set(ds["label"])) == 16 and None not in ds["label"]
    for row in ds:
        assert row["id"] == f"art-{row['sha256'][:16]}"
        assert row["sha256"] == hashlib.sha256(row["text"].encode()).hexdigest()
        assert row["title"] and not row["text"].startswith("#")
        assert Path(row["source"]).parent.name == row["label"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["articles"] == 32 and manifest["counts"]["labels"] == 16
    assert (out / "data.parquet").exists()


def test_label_from_path_skips_and_counts_unlabelled_files_in_a_folder(
    datagen_in_process, tmp_path
):
    root = tmp_path / "corpus"
    write(root / "README.md", "# About this corpus\n\nCollected from type pages.")
    write(root / "notes" / "todo.txt", "Check the sources again.")
    write(root / "INFJ" / "quiet.md", "# Quiet\n\nINFJs listen closely.")
    write(root / "estp-bold.txt", "ESTPs act first and plan later.")
    out = tmp_path / "articles"
    proc = datagen_in_process("ingest", root, "--label-from", "path", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "skipped 2 file(s) with no MBTI type in their path" in proc.stderr
    assert "README.md" in proc.stderr and "todo.txt" in proc.stderr
    ds = datasets.load_from_disk(str(out))
    assert sorted(ds["label"]) == ["ESTP", "INFJ"]
    counts = json.loads((out / "manifest.json").read_text())["counts"]
    assert counts["skipped_unlabelled"] == 2 and counts["articles"] == 2


def test_every_format_and_label_source(tmp_path):
    root = tmp_path / "corpus"
    write(root / "INTJ" / "plans.md", "# Plans\n\nINTJs plan\nfar ahead.\n\n## Growth\n\n- One.\n")
    write(root / "misc" / "front.md", "---\nlabel: isfp\ntitle: Art\n---\nISFPs paint *quietly*.")
    write(root / "misc" / "notes.txt", "A plain note about ENFPs.\n\nSecond paragraph here.")
    write(root / "misc" / "entj.html", COOKIE_PAGE)
    write(root / "rows.jsonl", '{"text": "Row one.", "label": "estp"}\n{"text": "Row two."}\n')
    mapped_csv = write(tmp_path / "mapped.csv", "body,type,heading\nA csv article.,INFP,Heading\n")
    pd.DataFrame({"text": ["From parquet."], "label": ["ISTJ"]}).to_parquet(root / "t.parquet")
    write(root / "ignored.pdf", b"%PDF-1.4")

    result = read_articles([root], ReadOptions(), fetched_at=NOW)
    by_text = {r["text"]: r for r in result.rows}
    assert by_text["INTJs plan far ahead.\nGrowth\nOne."]["title"] == "Plans"
    assert by_text["INTJs plan far ahead.\nGrowth\nOne."]["label"] is None  # no field to read
    assert by_text["ISFPs paint quietly."]["label"] == "ISFP"  # front matter
    assert by_text["ISFPs paint quietly."]["title"] == "Art"
    assert by_text["A plain note about ENFPs.\nSecond paragraph here."]["title"] == ""
    html = next(r for r in result.rows if r["source"].endswith("entj.html"))
    assert html["title"] == "ENTJ at work"
    assert html["text"].startswith("ENTJs take charge") and "cookies" not in html["text"]
    assert "rights reserved" not in html["text"]
    assert by_text["Row one."]["label"] == "ESTP" and by_text["Row two."]["label"] is None
    assert by_text["From parquet."]["label"] == "ISTJ"
    assert result.counts["skipped_files"] == 1  # the .pdf
    assert result.counts["table_rows"] == 3  # jsonl 2 + parquet 1
    # The CSV has no "text" column: mapped with --text-col / --label-col / --title-col.
    mapped = read_articles(
        [mapped_csv],
        ReadOptions(text_col="body", label_col="type", title_col="heading"),
        fetched_at=NOW,
    )
    assert [(r["text"], r["label"], r["title"]) for r in mapped.rows] == [
        ("A csv article.", "INFP", "Heading")
    ]
    by_path = read_articles([root / "INTJ"], ReadOptions(label_from="path"), fetched_at=NOW)
    assert [r["label"] for r in by_path.rows] == ["INTJ"]
    unlabelled = read_articles(
        [root / "rows.jsonl"], ReadOptions(label_from="none"), fetched_at=NOW
    )
    assert [r["label"] for r in unlabelled.rows] == [None, None]
    again = read_articles([root], ReadOptions(), fetched_at=NOW)
    assert [r["id"] for r in again.rows] == [r["id"] for r in result.rows]  # stable ids


def test_markdown_reduced_to_plain_paragraphs():
    title, text = markdown_to_text(
        "# The Title\n\nA *very* **bold** [link](http://x) and `code`,\nwrapped.\n\n"
        "![img](a.png)\n\n> Quoted line.\n\n1. First item\n2. Second item\n\n---\n"
    )
    assert title == "The Title"
    assert text.splitlines() == [
        "A very bold link and code, wrapped.",
        "Quoted line.",
        "First item",
        "Second item",
    ]


def test_ingest_cli_writes_mapped_csv_and_counts_duplicates(datagen_in_process, tmp_path):
    src = write(tmp_path / "a.csv", "body,kind\nSame text.,INFJ\nSame text.,INFJ\nOther.,\n")
    out = tmp_path / "articles"
    proc = datagen_in_process(
        "ingest", src, "--out", out, "--text-col", "body", "--label-col", "kind"
    )
    assert proc.returncode == 0, proc.stderr
    counts = json.loads((out / "manifest.json").read_text())["counts"]
    assert counts["articles"] == 2 and counts["dropped_duplicate_articles"] == 1
    assert counts["labelled"] == 1 and counts["unlabelled"] == 1


UNKNOWN_LABEL_JSONL = '{"text": "a", "label": "INFJ"}\n{"text": "b", "label": "ISXJ"}\n'
BAD_INPUTS = {
    "missing file": (lambda d: d / "nope.md", [], ["nope.md", "no such file"]),
    "empty file": (lambda d: write(d / "empty.md", ""), [], ["empty.md", "empty"]),
    "empty csv": (lambda d: write(d / "empty.csv", ""), [], ["empty.csv", "empty"]),
    "not utf-8": (
        lambda d: write(d / "latin.md", "# Caf\xe9\n\nDéjà vu.".encode("latin-1")),
        [],
        ["latin.md", "not UTF-8"],
    ),
    "csv without text column": (
        lambda d: write(d / "no_text.csv", "body,label\nSome text.,INFJ\n"),
        [],
        ["no_text.csv", "field 'text'", "--text-col"],
    ),
    "mapped text column missing": (
        lambda d: write(d / "no_body.csv", "text,label\nSome text.,INFJ\n"),
        ["--text-col", "body"],
        ["no_body.csv", "field 'body'"],
    ),
    "unknown label": (
        lambda d: write(d / "labels.jsonl", UNKNOWN_LABEL_JSONL),
        [],
        ["labels.jsonl", "row 2", "field 'label'", "ISXJ"],
    ),
    "jsonl line not json": (
        lambda d: write(d / "broken.jsonl", '{"text": "a"}\n{"text": "b",\n'),
        [],
        ["broken.jsonl", "row 2", "not JSON"],
    ),
    "no type in path": (
        lambda d: write(d / "misc" / "note.md", "# Note\n\nSome text."),
        ["--label-from", "path"],
        ["note.md", "no MBTI type"],
    ),
    "unknown --label-from": (
        lambda d: write(d / "ok.md", "# Ok\n\nSome text."),
        ["--label-from", "folder"],
        ["--label-from", "folder"],
    ),
    "unsupported file type": (
        lambda d: write(d / "doc.pdf", b"%PDF-1.4"),
        [],
        ["doc.pdf", "unsupported"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_ingest_bad_input_is_one_line_exit_2_and_writes_nothing(case, datagen_in_process, tmp_path):
    make, flags, needles = BAD_INPUTS[case]
    src = make(tmp_path / "in")
    out = tmp_path / "out" / "articles"
    proc = datagen_in_process("ingest", src, "--out", out, *flags)
    assert_clean_error(proc, *needles)
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_ingest_cli_refuses_a_non_empty_out_unless_overwrite(cli, datagen_in_process, tmp_path):
    src = write(tmp_path / "ENFP" / "a.md", "# A\n\nENFPs start projects.")
    out = tmp_path / "articles"
    write(out / "keep.txt", "precious")
    proc = cli("datagen", "ingest", src, "--out", out, "--label-from", "path")
    assert_clean_error(proc, str(out), "not empty", "--overwrite")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    proc = datagen_in_process("ingest", src, "--out", out, "--label-from", "path", "--overwrite")
    assert proc.returncode == 0, proc.stderr
    assert datasets.load_from_disk(str(out))["label"] == ["ENFP"]
    assert not (out / "keep.txt").exists()


def test_unknown_label_error_names_file_row_and_field(tmp_path):
    src = write(tmp_path / "x.csv", "text,mbti\nfine,INTP\nbad,XYZ\n")
    with pytest.raises(InputError) as err:
        read_articles([src], ReadOptions(label_col="mbti"), fetched_at=NOW)
    assert (err.value.file, err.value.row, err.value.field) == (str(src), 2, "mbti")
