"""`kiemdiem erase MEMBER_ID --older-than-years N` and `kiemdiem keys generate|rotate`
(docs/security.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli import app
from bot.cli._common import database, echo_json, handles_errors
from bot.services.privacy import PrivacyService
from bot.storage import crypto
from bot.texts import render_text

keys_app = typer.Typer(help="Khóa mã hóa dữ liệu (DATA_KEYS).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@app.command("erase")
@handles_errors
def erase(
    member_id: int,
    older_than_years: Annotated[
        int,
        typer.Option("--older-than-years", help="Thời hạn lưu trữ (năm) tính từ hoạt động cuối."),
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Xóa cả khi còn trong thời hạn lưu trữ.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")] = False,
) -> None:
    """Xóa dữ liệu cá nhân của một đảng viên khi hết thời hạn lưu trữ (giữ kết quả, nhật ký)."""
    result = PrivacyService(database()).erase(
        member_id, older_than_years, force=force, actor="cli"
    )
    if as_json:
        echo_json(result.__dict__)
    else:
        typer.echo(render_text("cli/erased.j2", e=result))


@keys_app.command("generate")
@handles_errors
def keys_generate() -> None:
    """In một khóa mới (đặt vào đầu DATA_KEYS)."""
    typer.echo(crypto.generate_key())
    typer.echo(render_text("cli/key_generated.j2"), err=True)


@keys_app.command("rotate")
@handles_errors
def keys_rotate(
    as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")] = False,
) -> None:
    """Mã hóa lại mọi dữ liệu bằng khóa đầu tiên của DATA_KEYS (sau đó bỏ được khóa cũ)."""
    ring = crypto.keyring()  # before migrating: no keys, no work
    counts = PrivacyService(database()).rotate_keys()
    if as_json:
        echo_json(counts)
    else:
        typer.echo(render_text("cli/keys_rotated.j2", counts=counts, keys=ring.count))
