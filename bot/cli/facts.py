"""`kiemdiem facts set MEMBER_ID KEY=VALUE …` (and `facts unset`): the facts of batch-rating.md,
judged by the rating engine itself and audited."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli import app
from bot.cli._common import database, echo_json, handles_errors
from bot.services.facts import FactService, parse_assignments
from bot.texts import render_text

facts_app = typer.Typer(help="Thông tin về đảng viên dùng khi xếp loại.", no_args_is_help=True)
app.add_typer(facts_app, name="facts")


@facts_app.command("set")
@handles_errors
def facts_set(
    member_id: int,
    assignments: Annotated[list[str], typer.Argument(metavar="KEY=VALUE...")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Ghi thông tin (ví dụ civil_servant_rating=HTTNV sick_leave_months=4 tasks.total=10);
    KEY= (để trống) là xóa."""
    view = FactService(database()).set("cli", member_id, parse_assignments(assignments))
    if as_json:
        echo_json({"member_id": view.member_id, "facts": view.facts})
    else:
        typer.echo(render_text("cli/facts.j2", v=view))


@facts_app.command("unset")
@handles_errors
def facts_unset(
    member_id: int,
    keys: Annotated[list[str], typer.Argument(metavar="KEY...")],
) -> None:
    """Xóa thông tin (ví dụ sick_leave_months, head_of.exception)."""
    view = FactService(database()).unset("cli", member_id, keys)
    typer.echo(render_text("cli/facts.j2", v=view))
