"""A member's own data and its end: `/mydata` (everything the bot holds about the member, as a
protected file), `kiemdiem erase` (personal data replaced by tombstones after the retention
period) and `kiemdiem keys rotate` (every encrypted value re-encrypted with the newest key).

What "about a member" means is decided here once, for the export and the erasure alike:
their roster row, Telegram account, roles, reviews and answers, facts, ballot counts, results,
overrides, reminders, and the audit entries whose entity is one of those.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Text, bindparam, column, delete, func, select, table, update
from sqlalchemy.orm import Session

from bot.services import audit
from bot.services.access import require_actor
from bot.services.errors import UserError
from bot.services.replies import Document, Outcome
from bot.storage import crypto
from bot.storage.db import Database
from bot.storage.models import (
    Answer,
    AuditEntry,
    BallotEntry,
    Base,
    CollectiveComment,
    Fact,
    Invite,
    Meeting,
    MeetingAbsence,
    MeetingConclusion,
    Member,
    Organisation,
    Override,
    Reminder,
    ResidenceFeedback,
    Result,
    ReviewPeriod,
    Role,
    SelfReview,
    TelegramAccount,
)
from bot.storage.types import utcnow
from bot.texts import render, render_string

# Audit entities whose entity_id is the member id itself.
_BY_MEMBER = ("member", "invite", "role", "proxy", "reminders")
# Audit entities whose entity_id is "<period or meeting id>/<member id>".
_BY_PAIR = ("override", "result", "facts", "ballot", "conclusion", "absence", "residence")
# Fields of the audit copies that are personal. None: the whole old/new is (answers typed by a
# secretary in proxy, facts such as a discipline). Entities not listed hold no personal field.
_PERSONAL: dict[str, frozenset[str] | None] = {
    "member": frozenset(
        {
            "full_name",
            "birth_date",
            "phone",
            "admitted_on",
            "party_post",
            "government_post",
            "mass_org_post",
        }
    ),
    "answer": None,
    "facts": None,
    "override": frozenset({"reason"}),
    "ballot": frozenset({"reason"}),
    "conclusion": frozenset({"text"}),  # the chair's conclusion on the member (meeting minutes)
    "absence": frozenset({"reason"}),
    "residence": frozenset({"other"}),  # the residence cell's "other remarks" on the member
}
ROTATE_BATCH = 500


@dataclass(frozen=True)
class Erasure:
    member_id: int
    last_activity: datetime
    forced: bool
    answers: int
    facts: int
    audit_entries: int


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February in a year that has none
        return moment.replace(year=moment.year - years, day=28)


class PrivacyService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- /mydata -----------------------------------------------------------------------------

    def my_data(self, tg_user: int) -> Outcome:
        """The member's own data as a JSON file, sent protected (no forwarding, no saving).

        Always the member's own, even while a secretary is entering a review in proxy."""
        with self.db.session() as s:
            actor = require_actor(s, tg_user)
            data = member_export(s, actor.member_id)
        body = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
        day = utcnow().date().isoformat()
        doc = Document(
            filename=f"du-lieu-cua-toi-{day}.json",
            data=body,
            caption=render_string("labels.yaml", "mydata_caption"),
            protect=True,
        )
        counts = {
            "reviews": len(data["reviews"]),
            "answers": sum(len(r["answers"]) for r in data["reviews"]),
            "audit": len(data["audit"]),
        }
        return Outcome().say(render("privacy/mydata.j2", counts=counts)).send_document(doc)

    # ---- kiemdiem erase ----------------------------------------------------------------------

    def erase(
        self,
        member_id: int,
        older_than_years: int,
        *,
        force: bool = False,
        actor: str = "cli",
        now: datetime | None = None,
    ) -> Erasure:
        """Replace the member's personal data by tombstones, once their last activity is more
        than `older_than_years` ago (or with `force`). One transaction: all or nothing.

        Kept: the member's id, cell, status and kind, their reviews' status and dates, ballot
        counts, results and override levels, and every audit entry (personal fields inside them
        become tombstones, which keep the hash chain valid). Erased: name, birth date, phone,
        dates and posts, answers and notes, facts, override reasons, the Telegram link, invites,
        reminders and roles. The erasure itself is an audit entry."""
        if older_than_years < 1:
            raise UserError("erase_bad_years", years=older_than_years)
        now = now or utcnow()
        with self.db.session() as s:
            member = s.get(Member, member_id)
            if member is None:
                raise UserError("member_not_found", member_id=member_id)
            if member.erased_at is not None:
                raise UserError(
                    "erase_already", member_id=member_id, at=member.erased_at.date().isoformat()
                )
            last = last_activity(s, member)
            kept_until = _years_before(now, older_than_years)
            if last > kept_until and not force:
                raise UserError(
                    "erase_within_retention",
                    member_id=member_id,
                    last=last.strftime("%d/%m/%Y"),
                    years=older_than_years,
                    until=_years_before(last, -older_than_years).strftime("%d/%m/%Y"),
                )
            reviews = _review_ids(s, member_id)
            answers = _erase_rows(s, member_id, reviews, now)
            facts = int(
                s.execute(
                    select(func.count(Fact.id)).where(Fact.member_id == member_id)
                ).scalar_one()
            )
            s.execute(delete(Fact).where(Fact.member_id == member_id))
            entries = 0
            for entry in _audit_entries(s, member_id, reviews):
                keys = _PERSONAL.get(entry.entity, frozenset())
                if keys is not None and not keys:
                    continue
                old, new = audit.erase_fields(entry.old, keys), audit.erase_fields(entry.new, keys)
                if (old, new) != (entry.old, entry.new):
                    entry.old, entry.new = old, new
                    entries += 1
            member.full_name = render_string("labels.yaml", "erased_name", id=member.id)
            member.name_key = f"erased-{member.id}"
            member.birth_date = member.admitted_on = None
            member.phone = member.party_post = member.government_post = member.mass_org_post = ""
            member.removed_at = member.removed_at or now
            member.erased_at = now
            audit.record(
                s,
                actor=actor,
                entity="member",
                entity_id=member_id,
                action="erase",
                new={
                    "older_than_years": older_than_years,
                    "forced": force,
                    "last_activity": last.isoformat(),
                    "answers": answers,
                    "facts": facts,
                    "audit_entries": entries,
                },
            )
            return Erasure(member_id, last, force, answers, facts, entries)

    # ---- kiemdiem keys rotate ----------------------------------------------------------------

    def rotate_keys(self) -> dict[str, int]:
        """Re-encrypt every encrypted value with the newest key; counts by `table.column`.

        Works on the stored tokens directly (MultiFernet.rotate), so values are never
        compared or parsed and every row is rewritten, even one already under the newest key.
        One transaction: an interrupted rotation leaves everything as it was."""
        ring = crypto.keyring()
        counts: dict[str, int] = {}
        with self.db.session() as s:
            for name, col in encrypted_columns():
                raw = table(name, column("id"), column(col, Text))
                done = 0
                last_id = 0
                while True:
                    rows = s.execute(
                        select(raw.c.id, raw.c[col])
                        .where(raw.c[col].is_not(None), raw.c.id > last_id)
                        .order_by(raw.c.id)
                        .limit(ROTATE_BATCH)
                    ).all()
                    if not rows:
                        break
                    s.execute(
                        update(raw).where(raw.c.id == bindparam("row_id")),
                        [{"row_id": i, col: ring.rotate(token)} for i, token in rows],
                    )
                    done += len(rows)
                    last_id = rows[-1][0]
                counts[f"{name}.{col}"] = done
        return counts


