"""``train serve RUN``: load the models, then start the server."""

from __future__ import annotations

from typing import Any

from schemas.http import run_server
from train.serve.options import ServeOptions


def run_serve(options: ServeOptions) -> None:
    """Serve a trained model: POST /predict, /predict/author (a classifier), /score (a
    regression model), /similarity (an embedder); a page at /."""
    from train.engine.logs import configure
    from train.serve.app import create_app
    from train.serve.predictors import load_models, locate_model

    configure(options)
    locate_model(options.run)

    def build() -> Any:
        models = load_models(
            options.run,
            embedder=options.embedder,
            device=options.device,
            batch_size=options.batch_size,
            precision=options.encoding.encode_precision,
            backend=options.encoding.encode_backend,
        )
        return create_app(models, options)

    hint = (
        "every API request needs the API key"
        if options.api_key
        else "anyone can use it: set an API key with --api-key or MBTIKIT_API_KEY"
    )
    what = f"train serve {options.run}" + (" (API key required)" if options.api_key else "")
    run_server(build, options.server, what=what, exposed_hint=hint)
