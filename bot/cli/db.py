"""`kiemdiem db upgrade`: apply the migrations."""

from __future__ import annotations

import typer

from bot.cli import app
from bot.cli._common import handles_errors
from bot.settings import get_settings
from bot.storage.db import upgrade

db_app = typer.Typer(help="Cơ sở dữ liệu.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
@handles_errors
def db_upgrade() -> None:
    """Áp dụng các bản nâng cấp cơ sở dữ liệu (Alembic)."""
    upgrade(get_settings().database_url)
