"""Commendation proposals for the office (seed 000 §2.2.4): the members rated HTXSNV this year,
ranked with the "5 năm liền" history from past periods in the database, within the caps."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import select

from bot.rules.commendation import Candidate, CommendationPlan, Proposal, propose_members
from bot.services.acting import Who
from bot.services.results import ResultsService
from bot.storage.db import Database
from bot.storage.models import Override, Result, ReviewPeriod
from bot.texts import render_string


@dataclass(frozen=True)
class CommendationView:
    year: int
    org_name: str
    organisation_excellent: bool
    proposal: Proposal
    names: dict[str, str]  # candidate id -> "name · cell"
    history: dict[str, list[int]]  # candidate id -> years rated HTXSNV
    reasons: list[str]


class CommendationService:
    def __init__(self, db: Database, results: ResultsService) -> None:
        self.db = db
        self.results = results

    def members(self, who: Who, org_id: int, *, organisation_excellent: bool) -> CommendationView:
        rating = self.results.compute(who, org_id=org_id)
        plan_options = rating.plan
        excellent = [r for r in rating.rows if r.decided == "HTXSNV"]
        ids = [r.member_id for r in excellent]
        history = self._history(org_id, rating.year, ids)
        present = {m.cell_id: m.present for m in rating.meetings}
        candidates = []
        for r in excellent:
            share = None
            p = present.get(r.cell_id)
            if r.counts is not None and p:
                share = Fraction(r.counts.votes[0], p)
            years = frozenset(history.get(r.member_id, set()) | {rating.year})
            candidates.append(Candidate(str(r.member_id), years, share))
        options = getattr(plan_options, "commendation", None)
        plan = options if isinstance(options, CommendationPlan) else CommendationPlan()
        proposal = propose_members(
            candidates, rating.year, organisation_excellent=organisation_excellent, plan=plan
        )
        names = {str(r.member_id): f"{r.name} · {r.cell_name}" for r in excellent}
        reasons = [render_string("reasons.yaml", x.rule, **x.kwargs()) for x in proposal.reasons]
        return CommendationView(
            rating.year,
            rating.org_name,
            organisation_excellent,
            proposal,
            names,
            {c.id: sorted(c.excellent_years) for c in candidates},
            reasons,
        )

    def _history(self, org_id: int, year: int, member_ids: list[int]) -> dict[int, set[int]]:
        """Years before `year` in which each member ended HTXSNV (an override counts)."""
        out: dict[int, set[int]] = {}
        with self.db.session() as s:
            periods = {
                p.id: p.year
                for p in s.execute(
                    select(ReviewPeriod).where(
                        ReviewPeriod.organisation_id == org_id, ReviewPeriod.year < year
                    )
                ).scalars()
            }
            if not periods:
                return out
            overrides = {
                (o.period_id, o.member_id): o.level
                for o in s.execute(
                    select(Override).where(Override.period_id.in_(periods))
                ).scalars()
            }
            for r in s.execute(
                select(Result).where(
                    Result.period_id.in_(periods), Result.member_id.in_(member_ids)
                )
            ).scalars():
                level = overrides.get((r.period_id, r.member_id), r.final)
                if level == "HTXSNV":
                    out.setdefault(r.member_id, set()).add(periods[r.period_id])
        return out

    def xlsx(self, view: CommendationView) -> bytes:
        from bot.documents.xlsx import write_table

        head = [
            render_string("documents.yaml", k)
            for k in (
                "commend_col_no",
                "commend_col_name",
                "commend_col_years",
                "commend_col_five",
                "commend_col_proposed",
            )
        ]
        yes, tie = (
            render_string("documents.yaml", "commend_yes"),
            render_string("documents.yaml", "commend_tie"),
        )
        rows: list[list[object]] = []
        for i, cid in enumerate(view.proposal.ranked, start=1):
            proposed = (
                yes if cid in view.proposal.selected else tie if cid in view.proposal.ties else ""
            )
            rows.append(
                [
                    i,
                    view.names[cid],
                    ", ".join(map(str, view.history[cid])),
                    yes if cid in view.proposal.five_years else "",
                    proposed,
                ]
            )
        title = render_string("documents.yaml", "commend_title", year=view.year, org=view.org_name)
        return write_table(head, rows, sheet_title="Khen thuong", title=title)
