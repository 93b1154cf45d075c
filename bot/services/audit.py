"""The append-only audit log, with each entry chained to the previous one by a SHA-256 hash.

Writers are serialised (SQLite: the write lock every transaction takes; PostgreSQL: a
transaction-scoped advisory lock), so two processes never chain onto the same predecessor.

The hash covers `old` and `new` through `digest`, a hash built field by field, so that after the
retention period a personal field can be replaced by its tombstone (`{"__erased__": digest}`,
`kiemdiem erase`) and the chain still verifies: erasing changes no hash, while editing any field
that is still there breaks it as before.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bot.storage.models import AuditEntry
from bot.storage.types import utcnow

_LOCK_KEY = 0x6B64_6175  # "kdau": the audit chain's advisory lock on PostgreSQL


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


ERASED = "__erased__"


def _sha(value: Any) -> str:
    return hashlib.sha256(_canonical(value).encode("utf-8")).hexdigest()


def digest(value: Any) -> str:
    """The SHA-256 of a JSON value, computed from its members' digests; a tombstone stands for
    the digest of what it replaced. Tagged by kind, so a list never hashes like a dict."""
    if isinstance(value, dict):
        if set(value) == {ERASED}:
            return str(value[ERASED])
        return _sha(["d", {str(k): digest(v) for k, v in value.items()}])
    if isinstance(value, list):
        return _sha(["l", [digest(v) for v in value]])
    return _sha(["s", value])


def tombstone(value: Any) -> dict[str, str]:
    """What an erased value is replaced with: the digest it contributed, nothing else."""
    return {ERASED: digest(value)}


def is_tombstone(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {ERASED}


def erase_fields(value: Any, keys: frozenset[str] | None) -> Any:
    """`value` with the named fields of a dict (all of it when `keys` is None) tombstoned."""
    if value is None or is_tombstone(value):
        return value
    if keys is None or not isinstance(value, dict):
        return tombstone(value)
    return {k: (tombstone(v) if k in keys and not is_tombstone(v) else v) for k, v in value.items()}


def entry_hash(
    prev_hash: str,
    at: datetime,
    actor: str,
    entity: str,
    entity_id: str,
    action: str,
    old: Any,
    new: Any,
    proxy: bool,
) -> str:
    old_d = digest(old) if old is not None else None
    new_d = digest(new) if new is not None else None
    body = _canonical(
        [prev_hash, at.isoformat(), actor, entity, entity_id, action, old_d, new_d, proxy]
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record(
    session: Session,
    *,
    actor: str,
    entity: str,
    entity_id: object,
    action: str,
    old: Any = None,
    new: Any = None,
    proxy: bool = False,
) -> AuditEntry:
    """Append one entry in the caller's transaction (it commits or rolls back with the change)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    prev = session.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()
    at = utcnow().replace(microsecond=0)
    old = json.loads(_canonical(old)) if old is not None else None
    new = json.loads(_canonical(new)) if new is not None else None
    entry = AuditEntry(
        at=at,
        actor=actor,
        entity=entity,
        entity_id=str(entity_id),
        action=action,
        old=old,
        new=new,
        proxy=proxy,
        prev_hash=prev or "",
    )
    entry.hash = entry_hash(
        entry.prev_hash, at, actor, entity, str(entity_id), action, old, new, proxy
    )
    session.add(entry)
    session.flush()
    return entry


def verify_chain(session: Session) -> list[int]:
    """Ids of entries whose hash or link does not match; empty when the chain is intact."""
    bad: list[int] = []
    prev = ""
    for e in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars():
        expected = entry_hash(
            prev, e.at, e.actor, e.entity, e.entity_id, e.action, e.old, e.new, e.proxy
        )
        if e.prev_hash != prev or e.hash != expected:
            bad.append(e.id)
        prev = e.hash
    return bad
