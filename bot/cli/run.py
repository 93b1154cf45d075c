"""`kiemdiem run`: migrate, then start the bot (long polling, or `--webhook`: bot/webhook.py)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bot.cli import app
from bot.cli._common import handles_errors
from bot.settings import get_settings
from bot.storage.db import upgrade
from bot.texts import render_text


@app.command("run")
@handles_errors
def run(
    webhook: Annotated[bool, typer.Option("--webhook", help="Chạy chế độ webhook.")] = False,
    no_set_webhook: Annotated[
        bool,
        typer.Option(
            "--no-set-webhook",
            help="Không đăng ký webhook với Telegram (để một tiến trình khác đăng ký).",
        ),
    ] = False,
) -> None:
    """Khởi động bot (long polling; --webhook: chế độ webhook). Nâng cấp cơ sở dữ liệu trước."""
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
    from bot.storage import crypto

    # What members type is stored encrypted: without keys every answer would fail, so the bot
    # refuses to start instead; DataKeysError is a UserError, worded by handles_errors (exit 2).
    crypto.keyring()
    if webhook:
        from bot.webhook import run_webhook, webhook_config

        webhook_config(settings)  # a missing secret or URL ends here, before migrating
        run_webhook(settings, register=False if no_set_webhook else None)
        return
    upgrade(settings.database_url)
    from bot.app import run_polling

    run_polling(settings)
