"""`kiemdiem invites --cell ID [--json]`: an invite link for every member not yet linked."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli import app
from bot.cli._common import database, echo_json, handles_errors
from bot.services.invites import InviteService
from bot.settings import get_settings
from bot.texts import render_text


@app.command("invites")
@handles_errors
def invites(
    cell: Annotated[int, typer.Option("--cell")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Mã mời (dùng một lần, có hạn) cho từng đảng viên chưa liên kết Telegram."""
    settings = get_settings()
    lines = InviteService(database(), settings.invite_ttl_days).for_cell(cell)
    bot_name = settings.telegram_bot_username or "<ten_bot>"
    rows = [
        {
            "member_id": x.member_id,
            "name": x.full_name,
            "code": x.code,
            "link": x.link(bot_name),
            "expires_at": x.expires_at.isoformat(),
        }
        for x in lines
    ]
    if as_json:
        echo_json(rows)
    else:
        typer.echo(render_text("cli/invites.j2", rows=rows))
