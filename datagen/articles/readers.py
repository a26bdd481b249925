"""Read local files and folders into ``articles`` rows.

Documents (``.html``/``.htm``, ``.md``/``.markdown``, ``.txt``) are one article each; tables
(``.jsonl``, ``.json``, ``.csv``, ``.tsv``, ``.parquet`` or a ``save_to_disk`` folder) are one
article per row. The label comes from a field (``label_from="field"``: a table column, or a
Markdown front-matter key), from a type name in the file or folder names
(``label_from="path"``), or stays null (``"none"``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tqdm import tqdm

from datagen.articles.html import extract_page_text
from datagen.articles.records import article_row, find_type_name
from schemas.errors import InputError
from schemas.io import TABLE_SUFFIXES, is_saved_dataset, read_table
from schemas.labels import MBTI
from schemas.options import option

LabelFrom = Literal["field", "path", "none"]
DOC_SUFFIXES = (".html", ".htm", ".md", ".markdown", ".txt")
# Tables picked up when walking a folder (.json is only read when named explicitly, so that
# stray metadata files in a folder are not mistaken for data).
FOLDER_TABLE_SUFFIXES = (".jsonl", ".csv", ".tsv", ".parquet")


@dataclass(frozen=True)
class ReadOptions:
    """How to find text, title and label in the inputs (the ``datagen ingest`` flags)."""

    options_panel = "Columns"

    label_from: str = option(
        "field",
        help="field: a table column / Markdown front-matter key (--label-col); path: a type "
        "name in the file or folder name (articles/INFJ/x.md -> INFJ); none: null labels.",
        choices=("field", "path", "none"),
    )
    label_col: str = option("label", help="Column holding the type.")
    text_col: str = option("text", help="Column holding the article text.")
    title_col: str = option("title", help="Column holding the title.")


@dataclass
class ReadResult:
    rows: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    unlabelled: list[Path] = field(default_factory=list)


def read_articles(
    paths: Sequence[str | Path], options: ReadOptions, *, fetched_at: str, progress: bool = False
) -> ReadResult:
    """Read every file under ``paths`` into article rows (in a stable, sorted order).

    With ``label_from="path"``, a file found in a folder with no type in its path (a README)
    is skipped and listed in ``unlabelled``; a file named directly is an error.
    """
    result = ReadResult()
    named = {Path(p) for p in paths}
    files = [f for p in paths for f in _input_files(Path(p), result.counts)]
    if options.label_from == "path":
        result.unlabelled = [f for f in files if f not in named and _type_in_path(f) is None]
        result.counts["skipped_unlabelled"] = len(result.unlabelled)
        files = [f for f in files if f not in result.unlabelled]
    for path in tqdm(files, desc="reading", unit="file", disable=not progress):
        if path.is_dir() or path.suffix.lower() in TABLE_SUFFIXES:
            rows = _read_table_articles(path, options, fetched_at)
            result.counts["table_rows"] += len(rows)
            result.rows.extend(rows)
        else:
            row = _read_document(path, options, fetched_at)
            if row is None:
                result.counts["skipped_no_text"] += 1
            else:
                result.rows.append(row)
    return result


def _input_files(path: Path, counts: Counter[str]) -> Iterator[Path]:
    if not path.exists():
        raise InputError("no such file or directory", file=path)
    if path.is_file() or is_saved_dataset(path):
        if path.is_file() and path.suffix.lower() not in DOC_SUFFIXES + TABLE_SUFFIXES:
            raise InputError(
                f"unsupported file type {path.suffix!r} "
                f"(use {', '.join(DOC_SUFFIXES + TABLE_SUFFIXES)})",
                file=path,
            )
        yield path
        return
    wanted = DOC_SUFFIXES + FOLDER_TABLE_SUFFIXES
    found = 0
    for f in sorted(path.rglob("*")):
        rel = f.relative_to(path).parts
        if any(part.startswith(".") for part in rel) or not f.is_file():
            continue
        if f.suffix.lower() in wanted:
            found += 1
            yield f
        else:
            counts["skipped_files"] += 1
    if not found:
        raise InputError(f"folder has no readable files ({', '.join(wanted)})", file=path)


def _read_text(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            f"is not UTF-8 text (undecodable byte at offset {err.start}); re-save it as UTF-8",
            file=path,
        ) from None
    if not text.strip():
        raise InputError("is empty", file=path)
    return text


def _type_in_path(path: Path) -> str | None:
    # The path as given (not resolved), so folders above what the user named never count.
    return find_type_name([path.stem, *(p.name for p in path.parents)])


def _path_label(path: Path) -> str:
    label = _type_in_path(path)
    if label is None:
        raise InputError(
            "no MBTI type in the file name or its folder names (--label-from path)", file=path
        )
    return label


def _parse_label(value: Any, *, file: Path, row: int | None, field_name: str) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return MBTI.parse(value)
    except InputError as err:
        raise err.at(file=file, row=row, field=field_name) from None


def _read_document(path: Path, options: ReadOptions, fetched_at: str) -> dict[str, Any] | None:
    raw = _read_text(path)
    suffix = path.suffix.lower()
    fields: dict[str, str] = {}
    if suffix in (".html", ".htm"):
        page = extract_page_text(raw)
        title, text = page.title, page.text
    elif suffix in (".md", ".markdown"):
        fields, body = split_front_matter(raw)
        title, text = markdown_to_text(body)
        title = fields.get(options.title_col, title)
    else:
        title, text = "", plain_text_paragraphs(raw)
    if not text:
        return None
    if options.label_from == "path":
        label = _path_label(path)
    elif options.label_from == "field":
        label = _parse_label(
            fields.get(options.label_col), file=path, row=None, field_name=options.label_col
        )
    else:
        label = None
    return article_row(text=text, label=label, title=title, source=str(path), fetched_at=fetched_at)


def _read_table_articles(path: Path, options: ReadOptions, fetched_at: str) -> list[dict]:
    columns = {"text": options.text_col, "title": options.title_col}
    if options.label_from == "field":
        columns["label"] = options.label_col
    ds = read_table(path, columns=columns, required=["text"])
    path_label = _path_label(path) if options.label_from == "path" else None
    has = set(ds.column_names)
    rows = []
    for i, rec in enumerate(ds, start=1):
        text = rec["text"]
        if not isinstance(text, str) or not text.strip():
            raise InputError("empty or missing text", file=path, row=i, field=options.text_col)
        if options.label_from == "field" and "label" in has:
            label = _parse_label(rec["label"], file=path, row=i, field_name=options.label_col)
        else:
            label = path_label
        url = rec.get("url") if "url" in has else None
        rows.append(
            article_row(
                text=plain_text_paragraphs(text),
                label=label,
                title=str(rec.get("title") or "") if "title" in has else "",
                source=str(path),
                url=str(url) if url else None,
                fetched_at=fetched_at,
            )
        )
    return rows


def split_front_matter(raw: str) -> tuple[dict[str, str], str]:
    """``---``-fenced ``key: value`` lines at the top of a Markdown file, and the body."""
    lines = raw.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}, raw
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            fields = {}
            for line in lines[1:end]:
                key, sep, value = line.partition(":")
                if sep:
                    fields[key.strip()] = value.strip().strip("\"'")
            return fields, "\n".join(lines[end + 1 :])
    return {}, raw


_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|\*|`|(?<!\w)__?)(?=\S)(.+?)(?<=\S)\1")


def _md_inline(text: str) -> str:
    text = _MD_IMAGE.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    return _MD_EMPHASIS.sub(r"\2", text)


def markdown_to_text(body: str) -> tuple[str, str]:
    """Title (the first ``# `` heading) and plain text, one paragraph/heading/item per line."""
    title = ""
    blocks: list[str] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(" ".join(para))
            para.clear()

    for line in body.splitlines():
        stripped = line.strip().lstrip(">").strip()
        heading = _MD_HEADING.match(stripped)
        if not stripped or set(stripped) <= set("-*_=`~|: "):
            flush()
        elif heading:
            flush()
            if heading.group(1) == "#" and not title:
                title = _md_inline(heading.group(2))
            else:
                blocks.append(_md_inline(heading.group(2)))
        elif _MD_ITEM.match(stripped):
            flush()
            para.append(_md_inline(_MD_ITEM.sub("", stripped)))
        else:
            para.append(_md_inline(stripped))
    flush()
    return title, "\n".join(" ".join(b.split()) for b in blocks if b.strip())


def plain_text_paragraphs(raw: str) -> str:
    """Join hard-wrapped lines: one paragraph (blank-line separated block) per line."""
    paragraphs = re.split(r"\n\s*\n", raw.replace("\r\n", "\n"))
    return "\n".join(" ".join(p.split()) for p in paragraphs if p.strip())
