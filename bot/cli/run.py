"""`kiemdiem run`: migrate, then start the bot (long polling)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bot.cli import app
from bot.cli._common import fail, handles_errors
from bot.settings import get_settings
from bot.storage.db import upgrade
from bot.texts import render_text


@app.command("run")
@handles_errors
def run(
    webhook: Annotated[bool, typer.Option("--webhook", help="Chạy chế độ webhook.")] = False,
) -> None:
    """Khởi động bot (long polling). Nâng cấp cơ sở dữ liệu trước."""
    from bot import logs

    settings = get_settings()
    token = settings.token()
    logs.setup(settings.log_level, token)
    if not token:
        typer.echo(render_text("cli/no_token.j2"), err=True)
        if not sys.stdin.isatty():
            raise typer.Exit(2)
        # A person at a terminal with no token yet: show them the bot offline meanwhile.
        typer.echo(render_text("cli/starting_sandbox.j2"), err=True)
        from bot.sandbox.terminal import main

        logs.setup("WARNING")

        main()
        return
    upgrade(settings.database_url)
    from bot.app import run_polling

    if webhook:
        fail(render_text("cli/no_webhook_yet.j2"))
    run_polling(settings)