def encrypted_columns() -> list[tuple[str, str]]:
    """(table, column) of every encrypted column of the schema."""
    out: list[tuple[str, str]] = []
    for t in Base.metadata.sorted_tables:
        for c in t.columns:
            if isinstance(c.type, (crypto.EncryptedText, crypto.EncryptedJSON)):
                out.append((t.name, c.name))
    return out


# ---- what belongs to a member ---------------------------------------------------------------


def _review_ids(s: Session, member_id: int) -> list[int]:
    return list(
        s.execute(select(SelfReview.id).where(SelfReview.member_id == member_id)).scalars()
    )


def _audit_entries(s: Session, member_id: int, review_ids: Iterable[int]) -> list[AuditEntry]:
    """The audit entries about the member (not the ones they made about others).

    Filtered on the plain columns first, so only the matching rows are decrypted."""
    reviews = {str(r) for r in review_ids}
    me = str(member_id)
    ids: list[int] = []
    for entry_id, entity, entity_id in s.execute(
        select(AuditEntry.id, AuditEntry.entity, AuditEntry.entity_id).where(
            AuditEntry.entity.in_((*_BY_MEMBER, *_BY_PAIR, "self_review", "answer"))
        )
    ).all():
        if (
            (entity in _BY_MEMBER and entity_id == me)
            or (entity in _BY_PAIR and entity_id.rpartition("/")[2] == me)
            or (entity == "self_review" and entity_id in reviews)
            or (entity == "answer" and entity_id.partition("/")[0] in reviews)
        ):
            ids.append(entry_id)
    if not ids:
        return []
    return list(
        s.execute(select(AuditEntry).where(AuditEntry.id.in_(ids)).order_by(AuditEntry.id))
        .scalars()
        .all()
    )


