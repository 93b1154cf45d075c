"""Proposed ratings from the database: the batch document built from the rows, rated by the one
engine entry, stored, and shown with the overrides people decided.

Owns:
- building the batch-rating.md input document of the whole grassroots organisation from the
  roster, the SUBMITTED self-reviews (read with `reviews.answers_assessment`, the same reading
  as the member's own preview), the facts, and each member's locked ballot with its meeting's
  electorate and present;
- rating it with `bot.batch.rate_document` (so `kiemdiem results --json` and `kiemdiem rate`
  agree by construction) and storing each member's output entry in `results`, audited when a
  level changes;
- overrides: a secretary's or the office's written decision to depart from the proposal, with a
  reason, audited; reported next to the proposal, never mixed into the engine's output;
- the office view: every cell under the organisation-wide cap, and the proportional allocation
  of the HTXSNV places between cells (`bot.services.allocation`, seed 001 (2)).

Why the whole organisation is always rated, even for one cell's view: the cap on the top level
counts the grassroots organisation as one group by default (DOMAIN.md §5.5; seed 001 (2) "của
tổ chức cơ sở đảng"), so a member's `final` depends on the other cells. A cell's view is that
same result restricted to the cell; its `organisation` is the cell's own highest allowed level
(DOMAIN.md §5.6 "The cell as an organisation"), which the top cap cannot change (it only moves
HTXSNV to HTTNV, and §5.6 counts both as "HTTNV or higher"). In a one-cell organisation both
views are exactly `kiemdiem rate` of the same document.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.batch import InputErrors, rate_document
from bot.review.questionnaire import Question, build
from bot.rules.catalog import Catalog, load_catalog
from bot.rules.levels import MemberKind, Rulebook
from bot.rules.plan import Plan
from bot.services import audit
from bot.services.acting import Who, is_office, label, member_in_cell, require_cell, require_office
from bot.services.allocation import Allocation, CellClaim, allocate_places
from bot.services.errors import UserError
from bot.services.facts import parse_value
from bot.services.meetings import Counts, period_as_of, period_plan
from bot.services.org import current_period, root_of
from bot.services.problems import translate
from bot.services.replies import Outcome
from bot.services.residence import residence_summary
from bot.services.reviews import answers_assessment
from bot.storage.db import Database
from bot.storage.models import (
    Answer,
    BallotEntry,
    Fact,
    Meeting,
    Member,
    Organisation,
    Override,
    ResidenceFeedback,
    Result,
    ReviewPeriod,
    SelfReview,
)
from bot.storage.types import utcnow
from bot.texts import render, render_string, render_text
from bot.vietnamese import clean, sort_key

GOOD = ("HTXSNV", "HTTNV")
CAP_GROUP_OPTIONS = ("organisation", "kind")


@dataclass(frozen=True)
class OverrideInfo:
    """A level decided by people instead of the proposal (bảng tổng hợp: column 9 or 10)."""

    level: str
    reason: str
    by_role: Literal["cell", "office"]  # the chi ủy / secretary, or the đảng ủy office
    by: str  # the audit label of who decided
    at: datetime
    name: str = ""  # the member's name


@dataclass(frozen=True)
class MemberRow:
    """Everything the views and documents show of one member."""

    member_id: int
    name: str
    cell_id: int
    cell_name: str
    status: str
    kind: str
    posts: str  # party, government and mass-organisation posts
    civil_servant: bool
    review_status: str  # none | in_progress | submitted
    self_proposed: str | None  # the level the member proposed for themself (answer "rate")
    self_summary: str  # criteria grades or points, for the office's CSV
    indicators: dict[int, int]  # number -> level, submitted reviews only (anonymous chart)
    facts: dict[str, Any]
    ballot_state: str  # none | awaiting_second | locked
    counts: Counts | None  # the locked count
    counters: tuple[str, ...]
    result: dict[str, Any]  # the member's entry of the engine's output
    override: OverrideInfo | None
    # The residence's feedback (Mẫu 04) in short, once answered; "" otherwise (Mẫu 03 col. 5).
    residence: str = ""

    @property
    def decided(self) -> str | None:
        """What the lists show as the level: the override when there is one, else `final`."""
        return self.override.level if self.override is not None else self.result.get("final")


@dataclass(frozen=True)
class CellMeeting:
    cell_id: int
    name: str
    held_on: date | None
    electorate: int | None
    present: int | None
    double_entry: bool


@dataclass
class Rating:
    """One computation, for a cell or the whole organisation."""

    scope: Literal["cell", "org"]
    org_id: int
    org_name: str
    cell_id: int | None
    cell_name: str | None
    year: int
    rulebook: str
    as_of: date
    vote_rule: str
    output: dict[str, Any]  # exactly the `kiemdiem rate` shape (ids are member ids as text)
    rows: list[MemberRow]
    meetings: list[CellMeeting]
    allocation: Allocation | None  # org-wide cap group only
    plan: Plan  # the effective plan (rulebook defaults overlaid with the period's options)
    cell_levels: dict[int, str | None] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.cell_name or self.org_name

    def counts_by_level(self) -> dict[str, int]:
        """Members by the level the lists show (override or final), plus the not rated."""
        out = dict.fromkeys((*GOOD, "HTNV", "KHTNV", "UNDETERMINED", "not_rated"), 0)
        for r in self.rows:
            key = r.decided if r.result.get("rated") else "not_rated"
            out[key or "UNDETERMINED"] += 1
        return out


class ResultsService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- computing ----------------------------------------------------------------------------

    def compute(self, who: Who, *, cell_id: int | None = None, org_id: int | None = None) -> Rating:
        """Rate the organisation from the database, store the scope's results, return the view.

        Give exactly one of `cell_id` (a secretary's cell) or `org_id` (the office)."""
        if (cell_id is None) == (org_id is None):
            raise ValueError("give exactly one of cell_id or org_id")
        with self.db.session() as s:
            if cell_id is not None:
                require_cell(s, who, cell_id)
                if s.get(Organisation, cell_id) is None:
                    raise UserError("cell_not_found", cell_id=cell_id)
                root = root_of(s, cell_id)
            else:
                assert org_id is not None
                require_office(s, who, org_id)
                root = root_of(s, org_id)
            period = current_period(s, root.id)
            data = _load(s, period, root)
            doc = data.document(period)
            try:
                output = rate_document(doc)
            except InputErrors as exc:
                raise UserError("results_invalid", problems=data.explain(exc.problems)) from None
            entries = {m["id"]: m for m in output["members"]}
            cell_levels = {
                c.id: _cell_level(
                    period, [m for m in doc["members"] if data.cell_of[m["id"]] == c.id]
                )
                for c in data.cells
            }
            scope_ids = [m.id for m in data.members if cell_id is None or m.cell_id == cell_id]
            _store(s, period, {i: entries[str(i)] for i in scope_ids}, label(s, who))
            rows = [data.row(m, entries[str(m.id)]) for m in data.members if m.id in scope_ids]
            if cell_id is not None:
                scoped = {
                    "rulebook": output["rulebook"],
                    "members": [entries[str(i)] for i in scope_ids],
                    "cap_groups": output["cap_groups"],
                    "organisation": {"max_level": cell_levels.get(cell_id)},
                }
            else:
                scoped = output
            allocation = _allocation(data, output, cell_levels)
            meetings = [
                CellMeeting(
                    c.id,
                    c.name,
                    data.meetings[c.id].held_on if c.id in data.meetings else None,
                    data.meetings[c.id].electorate if c.id in data.meetings else None,
                    data.meetings[c.id].present if c.id in data.meetings else None,
                    data.meetings[c.id].double_entry if c.id in data.meetings else False,
                )
                for c in data.cells
                if cell_id is None or c.id == cell_id
            ]
            plan = period_plan(period)
            cell = s.get(Organisation, cell_id) if cell_id is not None else None
            return Rating(
                scope="cell" if cell_id is not None else "org",
                org_id=root.id,
                org_name=root.name,
                cell_id=cell_id,
                cell_name=cell.name if cell is not None else None,
                year=period.year,
                rulebook=period.rulebook,
                as_of=period_as_of(period),
                vote_rule=plan.vote_rule.value,
                output=scoped,
                rows=rows,
                meetings=meetings,
                allocation=allocation,
                plan=plan,
                cell_levels=cell_levels,
            )

    def document(self, who: Who, *, org_id: int) -> dict[str, Any]:
        """The batch input document of the organisation, as rated (for audits: `kiemdiem rate`
        on it prints what `kiemdiem results --org` prints)."""
        with self.db.session() as s:
            require_office(s, who, org_id)
            root = root_of(s, org_id)
            period = current_period(s, root.id)
            return _load(s, period, root).document(period)

    def cell_view(self, who: Who, cell_id: int) -> Rating:
        """The secretary's view of their cell (members, proposals, overrides, its places)."""
        return self.compute(who, cell_id=cell_id)

    def org_view(self, who: Who, org_id: int) -> Rating:
        """The office's view: every cell under the organisation-wide cap, and the allocation."""
        return self.compute(who, org_id=org_id)

    def cell_outcome(self, who: Who, cell_id: int) -> Outcome:
        """The cell's view as a chat message (HTML), for the secretary's handler."""
        return Outcome().say(render_view(self.cell_view(who, cell_id), html=True))

    def org_outcome(self, who: Who, org_id: int) -> Outcome:
        return Outcome().say(render_view(self.org_view(who, org_id), html=True))

    # -- overrides ----------------------------------------------------------------------------

    def override(self, who: Who, member_id: int, level: str, reason: str) -> OverrideInfo:
        """Decide a level other than the proposal; a written reason is required and audited."""
        code = parse_value("civil_servant_rating", level)  # the same reading of a level
        if code not in ("HTXSNV", "HTTNV", "HTNV", "KHTNV"):
            raise UserError("override_bad_level", level=clean(str(level))[:40])
        reason = clean(reason)
        if not reason:
            raise UserError("override_reason_required")
        with self.db.session() as s:
            member = member_in_cell(s, who, member_id)
            period = current_period(s, member.cell_id)
            role: Literal["cell", "office"] = (
                "office" if is_office(s, who, member.cell_id) else "cell"
            )
            who_label = label(s, who)
            row = _override_row(s, period, member_id)
            old = None
            now = utcnow()
            if row is None:
                row = Override(
                    period_id=period.id,
                    member_id=member_id,
                    level=code,
                    reason=reason,
                    by=f"{role}:{who_label}",
                    at=now,
                )
                s.add(row)
            else:
                old = {"level": row.level, "reason": row.reason, "by": row.by}
                row.level, row.reason, row.by, row.at = code, reason, f"{role}:{who_label}", now
            result = s.execute(
                select(Result).where(Result.period_id == period.id, Result.member_id == member_id)
            ).scalar()
            audit.record(
                s,
                actor=who_label,
                entity="override",
                entity_id=f"{period.id}/{member_id}",
                action="set",
                old=old,
                new={
                    "level": code,
                    "reason": reason,
                    "by": row.by,
                    "proposed": result.proposed if result else None,
                    "final": result.final if result else None,
                },
            )
            return _override_info(row, member.full_name)

    def withdraw_override(self, who: Who, member_id: int, reason: str) -> None:
        """Go back to the proposal; also needs a written reason, also audited."""
        reason = clean(reason)
        if not reason:
            raise UserError("override_reason_required")
        with self.db.session() as s:
            member = member_in_cell(s, who, member_id)
            period = current_period(s, member.cell_id)
            row = _override_row(s, period, member_id)
            if row is None:
                raise UserError("override_not_found", name=member.full_name)
            old = {"level": row.level, "reason": row.reason, "by": row.by}
            s.delete(row)
            audit.record(
                s,
                actor=label(s, who),
                entity="override",
                entity_id=f"{period.id}/{member_id}",
                action="withdraw",
                old=old,
                new={"reason": reason},
            )


# --- loading -----------------------------------------------------------------------------------


def _override_row(s: Session, period: ReviewPeriod, member_id: int) -> Override | None:
    return s.execute(
        select(Override).where(Override.period_id == period.id, Override.member_id == member_id)
    ).scalar()


def _override_info(o: Override, name: str = "") -> OverrideInfo:
    role, _, by = o.by.partition(":")
    return OverrideInfo(o.level, o.reason, "office" if role == "office" else "cell", by, o.at, name)


def _tree(s: Session, root: Organisation) -> list[Organisation]:
    """The organisation and every organisation under it, parents before children, by id."""
    out = [root]
    frontier = [root.id]
    while frontier:
        children = list(
            s.execute(
                select(Organisation)
                .where(Organisation.parent_id.in_(frontier))
                .order_by(Organisation.id)
            ).scalars()
        )
        out.extend(children)
        frontier = [c.id for c in children]
    return out


def _posts(m: Member) -> str:
    return "; ".join(p for p in (m.party_post, m.government_post, m.mass_org_post) if p)


class _Data:
    """The rows of one organisation and period, loaded in a few queries."""

    def __init__(self) -> None:
        self.cells: list[Organisation] = []
        self.members: list[Member] = []
        self.cell_of: dict[str, int] = {}
        self.cap_group: dict[int, str] = {}
        self.reviews: dict[int, SelfReview] = {}
        self.answers: dict[int, dict[str, Answer]] = {}
        self.facts: dict[int, dict[str, Any]] = {}
        self.meetings: dict[int, Meeting] = {}
        self.entries: dict[int, dict[int, BallotEntry]] = {}
        self.overrides: dict[int, Override] = {}
        self.residence: dict[int, str] = {}  # member id -> the answered feedback in short
        self.self_parts: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}

    def document(self, period: ReviewPeriod) -> dict[str, Any]:
        return {
            "rulebook": period.rulebook,
            "as_of": period_as_of(period).isoformat(),
            "plan": period.plan or {},
            "members": [self.member_entry(m) for m in self.members],
        }

    def locked(self, m: Member) -> BallotEntry | None:
        first = self.entries.get(m.id, {}).get(1)
        return first if first is not None and first.locked_at is not None else None

    def member_entry(self, m: Member) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": str(m.id),
            "name": m.full_name,
            "status": m.status,
            "kind": m.kind,
            "cap_group": self.cap_group[m.id],
        }
        if m.admitted_on is not None:
            entry["admitted_on"] = m.admitted_on.isoformat()
        self_part, review_facts = self.self_parts.get(m.id, ({}, {}))
        if self_part:
            entry["self"] = self_part
        # The facts the chi ủy set win over what the member's own task list says.
        facts = dict(review_facts) | self.facts.get(m.id, {})
        if facts:
            entry["facts"] = facts
        first = self.locked(m)
        meeting = self.meetings.get(m.cell_id)
        if first is not None and meeting is not None:
            entry["ballot"] = Counts.of(first).ballot(meeting.electorate, meeting.present)
        return entry

    def row(self, m: Member, result: dict[str, Any]) -> MemberRow:
        review = self.reviews.get(m.id)
        answers = self.answers.get(m.id, {})
        self_part = self.self_parts.get(m.id, ({}, {}))[0]
        proposed_answer = answers.get("rate")
        first = self.entries.get(m.id, {}).get(1)
        state = "none" if first is None else ("locked" if first.locked_at else "awaiting_second")
        locked = self.locked(m)
        entries = self.entries.get(m.id, {})
        cell = next(c for c in self.cells if c.id == m.cell_id)
        override = self.overrides.get(m.id)
        return MemberRow(
            member_id=m.id,
            name=m.full_name,
            cell_id=m.cell_id,
            cell_name=cell.name,
            status=m.status,
            kind=m.kind,
            posts=_posts(m),
            civil_servant=m.civil_servant,
            review_status=review.status if review is not None else "none",
            self_proposed=proposed_answer.value
            if proposed_answer is not None and review is not None and review.status == "submitted"
            else None,
            self_summary=_self_summary(self_part),
            indicators={int(k): int(v) for k, v in self_part.get("indicators", {}).items()},
            facts=self.facts.get(m.id, {}),
            ballot_state=state,
            counts=Counts.of(locked) if locked is not None else None,
            counters=tuple(e.counter for _, e in sorted(entries.items()) if e.counter),
            result=result,
            override=_override_info(override, m.full_name) if override is not None else None,
            residence=self.residence.get(m.id, ""),
        )

    def explain(self, problems: Sequence[str]) -> str:
        """The engine's problems, each with the member's name (they start with the member id)."""
        names = {str(m.id): m.full_name for m in self.members}
        out: list[str] = []
        for p in problems:
            who = p.split(" ", 1)[0].rstrip(":")
            text = translate(p)
            out.append(f"{names[who]}: {text}" if who in names else text)
        return "; ".join(out)


