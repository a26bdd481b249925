"""Inputs are read-only: no datagen command writes anything under an input path."""

from __future__ import annotations

from pathlib import Path


def snapshot(*roots: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``roots`` with its size and modification time."""
    files = [p for root in roots for p in ([root] if root.is_file() else root.rglob("*"))]
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in files if p.is_file()}


def test_commands_leave_their_inputs_untouched(tmp_path, sample_dir, datagen_in_process):
    articles, sentences = tmp_path / "articles", tmp_path / "type_sentences"
    base_txt = tmp_path / "base.txt"
    lines = (sample_dir / "base_sentences.txt").read_text(encoding="utf-8").splitlines()[:6]
    base_txt.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ingest = ("ingest", sample_dir / "articles", "--label-from", "path", "--out", articles)
    assert datagen_in_process(*ingest).returncode == 0
    before = snapshot(articles, base_txt, sample_dir)
    steps = [
        ("sentences", articles, "--out", sentences),
        ("base-sentences", "--from", base_txt, "--out", tmp_path / "base", "--no-progress"),
        ("masked-sentences", tmp_path / "base", "--articles", articles,
         "--out", tmp_path / "masked", "--no-progress"),
    ]  # fmt: skip
    for args in steps:
        proc = datagen_in_process(*args)
        assert proc.returncode == 0, proc.stderr
    assert snapshot(articles, base_txt, sample_dir) == before
    assert sorted(p.name for p in articles.iterdir()) == [
        "README.md", "data-00000-of-00001.arrow", "data.parquet", "dataset_info.json",
        "manifest.json", "state.json",
    ]  # fmt: skip
