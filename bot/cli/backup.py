"""`kiemdiem backup FILE` and `kiemdiem restore FILE [--force]` (bot/storage/backup.py):
a consistent copy of the configured database while the bot runs, and putting one back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli import app
from bot.cli._common import echo_json, handles_errors
from bot.settings import get_settings
from bot.storage.backup import BackupInfo
from bot.storage.backup import backup as make_backup
from bot.storage.backup import restore as put_back
from bot.texts import render_text

JsonOpt = Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")]


def _show(template: str, info: BackupInfo, as_json: bool) -> None:
    if as_json:
        echo_json({"dialect": info.dialect, "file": str(info.file), "bytes": info.size})
    else:
        typer.echo(render_text(template, info=info, kb=max(1, round(info.size / 1024))))


@app.command("backup")
@handles_errors
def backup(
    file: Annotated[Path, typer.Argument(help="Tệp sao lưu sẽ ghi (ghi đè khi đã xong).")],
    as_json: JsonOpt = False,
) -> None:
    """Sao lưu cơ sở dữ liệu vào FILE (nhất quán, không cần dừng bot)."""
    _show("cli/backup_done.j2", make_backup(get_settings().database_url, file), as_json)


@app.command("restore")
@handles_errors
def restore(
    file: Annotated[Path, typer.Argument(help="Tệp sao lưu (do «kiemdiem backup» tạo).")],
    force: Annotated[
        bool, typer.Option("--force", help="Ghi đè cả khi cơ sở dữ liệu đang có dữ liệu.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Khôi phục cơ sở dữ liệu từ FILE. Dừng bot trước khi khôi phục."""
    _show("cli/restore_done.j2", put_back(get_settings().database_url, file, force=force), as_json)
