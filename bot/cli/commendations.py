"""`kiemdiem commendations --org ID [--org-excellent] [--xlsx FILE] [--json]`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli import app
from bot.cli._common import database, echo_json, handles_errors
from bot.services.commendations import CommendationService
from bot.services.results import ResultsService
from bot.texts import render_text


@app.command("commendations")
@handles_errors
def commendations(
    org: Annotated[int, typer.Option("--org")],
    org_excellent: Annotated[
        bool, typer.Option("--org-excellent", help="Tổ chức đảng được xếp loại HTXSNV (30%).")
    ] = False,
    xlsx: Annotated[Path | None, typer.Option("--xlsx")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Đề xuất đảng viên «HTXSNV tiêu biểu» (không quá 20%, hoặc 30% nếu tổ chức đảng HTXSNV)."""
    db = database()
    service = CommendationService(db, ResultsService(db))
    view = service.members("cli", org, organisation_excellent=org_excellent)
    if xlsx is not None:
        xlsx.write_bytes(service.xlsx(view))
    p = view.proposal
    if as_json:
        echo_json(
            {
                "year": view.year,
                "places": p.places,
                "ranked": list(p.ranked),
                "selected": list(p.selected),
                "ties": list(p.ties),
                "five_years": list(p.five_years),
                "free_places": p.free_places,
                "names": view.names,
                "reasons": view.reasons,
            }
        )
    else:
        typer.echo(render_text("cli/commendations.j2", view=view))
