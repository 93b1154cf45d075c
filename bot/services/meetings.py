"""A cell's rating meeting and the secret-ballot counts typed from its paper minutes.

Owns: opening (or correcting) the meeting of the current period — date, voters present, whether
counts are entered twice — with the electorate taken from the roster and the quorum checked;
entering each member's ballot count (double entry, locking, corrections with a written reason);
and `parse_counts`, the compact form a secretary types in the chat ("9 2 1 0").

Every count is judged by the rating engine itself: a one-member batch document with the
meeting's electorate and present and the period's plan goes through `bot.batch.rate_document`,
so a count the chat accepts is exactly a count `kiemdiem rate` accepts (DOMAIN.md §5.3 "Ballot
entry checks"; batch-rating.md). Nothing is stored when a check fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.batch import InputErrors, rate_document
from bot.rules.plan import Plan
from bot.rules.validate import parse_unit
from bot.services import audit
from bot.services.acting import Who, label, member_in_cell, require_cell, resolve
from bot.services.cycle import check_cell_rating
from bot.services.errors import UserError
from bot.services.org import current_period
from bot.services.problems import CHECKS, translate_all
from bot.storage.db import Database
from bot.storage.models import BallotEntry, Meeting, Member, Organisation, ReviewPeriod
from bot.storage.types import utcnow
from bot.texts import render_string
from bot.vietnamese import clean, fold, sort_key

LEVELS = ("HTXSNV", "HTTNV", "HTNV", "KHTNV")
# BallotEntry columns compared field by field between the two counts of a double entry.
FIELDS = (
    "issued",
    "collected",
    "invalid",
    "votes_xs",
    "votes_t",
    "votes_tb",
    "votes_k",
    "round2_yes",
    "round2_no",
    "round2_invalid",
)


# --- the counts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """One member's ballot as counted (biên bản kiểm phiếu): round 1 and, if any, round 2."""

    issued: int
    collected: int
    invalid: int
    votes: tuple[int, int, int, int]  # HTXSNV, HTTNV, HTNV, KHTNV (round 1)
    round2: tuple[int, int, int] | None = None  # yes, no, invalid (two-round ballot, seed 004)

    @property
    def valid(self) -> int:
        return self.collected - self.invalid

    def ballot(self, electorate: int, present: int) -> dict[str, Any]:
        """The `ballot` object of batch-rating.md."""
        b: dict[str, Any] = {
            "electorate": electorate,
            "present": present,
            "issued": self.issued,
            "collected": self.collected,
            "invalid": self.invalid,
            "votes": dict(zip(LEVELS, self.votes, strict=True)),
        }
        if self.round2 is not None:
            b["round2"] = dict(zip(("yes", "no", "invalid"), self.round2, strict=True))
        return b

    def columns(self) -> dict[str, int | None]:
        r2 = self.round2 or (None, None, None)
        return {
            "issued": self.issued,
            "collected": self.collected,
            "invalid": self.invalid,
            "votes_xs": self.votes[0],
            "votes_t": self.votes[1],
            "votes_tb": self.votes[2],
            "votes_k": self.votes[3],
            "round2_yes": r2[0],
            "round2_no": r2[1],
            "round2_invalid": r2[2],
        }

    def as_dict(self) -> dict[str, Any]:
        """For the audit log."""
        return self.ballot(0, 0) | {"electorate": None, "present": None}

    @classmethod
    def of(cls, e: BallotEntry) -> Counts:
        r2 = None
        if e.round2_yes is not None:
            r2 = (e.round2_yes, e.round2_no or 0, e.round2_invalid or 0)
        return cls(
            e.issued, e.collected, e.invalid, (e.votes_xs, e.votes_t, e.votes_tb, e.votes_k), r2
        )


@dataclass(frozen=True)
class Round2Counts:
    """Only round 2 of a two-round ballot, added to a round 1 already entered ("r2 8 3 1")."""

    yes: int
    no: int
    invalid: int = 0


_ROUND2_MARK = re.compile(r"^(r2|v2|vong2|vòng2)$")


