"""A chat user's pending typed input: the `TelegramAccount.awaiting` marker.

Services that take typed input in several steps (a meeting's counts, a collective's report)
keep what the next message is for in the database, not in memory (docs/architecture.md);
this module owns reading and writing that marker and forgetting it when access is lost.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services.errors import UserError
from bot.services.replies import Outcome
from bot.storage.db import Database
from bot.storage.models import TelegramAccount


def account_of(s: Session, tg_user: int) -> TelegramAccount | None:
    return s.execute(
        select(TelegramAccount).where(TelegramAccount.telegram_user_id == tg_user)
    ).scalar()


class AwaitingInput:
    """Base of a service whose `on_text` continues a pending input.

    When the input is refused because the user lost the access behind it (a role revoked, a
    member removed: the error codes in `access_lost`), the marker is cleared, so the next
    message goes back to the member's own review instead of failing again.
    """

    db: Database
    access_lost: frozenset[str] = frozenset()

    def awaiting(self, tg_user: int) -> str:
        with self.db.session() as s:
            account = account_of(s, tg_user)
            return account.awaiting if account is not None else ""

    def _set(self, tg_user: int, value: str) -> None:
        with self.db.session() as s:
            account = account_of(s, tg_user)
            if account is not None:
                account.awaiting = value

    def on_text(self, tg_user: int, text: str) -> Outcome:
        try:
            return self._on_text(tg_user, text)
        except UserError as exc:
            if exc.code in self.access_lost:
                self._set(tg_user, "")
            raise

    def _on_text(self, tg_user: int, text: str) -> Outcome:
        raise NotImplementedError
