"""``datagen``: articles -> sentences -> base sentences -> masked (phase-2) examples."""

import typer

from datagen import base_sentences, ingest, masked_sentences, scrape, sentences
from datagen.view.command import ViewOptions, run_view
from schemas.cli import run_app
from schemas.options import typer_command

app = typer.Typer(
    help="Build mbtikit's data sets: articles, type sentences, base and masked sentences.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("ingest")(ingest.command)
app.command("scrape")(scrape.command)
app.command("sentences")(sentences.command)
app.command("base-sentences")(base_sentences.command)
app.command("masked-sentences")(masked_sentences.command)
app.command("view")(typer_command(ViewOptions, run_view))


def main() -> None:
    run_app(app)
