"""`kiemdiem audit verify`: the audit chain and every stored result checked against the raw
entries (bot/services/integrity.py). Exit 0 when clean, 1 with the list of differences."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli import app
from bot.cli._common import database, echo_json, handles_errors
from bot.services.integrity import IntegrityService
from bot.texts import render_text

audit_app = typer.Typer(help="Nhật ký thay đổi.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
@handles_errors
def verify(
    as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")] = False,
) -> None:
    """Kiểm tra chuỗi nhật ký và tính lại mọi kết quả đã lưu từ số liệu gốc."""
    db = database()
    try:
        report = IntegrityService(db).verify()
    finally:
        db.dispose()
    if as_json:
        echo_json(report.to_json())
    else:
        typer.echo(render_text("cli/audit_verify.j2", r=report))
    if not report.ok:
        raise typer.Exit(1)
