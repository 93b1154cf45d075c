"""The collective's report (.docx) filled from a `CollectiveView`: the sections as the head
wrote them with their levels (or points), the proposal, the annex of comments with the head's
acceptance or answer, and the ballot's result. Wording: `templates/documents.yaml`."""

from __future__ import annotations

from typing import Any

from bot.documents.collective_report import ReportDocument, ReportItem, render_docx
from bot.rules.collective import SectionKind
from bot.services.collectives import CollectiveView, SectionInfo
from bot.texts import render_string

DOCS = "documents.yaml"
GRADES = ("XS", "T", "TB", "K")
LEVELS = ("HTXSNV", "HTTNV", "HTNV", "KHTNV")


def t(key: str, **params: Any) -> str:
    return render_string(DOCS, key, **params)


def _level_name(code: str) -> str:
    return render_string("reasons.yaml", f"level.{code}")


def _body(x: SectionInfo) -> str:
    if x.skipped:
        return t("collective_skipped")
    return x.text or t("collective_empty")


def _assessment(x: SectionInfo) -> str:
    if x.skipped:
        return ""
    if x.kind == SectionKind.GRADED:
        options = "   ".join(
            t(
                "collective_tick" if g == x.grade else "collective_blank",
                name=t(f"collective_grade.{g}"),
            )
            for g in GRADES
        )
        return t("collective_grade_line", options=options)
    if x.kind == SectionKind.POINTS:
        return t("collective_points_line", points=x.points or "…", max=x.max_points)
    return ""


def report_document(view: CollectiveView) -> ReportDocument:
    part_one = [x for x in view.sections if x.heading.startswith("I.")]
    later = [
        x
        for x in view.sections
        if not x.heading.startswith("I.") and x.kind != SectionKind.PROPOSAL
    ]
    proposal = next((x for x in view.sections if x.kind == SectionKind.PROPOSAL), None)
    chosen = proposal.grade if proposal is not None else ""
    items = tuple(
        ReportItem(
            t("collective_item", number=x.heading.removeprefix("I."), title=x.title),
            _body(x),
            _assessment(x),
        )
        for x in part_one
    )
    rest = tuple(
        ReportItem(t("collective_part", heading=x.heading, title=x.title), _body(x), _assessment(x))
        for x in later
    )
    points_title = ""
    points: tuple[str, ...] = ()
    if view.rulebook == "2025":
        general = sum(_num(x.points) for x in view.sections if x.id.startswith("g"))
        tasks = sum(_num(x.points) for x in view.sections if x.id.startswith("t"))
        points_title = t("collective_points_title")
        points = (
            t("collective_points_general", points=_show(general)),
            t("collective_points_tasks", points=_show(tasks)),
            t("collective_points_total", points=_show(general + tasks)),
        )
    comments = tuple(
        (
            str(i),
            c.author,
            c.section_heading or t("collective_section_all"),
            c.text,
            t(f"collective_response.{c.response or 'none'}", answer=c.answer),
        )
        for i, c in enumerate(view.comments, start=1)
    )
    vote_title = ""
    vote_lines: tuple[str, ...] = ()
    if view.ballot is not None:
        b = view.ballot
        xs, tt, tb, k = b.counts.votes
        vote_title = t("collective_vote_title")
        vote_lines = (
            t(
                "collective_vote_counts",
                electorate=b.electorate,
                present=b.present,
                issued=b.counts.issued,
                collected=b.counts.collected,
                invalid=b.counts.invalid,
            ),
            t("collective_vote_levels", xs=xs, t=tt, tb=tb, k=k),
        )
        if view.level is not None:
            vote_lines += (t("collective_vote_result", level=_level_name(view.level)),)
        vote_lines += tuple(r["text"] for r in view.result.get("reasons", []))
    meeting = view.meeting_on
    date_line = (
        t(
            "date_of",
            day=f"{meeting.day:02d}",
            month=f"{meeting.month:02d}",
            year=meeting.year,
        )
        if meeting is not None
        else t("date_blank", year=view.year)
    )
    head = view.head
    return ReportDocument(
        org_line=view.root_name.upper(),
        collective_line=view.name.upper(),
        party=t("party"),
        date_line=date_line,
        draft_mark="" if view.status == "final" else t("collective_draft"),
        title=t("collective_title"),
        year_line=t("collective_year", year=view.year),
        intro=t("collective_intro", name=view.name),
        part_one=t("collective_part_one"),
        items=items,
        later=rest,
        proposal_title=t("collective_proposal_title"),
        proposal=tuple(
            t("collective_tick" if lv == chosen else "collective_blank", name=_level_name(lv))
            for lv in LEVELS
        ),
        points_title=points_title,
        points=points,
        sign_title=t("collective_sign"),
        sign_role=t("collective_sign_role"),
        sign_hint=t("collective_sign_hint"),
        sign_name=head.name if head is not None else "",
        comments_title=t("collective_comments_title"),
        comments_intro=t(
            "collective_comments_intro",
            sent=view.sent_at.strftime("%d/%m/%Y") if view.sent_at else "",
            meeting=meeting.strftime("%d/%m/%Y") if meeting else "",
            count=len(view.comments),
        ),
        comments_columns=(
            t("collective_col_tt"),
            t("collective_col_author"),
            t("collective_col_section"),
            t("collective_col_comment"),
            t("collective_col_response"),
        ),
        comments=comments,
        no_comments=t("collective_no_comments"),
        vote_title=vote_title,
        vote_lines=vote_lines,
    )


def report_bytes(view: CollectiveView) -> bytes:
    return render_docx(report_document(view))


def _num(text: str) -> Any:
    from fractions import Fraction

    return Fraction(text.replace(",", ".")) if text else Fraction(0)


def _show(x: Any) -> str:
    from bot.review.questionnaire import format_points

    return format_points(x)
