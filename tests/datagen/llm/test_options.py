"""The shared LLM options turn into one LLMConfig argument."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import typer
from typer.testing import CliRunner

from datagen.llm import LLMConfig
from schemas import options
from schemas.errors import InputError

seen: list[tuple] = []
app = typer.Typer()


@dataclass
class Options:
    base: Path = options.option(argument=True, help="Input.")
    out: Path = options.option(help="Output.")
    llm: LLMConfig = options.group(LLMConfig, panel="LLM")


def run(opts: Options) -> None:
    """A command with its own arguments plus the LLM options."""
    seen.append((opts.base, opts.out, opts.llm))


app.command()(options.typer_command(Options, run))


def invoke(*args: str):
    seen.clear()
    result = CliRunner().invoke(app, list(args))
    return result, (seen[0] if seen else None)


def test_defaults_and_every_option(tmp_path):
    _, (base, out, llm) = invoke("in", "--out", "o")
    assert (base, out) == (Path("in"), Path("o"))
    assert llm == LLMConfig()
    prices = tmp_path / "p.json"
    prices.write_text(json.dumps({"m": {"input": 1, "output": 2}}))
    result, (_, _, llm) = invoke(
        "in", "--out", "o", "--model", "m", "--base-url", "http://127.0.0.1:8080/v1",
        "--api-key-env", "K", "--response-format", "json_object", "--temperature", "0.2",
        "--max-tokens", "300", "--concurrency", "16", "--max-concurrency", "32", "--rpm", "500",
        "--tpm", "90000", "--timeout", "5", "--max-retries", "3", "--max-validation-retries", "1",
        "--cache-file", str(tmp_path / "c.sqlite"), "--no-cache", "--batch-api", "--dry-run",
        "--prices", str(prices),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert llm == LLMConfig(
        model="m", base_url="http://127.0.0.1:8080/v1", api_key_env="K",
        response_format="json_object", temperature=0.2, max_tokens=300, concurrency=16,
        max_concurrency=32, rpm=500, tpm=90000, timeout=5.0, max_retries=3,
        max_validation_retries=1, cache_path=tmp_path / "c.sqlite", use_cache=False,
        batch_api=True, dry_run=True, prices={"m": {"input": 1.0, "output": 2.0}},
    )  # fmt: skip


def test_concurrency_auto_on_the_command_line():
    _, (_, _, llm) = invoke("in", "--out", "o", "--concurrency", "auto")
    assert llm.concurrency == "auto" and llm.auto_concurrency and llm.connections == 256
    result, _ = invoke("in", "--out", "o", "--concurrency", "many")
    assert isinstance(result.exception, InputError)
    assert "--concurrency" in str(result.exception) and "auto" in str(result.exception)


def test_bad_option_values_are_input_errors():
    result, _ = invoke("in", "--out", "o", "--response-format", "yaml")
    assert isinstance(result.exception, InputError)
    assert "--response-format" in str(result.exception)
    result, _ = invoke("in", "--out", "o", "--concurrency", "0")
    assert isinstance(result.exception, InputError)


def test_help_lists_the_llm_panel():
    result = CliRunner().invoke(app, ["--help"])
    for option in ("--model", "--base-url", "--batch-api", "--dry-run", "--out"):
        assert option in result.output


def test_the_llm_parameter_is_not_an_option():
    result = CliRunner().invoke(app, ["in", "--out", "o", "--llm", "x"])
    assert result.exit_code == 2
