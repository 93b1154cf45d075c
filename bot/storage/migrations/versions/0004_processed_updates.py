"""processed updates

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

Telegram updates whose changes are committed, recorded in the same transaction, so that a
redelivered update is not applied twice (bot/storage/db.py, docs/deploy.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.storage.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("digest", sa.String(length=32), nullable=False),
        sa.Column("handled_at", bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_processed_updates")),
    )
    op.create_index(
        op.f("ix_processed_updates_handled_at"), "processed_updates", ["handled_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_processed_updates_handled_at"), table_name="processed_updates")
    op.drop_table("processed_updates")