def _load(s: Session, period: ReviewPeriod, root: Organisation) -> _Data:
    d = _Data()
    tree = _tree(s, root)
    ids = [o.id for o in tree]
    members = list(
        s.execute(
            select(Member).where(Member.cell_id.in_(ids), Member.removed_at.is_(None))
        ).scalars()
    )
    order = {o.id: i for i, o in enumerate(tree)}
    members.sort(key=lambda m: (order[m.cell_id], sort_key(m.full_name), m.id))
    d.members = members
    used = {m.cell_id for m in members}
    d.cells = [o for o in tree if o.id in used or o.parent_id == root.id]
    d.cell_of = {str(m.id): m.cell_id for m in members}
    option = (period.options or {}).get("cap_groups") or "organisation"
    if option not in CAP_GROUP_OPTIONS:
        raise UserError("bad_cap_groups_option", value=option)
    # Cap group (DOMAIN.md §5.5): the whole grassroots organisation by default (seed 001 (2));
    # "kind": people of similar position together, as QĐ 124 and QĐ 366 allow (a plan option).
    d.cap_group = {m.id: ("default" if option == "organisation" else m.kind) for m in members}
    member_ids = [m.id for m in members]
    if not member_ids:
        return d
    for r in s.execute(
        select(SelfReview).where(
            SelfReview.period_id == period.id, SelfReview.member_id.in_(member_ids)
        )
    ).scalars():
        d.reviews[r.member_id] = r
    submitted = {r.id: r.member_id for r in d.reviews.values() if r.status == "submitted"}
    if submitted:
        for a in s.execute(select(Answer).where(Answer.review_id.in_(list(submitted)))).scalars():
            d.answers.setdefault(submitted[a.review_id], {})[a.question] = a
    catalogs: dict[tuple[str, bool], tuple[Catalog, tuple[Question, ...]]] = {}
    by_id = {m.id: m for m in members}
    for member_id, answers in d.answers.items():
        m = by_id[member_id]
        key = (m.kind, m.civil_servant)
        if key not in catalogs:
            cat = load_catalog(Rulebook(period.rulebook), MemberKind(m.kind))
            catalogs[key] = (cat, build(cat, civil_servant=m.civil_servant))
        cat, questions = catalogs[key]
        self_part, review_facts = answers_assessment(cat, questions, answers)
        rate = answers.get("rate")
        if self_part and rate is not None and rate.value:
            self_part["proposed"] = rate.value  # informational: the engine does not use it
        d.self_parts[member_id] = (self_part, review_facts)
    for f in s.execute(
        select(Fact).where(Fact.period_id == period.id, Fact.member_id.in_(member_ids))
    ).scalars():
        d.facts.setdefault(f.member_id, {})[f.key] = f.value
    for mt in s.execute(select(Meeting).where(Meeting.period_id == period.id)).scalars():
        d.meetings[mt.cell_id] = mt
    if d.meetings:
        meeting_ids = [mt.id for mt in d.meetings.values()]
        for e in s.execute(
            select(BallotEntry).where(BallotEntry.meeting_id.in_(meeting_ids))
        ).scalars():
            d.entries.setdefault(e.member_id, {})[e.entry_no] = e
    for o in s.execute(
        select(Override).where(Override.period_id == period.id, Override.member_id.in_(member_ids))
    ).scalars():
        d.overrides[o.member_id] = o
    # Only the choices: the summary does not need the (encrypted) free text.
    for member_id, answers in s.execute(
        select(ResidenceFeedback.member_id, ResidenceFeedback.answers).where(
            ResidenceFeedback.period_id == period.id,
            ResidenceFeedback.member_id.in_(member_ids),
            ResidenceFeedback.status == "answered",
        )
    ).all():
        d.residence[member_id] = residence_summary(answers)
    return d


