"""Not built yet: see issue 5."""

import typer


def command() -> None:
    """Not built yet (issue 5)."""
    typer.echo("not built yet (issue 5)")
    raise typer.Exit(1)
