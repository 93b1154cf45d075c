"""A throwaway schema on a PostgreSQL server, for the tests and the benchmarks.

Each user gets an empty schema of its own (through `search_path` in the URL), so many tests can
share one server without seeing each other's tables; the schema is dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from bot.storage.db import normalise_url


@contextmanager
def scratch_schema(server_url: str, prefix: str = "t_") -> Iterator[str]:
    """Yield `server_url` pointing at a new empty schema; drop the schema on exit."""
    schema = prefix + uuid.uuid4().hex[:12]
    engine = create_engine(normalise_url(server_url))
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in server_url else "?"
    try:
        yield f"{server_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
