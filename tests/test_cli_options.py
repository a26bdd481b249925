"""Every option of every command is checked before the command works: its type (also from
``--config``), its declared range or choices. Each numeric option declares a range or says
that it is unbounded, so that a new one cannot be forgotten."""

from __future__ import annotations

import json

import pytest

from schemas.errors import InputError
from schemas.options import build, display_name, option_fields
from tests.support.cli import assert_clean_error, run_cli


def _commands():
    """(program, command name, options dataclass) of every command of the three CLIs."""
    from augment.cli import app as augment
    from datagen.cli import app as datagen
    from train.cli import app as train

    for program, app in (("datagen", datagen), ("augment", augment), ("train", train)):
        for info in app.registered_commands:
            yield program, info.name, info.callback.options_class


COMMANDS = list(_commands())


def _numeric(tp) -> bool:
    from schemas.options import _strip_optional

    inner = _strip_optional(tp)[0]
    return inner in (int, float)


def _outside(f, tp) -> list[float]:
    """Values just outside the field's range, and a negative one where that is outside."""
    from schemas.options import _strip_optional

    bounds = f.metadata["range"]
    step = 1 if _strip_optional(tp)[0] is int else 0.5
    values = []
    if bounds.ge is not None:
        values.append(bounds.ge - step)
    if bounds.gt is not None:
        values.append(bounds.gt)
    if bounds.le is not None:
        values.append(bounds.le + step)
    if bounds.lt is not None:
        values.append(bounds.lt)
    negative = min([-1, *values])
    if negative not in bounds:
        values.append(negative)
    return sorted(set(values))


def test_the_walk_sees_every_command():
    names = {(program, name) for program, name, _ in COMMANDS}
    assert {("datagen", "base-sentences"), ("augment", "pairs"), ("train", "serve")} <= names
    assert len(names) >= 15


def test_every_numeric_option_declares_a_range_or_says_it_is_unbounded():
    forgotten = [
        f"{program} {name} {display_name(f)}"
        for program, name, cls in COMMANDS
        for _, f, tp in option_fields(cls)
        if _numeric(tp) and not f.metadata["range"] and not f.metadata["unbounded"]
    ]
    assert not forgotten, forgotten


BOUNDED = [
    pytest.param(cls, path, f, tp, id=f"{program}-{name}-{display_name(f)}")
    for program, name, cls in COMMANDS
    for path, f, tp in option_fields(cls)
    if _numeric(tp) and f.metadata["range"]
]


@pytest.mark.parametrize(("cls", "path", "field", "tp"), BOUNDED)
def test_a_value_outside_the_range_is_one_error_naming_the_option(cls, path, field, tp):
    for bad in _outside(field, tp):
        values: dict = {}
        node = values
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = bad
        with pytest.raises(InputError) as caught:
            build(cls, values)
        message = str(caught.value)
        assert display_name(field) in message and "must be" in message, message
        assert "\n" not in message


def test_range_is_checked_for_config_values_and_names_the_file(tmp_path):
    from datagen.base_sentences.command import BaseSentencesOptions

    with pytest.raises(InputError, match=r"c.json: field 'min_words': must be >= 1, got 0"):
        build(BaseSentencesOptions, {"out": "o", "min_words": 0}, source=tmp_path / "c.json")


# --- by subprocess: the real commands -----------------------------------------------------
@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("datagen", "base-sentences", "--min-words", "-1"), "--min-words"),
        (("datagen", "scrape", "http://127.0.0.1:9/", "--max-pages", "0"), "--max-pages"),
        (("train", "phase3", "posts.jsonl", "--epochs", "-1"), "--epochs"),
        (("augment", "silver", "gold.jsonl", "--pool", "pool.jsonl", "--folds", "-1"), "--folds"),
        (("augment", "pairs", "gold.jsonl", "--bins", "0"), "--bins"),
        (("train", "all", "--posts", "posts.jsonl", "--warmup-ratio", "1.5"), "--warmup-ratio"),
        (("train", "predict", "run", "a text", "--batch-size", "0"), "--batch-size"),
    ],
    ids=lambda value: value[1] if isinstance(value, tuple) else value,
)
def test_out_of_range_flag_fails_before_any_work(tmp_path, args, needle):
    out = () if args[1] == "predict" else ("--out", tmp_path / "out")
    proc = run_cli(*args, *out, cwd=tmp_path)
    assert_clean_error(proc, needle, "must be")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_config_value_of_the_wrong_type_names_the_option_and_the_file(tmp_path):
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"min_words": "three"}))
    out = tmp_path / "out"
    proc = run_cli("datagen", "base-sentences", "--out", out, "--config", config)
    assert_clean_error(proc, str(config), "min_words", "--min-words", "must be an integer")
    assert not out.exists()


def test_config_value_in_a_group_is_checked_too(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("filters:\n  near_duplicate: 2\n")
    proc = run_cli("datagen", "sentences", tmp_path, "--out", tmp_path / "o", "--config", config)
    assert_clean_error(proc, str(config), "near_duplicate", "must be > 0 and <= 1, got 2")


def test_help_shows_the_range_and_the_choices():
    proc = run_cli("train", "predict", "--help", env={"COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    assert "[range: >= 1]" in proc.stdout
    assert "[choices: table, jsonl]" in proc.stdout
