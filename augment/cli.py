"""``augment``: balance labels with Augmented-SBERT silver data.

- ``augment silver`` -> :mod:`augment.silver` (``SilverConfig``; engine :mod:`augment.balance`)
- ``augment pairs``  -> :mod:`augment.pairs` (``PairConfig``; also ``augment silver --pairs``)
"""

import typer

from augment import pairs, silver
from schemas.cli import run_app
from schemas.options import typer_command

app = typer.Typer(
    help="Balance labels with silver data (semantic search + teacher), AugSBERT style.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("silver")(typer_command(silver.SilverConfig, silver.command))
app.command("pairs")(typer_command(pairs.PairConfig, pairs.command))


def main() -> None:
    run_app(app)
