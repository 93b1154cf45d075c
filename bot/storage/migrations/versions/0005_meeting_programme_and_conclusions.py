"""meeting programme and conclusions

The meeting's minutes (biên bản hội nghị): place, chair, minute-taker and closing of a meeting
(`meeting_minutes`), the members absent with their reasons (`meeting_absences`) and the chair's
conclusion on each reviewed member (`meeting_conclusions`). Free text is encrypted.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.storage.crypto
import bot.storage.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meeting_minutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("chair_member_id", sa.Integer(), nullable=True),
        sa.Column("minute_taker_member_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", bot.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_minutes_meeting_id_meetings")
        ),
        sa.ForeignKeyConstraint(
            ["chair_member_id"],
            ["members.id"],
            name=op.f("fk_meeting_minutes_chair_member_id_members"),
        ),
        sa.ForeignKeyConstraint(
            ["minute_taker_member_id"],
            ["members.id"],
            name=op.f("fk_meeting_minutes_minute_taker_member_id_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_minutes")),
        sa.UniqueConstraint("meeting_id", name=op.f("uq_meeting_minutes_meeting_id")),
    )
    for table in ("meeting_absences", "meeting_conclusions"):
        text_column = "reason" if table == "meeting_absences" else "text"
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("meeting_id", sa.Integer(), nullable=False),
            sa.Column("member_id", sa.Integer(), nullable=False),
            sa.Column(text_column, bot.storage.crypto.EncryptedText(), nullable=False),
            sa.Column("set_by", sa.String(length=100), nullable=False),
            sa.Column("set_at", bot.storage.types.UTCDateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(
                ["meeting_id"], ["meetings.id"], name=op.f(f"fk_{table}_meeting_id_meetings")
            ),
            sa.ForeignKeyConstraint(
                ["member_id"], ["members.id"], name=op.f(f"fk_{table}_member_id_members")
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            sa.UniqueConstraint("meeting_id", "member_id", name=f"uq_{table}_member"),
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_meeting_id"), ["meeting_id"])
            batch_op.create_index(batch_op.f(f"ix_{table}_member_id"), ["member_id"])


def downgrade() -> None:
    for table in ("meeting_conclusions", "meeting_absences"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_member_id"))
            batch_op.drop_index(batch_op.f(f"ix_{table}_meeting_id"))
        op.drop_table(table)
    op.drop_table("meeting_minutes")
