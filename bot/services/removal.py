"""Taking a member off the roster (moved to another organisation, died, expelled): their history
stays, they can no longer act (`bot.services.access` refuses a removed member), and nobody keeps
entering their review in proxy. A roster import that lists them again brings them back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from bot.services import audit
from bot.services.acting import Who, label, member_in_cell
from bot.storage.db import Database
from bot.storage.models import TelegramAccount
from bot.storage.types import utcnow


class RemovalService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def remove(self, who: Who, member_id: int, *, now: datetime | None = None) -> None:
        """Set `removed_at` (checked like any change to the cell: its managers or the CLI)."""
        with self.db.session() as s:
            member = member_in_cell(s, who, member_id)  # member_not_found once removed
            member.removed_at = now or utcnow()
            s.execute(
                update(TelegramAccount)
                .where(TelegramAccount.acting_for_member_id == member_id)
                .values(acting_for_member_id=None)
            )
            audit.record(
                s,
                actor=label(s, who),
                entity="member",
                entity_id=member_id,
                action="remove",
                new={"removed_at": member.removed_at.isoformat()},
            )
