"""The FastAPI app of ``datagen view``: a read-only JSON API over the tables and a page."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Query

from datagen.view.tables import FILTERS, Table
from schemas.http import add_page, install_error_handlers

MAX_PAGE_SIZE = 200


def create_app(tables: dict[str, Table]) -> FastAPI:
    """An app that browses ``tables`` (name -> opened data set)."""
    app = FastAPI(title="mbtikit view", description="Browse the data sets mbtikit wrote.")
    install_error_handlers(app, max_body_bytes=1024)
    add_page(app, "datagen.view", "mbtikit view")

    def table(name: str) -> Table:
        if name not in tables:
            raise HTTPException(404, f"no data set {name!r} (known: {', '.join(tables)})")
        return tables[name]

    @app.get("/api/datasets")
    async def datasets() -> list[dict[str, Any]]:
        """Every data set: name, kind (masked, posts, table), rows, groups, columns."""
        return [t.summary() for t in tables.values()]

    @app.get("/api/rows")
    def rows(
        name: str,
        page: int = Query(0, ge=0),
        size: int = Query(20, ge=1, le=MAX_PAGE_SIZE),
        filter: str = Query("all", description="all, gold or silver (posts)."),  # noqa: A002
    ) -> dict[str, Any]:
        """One page of rows (masked: of base sentences, each with its 16 types' rows)."""
        if filter not in FILTERS:
            raise HTTPException(422, f"filter must be one of {', '.join(FILTERS)}")
        return table(name).page(page, size, filter)

    @app.get("/api/notes")
    def notes(name: str) -> dict[str, Any]:
        """The data set's manifest and report files."""
        return table(name).notes()

    return app
