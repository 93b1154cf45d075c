"""secretary facts and residence feedback

The residence's feedback on a member (seed 000 Mẫu 04), and the role an invite carries (an
invite the office makes for a cell's secretary or deputy). Facts entered in chat use the
existing `facts` table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.storage.crypto
import bot.storage.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "residence_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("residence_cell_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("other", bot.storage.crypto.EncryptedText(), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("requested_at", bot.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(length=100), nullable=False),
        sa.Column("answered_at", bot.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_residence_feedback_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["review_periods.id"],
            name=op.f("fk_residence_feedback_period_id_review_periods"),
        ),
        sa.ForeignKeyConstraint(
            ["residence_cell_id"],
            ["organisations.id"],
            name=op.f("fk_residence_feedback_residence_cell_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_residence_feedback")),
        sa.UniqueConstraint("period_id", "member_id", name="uq_residence_feedback_member"),
    )
    with op.batch_alter_table("residence_feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_residence_feedback_period_id"), ["period_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_residence_feedback_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_residence_feedback_residence_cell_id"),
            ["residence_cell_id"],
            unique=False,
        )
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(length=16), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.drop_column("role")
    with op.batch_alter_table("residence_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_residence_feedback_residence_cell_id"))
        batch_op.drop_index(batch_op.f("ix_residence_feedback_member_id"))
        batch_op.drop_index(batch_op.f("ix_residence_feedback_period_id"))
    op.drop_table("residence_feedback")
