"""``augment``: balance labels with Augmented-SBERT silver data."""

import typer

from augment import silver
from schemas.cli import run_app

app = typer.Typer(
    help="Balance labels with silver data (semantic search + teacher), AugSBERT style.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("silver")(silver.command)


@app.callback()
def _group() -> None:
    """Keep ``augment silver`` a sub-command even while it is the only one."""


def main() -> None:
    run_app(app)
