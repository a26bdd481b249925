"""``augment``: balance labels with Augmented-SBERT silver data.

- ``augment silver`` -> :mod:`augment.silver` (``SilverConfig``; classification mode in
  :mod:`augment.classification`, ``--pairs`` in :mod:`augment.pairs`)
- ``augment pairs``  -> :mod:`augment.pairs.run` (``PairConfig``; also ``augment silver --pairs``)
"""

import typer

from augment import silver
from augment.pairs import options as pair_options
from augment.pairs import run as pairs
from schemas.cli import run_app
from schemas.options import typer_command

app = typer.Typer(
    help="Balance labels with silver data (semantic search + teacher), AugSBERT style.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("silver")(typer_command(silver.SilverConfig, silver.command))
app.command("pairs")(typer_command(pair_options.PairConfig, pairs.command))


def main() -> None:
    run_app(app)
