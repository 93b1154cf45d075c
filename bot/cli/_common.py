"""What every office command shares: the database from the settings, and errors that end in a
clear Vietnamese message with exit code 2 instead of a traceback."""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from sqlalchemy.exc import OperationalError

from bot.services.errors import UserError
from bot.settings import get_settings
from bot.storage.db import Database, upgrade

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("kiemdiem.cli")


def database() -> Database:
    """The configured database, migrated to the newest schema (idempotent and quick)."""
    url = get_settings().database_url
    upgrade(url)
    return Database(url)


def fail(message: str, code: int = 2) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def handles_errors(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            fail(exc.message())
        except OperationalError as exc:
            fail(UserError("database_unavailable", detail=str(exc.orig)[:200]).message())
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception:
            log.exception("command failed")
            fail("Lỗi nội bộ; chi tiết đã ghi vào nhật ký.", 1)
        return None

    return wrapper  # type: ignore[return-value]


def echo_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
