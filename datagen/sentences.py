"""Not built yet: see issue 3."""

import typer


def command() -> None:
    """Not built yet (issue 3)."""
    typer.echo("not built yet (issue 3)")
    raise typer.Exit(1)
