"""The database schema (SQLAlchemy 2 typed models). The database is the only state of the bot.

Tables, by who writes them:
- the office: organisations (a tree), review periods, deadlines, roles;
- the roster: members, invites, Telegram accounts;
- members: self-reviews and their answers (one row per answered question, committed on arrival);
- secretaries and the office: meetings, ballot entries, facts, overrides, computed results;
- the reminder sweeper: reminders (one row per message to send);
- everyone, through the services: the append-only, hash-chained audit log.

What people type (answers, notes, override reasons, phone numbers, and the audit log's copies of
them) is encrypted at rest (`bot.storage.crypto`, docs/security.md).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.storage.crypto import EncryptedJSON, EncryptedText
from bot.storage.types import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class Organisation(Base):
    """A đảng bộ cơ sở / chi bộ cơ sở (root) or a chi bộ trực thuộc / tổ đảng under it."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    # grassroots (đảng bộ cơ sở or chi bộ cơ sở) | cell (chi bộ trực thuộc) | subcell (tổ đảng)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Organisation | None] = relationship(remote_side=[id])


class Member(Base):
    """A party member (đảng viên) on a cell's roster."""

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("cell_id", "name_key", "birth_date", name="uq_members_identity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    # Case- and accent-folded name for matching a re-imported roster row to the same person.
    name_key: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # official|probationary|exempt|suspended
    admitted_on: Mapped[date | None] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16), default="non_leader")
    party_post: Mapped[str] = mapped_column(String(200), default="")
    government_post: Mapped[str] = mapped_column(String(200), default="")
    mass_org_post: Mapped[str] = mapped_column(String(200), default="")
    civil_servant: Mapped[bool] = mapped_column(Boolean, default=False)
    phone: Mapped[str] = mapped_column(EncryptedText, default="")
    # A member taken off the roster keeps their history; they can no longer act.
    removed_at: Mapped[datetime | None] = mapped_column()
    # `kiemdiem erase`: personal fields replaced by a tombstone after the retention period.
    erased_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TelegramAccount(Base):
    """The one Telegram account of a member: one account per member, one member per account."""

    __tablename__ = "telegram_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), unique=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    username: Mapped[str] = mapped_column(String(64), default="")
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Telegram answered 403 (blocked the bot): reminders stop and the secretary is told.
    unreachable_at: Mapped[datetime | None] = mapped_column()
    preferred_hour: Mapped[int | None] = mapped_column(Integer)
    snoozed_until: Mapped[datetime | None] = mapped_column()
    reminders_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # A secretary entering a review for a member without a smartphone (proxy entry).
    acting_for_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    # What a secretary's next typed message is for ("meeting:<cell>", "ballot:<cell>:<member>",
    # "override:<member>:<level>", "mr:concl:<meeting>:<member>" and the other "mr:" inputs of
    # the meeting's minutes, "fact:<member>:<code>" a fact's value, "residence:<form>" the
    # residence's remark); empty: typed text belongs to the self-review.
    awaiting: Mapped[str] = mapped_column(String(64), default="")


