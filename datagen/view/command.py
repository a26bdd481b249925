"""``datagen view DATA``: the options, and opening the data sets before the server starts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from schemas.console import ConsoleOptions
from schemas.http import ServerOptions, run_server
from schemas.options import group, option


@dataclass
class ViewOptions(ConsoleOptions):
    data: Path = option(
        help="A data set the toolkit wrote, or a directory of them (e.g. the demo's output).",
        argument=True,
    )
    server: ServerOptions = group(ServerOptions, panel="Server")


def run_view(options: ViewOptions) -> None:
    """Browse data sets in a web page: masked rows by sentence, silver rows with their score."""
    from datagen.view.app import create_app
    from datagen.view.tables import open_tables

    tables = open_tables(options.data)
    run_server(lambda: create_app(tables), options.server, what=f"datagen view {options.data}")
