"""Dataset cards: every data set that publish writes gets a README.md in the HF format."""

from __future__ import annotations

import yaml

from schemas.io import publish, to_dataset, write_dataset


def _header(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def test_a_published_data_set_gets_a_dataset_card(tmp_path):
    rows = [
        {"id": f"p{i}", "text": f"post {i}", "label": "INFJ" if i % 3 else "ESTP",
         "author": None, "is_silver": i > 40, "silver_score": None, "silver_query_id": None}
        for i in range(1500)
    ]  # fmt: skip
    manifest = {
        "command": "augment silver",
        "argv": ["/x/.venv/bin/augment", "silver", "posts.jsonl"],
        "inputs": {"posts.jsonl": "ab" * 32},
        "counts": {"gold": 41, "silver": 1459},
        "estimated_precision": {"precision": 0.8125, "selected": 16},
        "teacher": "logreg",
    }
    out = write_dataset(to_dataset(rows, "posts"), tmp_path / "balanced", manifest=manifest)
    card = (out / "README.md").read_text()
    header = _header(card)
    assert header["license"] == "unknown"
    assert header["language"] == ["en"]
    assert header["task_categories"] == ["text-classification"]
    assert header["size_categories"] == ["1K<n<10K"]
    assert header["pretty_name"] == "balanced"
    assert "`augment silver` (`augment silver posts.jsonl`)" in card
    assert "teacher: `logreg`" in card
    assert "`estimated_precision`: precision 0.8125, selected 16" in card
    assert "ESTP 500, INFJ 1000" in card
    assert "1500 rows" in card


def test_masked_rows_card_names_backend_model_and_prompt_hash(tmp_path):
    rows = [
        {"id": f"b{b}-{t}", "base_id": f"b{b}", "text": "다음 [MASK] 문장", "label": t,
         "target": "w", "candidates": [{"word": "w", "prob": 1.0}], "backend": "openai",
         "model": "gpt-x", "prompt_sha": "deadbeef"}
        for b in range(3) for t in ("INFJ", "ESTP")
    ]  # fmt: skip
    out = write_dataset(to_dataset(rows, "masked"), tmp_path / "masked", manifest={})
    card = (out / "README.md").read_text()
    assert _header(card)["task_categories"] == ["fill-mask"]
    assert _header(card)["language"] == ["ko"]
    assert "synthetic" in _header(card)["tags"]
    for needle in ("backend: `openai`", "model: `gpt-x`", "prompt_sha: `deadbeef`"):
        assert needle in card


def test_no_card_without_a_data_set_and_none_over_an_existing_readme(tmp_path):
    with publish(tmp_path / "plain", manifest={}) as output:
        output.json("summary.json", {"a": 1})
    assert not (tmp_path / "plain" / "README.md").exists()
    rows = [{"id": "1", "text": "t", "lang": "en"}]
    with publish(tmp_path / "own", manifest={}) as output:
        output.dataset(to_dataset(rows, "base_sentences"))
        (output.dir / "README.md").write_text("mine")
    assert (tmp_path / "own" / "README.md").read_text() == "mine"
