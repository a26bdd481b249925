"""A data set's card names the language codes of its rows, also when ``--lang auto`` found
them (``datagen sentences``)."""

from __future__ import annotations

import yaml

from tests.support.cli import run_cli


def _card_languages(directory) -> list[str]:
    card = (directory / "README.md").read_text(encoding="utf-8")
    return yaml.safe_load(card.split("---\n")[1])["language"]


def test_sentences_card_carries_the_detected_language_codes(tmp_path, sample_dir):
    articles = tmp_path / "articles"
    proc = run_cli(
        "datagen", "ingest", sample_dir / "articles" / "INFJ", sample_dir / "ko" / "INFP",
        "--label-from", "path", "--out", articles,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    both, korean = tmp_path / "both", tmp_path / "korean"
    proc = run_cli("datagen", "sentences", articles, "--out", both)
    assert proc.returncode == 0, proc.stderr
    assert _card_languages(both) == ["en", "ko"]

    proc = run_cli("datagen", "sentences", articles, "--out", korean, "--lang", "ko")
    assert proc.returncode == 0, proc.stderr
    assert _card_languages(korean) == ["ko"]
