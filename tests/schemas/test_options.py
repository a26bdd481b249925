"""Options declared once: the typer signature, --config files and nested groups."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest
import typer
from typer.testing import CliRunner

from schemas.errors import InputError
from schemas.options import build, group, option, typer_command


@dataclass
class Inner:
    options_panel = "Inner"
    epochs: float = option(3.0, help="Epochs.")
    progress: bool = option(True, help="Progress bars.")


@dataclass
class Outer:
    data: Path = option(help="Input.", argument=True)
    out: Path = option(help="Output.")
    mode: Literal["static", "dynamic"] = option("static", help="Cut-off.")
    limit: int | None = option(None, help="Limit.")
    inner: Inner = group(Inner, panel="Inner")

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 1:
            raise InputError(f"must be >= 1, got {self.limit}", field="--limit")


def _app(seen: list) -> typer.Typer:
    app = typer.Typer(add_completion=False)
    app.command("go")(typer_command(Outer, seen.append))

    @app.callback()
    def _group() -> None:
        pass

    return app


def test_flags_build_one_instance_with_nested_group(tmp_path):
    seen: list = []
    result = CliRunner().invoke(
        _app(seen),
        ["go", "in.jsonl", "--out", "o", "--mode", "dynamic", "--epochs", "1", "--no-progress"],
    )
    assert result.exit_code == 0, result.output
    (opts,) = seen
    assert opts == Outer(Path("in.jsonl"), Path("o"), "dynamic", None, Inner(1.0, False))


def test_config_file_fills_options_and_flags_override_it(tmp_path):
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"out": "from_config", "limit": 5, "epochs": 2}))
    seen: list = []
    result = CliRunner().invoke(
        _app(seen), ["go", "in.jsonl", "--config", str(config), "--limit", "7"]
    )
    assert result.exit_code == 0, result.output
    (opts,) = seen
    assert opts.out == Path("from_config") and opts.limit == 7 and opts.inner.epochs == 2


def test_yaml_config_and_unknown_key(tmp_path):
    good = tmp_path / "c.yaml"
    good.write_text("out: y\ninner:\n  epochs: 4\n")
    seen: list = []
    result = CliRunner().invoke(_app(seen), ["go", "in", "--config", str(good)])
    assert result.exit_code == 0, result.output
    assert seen[0].inner.epochs == 4 and seen[0].out == Path("y")
    with pytest.raises(InputError, match="unknown option 'epoch'"):
        build(Outer, {"data": "x", "out": "y", "epoch": 1}, source="c.yaml")


def test_choices_and_checks_come_from_the_dataclass():
    seen: list = []
    bad_choice = CliRunner().invoke(_app(seen), ["go", "x", "--out", "o", "--mode", "weekly"])
    assert bad_choice.exit_code == 2 and not seen
    with pytest.raises(InputError, match="--limit"):
        build(Outer, {"data": "x", "out": "o", "limit": 0})


def test_help_lists_every_field():
    result = CliRunner().invoke(_app([]), ["go", "--help"], env={"COLUMNS": "200"})
    for flag in ("--out", "--mode", "--limit", "--epochs", "--no-progress", "--config"):
        assert flag in result.output


def test_a_commands_help_joins_its_docstrings_wrapped_lines():
    def run(options: Outer) -> None:
        """Do the first thing across
        two lines.

        A second paragraph, also
        wrapped."""

    command = typer_command(Outer, run)
    assert command.__doc__ == (
        "Do the first thing across two lines.\n\nA second paragraph, also wrapped."
    )
    app = typer.Typer(add_completion=False)
    app.command("go")(command)
    app.command("other")(typer_command(Outer, run))
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert "Do the first thing across two lines." in result.output, result.output


@dataclass
class Bracketed:
    index: str = option("exact", help="flat needs pip install 'mbtikit[faiss]'.")


def test_brackets_in_help_are_shown_not_taken_for_markup():
    def run(options: Bracketed) -> None:
        """Fill each [MASK]."""

    app = typer.Typer(add_completion=False)
    app.command("go")(typer_command(Bracketed, run))
    app.command("other")(typer_command(Bracketed, run))
    result = CliRunner().invoke(app, ["go", "--help"], env={"COLUMNS": "200"})
    assert "'mbtikit[faiss]'" in result.output, result.output
    assert "Fill each [MASK]." in result.output, result.output


@dataclass
class Renamed:
    mask_types: bool = option(True, aliases=("--mask",), help="Mask type mentions.")
    max_retries: int = option(3, aliases=("--retries",), help="Retries.", ge=0)


def test_an_old_spelling_still_works_and_is_hidden_from_help():
    seen: list = []
    app = typer.Typer(add_completion=False)
    app.command("go")(typer_command(Renamed, seen.append))
    app.command("other")(typer_command(Renamed, seen.append))
    for args, expected in (
        ([], Renamed(True, 3)),
        (["--no-mask", "--retries", "5"], Renamed(False, 5)),
        (["--no-mask-types", "--max-retries", "1"], Renamed(False, 1)),
    ):
        result = CliRunner().invoke(app, ["go", *args])
        assert result.exit_code == 0, result.output
        assert seen.pop() == expected, args
    result = CliRunner().invoke(app, ["go", "--retries", "-1"])
    assert isinstance(result.exception, InputError) and "--max-retries" in str(result.exception)
    shown = CliRunner().invoke(app, ["go", "--help"], env={"COLUMNS": "200"}).output
    assert "--no-mask-types" in shown and "--max-retries" in shown
    assert "--retries " not in shown and "--mask " not in shown and "--no-mask " not in shown