def parse_counts(text: str) -> Counts | Round2Counts:
    """The compact form a secretary types in the chat.

    - 4 numbers: the votes HTXSNV HTTNV HTNV KHTNV; issued = collected = their sum, invalid 0;
    - 7 numbers: issued collected invalid HTXSNV HTTNV HTNV KHTNV;
    - either followed by `r2 YES NO INVALID` (round 2 of a two-round ballot); `r2 YES NO
      INVALID` alone adds round 2 to the round 1 already entered.
    Anything else is a `UserError` that shows the accepted forms.
    """
    tokens = re.sub(r"[,;:/+]", " ", clean(text).lower()).replace("vòng 2", "vòng2").split()
    mark = next((i for i, t in enumerate(tokens) if _ROUND2_MARK.match(t)), None)
    head, tail = (tokens, []) if mark is None else (tokens[:mark], tokens[mark + 1 :])
    bad = UserError("counts_unreadable", text=clean(text)[:60])
    # isascii: "²" and other Unicode digits pass isdigit() but int() refuses them.
    if not all(t.isascii() and t.isdigit() and len(t) <= 6 for t in head + tail):
        raise bad
    first = [int(t) for t in head]
    second = [int(t) for t in tail]
    round2: tuple[int, int, int] | None = None
    if mark is not None:
        if len(second) not in (2, 3):
            raise bad
        round2 = (second[0], second[1], second[2] if len(second) == 3 else 0)
        if not first:
            return Round2Counts(*round2)
    if len(first) == 4:
        total = sum(first)
        return Counts(total, total, 0, (first[0], first[1], first[2], first[3]), round2)
    if len(first) == 7:
        votes = (first[3], first[4], first[5], first[6])
        return Counts(first[0], first[1], first[2], votes, round2)
    raise bad


# --- what the services return ----------------------------------------------------------------


@dataclass(frozen=True)
class MeetingInfo:
    meeting_id: int
    period_id: int
    cell_id: int
    cell_name: str
    held_on: date
    electorate: int  # official members of the cell, not exempt or suspended, not removed
    present: int
    double_entry: bool
    quorum_pct: int | Fraction  # present * 100 > quorum_pct * electorate
    reopened: bool = False


BallotState = Literal[
    "locked", "awaiting_second", "replaced", "corrected", "unchanged", "round2_added"
]


@dataclass(frozen=True)
class BallotOutcome:
    member_id: int
    name: str
    state: BallotState
    counts: Counts
    vote_level: str | None  # what this count gives under the plan's vote rule
    counter: str


@dataclass(frozen=True)
class BallotStatus:
    """One member of the cell and where their ballot stands."""

    member_id: int
    name: str
    status: str
    state: Literal["none", "awaiting_second", "locked"]
    counts: Counts | None
    counters: tuple[str, ...]


# --- period helpers (shared with the results) ------------------------------------------------


def period_as_of(period: ReviewPeriod) -> date:
    """The rating date of the period (the 6-month rule); 31/12 of its year when unset."""
    return period.as_of or date(period.year, 12, 31)


def period_plan(period: ReviewPeriod) -> Plan:
    """The effective plan: the rulebook's defaults overlaid with the period's plan options."""
    doc = {
        "rulebook": period.rulebook,
        "as_of": period_as_of(period).isoformat(),
        "plan": period.plan or {},
        "members": [],
    }
    return parse_unit(doc).plan


def one_member_document(period: ReviewPeriod, member_id: int, **member: Any) -> dict[str, Any]:
    """A batch document of one (official, long-admitted) member, to have a count or a fact
    judged by the engine exactly as `kiemdiem rate` would judge it."""
    entry: dict[str, Any] = {"id": str(member_id), "status": "official"}
    entry["admitted_on"] = "1900-01-01"
    entry.update(member)
    return {
        "rulebook": period.rulebook,
        "as_of": period_as_of(period).isoformat(),
        "plan": period.plan or {},
        "members": [entry],
    }


def electorate_of(s: Session, cell_id: int) -> int:
    """Official members on the cell's roster: probationary members do not vote, exempt and
    suspended members are not reviewed (DOMAIN.md §5.1, §5.3), removed members are gone."""
    return int(
        s.execute(
            select(func.count(Member.id)).where(
                Member.cell_id == cell_id,
                Member.removed_at.is_(None),
                Member.status == "official",
            )
        ).scalar_one()
    )


