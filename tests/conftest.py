"""Shared fixtures: a real SQLite file and a real PostgreSQL server for every storage test.

PostgreSQL comes from `KIEMDIEM_TEST_POSTGRES_URL` (CI starts a server) or, when that is unset,
from a throwaway server this session starts with `scripts/pg-test-server`. If neither works the
tests fail: nothing is skipped silently.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sandbox.postgres import scratch_schema
from bot.storage import crypto
from bot.storage.db import Database, upgrade

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KIEMDIEM_SHARED_DIR", ROOT.parent / "shared"))


@pytest.fixture(scope="session", autouse=True)
def data_key() -> Iterator[str]:
    """An ephemeral encryption key for the whole run (production refuses to start without one),
    also in the environment for any `kiemdiem` a test starts as a process. The flood guard is
    off too: scripted members answer far faster than people (tests/test_fuzz.py turns it on)."""
    key = crypto.use_ephemeral_key()
    saved = {k: os.environ.get(k) for k in (crypto.ENV, "FLOOD_MAX_UPDATES")}
    os.environ[crypto.ENV] = key
    os.environ["FLOOD_MAX_UPDATES"] = "0"
    yield key
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    url = os.environ.get("KIEMDIEM_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    workdir = tempfile.mkdtemp(prefix="kiemdiem-pg-")
    script = ROOT / "scripts" / "pg-test-server"
    proc = subprocess.run([str(script), "start", workdir], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"could not start PostgreSQL for the tests: {proc.stderr.strip()}")
    try:
        yield proc.stdout.strip()
    finally:
        subprocess.run([str(script), "stop", workdir], capture_output=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: an SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        upgrade(url)
        yield url
    else:
        server = request.getfixturevalue("postgres_server")
        with scratch_schema(server) as url:
            upgrade(url)
            yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'test.db'}"
    upgrade(url)
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()
