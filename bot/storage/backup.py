"""Backups of the database and restoring them (`kiemdiem backup FILE`, `kiemdiem restore FILE`).

Owns:
- SQLite: the online backup API of the standard library's sqlite3 (`Connection.backup`), which
  copies a consistent snapshot while the bot keeps writing; the copy is one self-contained file
  (rollback journal, not WAL) checked with `PRAGMA quick_check` before it replaces FILE.
  Restoring copies the file back through the same API, page by page, into the database.
- PostgreSQL: `pg_dump --format=custom` of the bot's schema (a consistent snapshot as well), and
  restoring with `pg_restore` to SQL run by `psql` in ONE transaction that first drops the
  schema's tables: the database ends exactly as backed up, or unchanged if anything fails.
  The tools come from PATH or /usr/lib/postgresql/*/bin (the newest); the password goes in
  PGPASSWORD, never on a command line.
- the rule that restoring over data needs `force`: a database is empty when no table but
  `alembic_version` has a row (a freshly migrated database is empty).

After a restore the schema is upgraded to the newest migration. What people typed is encrypted
in the database (bot/storage/crypto.py), so a backup is only readable with the DATA_KEYS in force
when it was taken: keep the keys, separately, as long as the backup.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, literal, select, table, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from bot.services.errors import UserError
from bot.storage.db import BUSY_TIMEOUT_MS, make_engine, normalise_url, upgrade

PG_SEARCH = "/usr/lib/postgresql/*/bin"
_SCHEMA_TOC = re.compile(r"^\d+; \d+ \d+ (SCHEMA|COMMENT - SCHEMA) ")


@dataclass(frozen=True)
class BackupInfo:
    dialect: str
    file: Path
    size: int


def _url(url: str) -> URL:
    return make_url(normalise_url(url))


def dialect_of(url: str) -> str:
    backend = _url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise UserError("backup_unsupported", backend=backend)
    return backend


def has_data(url: str) -> bool:
    """Whether any table of the database (but the migration stamp) has a row."""
    parsed = _url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if not path or not Path(path).exists():
            return False
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            names = [n for n in inspect(conn).get_table_names() if n != "alembic_version"]
            for name in names:
                if conn.execute(select(literal(1)).select_from(table(name)).limit(1)).first():
                    return True
        return False
    finally:
        engine.dispose()


def backup(url: str, file: Path) -> BackupInfo:
    """Write a consistent copy of the database to `file` (replaced only once complete)."""
    dialect = dialect_of(url)
    file = file.expanduser().resolve()
    if not file.parent.is_dir():
        raise UserError("backup_folder_missing", folder=str(file.parent))
    part = file.with_name(file.name + ".part")
    try:
        if dialect == "sqlite":
            _sqlite_backup(_sqlite_path(url, must_exist=True), file, part)
        else:
            _pg_backup(url, part)
        os.replace(part, file)
    finally:
        part.unlink(missing_ok=True)
    return BackupInfo(dialect, file, file.stat().st_size)


def restore(url: str, file: Path, *, force: bool = False) -> BackupInfo:
    """Replace the database's contents with the backup `file`, then upgrade the schema.
    Refuses a database that holds data unless `force`."""
    dialect = dialect_of(url)
    file = file.expanduser().resolve()
    if not file.is_file():
        raise UserError("backup_file_missing", file=str(file))
    if dialect == "sqlite":
        _check_sqlite_backup(file)
    else:
        _pg_toc(file)  # refuses what is not a pg_dump archive, before touching anything
    if not force and has_data(url):
        raise UserError("restore_not_empty")
    if dialect == "sqlite":
        _sqlite_restore(file, _sqlite_path(url, must_exist=False))
    else:
        _pg_restore(url, file)
    upgrade(url)
    return BackupInfo(dialect, file, file.stat().st_size)


# --- SQLite ------------------------------------------------------------------------------------


def _sqlite_path(url: str, *, must_exist: bool) -> Path:
    database = _url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise UserError("backup_sqlite_not_file")
    path = Path(database).expanduser().resolve()
    if must_exist and not path.is_file():
        raise UserError("backup_no_database", file=str(path))
    return path


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return conn


def _sqlite_backup(source: Path, file: Path, part: Path) -> None:
    if file == source:
        raise UserError("backup_same_file", file=str(file))
    part.unlink(missing_ok=True)
    src = _connect(source)
    dst = _connect(part)
    try:
        # One step (pages=-1): the whole database is copied under one read transaction, so the
        # copy is a single moment even while the bot writes (WAL: writers are not blocked).
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # a standalone file, no -wal beside it
        ok = dst.execute("PRAGMA quick_check").fetchone()
        if ok is None or ok[0] != "ok":
            raise UserError("backup_failed", detail=str(ok[0] if ok else "quick_check"))
    finally:
        dst.close()
        src.close()
    with part.open("rb") as fh:
        os.fsync(fh.fileno())


def _check_sqlite_backup(file: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA quick_check").fetchone()
            stamped = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        raise UserError("backup_not_recognised", file=str(file)) from None
    if ok is None or ok[0] != "ok" or stamped is None:
        raise UserError("backup_not_recognised", file=str(file))


def _sqlite_restore(file: Path, target: Path) -> None:
    if file == target:
        raise UserError("backup_same_file", file=str(file))
    src = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    dst = _connect(target)
    try:
        src.backup(dst)  # replaces every page of the target, under its write lock
        dst.execute("PRAGMA journal_mode=WAL")  # as bot.storage.db runs it
    finally:
        dst.close()
        src.close()


# --- PostgreSQL --------------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """The client program `name` (pg_dump, pg_restore, psql): PATH first, then the newest
    /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in p.parent.parent.name.split(".")],
    )
    if candidates:
        return str(candidates[-1])
    raise UserError("pg_tool_missing", tool=name)


