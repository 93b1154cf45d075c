"""Engines, sessions and migrations. The one place that knows how to reach the database.

`DATABASE_URL` comes in the plain forms people write (`sqlite:///file.db`,
`postgresql://user:pass@host/db`); we choose the drivers (the standard library's sqlite3,
psycopg 3) ourselves. SQLite runs in WAL mode with a busy timeout and foreign keys on, so a
reader never blocks the writer and a brief lock waits instead of failing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

BUSY_TIMEOUT_MS = 5000
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def normalise_url(url: str) -> str:
    """The SQLAlchemy URL with our driver for a plain one; a driver-qualified URL is kept."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres") and parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend == "sqlite" and parsed.drivername == "sqlite+aiosqlite":
        # The bot's storage is synchronous (run off the event loop); the same file works.
        parsed = parsed.set(drivername="sqlite")
    elif backend == "postgresql" and parsed.drivername == "postgresql+asyncpg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    # With WAL, NORMAL still never corrupts; a power cut may lose the last commit at most,
    # never a half-written one.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    # A failed statement's message would otherwise carry its parameters (names, phone numbers)
    # into the logs and the admin chat's error report.
    kwargs.setdefault("hide_parameters", True)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; we emit it ourselves so a
        # read-then-write transaction takes the write lock up front (no upgrade deadlocks).
        event.listen(engine, "connect", _no_autobegin)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _no_autobegin(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None


def _begin_immediate(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """An engine plus a session factory; `session()` is one unit of work."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer and every transaction here takes the write lock up front. Threads
        # of this process queue on a lock instead of in SQLite's busy handler, which sleeps in
        # growing steps (up to 100 ms) and made the 95th percentile reply 5x the median.
        self._writer = _sqlite_lock(self.url) if self.dialect == "sqlite" else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends normally, rolled back on any error."""
        if self._writer is None:
            with self._sessions() as s, s.begin():
                yield s
            return
        with self._writer, self._sessions() as s, s.begin():
            yield s

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


_migrate_lock = threading.Lock()
_sqlite_locks: dict[str, threading.RLock] = {}


def _sqlite_lock(url: str) -> threading.RLock:
    """One lock per database file in this process (re-entrant: a service may nest a session)."""
    with _migrate_lock:
        return _sqlite_locks.setdefault(url, threading.RLock())


def upgrade(url: str, revision: str = "head") -> None:
    """Apply the Alembic migrations up to `revision`."""
    from alembic import command

    with _migrate_lock:
        command.upgrade(alembic_config(url), revision)
