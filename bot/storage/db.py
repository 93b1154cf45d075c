"""Engines, sessions and migrations. The one place that knows how to reach the database.

`DATABASE_URL` comes in the plain forms people write (`sqlite:///file.db`,
`postgresql://user:pass@host/db`); we choose the drivers (the standard library's sqlite3,
psycopg 3) ourselves. SQLite runs in WAL mode with a busy timeout and foreign keys on, so a
reader never blocks the writer and a brief lock waits instead of failing.

A service call made for a Telegram update runs inside a `Unit` (`unit_of_work`): its first
session looks the update up in `processed_updates`, and the first of its sessions that changes
something records it there in the same transaction, so a redelivered update raises
`AlreadyHandled` instead of being applied twice; and the unit counts the sessions that committed
changes, so the caller knows whether the call may be retried after a transient failure
(`is_transient`) without doing anything twice (bot/services/units.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from functools import cache, partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, create_engine, delete, event, select, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker
from sqlalchemy.pool import NullPool

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


def _sqlite_pragmas(dbapi_conn: Any, _record: Any, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cur.execute("PRAGMA foreign_keys=ON")
    # With WAL, NORMAL still never corrupts; a power cut may lose the last commit at most,
    # never a half-written one.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, **kwargs: Any) -> Engine:
    """The engine for `url`; `busy_timeout_ms` is how long SQLite waits for another process's
    write lock before failing with "database is locked" (a retry then happens a level up)."""
    url = normalise_url(url)
    # A failed statement's message would otherwise carry its parameters (names, phone numbers)
    # into the logs and the admin chat's error report.
    kwargs.setdefault("hide_parameters", True)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", partial(_sqlite_pragmas, busy_timeout_ms=busy_timeout_ms))
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


# --- one service call for one Telegram update --------------------------------------------------


class AlreadyHandled(Exception):
    """The update this unit of work answers was handled before (its changes are committed)."""


class CommitFailed(Exception):
    """The connection failed during COMMIT: the transaction may or may not have been applied.
    Only a unit that records its update can find out (retrying it raises `AlreadyHandled` if
    it was applied); anything else must not be retried."""


@dataclass
class Unit:
    """What the sessions of one service call record (`unit_of_work`). `update_id`/`digest`: the
    Telegram update the call answers, recorded in `processed_updates` by the first session that
    changes something; `writes`: sessions of the current attempt that committed changes."""

    update_id: int | None = None
    digest: str = ""
    claimed: bool = False
    writes: int = 0
    checked: bool = False  # the current attempt looked the update up already


_unit: ContextVar[Unit | None] = ContextVar("kiemdiem_unit", default=None)


@contextmanager
def unit_of_work(unit: Unit) -> Iterator[Unit]:
    """Run the sessions opened inside (in this thread, or one started with this context) as
    `unit`'s. `asyncio.to_thread` carries the context into the worker thread."""
    unit.writes, unit.checked = 0, False
    token = _unit.set(unit)
    try:
        yield unit
    finally:
        _unit.reset(token)


def _note_flush(session: Session, _context: Any) -> None:
    session.info["wrote"] = True


def _note_execute(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info["wrote"] = True


def _check(s: Session, unit: Unit) -> None:
    """`AlreadyHandled` if `unit`'s update is recorded (the first session of the unit looks,
    so a redelivery is not even answered by a call that only reads)."""
    unit.checked = True
    digest = s.execute(_processed_digest(), {"id": unit.update_id}).scalar()
    if digest == unit.digest:
        raise AlreadyHandled(unit.update_id)


def _claim(s: Session, unit: Unit) -> None:
    """Record `unit`'s update as handled, in `s`'s transaction; `AlreadyHandled` if it is (the
    same update: same id and digest). A concurrent transaction recording the same update makes
    this one wait for it on the primary key, then see it."""
    from bot.storage.types import utcnow

    stmt = _claim_statement(s.get_bind().dialect.name)
    values = {"update_id": unit.update_id, "digest": unit.digest, "handled_at": utcnow()}
    if s.execute(stmt, values).scalar() is None:
        raise AlreadyHandled(unit.update_id)


@cache
def _processed_digest() -> Any:
    from bot.storage.models import ProcessedUpdate

    return select(ProcessedUpdate.digest).where(ProcessedUpdate.update_id == bindparam("id"))


@cache
def _claim_statement(dialect: str) -> Any:
    """Built once per dialect (every update that changes something runs it)."""
    from sqlalchemy.dialects import postgresql, sqlite

    from bot.storage.models import ProcessedUpdate

    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = ProcessedUpdate.__table__
    stmt = insert(table)
    # An old row with another digest is a new update reusing the id (Telegram starts from a
    # random id after a week without updates; a test emulator from 1): taken over.
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.update_id],
        set_={"digest": stmt.excluded.digest, "handled_at": stmt.excluded.handled_at},
        where=table.c.digest != stmt.excluded.digest,
    )
    return stmt.returning(table.c.update_id)


