"""Not built yet: see issue 6."""

import typer


def command() -> None:
    """Not built yet (issue 6)."""
    typer.echo("not built yet (issue 6)")
    raise typer.Exit(1)
