"""Not built yet: see issue 4."""

import typer


def command() -> None:
    """Not built yet (issue 4)."""
    typer.echo("not built yet (issue 4)")
    raise typer.Exit(1)