def meeting_of(s: Session, period: ReviewPeriod, cell_id: int) -> Meeting | None:
    return s.execute(
        select(Meeting).where(Meeting.period_id == period.id, Meeting.cell_id == cell_id)
    ).scalar()


def _entries(s: Session, meeting: Meeting, member_id: int) -> dict[int, BallotEntry]:
    rows = s.execute(
        select(BallotEntry).where(
            BallotEntry.meeting_id == meeting.id, BallotEntry.member_id == member_id
        )
    ).scalars()
    return {e.entry_no: e for e in rows}


def _pct(value: int | Fraction) -> str:
    """A plan percentage as people write it (27,5 not 27.5)."""
    from bot.texts import _fmt_num

    return _fmt_num(value)


class MeetingService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- the meeting --------------------------------------------------------------------------

    def open(
        self,
        who: Who,
        cell_id: int,
        held_on: date,
        present: int,
        *,
        double_entry: bool | None = None,
    ) -> MeetingInfo:
        """Open the cell's rating meeting of the current period, or correct it.

        `double_entry` None takes the plan's option (`double_entry`, off by default). The
        quorum is the plan's `quorum_more_than_pct` (default 50: more than half the electorate,
        seed 000 §1.4.3; batch-rating.md "Rulebook defaults").
        """
        with self.db.session() as s:
            require_cell(s, who, cell_id)
            cell = s.get(Organisation, cell_id)
            if cell is None:
                raise UserError("cell_not_found", cell_id=cell_id)
            period = current_period(s, cell_id)
            electorate = electorate_of(s, cell_id)
            if electorate == 0:
                raise UserError("meeting_no_electorate", cell=cell.name)
            if isinstance(present, bool) or present < 0:
                raise UserError("meeting_bad_present", present=present)
            if present > electorate:
                raise UserError("meeting_present_over", present=present, electorate=electorate)
            q = period_plan(period).quorum_more_than_pct
            if not present * 100 > q * electorate:
                need = int(Fraction(q) * electorate / 100) + 1
                raise UserError(
                    "meeting_no_quorum",
                    present=present,
                    electorate=electorate,
                    pct=_pct(q),
                    need=need,
                )
            if double_entry is None:
                double_entry = bool((period.options or {}).get("double_entry", False))
            meeting = meeting_of(s, period, cell_id)
            who_label = label(s, who)
            new = {
                "held_on": held_on.isoformat(),
                "electorate": electorate,
                "present": present,
                "double_entry": double_entry,
            }
            reopened = meeting is not None
            if meeting is None:
                meeting = Meeting(
                    period_id=period.id,
                    cell_id=cell_id,
                    held_on=held_on,
                    electorate=electorate,
                    present=present,
                    double_entry=double_entry,
                    opened_by=who_label,
                )
                s.add(meeting)
                s.flush()
                old = None
            else:
                old = {
                    "held_on": meeting.held_on.isoformat(),
                    "electorate": meeting.electorate,
                    "present": meeting.present,
                    "double_entry": meeting.double_entry,
                }
                self._recheck_entries(s, period, meeting, electorate, present)
                meeting.held_on, meeting.electorate, meeting.present = held_on, electorate, present
                if meeting.double_entry and not double_entry:
                    # No second count is coming any more: the first counts stand.
                    for e in s.execute(
                        select(BallotEntry).where(
                            BallotEntry.meeting_id == meeting.id, BallotEntry.locked_at.is_(None)
                        )
                    ).scalars():
                        e.locked_at = utcnow()
                meeting.double_entry = double_entry
            audit.record(
                s,
                actor=who_label,
                entity="meeting",
                entity_id=meeting.id,
                action="reopen" if reopened else "open",
                old=old,
                new=new,
            )
            return MeetingInfo(
                meeting.id,
                period.id,
                cell_id,
                cell.name,
                held_on,
                electorate,
                present,
                double_entry,
                q,
                reopened,
            )

    def get(self, who: Who, cell_id: int) -> MeetingInfo | None:
        """The cell's meeting of the current period, if opened."""
        with self.db.session() as s:
            require_cell(s, who, cell_id)
            cell = s.get(Organisation, cell_id)
            if cell is None:
                raise UserError("cell_not_found", cell_id=cell_id)
            period = current_period(s, cell_id)
            m = meeting_of(s, period, cell_id)
            if m is None:
                return None
            q = period_plan(period).quorum_more_than_pct
            return MeetingInfo(
                m.id,
                period.id,
                cell_id,
                cell.name,
                m.held_on,
                m.electorate,
                m.present,
                m.double_entry,
                q,
            )

    def _recheck_entries(
        self, s: Session, period: ReviewPeriod, meeting: Meeting, electorate: int, present: int
    ) -> None:
        """New electorate/present must keep every count already entered valid."""
        rows = list(
            s.execute(select(BallotEntry).where(BallotEntry.meeting_id == meeting.id)).scalars()
        )
        if not rows:
            return
        doc = one_member_document(period, 0)
        doc["members"] = [
            {
                "id": f"{e.member_id}-{e.entry_no}",
                "status": "official",
                "admitted_on": "1900-01-01",
                "ballot": Counts.of(e).ballot(electorate, present),
            }
            for e in rows
        ]
        try:
            rate_document(doc)
        except InputErrors as exc:
            ids = {int(p.split("-", 1)[0]) for p in exc.problems if p[:1].isdigit()}
            names = sorted(
                (m.full_name for m in (s.get(Member, i) for i in ids) if m is not None),
                key=sort_key,
            )
            raise UserError(
                "meeting_reopen_breaks",
                present=present,
                names=", ".join(names),
                problems="; ".join(translate_all(exc.problems)),
            ) from None

    # -- the ballots --------------------------------------------------------------------------

    def enter_ballot(
        self,
        who: Who,
        cell_id: int,
        member_id: int,
        counts: Counts,
        *,
        counter: str = "",
        reason: str = "",
    ) -> BallotOutcome:
        """Enter one member's count.

        Without double entry the count locks at once. With it, the first count waits unlocked;
        a second count by a different counter must match it field by field, then both lock (a
        mismatch stores nothing and names the fields); the first counter typing again replaces
        their unconfirmed count. A locked count changes only as a correction with a written
        reason; the old values stay in the audit log (DOMAIN.md §5.3).
        """
        with self.db.session() as s:
            return self._enter(s, who, cell_id, member_id, counts, counter, reason)

    def _enter(
        self,
        s: Session,
        who: Who,
        cell_id: int,
        member_id: int,
        counts: Counts,
        counter: str,
        reason: str,
    ) -> BallotOutcome:
        # One unit of work, shared by enter_ballot and add_round2 (the caller's session).
        member, meeting, period = self._context(s, who, cell_id, member_id)
        actor = resolve(s, who)
        counter = clean(counter) or (actor.full_name if actor is not None else "")
        who_label = label(s, who)
        entries = _entries(s, meeting, member_id)
        first, second = entries.get(1), entries.get(2)
        entity = f"{meeting.id}/{member_id}"

        if first is None:
            # The order of the cycle: the cell's collective (and a head's) is rated first.
            check_cell_rating(s, period, member)
            if meeting.double_entry and not counter:
                raise UserError("ballot_counter_required")
            level = self._judge(period, meeting, member, counts)
            locked = None if meeting.double_entry else utcnow()
            s.add(
                BallotEntry(
                    meeting_id=meeting.id,
                    member_id=member_id,
                    entry_no=1,
                    counter=counter,
                    entered_by=who_label,
                    locked_at=locked,
                    **counts.columns(),
                )
            )
            audit.record(
                s,
                actor=who_label,
                entity="ballot",
                entity_id=entity,
                action="enter",
                new=counts.as_dict() | {"counter": counter, "entry": 1},
            )
            state: BallotState = "awaiting_second" if meeting.double_entry else "locked"
            return BallotOutcome(member_id, member.full_name, state, counts, level, counter)

        if first.locked_at is None:  # double entry: the first count waits for a second
            if not counter:
                raise UserError("ballot_counter_required")
            level = self._judge(period, meeting, member, counts)
            old = Counts.of(first)
            if fold(counter) == fold(first.counter):
                # The same counter again: their first count was not confirmed yet.
                _set(first, counts)
                first.entered_by = who_label
                audit.record(
                    s,
                    actor=who_label,
                    entity="ballot",
                    entity_id=entity,
                    action="replace",
                    old=old.as_dict(),
                    new=counts.as_dict() | {"counter": counter, "entry": 1},
                )
                return BallotOutcome(
                    member_id, member.full_name, "awaiting_second", counts, level, counter
                )
            diffs = differences(old, counts)
            if diffs:
                raise UserError("ballot_mismatch", name=member.full_name, fields="; ".join(diffs))
            now = utcnow()
            if second is not None:  # left over from before a round-2 addition
                s.delete(second)
                s.flush()
            s.add(
                BallotEntry(
                    meeting_id=meeting.id,
                    member_id=member_id,
                    entry_no=2,
                    counter=counter,
                    entered_by=who_label,
                    locked_at=now,
                    **counts.columns(),
                )
            )
            first.locked_at = now
            audit.record(
                s,
                actor=who_label,
                entity="ballot",
                entity_id=entity,
                action="confirm",
                new=counts.as_dict() | {"counter": counter, "entry": 2},
            )
            return BallotOutcome(member_id, member.full_name, "locked", counts, level, counter)

        # Locked: the same numbers change nothing; round 2 added to an unchanged round 1 is
        # the normal course of a two-round ballot; anything else is a correction.
        old = Counts.of(first)
        if counts == old:
            level = self._judge(period, meeting, member, counts)
            return BallotOutcome(
                member_id, member.full_name, "unchanged", counts, level, first.counter
            )
        level = self._judge(period, meeting, member, counts)
        adding_round2 = (
            old.round2 is None
            and counts.round2 is not None
            and (Counts(counts.issued, counts.collected, counts.invalid, counts.votes) == old)
        )
        if adding_round2:
            _set(first, counts)
            first.counter = counter or first.counter
            first.entered_by = who_label
            new_state: BallotState = "round2_added"
            if meeting.double_entry:
                # Round 2 is a new count: it waits for a second counter like any other.
                first.locked_at = None
                new_state = "awaiting_second"
            audit.record(
                s,
                actor=who_label,
                entity="ballot",
                entity_id=entity,
                action="round2",
                old=old.as_dict(),
                new=counts.as_dict() | {"counter": first.counter},
            )
            return BallotOutcome(
                member_id, member.full_name, new_state, counts, level, first.counter
            )
        reason = clean(reason)
        if not reason:
            raise UserError("ballot_reason_required", name=member.full_name)
        before: dict[str, Any] = {"entry_1": old.as_dict() | {"counter": first.counter}}
        if second is not None:
            before["entry_2"] = Counts.of(second).as_dict() | {"counter": second.counter}
            s.delete(second)  # one corrected count stands; both old ones are in the log
        _set(first, counts)
        first.counter = counter or first.counter
        first.entered_by = who_label
        first.locked_at = utcnow()
        audit.record(
            s,
            actor=who_label,
            entity="ballot",
            entity_id=entity,
            action="correct",
            old=before,
            new=counts.as_dict() | {"counter": first.counter, "reason": reason},
        )
        return BallotOutcome(member_id, member.full_name, "corrected", counts, level, first.counter)

    def add_round2(
        self,
        who: Who,
        cell_id: int,
        member_id: int,
        round2: Round2Counts,
        *,
        counter: str = "",
        reason: str = "",
    ) -> BallotOutcome:
        """Round 2 of a two-round ballot (seed 004 §II.2.5 step 2) for a member whose round 1
        is already entered and locked ("r2 8 3 1" in the chat). Changing a round 2 already
        entered is a correction and needs a reason, like any other."""
        with self.db.session() as s:
            member, meeting, _period = self._context(s, who, cell_id, member_id)
            first = _entries(s, meeting, member_id).get(1)
            if first is None or first.locked_at is None:
                raise UserError("ballot_no_round1", name=member.full_name)
            base = Counts.of(first)
            full = Counts(
                base.issued,
                base.collected,
                base.invalid,
                base.votes,
                (round2.yes, round2.no, round2.invalid),
            )
            return self._enter(s, who, cell_id, member_id, full, counter, reason)

    def ballots(self, who: Who, cell_id: int) -> list[BallotStatus]:
        """Every member of the cell (not removed) and their count, names in Vietnamese order."""
        with self.db.session() as s:
            require_cell(s, who, cell_id)
            period = current_period(s, cell_id)
            meeting = meeting_of(s, period, cell_id)
            members = list(
                s.execute(
                    select(Member).where(Member.cell_id == cell_id, Member.removed_at.is_(None))
                ).scalars()
            )
            by_member: dict[int, dict[int, BallotEntry]] = {}
            if meeting is not None:
                for e in s.execute(
                    select(BallotEntry).where(BallotEntry.meeting_id == meeting.id)
                ).scalars():
                    by_member.setdefault(e.member_id, {})[e.entry_no] = e
            out: list[BallotStatus] = []
            for m in sorted(members, key=lambda m: (sort_key(m.full_name), m.id)):
                entries = by_member.get(m.id, {})
                first = entries.get(1)
                if first is None:
                    out.append(BallotStatus(m.id, m.full_name, m.status, "none", None, ()))
                    continue
                counters = tuple(e.counter for _, e in sorted(entries.items()) if e.counter)
                st: Literal["awaiting_second", "locked"] = (
                    "locked" if first.locked_at is not None else "awaiting_second"
                )
                out.append(
                    BallotStatus(m.id, m.full_name, m.status, st, Counts.of(first), counters)
                )
            return out

    # -- helpers ------------------------------------------------------------------------------

    def _context(
        self, s: Session, who: Who, cell_id: int, member_id: int
    ) -> tuple[Member, Meeting, ReviewPeriod]:
        require_cell(s, who, cell_id)
        cell = s.get(Organisation, cell_id)
        if cell is None:
            raise UserError("cell_not_found", cell_id=cell_id)
        member = member_in_cell(s, who, member_id)
        if member.cell_id != cell_id:
            raise UserError("member_not_in_cell", name=member.full_name, cell=cell.name)
        period = current_period(s, cell_id)
        meeting = meeting_of(s, period, cell_id)
        if meeting is None:
            raise UserError("meeting_not_found", cell=cell.name)
        return member, meeting, period

    def _judge(
        self, period: ReviewPeriod, meeting: Meeting, member: Member, counts: Counts
    ) -> str | None:
        """Run the engine's own checks on the count; the vote level it gives, or UserError."""
        doc = one_member_document(
            period, member.id, ballot=counts.ballot(meeting.electorate, meeting.present)
        )
        try:
            result = rate_document(doc)
        except InputErrors as exc:
            raise UserError(
                "ballot_invalid",
                name=member.full_name,
                problems="; ".join(translate_all(exc.problems)),
            ) from None
        level = result["members"][0]["vote_level"]
        return str(level) if level is not None else None