def _self_summary(self_part: dict[str, Any]) -> str:
    """A one-line summary of a self-assessment for the office's CSV (ids and numbers only)."""
    parts: list[str] = []
    if "criteria" in self_part:
        parts.append(" ".join(f"{k}={v}" for k, v in self_part["criteria"].items()))
    if "points" in self_part:
        p = self_part["points"]
        parts.append(
            render_string(
                "documents.yaml", "points_summary", general=p["general"], tasks=p["tasks"]
            )
        )
    marked = {k: v for k, v in self_part.get("indicators", {}).items() if int(v) >= 2}
    if marked:
        shown = ", ".join(f"{k}:{v}" for k, v in sorted(marked.items(), key=lambda kv: int(kv[0])))
        parts.append(render_string("documents.yaml", "indicators_summary", marked=shown))
    return "; ".join(parts)


def _cell_level(period: ReviewPeriod, members: list[dict[str, Any]]) -> str | None:
    """The cell's highest allowed level (DOMAIN.md §5.6) from its members' results: the
    `organisation` of the engine's output for a document of the cell's members alone."""
    if not members:
        return None
    doc = {
        "rulebook": period.rulebook,
        "as_of": period_as_of(period).isoformat(),
        "plan": period.plan or {},
        "members": members,
    }
    level = rate_document(doc)["organisation"]["max_level"]
    return str(level) if level is not None else None


