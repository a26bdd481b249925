"""``train``: phase 1 (type sentences) -> phase 2 (type-conditioned MLM) -> phase 3 (posts)."""

import typer

from schemas.cli import run_app
from schemas.options import typer_command
from train import phase1, phase2, phase3, predict, run_all
from train.serve.command import ServeOptions, run_serve

app = typer.Typer(
    help="Train the three-phase personality classifier and compare it with plain fine-tuning.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("phase1")(phase1.command)
app.command("phase2")(phase2.command)
app.command("phase3")(phase3.command)
app.command("all")(run_all.command)
app.command("predict")(predict.command)
app.command("serve")(typer_command(ServeOptions, run_serve))


def main() -> None:
    run_app(app)
