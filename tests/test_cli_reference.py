"""docs/cli.md is the reference the option dataclasses give: regenerated, it is unchanged."""

from schemas.cli_reference import REFERENCE, reference


def test_the_committed_cli_reference_is_current():
    assert REFERENCE.read_text(encoding="utf-8") == reference(), (
        "docs/cli.md is stale: run python -m schemas.cli_reference"
    )


def test_the_reference_names_every_command_and_its_ranges():
    text = reference()
    for heading in ("### datagen masked-sentences", "### augment pairs", "### train predict"):
        assert heading in text
    assert "| `--folds` | integer | `5` | >= 0 |" in text
    assert "| `--format` | text | `table` | `table`, `jsonl` |" in text