def _allocation(
    data: _Data, output: dict[str, Any], cell_levels: dict[int, str | None]
) -> Allocation | None:
    """Seed 001 (2): the organisation-wide places shared between cells (`allocation.py`).
    Only when the cap group is the whole organisation (the default)."""
    groups = {g["group"]: g for g in output["cap_groups"]}
    if set(data.cap_group.values()) != {"default"} or "default" not in groups:
        return None
    good: dict[int, int] = {}
    candidates: dict[int, int] = {}
    for m in output["members"]:
        cell = data.cell_of[m["id"]]
        if m["proposed"] in GOOD:
            good[cell] = good.get(cell, 0) + 1
        if m["proposed"] == "HTXSNV":
            candidates[cell] = candidates.get(cell, 0) + 1
    claims = [
        CellClaim(c.id, c.name, cell_levels.get(c.id), good.get(c.id, 0), candidates.get(c.id, 0))
        for c in data.cells
        if any(m.cell_id == c.id for m in data.members)
    ]
    return allocate_places(int(groups["default"]["max_excellent"]), claims)


def _store(
    s: Session, period: ReviewPeriod, entries: dict[int, dict[str, Any]], who_label: str
) -> None:
    """Each member's output entry into `results`; a change of level is audited."""
    if not entries:
        return
    existing = {
        r.member_id: r
        for r in s.execute(
            select(Result).where(Result.period_id == period.id, Result.member_id.in_(list(entries)))
        ).scalars()
    }
    now = utcnow()
    for member_id, entry in entries.items():
        row = existing.get(member_id)
        new = (entry["proposed"], entry["final"])
        old = (row.proposed, row.final) if row is not None else None
        if row is None:
            row = Result(period_id=period.id, member_id=member_id)
            s.add(row)
        if row.payload != entry:
            row.payload = entry
            row.computed_at = now
        row.proposed, row.final = new
        if old != new:
            audit.record(
                s,
                actor=who_label,
                entity="result",
                entity_id=f"{period.id}/{member_id}",
                action="compute",
                old={"proposed": old[0], "final": old[1]} if old is not None else None,
                new={"proposed": new[0], "final": new[1]},
            )