def last_activity(s: Session, member: Member) -> datetime:
    """The latest moment anything about the member changed: the retention period's start."""
    reviews = _review_ids(s, member.id)
    candidates: list[datetime | None] = [member.created_at, member.updated_at, member.removed_at]
    candidates += [
        s.execute(select(func.max(SelfReview.updated_at)).where(
            SelfReview.member_id == member.id)).scalar(),
        s.execute(select(func.max(Result.computed_at)).where(
            Result.member_id == member.id)).scalar(),
        s.execute(select(func.max(Override.at)).where(Override.member_id == member.id)).scalar(),
        s.execute(select(func.max(Fact.set_at)).where(Fact.member_id == member.id)).scalar(),
        s.execute(select(func.max(ResidenceFeedback.updated_at)).where(
            ResidenceFeedback.member_id == member.id)).scalar(),
        s.execute(select(func.max(BallotEntry.entered_at)).where(
            BallotEntry.member_id == member.id)).scalar(),
    ]  # fmt: skip
    if reviews:
        candidates.append(
            s.execute(
                select(func.max(Answer.answered_at)).where(Answer.review_id.in_(reviews))
            ).scalar()
        )
    return max(c for c in candidates if c is not None)


def _erase_rows(s: Session, member_id: int, reviews: list[int], now: datetime) -> int:
    """Delete or blank what is personal outside the audit log; the number of answers erased."""
    answers = 0
    if reviews:
        answers = int(
            s.execute(
                select(func.count(Answer.id)).where(Answer.review_id.in_(reviews))
            ).scalar_one()
        )
        s.execute(delete(Answer).where(Answer.review_id.in_(reviews)))
        s.execute(
            update(SelfReview)
            .where(SelfReview.id.in_(reviews))
            .values(cursor="", awaiting="", editing=False)
        )
    erased = render_string("labels.yaml", "erased_text")
    for o in s.execute(select(Override).where(Override.member_id == member_id)).scalars():
        o.reason = erased
    for cc in s.execute(
        select(CollectiveComment).where(CollectiveComment.author_id == member_id)
    ).scalars():
        cc.text = erased  # their comments on a collective's draft report
    for fb in s.execute(
        select(ResidenceFeedback).where(ResidenceFeedback.member_id == member_id)
    ).scalars():
        if fb.other:
            fb.other = erased
    for c in s.execute(
        select(MeetingConclusion).where(MeetingConclusion.member_id == member_id)
    ).scalars():
        c.text = erased
    for a in s.execute(
        select(MeetingAbsence).where(MeetingAbsence.member_id == member_id)
    ).scalars():
        a.reason = erased
    for r in s.execute(select(Result).where(Result.member_id == member_id)).scalars():
        if isinstance(r.payload, dict) and "name" in r.payload:
            r.payload = {k: v for k, v in r.payload.items() if k != "name"}
    # Another account entering this member's review in proxy stops doing so.
    s.execute(
        update(TelegramAccount)
        .where(TelegramAccount.acting_for_member_id == member_id)
        .values(acting_for_member_id=None)
    )
    s.execute(delete(TelegramAccount).where(TelegramAccount.member_id == member_id))
    s.execute(delete(Invite).where(Invite.member_id == member_id))
    s.execute(delete(Reminder).where(Reminder.member_id == member_id))
    s.execute(delete(Role).where(Role.member_id == member_id))
    return answers


