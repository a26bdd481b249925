"""``train``: phase 1 (type sentences) -> phase 2 (type-conditioned MLM) -> phase 3 (posts).

Each command's options are the fields of one dataclass (``schemas.options``):

- ``train phase1``  -> :mod:`train.phases.phase1` (``Phase1Config``)
- ``train phase2``  -> :mod:`train.phases.phase2` (``Phase2Config``)
- ``train phase3``  -> :mod:`train.phases.phase3` (``Phase3Config``)
- ``train all``     -> :mod:`train.study.run` (``train.study.config.StudyConfig``)
- ``train predict`` -> :mod:`train.predict.command` (``PredictOptions``)
"""

import typer

from schemas.cli import run_app
from schemas.options import typer_command
from train.engine.distributed import silence_replicas
from train.phases import phase1, phase2, phase3
from train.predict import command as predict
from train.serve.command import run_serve
from train.serve.options import ServeOptions
from train.study import config, run

app = typer.Typer(
    help="Train the three-phase personality classifier and compare it with plain fine-tuning.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("phase1")(typer_command(phase1.Phase1Config, phase1.command))
app.command("phase2")(typer_command(phase2.Phase2Config, phase2.command))
app.command("phase3")(typer_command(phase3.Phase3Config, phase3.command))
app.command("all")(typer_command(config.StudyConfig, run.command))
app.command("predict")(typer_command(predict.PredictOptions, predict.command))
app.command("serve")(typer_command(ServeOptions, run_serve))


def main() -> None:
    silence_replicas()
    run_app(app)