def view_helpers() -> dict[str, Any]:
    """What `results/view.j2` and `meeting/ballot.j2` call: level and flag names."""
    return {"level": level_name, "flags": flag_names, "short": short_level}


def render_view(rating: Rating, *, html: bool) -> str:
    """The results as a chat message (HTML-escaped) or as plain text for the CLI."""
    if html:
        return render("results/view.j2", rating=rating, **view_helpers())
    return render_text("results/view.j2", rating=rating, **view_helpers())


def flag_name(flag: str) -> str:
    return render_string("documents.yaml", f"flag.{flag}")


def flag_names(flags: Iterable[str]) -> str:
    return "; ".join(flag_name(f) for f in flags)


def short_level(level: str | None) -> str:
    """A level as lists write it: its code, or "chưa xác định"."""
    if level is None:
        return "—"
    return render_string("documents.yaml", "undetermined") if level == "UNDETERMINED" else level


def level_name(level: str | None) -> str:
    """A level's Vietnamese name (the rating engine's wording, templates/reasons.yaml)."""
    if level is None:
        return ""
    return render_string("reasons.yaml", f"level.{level}")


def members_in(rows: Iterable[MemberRow], cell_id: int) -> list[MemberRow]:
    return [r for r in rows if r.cell_id == cell_id]
