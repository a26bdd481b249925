import json
import os

import datasets
import pytest

from schemas.errors import InputError
from schemas.io import (
    publish,
    read_table,
    to_dataset,
    validate_rows,
    write_dataset,
)
from schemas.manifest import Manifest


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".tsv", ".parquet", "dir"])
def test_read_table_every_format(tmp_path, suffix):
    rows = [{"body": "hello there", "type": "INFJ"}, {"body": "hi", "type": "ENTP"}]
    ds = datasets.Dataset.from_list(rows)
    path = tmp_path / f"t{suffix if suffix != 'dir' else ''}"
    if suffix == ".jsonl":
        _write(path, "\n".join(json.dumps(r) for r in rows))
    elif suffix in (".csv", ".tsv"):
        ds.to_csv(str(path), sep="\t" if suffix == ".tsv" else ",", index=False)
    elif suffix == ".parquet":
        ds.to_parquet(str(path))
    else:
        ds.save_to_disk(str(path))
    out = read_table(path, columns={"text": "body", "label": "type"}, required=["text", "label"])
    assert out["text"] == ["hello there", "hi"]
    assert out["label"] == ["INFJ", "ENTP"]


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_table(tmp_path / "nope.jsonl")


def test_empty_file(tmp_path):
    with pytest.raises(InputError, match="empty"):
        read_table(_write(tmp_path / "e.csv", ""))


def test_unreadable_encoding(tmp_path):
    path = _write(tmp_path / "latin.csv", "text,label\ncaf\xe9 au lait,INFJ\n", "latin-1")
    with pytest.raises(InputError, match="not UTF-8") as err:
        read_table(path)
    assert "latin.csv" in str(err.value)