def member_export(s: Session, member_id: int) -> dict[str, Any]:
    """Everything the bot holds about one member, as plain JSON-ready data."""
    m = s.get(Member, member_id)
    if m is None:
        raise UserError("member_not_found", member_id=member_id)
    cell = s.get(Organisation, m.cell_id)
    account = s.execute(
        select(TelegramAccount).where(TelegramAccount.member_id == member_id)
    ).scalar()
    years = {p.id: p.year for p in s.execute(select(ReviewPeriod)).scalars()}
    reviews = list(
        s.execute(
            select(SelfReview).where(SelfReview.member_id == member_id).order_by(SelfReview.id)
        ).scalars()
    )
    answers: dict[int, list[Answer]] = {}
    if reviews:
        for a in s.execute(
            select(Answer)
            .where(Answer.review_id.in_([r.id for r in reviews]))
            .order_by(Answer.id)
        ).scalars():
            answers.setdefault(a.review_id, []).append(a)
    meetings = {mt.id: mt for mt in s.execute(select(Meeting)).scalars()}
    orgs = {o.id: o.name for o in s.execute(select(Organisation)).scalars()}
    return {
        "generated_at": utcnow().isoformat(),
        "profile": {
            "member_id": m.id,
            "full_name": m.full_name,
            "birth_date": _iso(m.birth_date),
            "phone": m.phone,
            "status": m.status,
            "admitted_on": _iso(m.admitted_on),
            "kind": m.kind,
            "party_post": m.party_post,
            "government_post": m.government_post,
            "mass_org_post": m.mass_org_post,
            "civil_servant": m.civil_servant,
            "cell": cell.name if cell else "",
            "removed_at": _iso(m.removed_at),
            "erased_at": _iso(m.erased_at),
        },
        "telegram": None
        if account is None
        else {
            "telegram_user_id": account.telegram_user_id,
            "username": account.username,
            "linked_at": _iso(account.linked_at),
            "preferred_hour": account.preferred_hour,
            "snoozed_until": _iso(account.snoozed_until),
            "reminders_paused": account.reminders_paused,
        },
        "roles": [
            {"role": r.role, "organisation": orgs.get(r.organisation_id, "")}
            for r in s.execute(select(Role).where(Role.member_id == member_id)).scalars()
        ],
        "reviews": [
            {
                "year": years.get(r.period_id),
                "status": r.status,
                "started_at": _iso(r.started_at),
                "submitted_at": _iso(r.submitted_at),
                "answers": [
                    {
                        "question": a.question,
                        "value": a.value,
                        "note": a.note,
                        "answered_at": _iso(a.answered_at),
                        "entered_in_proxy": a.proxy,
                    }
                    for a in answers.get(r.id, [])
                ],
            }
            for r in reviews
        ],
        "facts": [
            {"year": years.get(f.period_id), "key": f.key, "value": f.value, "set_by": f.set_by}
            for f in s.execute(select(Fact).where(Fact.member_id == member_id)).scalars()
        ],
        "collective_comments": [
            {
                "collective_id": c.collective_id,
                "section": c.section,
                "text": c.text,
                "response": c.response,
                "answer": c.answer,
                "created_at": _iso(c.created_at),
            }
            for c in s.execute(
                select(CollectiveComment).where(CollectiveComment.author_id == member_id)
            ).scalars()
        ],
        "residence_feedback": [
            {
                "year": years.get(fb.period_id),
                "residence_cell": orgs.get(fb.residence_cell_id or 0, ""),
                "status": fb.status,
                "answers": fb.answers,
                "other": fb.other,
                "answered_at": _iso(fb.answered_at),
            }
            for fb in s.execute(
                select(ResidenceFeedback).where(ResidenceFeedback.member_id == member_id)
            ).scalars()
        ],
        "ballots": [
            {
                "year": years.get(meetings[e.meeting_id].period_id)
                if e.meeting_id in meetings
                else None,
                "entry": e.entry_no,
                "issued": e.issued,
                "collected": e.collected,
                "invalid": e.invalid,
                "votes": [e.votes_xs, e.votes_t, e.votes_tb, e.votes_k],
                "round2": [e.round2_yes, e.round2_no, e.round2_invalid],
                "locked_at": _iso(e.locked_at),
            }
            for e in s.execute(
                select(BallotEntry).where(BallotEntry.member_id == member_id)
            ).scalars()
        ],
        "results": [
            {
                "year": years.get(r.period_id),
                "proposed": r.proposed,
                "final": r.final,
                "detail": r.payload,
                "computed_at": _iso(r.computed_at),
            }
            for r in s.execute(select(Result).where(Result.member_id == member_id)).scalars()
        ],
        "meeting_conclusions": [
            {"meeting_id": c.meeting_id, "text": c.text, "at": _iso(c.set_at)}
            for c in s.execute(
                select(MeetingConclusion).where(MeetingConclusion.member_id == member_id)
            ).scalars()
        ],
        "meeting_absences": [
            {"meeting_id": a.meeting_id, "reason": a.reason, "at": _iso(a.set_at)}
            for a in s.execute(
                select(MeetingAbsence).where(MeetingAbsence.member_id == member_id)
            ).scalars()
        ],
        "overrides": [
            {
                "year": years.get(o.period_id),
                "level": o.level,
                "reason": o.reason,
                "by": o.by,
                "at": _iso(o.at),
            }
            for o in s.execute(select(Override).where(Override.member_id == member_id)).scalars()
        ],
        "reminders": [
            {"kind": r.kind, "due_at": _iso(r.due_at), "state": r.state, "sent_at": _iso(r.sent_at)}
            for r in s.execute(
                select(Reminder).where(Reminder.member_id == member_id).order_by(Reminder.id)
            ).scalars()
        ],
        "audit": [
            {
                "at": _iso(e.at),
                "actor": e.actor,
                "entity": e.entity,
                "entity_id": e.entity_id,
                "action": e.action,
                "old": e.old,
                "new": e.new,
                "proxy": e.proxy,
            }
            for e in _audit_entries(s, member_id, [r.id for r in reviews])
        ],
    }
