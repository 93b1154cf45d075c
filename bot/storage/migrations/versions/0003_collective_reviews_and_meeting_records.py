"""collective reviews and meeting records

Leadership collectives of a period, their members, the sections of their report, the members'
comments and the head's answers, and the ballots before a collective (on the collective, and
on its members reviewed at their post).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.storage.crypto
import bot.storage.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, bot.storage.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "collectives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("formed_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("meeting_on", sa.Date(), nullable=True),
        _when("sent_at", True),
        _when("finalised_at", True),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        _when("rated_at", True),
        _when("created_at", False),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["review_periods.id"],
            name=op.f("fk_collectives_period_id_review_periods"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_collectives_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collectives")),
        sa.UniqueConstraint("period_id", "organisation_id", "kind", name="uq_collectives_kind"),
    )
    with op.batch_alter_table("collectives", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collectives_period_id"), ["period_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_collectives_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "collective_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_collective_members_collective_id_collectives"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_collective_members_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collective_members")),
        sa.UniqueConstraint("collective_id", "member_id", name="uq_collective_members_member"),
    )
    with op.batch_alter_table("collective_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collective_members_collective_id"), ["collective_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_collective_members_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "collective_sections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=32), nullable=False),
        sa.Column("text", bot.storage.crypto.EncryptedText(), nullable=False),
        sa.Column("grade", sa.String(length=8), nullable=False),
        sa.Column("points", sa.String(length=16), nullable=False),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        _when("updated_at", False),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_collective_sections_collective_id_collectives"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collective_sections")),
        sa.UniqueConstraint("collective_id", "section", name="uq_collective_sections_section"),
    )
    with op.batch_alter_table("collective_sections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collective_sections_collective_id"), ["collective_id"], unique=False
        )

    op.create_table(
        "collective_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=32), nullable=False),
        sa.Column("text", bot.storage.crypto.EncryptedText(), nullable=False),
        _when("created_at", False),
        sa.Column("response", sa.String(length=16), nullable=False),
        sa.Column("answer", bot.storage.crypto.EncryptedText(), nullable=False),
        sa.Column("responded_by", sa.String(length=100), nullable=False),
        _when("responded_at", True),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_collective_comments_collective_id_collectives"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["members.id"], name=op.f("fk_collective_comments_author_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collective_comments")),
    )
    with op.batch_alter_table("collective_comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collective_comments_collective_id"), ["collective_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_collective_comments_author_id"), ["author_id"], unique=False
        )

    op.create_table(
        "collective_ballots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("electorate", sa.Integer(), nullable=False),
        sa.Column("present", sa.Integer(), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("collected", sa.Integer(), nullable=False),
        sa.Column("invalid", sa.Integer(), nullable=False),
        sa.Column("votes_xs", sa.Integer(), nullable=False),
        sa.Column("votes_t", sa.Integer(), nullable=False),
        sa.Column("votes_tb", sa.Integer(), nullable=False),
        sa.Column("votes_k", sa.Integer(), nullable=False),
        sa.Column("round2_yes", sa.Integer(), nullable=True),
        sa.Column("round2_no", sa.Integer(), nullable=True),
        sa.Column("round2_invalid", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("entered_by", sa.String(length=100), nullable=False),
        _when("entered_at", False),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_collective_ballots_collective_id_collectives"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_collective_ballots_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collective_ballots")),
        sa.UniqueConstraint("collective_id", "subject", name="uq_collective_ballots_subject"),
    )
    with op.batch_alter_table("collective_ballots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collective_ballots_collective_id"), ["collective_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_collective_ballots_member_id"), ["member_id"], unique=False
        )


def downgrade() -> None:
    for table, indexes in (
        ("collective_ballots", ("member_id", "collective_id")),
        ("collective_comments", ("author_id", "collective_id")),
        ("collective_sections", ("collective_id",)),
        ("collective_members", ("member_id", "collective_id")),
        ("collectives", ("organisation_id", "period_id")),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in indexes:
                batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
        op.drop_table(table)
