"""`kiemdiem sandbox`: the offline sandbox (emulator + bot + demo data + terminal chat)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli import app


@app.command("sandbox")
def sandbox(
    files: Annotated[Path, typer.Option("--files", help="Thư mục lưu tệp bot gửi.")] = Path(
        "sandbox-files"
    ),
    year: Annotated[int | None, typer.Option("--year", help="Năm kiểm điểm mẫu.")] = None,
) -> None:
    """Chạy thử toàn bộ bot không cần mạng: Telegram giả, dữ liệu mẫu, trò chuyện trong terminal."""
    from bot import logs
    from bot.sandbox.terminal import main

    logs.setup("WARNING")
    main(files, year)