def handled_before(db: Database, update_id: int, digest: str) -> bool:
    """Whether the update is recorded as handled (asked after a unit of work failed: a copy of
    the update handled at the same moment elsewhere may be what made it fail)."""
    with db.session() as s:
        return s.execute(_processed_digest(), {"id": update_id}).scalar() == digest


def prune_processed_updates(db: Database, older_than: timedelta = timedelta(days=2)) -> int:
    """Forget handled updates older than `older_than` (Telegram redelivers for at most a day)."""
    from bot.storage.models import ProcessedUpdate
    from bot.storage.types import utcnow

    with db.session() as s:
        result = s.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.handled_at < utcnow() - older_than)
        )
        return int(getattr(result, "rowcount", 0) or 0)


_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")
# PostgreSQL: connection exceptions (08…), the server shutting down or starting (57P01-03),
# serialization failures and deadlocks (40001, 40P01): trying again later can succeed.
_PG_TRANSIENT = ("57P01", "57P02", "57P03", "40001", "40P01")


def is_transient(exc: BaseException) -> bool:
    """A database error that a later attempt of the same unit of work can get past: SQLite
    locked by another writer beyond the busy timeout, PostgreSQL unreachable, restarting, or the
    connection dropped. Anything else (a missing table, a constraint) is a bug, not bad luck."""
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(exc, sa_exc.OperationalError):
        message = str(orig).lower()
        if any(m in message for m in _SQLITE_BUSY):
            return True
        if type(orig).__module__.startswith("psycopg"):
            # No SQLSTATE: the connection could not be made or was lost.
            return sqlstate is None or sqlstate.startswith("08") or sqlstate in _PG_TRANSIENT
        return False
    return isinstance(exc, sa_exc.InterfaceError) and type(orig).__module__.startswith("psycopg")


# Pauses (seconds) before each new attempt of a unit of work that met a transient failure
# (`bot.services.units`). SQLite has already waited `busy_timeout` in each attempt; PostgreSQL
# gets about 8 s, what a restart takes.
RETRY_DELAYS = {"sqlite": (0.5,), "postgresql": (0.25, 0.5, 1.0, 2.0, 4.0)}


class Database:
    """An engine plus a session factory; `session()` is one unit of work. `retry_delays`: the
    pauses between attempts of a unit that met a transient failure (default by dialect)."""

    def __init__(
        self, url: str, *, retry_delays: tuple[float, ...] | None = None, **engine_kwargs: Any
    ) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self.retry_delays = (
            retry_delays if retry_delays is not None else RETRY_DELAYS.get(self.dialect, ())
        )
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self._sessions, "after_flush", _note_flush)
        event.listen(self._sessions, "do_orm_execute", _note_execute)
        # SQLite has one writer and every transaction here takes the write lock up front. Threads
        # of this process queue on a lock instead of in SQLite's busy handler, which sleeps in
        # growing steps (up to 100 ms) and made the 95th percentile reply 5x the median.
        self._writer = _sqlite_lock(self.url) if self.dialect == "sqlite" else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends normally, rolled back on any error.

        Inside a `unit_of_work` for an update, the first session that changed something also
        records the update before committing (`AlreadyHandled` if it was handled before). A
        connection lost during COMMIT itself raises `CommitFailed` (the outcome is unknown)."""
        if self._writer is None:
            with self._sessions() as s:
                yield from self._transaction(s)
            return
        with self._writer, self._sessions() as s:
            yield from self._transaction(s)

    def _transaction(self, s: Session) -> Iterator[Session]:
        unit = _unit.get()
        tx = s.begin()
        try:
            if unit is not None and unit.update_id is not None and not unit.checked:
                _check(s, unit)
                s.info.pop("wrote", None)  # the lookup is no change
            yield s
            s.flush()
            wrote = bool(s.info.get("wrote"))
            claims = unit is not None and wrote and unit.update_id is not None and not unit.claimed
            if claims:
                assert unit is not None
                _claim(s, unit)
        except BaseException:
            tx.rollback()
            raise
        try:
            tx.commit()
        except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
            raise CommitFailed(str(exc)) from exc
        if unit is not None and wrote:
            unit.writes += 1
            unit.claimed = unit.claimed or claims

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


# PostgreSQL advisory lock key of migrations ("kdmg"; the one-bigint key space, apart from the
# chat locks' two-int keys in bot/webhook.py).
MIGRATE_LOCK = 0x6B64_6D67


def upgrade(url: str, revision: str = "head") -> None:
    """Apply the Alembic migrations up to `revision`. On PostgreSQL under a session advisory
    lock, so that processes started together (`kiemdiem db upgrade` twice, several webhook
    processes) take turns and the later ones find the schema current instead of racing."""
    from alembic import command

    with _migrate_lock:
        if make_url(normalise_url(url)).get_backend_name() != "postgresql":
            command.upgrade(alembic_config(url), revision)
            return
        engine = make_engine(url, poolclass=NullPool)
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATE_LOCK})
                try:
                    command.upgrade(alembic_config(url), revision)
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATE_LOCK})
        finally:
            engine.dispose()
