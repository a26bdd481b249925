"""``datagen``: articles -> sentences -> base sentences -> masked (phase-2) examples.

Each command is one folder: ``ingest``/``scrape`` -> :mod:`datagen.articles`, ``sentences`` ->
:mod:`datagen.type_sentences`, ``base-sentences`` -> :mod:`datagen.base_sentences`,
``masked-sentences`` -> :mod:`datagen.masked`, ``label`` (an LLM labels pool texts for
``augment silver --teacher llm``) -> :mod:`datagen.label`; its options are one dataclass there.
"""

import typer

from datagen.articles import ingest, scrape
from datagen.base_sentences import command as base_sentences
from datagen.label import command as label
from datagen.masked import command as masked
from datagen.type_sentences import command as sentences
from datagen.view.command import ViewOptions, run_view
from schemas.cli import run_app
from schemas.options import typer_command

app = typer.Typer(
    help="Build mbtikit's data sets: articles, type sentences, base and masked sentences.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("ingest")(typer_command(ingest.IngestOptions, ingest.run))
app.command("scrape")(typer_command(scrape.ScrapeOptions, scrape.run))
app.command("sentences")(typer_command(sentences.SentencesOptions, sentences.run))
app.command("base-sentences")(
    typer_command(base_sentences.BaseSentencesOptions, base_sentences.run)
)
app.command("masked-sentences")(typer_command(masked.MaskedOptions, masked.run))
app.command("label")(typer_command(label.LabelOptions, label.run))
app.command("view")(typer_command(ViewOptions, run_view))


def main() -> None:
    run_app(app)