def _pg_env(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment carrying it."""
    parsed = _url(url).set(drivername="postgresql")
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    return parsed.set(password=None).render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str], failure: str) -> str:
    proc = subprocess.run(args, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        detail = " ".join(proc.stderr.strip().splitlines()[-3:]) or f"exit {proc.returncode}"
        raise UserError(failure, detail=detail[:500])
    return proc.stdout


def _pg_schema(url: str) -> tuple[str, list[str], list[str]]:
    """The bot's schema (the first of the search path), its tables and its sequences."""
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar()
            if not schema:
                raise UserError("backup_failed", detail="current_schema() is null")
            tables = inspect(conn).get_table_names(schema=schema)
            sequences = inspect(conn).get_sequence_names(schema=schema)
            return str(schema), tables, sequences
    finally:
        engine.dispose()


def _pg_backup(url: str, part: Path) -> None:
    schema, _, _ = _pg_schema(url)
    conninfo, env = _pg_env(url)
    _run(
        [pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
         f"--schema={schema}", f"--file={part}", f"--dbname={conninfo}"],
        env, "backup_failed",
    )  # fmt: skip


def _pg_toc(file: Path) -> list[str]:
    proc = subprocess.run(
        [pg_tool("pg_restore"), "--list", str(file)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise UserError("backup_not_recognised", file=str(file))
    return proc.stdout.splitlines()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pg_restore(url: str, file: Path) -> None:
    schema, tables, sequences = _pg_schema(url)
    conninfo, env = _pg_env(url)
    # The schema itself stays (other things may live in it, its owner and grants stay as they
    # are): only its entries are restored, into the schema of the same name.
    toc = [line for line in _pg_toc(file) if not _SCHEMA_TOC.match(line)]
    with tempfile.TemporaryDirectory(prefix="kiemdiem-restore-") as tmp:
        listing, script, prelude = (Path(tmp) / n for n in ("toc.list", "data.sql", "drop.sql"))
        listing.write_text("\n".join(toc) + "\n", encoding="utf-8")
        _run(
            [pg_tool("pg_restore"), "--no-owner", "--no-privileges", f"--use-list={listing}",
             f"--file={script}", str(file)],
            env, "restore_failed",
        )  # fmt: skip
        drops = [f"DROP TABLE IF EXISTS {_quote(schema)}.{_quote(t)} CASCADE;" for t in tables]
        drops += [
            f"DROP SEQUENCE IF EXISTS {_quote(schema)}.{_quote(q)} CASCADE;" for q in sequences
        ]
        prelude.write_text("\n".join(drops) + "\n", encoding="utf-8")
        _run(
            [pg_tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction",
             "--set=ON_ERROR_STOP=1", f"--dbname={conninfo}", f"--file={prelude}",
             f"--file={script}"],
            env, "restore_failed",
        )  # fmt: skip
