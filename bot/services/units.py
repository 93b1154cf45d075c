"""One Telegram update, one unit of work: what a handler's service call adds to `Services.call`.

- **Handled once.** The call runs in a `bot.storage.db.Unit` naming the update: its first
  session looks the update up in `processed_updates`, and the first of its sessions that
  changes something records it there in the same transaction. A redelivery of the update (a
  lost getUpdates confirmation, a webhook retry) is recognised and skipped: `run_unit` returns
  None, and the handler says nothing. Two copies handled at the same moment by two processes:
  the one that records the update answers; the other finds it recorded when it fails (on the
  table's key, or on another unique key it collided on) or when it ends without a change.
- **The database briefly unavailable** (SQLite locked by another writer beyond the busy timeout,
  PostgreSQL restarting or the connection dropped): the call is tried again after a pause, as
  long as no session of the failed attempt committed a change, so nothing is done twice and
  nothing is half-written (every session is one transaction). When the pauses are used up the
  member is told, in Vietnamese, to send it again (`UserError("database_busy")`).
- **A connection lost during COMMIT** leaves the outcome unknown. The unit records its update, so
  a retry finds out: it runs again if the commit did not happen, and if it did, the member is
  told their message was saved and how to see where they are.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError

from bot.services.errors import UserError
from bot.storage.db import (
    AlreadyHandled,
    CommitFailed,
    Database,
    Unit,
    handled_before,
    is_transient,
    unit_of_work,
)

log = logging.getLogger(__name__)
R = TypeVar("R")


def _in_unit(unit: Unit, fn: Callable[..., R], *args: Any) -> R:
    with unit_of_work(unit):
        return fn(*args)


async def run_unit(
    db: Database, update_id: int | None, digest: str, fn: Callable[..., R], *args: Any
) -> R | None:
    """`fn(*args)` off the event loop as the unit of work of update `update_id` (None: of no
    update; then nothing is recorded and a failed COMMIT is not retried). None: the update was
    handled before. Pauses between attempts: `db.retry_delays`."""
    unit = Unit(update_id, digest)
    delays = db.retry_delays
    uncertain = False  # an earlier attempt failed in COMMIT: it may have been applied
    cause = ""
    for attempt in range(len(delays) + 1):
        try:
            result = await asyncio.to_thread(_in_unit, unit, fn, *args)
            # A call that changed nothing recorded nothing. If a copy of the update was being
            # handled at the same moment elsewhere (read committed: this call may have looked
            # before that copy committed, and then read what it wrote, e.g. "a stale button"),
            # only that copy answers.
            if update_id is not None and not unit.claimed and await asyncio.to_thread(
                handled_before, db, update_id, digest
            ):
                log.info("update %s was handled at the same time elsewhere", update_id)
                return None
            return result
        except UserError:
            # The same for a refusal: the copy handled elsewhere may be what made it refuse.
            if update_id is not None and not unit.claimed and await asyncio.to_thread(
                handled_before, db, update_id, digest
            ):
                return None
            raise
        except AlreadyHandled:
            if uncertain:
                raise UserError("update_saved_reply_lost") from None
            log.info("update %s was handled before: skipped", update_id)
            return None
        except CommitFailed as exc:
            # Retried only when the failed COMMIT was the first change of the call: the one
            # that records the update, so the retry can tell whether it was applied.
            if update_id is None or unit.writes:
                log.warning("database connection lost during COMMIT")
                raise UserError("database_unsure") from exc
            uncertain, cause = True, "COMMIT"
        except DBAPIError as exc:
            if not is_transient(exc):
                # Two copies of one update handled at once by two processes (a webhook retry)
                # may collide on a unique key before either reaches `processed_updates`: if
                # the other copy is recorded now, this one was a redelivery after all.
                if update_id is not None and await asyncio.to_thread(
                    handled_before, db, update_id, digest
                ):
                    log.info("update %s was handled at the same time elsewhere", update_id)
                    return None
                raise
            if unit.writes:  # part of the call is committed: repeating it could do it twice
                log.warning("database unavailable after a commit (%s)", type(exc.orig).__name__)
                raise UserError("database_busy") from exc
            cause = type(exc.orig).__name__
        if attempt == len(delays):
            log.warning("database unavailable (%s) after %d attempts", cause, attempt + 1)
            raise UserError("database_unsure" if uncertain else "database_busy")
        log.warning("database unavailable (%s); trying again in %ss", cause, delays[attempt])
        await asyncio.sleep(delays[attempt])
    raise AssertionError("unreachable")
