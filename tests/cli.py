"""Run the real `kiemdiem` command line in-process (same code as the console script)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from typer.testing import CliRunner

from bot.cli import _register, app
from bot.settings import get_settings


@dataclass
class Run:
    code: int
    out: str
    err: str


def kiemdiem(
    monkeypatch: pytest.MonkeyPatch, db_url: str, *args: str, stdin: str | None = None
) -> Run:
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    _register()
    result = CliRunner().invoke(app, list(args), input=stdin, catch_exceptions=False)
    get_settings.cache_clear()
    return Run(result.exit_code, result.stdout, result.stderr)