class Role(Base):
    """office (đảng ủy level: the tree under its organisation), secretary, deputy (one cell)."""

    __tablename__ = "roles"
    __table_args__ = (
        UniqueConstraint("member_id", "organisation_id", "role", name="uq_roles_grant"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by: Mapped[str] = mapped_column(String(100), default="")


class Invite(Base):
    """A single-use, expiring deep-link code that binds a Telegram account to a member."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    used_by: Mapped[int | None] = mapped_column(BigInteger)
    revoked_at: Mapped[datetime | None] = mapped_column()
    # "secretary" or "deputy": whoever opens it also gets that role in the member's cell
    # (an invite the office makes for a cell's new secretary); empty for a member's invite.
    role: Mapped[str] = mapped_column(String(16), default="", server_default="")


class ReviewPeriod(Base):
    """One year's review in a grassroots organisation, rated under one rulebook and plan."""

    __tablename__ = "review_periods"
    __table_args__ = (UniqueConstraint("organisation_id", "year", name="uq_review_periods_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    rulebook: Mapped[str] = mapped_column(String(8))
    # The rating plan options of batch-rating.md (vote rule, cap, ...), validated by the engine.
    plan: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The bot's own options of the plan: reminder policy, public holidays, double ballot entry.
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    as_of: Mapped[date | None] = mapped_column(Date)  # the rating date (6-month rule)
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)


class Deadline(Base):
    """A date of a period's calendar, for the whole organisation or one cell."""

    __tablename__ = "deadlines"
    __table_args__ = (
        UniqueConstraint("period_id", "organisation_id", "kind", name="uq_deadlines_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("review_periods.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    kind: Mapped[str] = mapped_column(String(32))  # self_review_due|meeting|results_due|decision
    due_on: Mapped[date] = mapped_column(Date)


class SelfReview(Base):
    """A member's self-review (bản kiểm điểm) of one period; answers are rows of `answers`."""

    __tablename__ = "self_reviews"
    __table_args__ = (UniqueConstraint("period_id", "member_id", name="uq_self_reviews_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("review_periods.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="in_progress")  # in_progress|submitted
    # The question the member is on; derived state, but kept so /back and edits from the
    # summary can move it explicitly. Always a key of the questionnaire or "summary".
    cursor: Mapped[str] = mapped_column(String(64), default="")
    # The part of `cursor` still expected: "" (the answer itself), "note", "remedy",
    # "justify", "task_status". A short sub-step of one question, never a separate question.
    awaiting: Mapped[str] = mapped_column(String(16), default="")
    # Set when the member opened a question from the summary: after it, back to the summary.
    editing: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=0)


class Answer(Base):
    """One answered question of a self-review, committed the moment it arrives."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("review_id", "question", name="uq_answers_question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("self_reviews.id"), index=True)
    question: Mapped[str] = mapped_column(String(64))
    # A choice code, a number or free text; encrypted whole (a code is not worth a second column).
    value: Mapped[str] = mapped_column(EncryptedText, default="")
    note: Mapped[str] = mapped_column(EncryptedText, default="")  # evidence / remedy, free text
    answered_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    proxy: Mapped[bool] = mapped_column(Boolean, default=False)


class Meeting(Base):
    """A cell's rating meeting: the electorate is computed from the roster when it opens."""

    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("period_id", "cell_id", name="uq_meetings_cell"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("review_periods.id"), index=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    held_on: Mapped[date] = mapped_column(Date)
    electorate: Mapped[int] = mapped_column(Integer)
    present: Mapped[int] = mapped_column(Integer)
    # A second count by another counter must match before a ballot locks.
    double_entry: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_by: Mapped[str] = mapped_column(String(100), default="")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)


class BallotEntry(Base):
    """The counts of one secret ballot on one member as one counter entered them.

    entry 1 is the first count; entry 2, when the plan asks for it, a second count by another
    counter that must match before the ballot locks. `locked_at` marks the count as final.
    """

    __tablename__ = "ballot_entries"
    __table_args__ = (
        UniqueConstraint("meeting_id", "member_id", "entry_no", name="uq_ballot_entries_entry"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    entry_no: Mapped[int] = mapped_column(Integer, default=1)
    issued: Mapped[int] = mapped_column(Integer)
    collected: Mapped[int] = mapped_column(Integer)
    invalid: Mapped[int] = mapped_column(Integer)
    votes_xs: Mapped[int] = mapped_column(Integer)
    votes_t: Mapped[int] = mapped_column(Integer)
    votes_tb: Mapped[int] = mapped_column(Integer)
    votes_k: Mapped[int] = mapped_column(Integer)
    round2_yes: Mapped[int | None] = mapped_column(Integer)
    round2_no: Mapped[int | None] = mapped_column(Integer)
    round2_invalid: Mapped[int | None] = mapped_column(Integer)
    counter: Mapped[str] = mapped_column(String(100), default="")
    entered_by: Mapped[str] = mapped_column(String(100), default="")
    entered_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    locked_at: Mapped[datetime | None] = mapped_column()


class MeetingMinutes(Base):
    """What a meeting's programme and minutes (biên bản hội nghị) say beyond the ballots: the
    place, the chair and the minute-taker chosen in chat, and whether the minutes are closed.
    One row per meeting, made when the secretary first sets something."""

    __tablename__ = "meeting_minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), unique=True)
    place: Mapped[str] = mapped_column(String(200), default="")
    chair_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    minute_taker_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    # Closed: conclusions, attendance, chair and minute-taker no longer change (until reopened).
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_by: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MeetingAbsence(Base):
    """A member absent from the meeting, with the reason the secretary typed."""

    __tablename__ = "meeting_absences"
    __table_args__ = (
        UniqueConstraint("meeting_id", "member_id", name="uq_meeting_absences_member"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    reason: Mapped[str] = mapped_column(EncryptedText, default="")
    set_by: Mapped[str] = mapped_column(String(100), default="")
    set_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MeetingConclusion(Base):
    """The chair's conclusion on one reviewed member, as dictated in chat (free text)."""

    __tablename__ = "meeting_conclusions"
    __table_args__ = (
        UniqueConstraint("meeting_id", "member_id", name="uq_meeting_conclusions_member"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    text: Mapped[str] = mapped_column(EncryptedText, default="")
    set_by: Mapped[str] = mapped_column(String(100), default="")
    set_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Fact(Base):
    """A fact about a member in a period (DOMAIN.md §5.4, the `facts` of batch-rating.md)."""

    __tablename__ = "facts"
    __table_args__ = (UniqueConstraint("period_id", "member_id", "key", name="uq_facts_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("review_periods.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON)
    set_by: Mapped[str] = mapped_column(String(100), default="")
    set_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ResidenceFeedback(Base):
    """The residence's feedback on a member (seed 000 Mẫu 04 "Phiếu nhận xét"), one per member
    and period: six questions with three choices each, and a free-text "other remarks".

    Entered by the member's own cell (`source` "cell": its secretary types it in, from the
    paper form or what it knows), or requested from the secretary of the cell where the member
    lives (`source` "residence"), who answers in chat; `cursor` is the question being answered,
    so a stopped answer resumes where it stopped.
    """

    __tablename__ = "residence_feedback"
    __table_args__ = (
        UniqueConstraint("period_id", "member_id", name="uq_residence_feedback_member"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("review_periods.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    # The cell of the member's residence, when known (always set for a request).
    residence_cell_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    source: Mapped[str] = mapped_column(String(16), default="cell")  # cell | residence
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft|requested|answered
    cursor: Mapped[int] = mapped_column(Integer, default=1)  # 1-7, the question being answered
    # Question number ("1"-"6") -> the choice (1 best, 3 weakest): codes, not free text.
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    other: Mapped[str] = mapped_column(EncryptedText, default="")  # 7. Nhận xét khác
    requested_by: Mapped[str] = mapped_column(String(100), default="")
    requested_at: Mapped[datetime | None] = mapped_column()
    answered_by: Mapped[str] = mapped_column(String(100), default="")
    answered_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Result(Base):
    """The last computed rating of a member, with its reasons (the member entry of the output)."""

    __tablename__ = "results"
    __table_args__ = (UniqueConstraint("period_id", "member_id", name="uq_results_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("review_periods.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    proposed: Mapped[str | None] = mapped_column(String(16))
    final: Mapped[str | None] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Override(Base):
    """A secretary's (or the office's) written decision to depart from the proposal."""

    __tablename__ = "overrides"
    __table_args__ = (UniqueConstraint("period_id", "member_id", name="uq_overrides_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("review_periods.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(EncryptedText)
    by: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Append-only log of every change to ballots, facts, results, overrides and roles.

    Each entry carries the hash of the previous one, so a removed or edited row breaks the chain.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    # Encrypted: they copy answers, reasons and roster rows. The hash covers the plain values.
    old: Mapped[Any] = mapped_column(EncryptedJSON, nullable=True)
    new: Mapped[Any] = mapped_column(EncryptedJSON, nullable=True)
    proxy: Mapped[bool] = mapped_column(Boolean, default=False)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64), default="")


class Reminder(Base):
    """One message the reminder sender owes somebody. The sweeper claims due rows; the paced
    sender marks each one before taking the next, so a crash resends at most the one in flight."""

    __tablename__ = "reminders"
    __table_args__ = (
        Index("ix_reminders_due", "state", "due_at"),
        UniqueConstraint("dedupe_key", name="uq_reminders_dedupe_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    period_id: Mapped[int | None] = mapped_column(ForeignKey("review_periods.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    due_at: Mapped[datetime] = mapped_column()
    # pending -> sending -> sent | failed | unreachable | cancelled
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    claimed_by: Mapped[str] = mapped_column(String(64), default="")
    claimed_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    # kind + recipient + occasion: the same reminder is never planned twice.
    dedupe_key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Collective(Base):
    """A leadership collective of a period (tập thể lãnh đạo): a chi ủy, a đảng ủy, a ban thường
    vụ or an agency's leadership; its report (drafting -> sent -> final), its meeting date, its
    facts, and its rating once the ballot is in (`level`, with the rules' output in `payload`)."""

    __tablename__ = "collectives"
    __table_args__ = (
        UniqueConstraint("period_id", "organisation_id", "kind", name="uq_collectives_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("review_periods.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # chi_uy | dang_uy | ban_thuong_vu | agency
    name: Mapped[str] = mapped_column(String(200))
    formed_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="drafting")  # drafting|sent|final
    meeting_on: Mapped[date | None] = mapped_column(Date)
    sent_at: Mapped[datetime | None] = mapped_column()
    finalised_at: Mapped[datetime | None] = mapped_column()
    # The collective facts of bot.rules.collective.CollectiveFacts set by the office (JSON).
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    level: Mapped[str | None] = mapped_column(String(16))  # the rating, after the ballot
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    rated_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CollectiveMember(Base):
    """A member of a collective: its head (người đứng đầu), a deputy, or a member."""

    __tablename__ = "collective_members"
    __table_args__ = (
        UniqueConstraint("collective_id", "member_id", name="uq_collective_members_member"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # head | deputy | member
    position: Mapped[int] = mapped_column(Integer, default=0)


class CollectiveSection(Base):
    """One section of the collective's report (Mẫu 01) as its head drafted it."""

    __tablename__ = "collective_sections"
    __table_args__ = (
        UniqueConstraint("collective_id", "section", name="uq_collective_sections_section"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id"), index=True)
    section: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(EncryptedText, default="")
    grade: Mapped[str] = mapped_column(String(8), default="")  # XS | T | TB | K (2019 / 2023)
    points: Mapped[str] = mapped_column(String(16), default="")  # exact decimal (2025)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)  # "(nếu có)": nothing to say
    updated_by: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CollectiveComment(Base):
    """A member's comment on the draft report, and the head's acceptance or answer."""

    __tablename__ = "collective_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    section: Mapped[str] = mapped_column(String(32), default="")  # "" for the whole report
    text: Mapped[str] = mapped_column(EncryptedText, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    response: Mapped[str] = mapped_column(String(16), default="")  # "" | accepted | answered
    answer: Mapped[str] = mapped_column(EncryptedText, default="")
    responded_by: Mapped[str] = mapped_column(String(100), default="")
    responded_at: Mapped[datetime | None] = mapped_column()


class CollectiveBallot(Base):
    """A secret ballot before a collective, as counted: on the collective itself (subject
    "collective", seed 000 Mẫu 07 / 09) or on one of its members reviewed at their post
    (subject "member:<id>"); `level` is what the rules give, `payload` their reasons and, for a
    member, the summary carried over from their cell's review."""

    __tablename__ = "collective_ballots"
    __table_args__ = (
        UniqueConstraint("collective_id", "subject", name="uq_collective_ballots_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id"), index=True)
    subject: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    electorate: Mapped[int] = mapped_column(Integer)
    present: Mapped[int] = mapped_column(Integer)
    issued: Mapped[int] = mapped_column(Integer)
    collected: Mapped[int] = mapped_column(Integer)
    invalid: Mapped[int] = mapped_column(Integer)
    votes_xs: Mapped[int] = mapped_column(Integer)
    votes_t: Mapped[int] = mapped_column(Integer)
    votes_tb: Mapped[int] = mapped_column(Integer)
    votes_k: Mapped[int] = mapped_column(Integer)
    round2_yes: Mapped[int | None] = mapped_column(Integer)
    round2_no: Mapped[int | None] = mapped_column(Integer)
    round2_invalid: Mapped[int | None] = mapped_column(Integer)
    level: Mapped[str | None] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    entered_by: Mapped[str] = mapped_column(String(100), default="")
    entered_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ProcessedUpdate(Base):
    """A Telegram update whose changes are committed: recorded in the same transaction, so a
    redelivery of it (a lost getUpdates confirmation, a webhook retry) is recognised and skipped
    (`bot.storage.db`). `digest` tells a redelivery (the same update) from a new update that
    reuses an old id. Rows older than two days are pruned (Telegram keeps updates for one)."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    digest: Mapped[str] = mapped_column(String(32))
    handled_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