def _set(e: BallotEntry, counts: Counts) -> None:
    for k, v in counts.columns().items():
        setattr(e, k, v)


def differences(a: Counts, b: Counts) -> list[str]:
    """The fields where two counts differ, worded for the counters ("thu vào: lần 1 là 13…")."""
    ca, cb = a.columns(), b.columns()
    none = render_string(CHECKS, "diff_none")
    out: list[str] = []
    for f in FIELDS:
        if ca[f] != cb[f]:
            out.append(
                render_string(
                    CHECKS,
                    "diff_line",
                    field=render_string(CHECKS, f"diff_{f}"),
                    first=none if ca[f] is None else ca[f],
                    second=none if cb[f] is None else cb[f],
                )
            )
    return out


def _level(level: str | None) -> str:
    return render_string("reasons.yaml", f"level.{level}") if level else ""


def render_meeting(info: MeetingInfo, *, html: bool) -> str:
    """What the secretary reads after opening the meeting (chat: HTML-escaped; CLI: plain)."""
    from bot.texts import render, render_text

    return (render if html else render_text)("meeting/opened.j2", m=info)


def render_ballot(outcome: BallotOutcome, *, html: bool) -> str:
    """What the secretary reads after typing a count: the numbers, the state, the level."""
    from bot.texts import render, render_text

    return (render if html else render_text)("meeting/ballot.j2", b=outcome, level=_level)