def test_jsonl_line_that_is_not_json_names_the_row(tmp_path):
    path = _write(tmp_path / "bad.jsonl", '{"text": "a"}\n{"text": "b"}\n{oops\n')
    with pytest.raises(InputError) as err:
        read_table(path)
    assert err.value.row == 3
    assert "bad.jsonl: row 3" in str(err.value)


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_a_column_mixing_types_names_the_row_and_field(tmp_path, suffix):
    rows = [{"text": "a", "n": 1}, {"text": "b", "n": 2.5}, {"text": None}, {"text": ["c"]}]
    path = tmp_path / f"mixed{suffix}"
    if suffix == ".jsonl":
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    else:
        path.write_text(json.dumps(rows), encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_table(path)
    assert str(err.value) == (
        f"{path}: row 4: field 'text': is a list (['c']) but a string in row 1; "
        "a column must hold one type"
    )


def test_csv_without_text_column_names_the_field(tmp_path):
    path = _write(tmp_path / "p.csv", "body,label\nhello,INFJ\n")
    with pytest.raises(InputError) as err:
        read_table(path, required=["text"])
    assert err.value.field == "text"
    assert "--text-col" in str(err.value)


def test_mapped_column_that_does_not_exist(tmp_path):
    path = _write(tmp_path / "p.csv", "body,label\nhello,INFJ\n")
    with pytest.raises(InputError, match="no column 'content'"):
        read_table(path, columns={"text": "content"})


def test_validate_rows_names_row_and_field(tmp_path):
    ds = to_dataset(
        [
            {"id": "1", "base_id": "b", "text": "I [MASK] it", "label": "INFJ", "target": "x",
             "candidates": [{"word": "x", "prob": 1.0}], "backend": "o", "model": "m",
             "prompt_sha": "s"},
            {"id": "2", "base_id": "b", "text": "no mask here", "label": "INFJ", "target": "x",
             "candidates": [{"word": "x", "prob": 1.0}], "backend": "o", "model": "m",
             "prompt_sha": "s"},
        ],
        "masked",
    )  # fmt: skip
    with pytest.raises(InputError) as err:
        validate_rows(ds, "masked", file="m.jsonl")
    assert (err.value.row, err.value.field) == (2, "text")
    assert "exactly one [MASK]" in str(err.value)


def test_write_dataset_is_loadable_with_parquet_and_manifest(tmp_path):
    ds = to_dataset(
        [{"id": "1", "text": "hi", "label": "INFJ", "article_id": "a"}], "type_sentences"
    )
    manifest = Manifest("test", inputs=[]).finish(counts={"rows": 1})
    out = write_dataset(ds, tmp_path / "out", manifest=manifest)
    assert datasets.load_from_disk(str(out))["text"] == ["hi"]
    assert (out / "data.parquet").exists()
    saved = json.loads((out / "manifest.json").read_text())
    assert saved["counts"] == {"rows": 1}
    assert "versions" in saved and "argv" in saved


def test_existing_non_empty_out_needs_overwrite(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    ds = to_dataset([{"id": "1", "text": "t", "lang": "en"}], "base_sentences")
    with pytest.raises(InputError, match="--overwrite"):
        write_dataset(ds, out, manifest={})
    assert (out / "keep.txt").read_text() == "mine"
    write_dataset(ds, out, manifest={}, overwrite=True)
    assert not (out / "keep.txt").exists()
    assert datasets.load_from_disk(str(out))["text"] == ["t"]


def test_failed_block_leaves_nothing_behind(tmp_path):
    with pytest.raises(RuntimeError), publish(tmp_path / "out", manifest={}) as output:
        (output.dir / "half.txt").write_text("half")
        raise RuntimeError("killed")
    assert os.listdir(tmp_path) == []


def test_resumable_publish_keeps_staging_after_a_crash_and_resumes(tmp_path):
    out = tmp_path / "study"
    with pytest.raises(RuntimeError), publish(out, manifest={}, resume=False) as output:
        output.json("seed0.run.json", {"done": True})
        raise RuntimeError("killed")
    assert not out.exists()
    with publish(out, manifest=lambda: {"runs": 2}, resume=True) as output:
        assert json.loads((output.dir / "seed0.run.json").read_text()) == {"done": True}
        output.json("seed1.run.json", {"done": True})
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json", "seed0.run.json", "seed1.run.json"
    ]  # fmt: skip
    assert os.listdir(tmp_path) == ["study"]


def test_bad_input_removes_a_staging_dir_it_created(tmp_path):
    out = tmp_path / "study"
    with pytest.raises(InputError), publish(out, resume=False) as output:
        output.json("x.json", {})
        raise InputError("bad row", file="posts.jsonl", row=3)
    assert os.listdir(tmp_path) == []


def test_manifest_redacts_keys_and_hashes_inputs(tmp_path, monkeypatch):
    src = _write(tmp_path / "in.txt", "data")
    monkeypatch.setattr("sys.argv", ["datagen", "--api-key", "sk-abcdefghijklmnop"])
    m = Manifest("x", inputs=[src]).finish()
    assert "sk-abcdefghijklmnop" not in json.dumps(m)
    assert m["inputs"][str(src)] == (
        "3a6eb0790f39ac87c94f3856b2dd2c5d110e6811602261a9a923d3bb23adc8b7"
    )


def test_posts_rows_without_is_silver_are_gold():
    ds = datasets.Dataset.from_list(
        [{"id": "1", "text": "a", "label": "INFJ", "is_silver": True},
         {"id": "2", "text": "b", "label": "ENTP"}]
    )  # fmt: skip
    assert ds[1]["is_silver"] is None
    validate_rows(ds, "posts", file="posts.jsonl")


@pytest.mark.parametrize("separator", ["\x85", "\u2028"])
def test_line_separators_inside_cells_stay_in_the_cell(tmp_path, separator):
    """Tweets decoded from Latin-1 hold U+0085; JSON writes it unescaped; CSV quotes newlines."""
    text = f"panic{separator}buying\nhits"
    rows = [{"text": text, "label": "Negative"}, {"text": "calm", "label": "Neutral"}]
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    csv_path = tmp_path / "t.csv"
    datasets.Dataset.from_list(rows).to_csv(str(csv_path), index=False)
    for path in (jsonl, csv_path):
        assert read_table(path)["text"] == [text, "calm"], path.suffix
