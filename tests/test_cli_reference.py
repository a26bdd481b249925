"""docs/cli.md is the reference the option dataclasses give: regenerated, it is unchanged."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "cli_reference.py"
_spec = importlib.util.spec_from_file_location("cli_reference", SCRIPT)
cli_reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cli_reference)
REFERENCE, reference = cli_reference.REFERENCE, cli_reference.reference


def test_the_committed_cli_reference_is_current():
    assert REFERENCE.read_text(encoding="utf-8") == reference(), (
        "docs/cli.md is stale: run python scripts/cli_reference.py"
    )


def test_the_reference_names_every_command_and_its_ranges():
    text = reference()
    for heading in ("### datagen masked-sentences", "### augment pairs", "### train predict"):
        assert heading in text
    assert "| `--folds` | integer | `5` | >= 0 |" in text
    assert "| `--format` | text | `table` | `table`, `jsonl` |" in text
