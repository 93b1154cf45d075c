"""The member's answers as the official self-review form (`SelfReviewDocument` -> .docx, .pdf)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.documents.selfreview import (
    CriterionLine,
    IndicatorLine,
    PointsLine,
    SelfReviewDocument,
    TaskLine,
    date_line,
    render_docx,
)
from bot.review.questionnaire import load_tasks
from bot.rules.catalog import TaskStatus
from bot.rules.levels import Grade, Level
from bot.services.replies import Document
from bot.storage.models import Member, Organisation
from bot.storage.types import utcnow
from bot.vietnamese import fold

if TYPE_CHECKING:
    from bot.services.reviews import Ctx, ReviewService


def build_document(ctx: Ctx, svc: ReviewService, *, pdf: bool = False) -> Document:
    doc = self_review_document(ctx, svc)
    data = render_docx(doc)
    slug = re.sub(r"[^a-z0-9]+", "-", fold(ctx.member.full_name)).strip("-")
    return Document(
        filename=f"ban-kiem-diem-{ctx.period.year}-{slug}.docx",
        data=data,
        caption=doc.form_code,
        protect=True,
    )


def self_review_document(ctx: Ctx, svc: ReviewService) -> SelfReviewDocument:
    from bot.texts import label

    cat = ctx.catalog
    answers = ctx.answers
    cell = ctx.s.get(Organisation, ctx.member.cell_id)
    root = ctx.s.get(Organisation, cell.parent_id) if cell and cell.parent_id else cell

    def text(key: str) -> str:
        a = answers.get(key)
        return a.value if a is not None else ""

    criteria = tuple(
        CriterionLine(
            title=c.title,
            grade_label=cat.scales.grade_name(Grade(text(f"c.{c.id}")))
            if text(f"c.{c.id}")
            else label("opt_grade_na"),
            note=answers[f"c.{c.id}"].note if f"c.{c.id}" in answers else "",
            number=c.section or "",
        )
        for c in cat.criteria
        if f"c.{c.id}" in answers
    )
    points: tuple[PointsLine, ...] = ()
    general = tasks_sum = total = ""
    if cat.points is not None:
        from fractions import Fraction

        from bot.review.questionnaire import format_points
        from bot.rules.catalog import PointsGroup

        sums = {g: Fraction(0) for g in PointsGroup}
        lines = []
        for item in cat.points.items:
            value = text(f"p.{item.id}")
            if value:
                sums[item.group] += Fraction(value)
            lines.append(
                PointsLine(
                    group_label=cat.points.group_title(item.group),
                    title=item.title,
                    max_points=format_points(item.max_points),
                    points=value.replace(".", ","),
                    note=answers[f"p.{item.id}"].note if f"p.{item.id}" in answers else "",
                )
            )
        points = tuple(lines)
        general = format_points(sums[PointsGroup.GENERAL])
        tasks_sum = format_points(sums[PointsGroup.TASKS])
        total = format_points(sums[PointsGroup.GENERAL] + sums[PointsGroup.TASKS])
    task_lines = tuple(
        TaskLine(t.title, cat.scales.task_status_name(TaskStatus(t.status)))
        for t in load_tasks(text("tasks"))
        if t.status
    )
    indicators = []
    for ind in cat.indicators.indicators:
        value = text(f"i.{ind.number}")
        if not value:
            continue
        indicators.append(
            IndicatorLine(
                number=ind.number,
                group=ind.group,
                text=ind.text,
                level=int(value),
                level_label=cat.indicators.scale_label(int(value)),
                remedy=answers[f"i.{ind.number}"].note,
            )
        )
    sections = {q.ref: text(q.key) for q in ctx.questions if q.kind == "section"}
    computed, reasons, _ = svc._computed(ctx)
    chosen = text("rate")
    proxy_by = ""
    if ctx.proxy or any(a.proxy for a in answers.values()):
        by = next((a.by_member_id for a in answers.values() if a.proxy), None)
        person = ctx.s.get(Member, by) if by else None
        proxy_by = person.full_name if person else ""
    import html

    return SelfReviewDocument(
        rulebook=ctx.period.rulebook,
        kind=ctx.member.kind,
        year=ctx.period.year,
        org_name=root.name if root else "",
        cell_name=cell.name if cell else "",
        full_name=ctx.member.full_name,
        form_code=cat.form.code,
        birth_date=ctx.member.birth_date.strftime("%d/%m/%Y") if ctx.member.birth_date else "",
        party_post=ctx.member.party_post,
        government_post=ctx.member.government_post,
        mass_org_post=ctx.member.mass_org_post,
        work_unit=text("unit"),
        criteria=criteria,
        points=points,
        points_general=general,
        points_tasks=tasks_sum,
        points_total=total,
        tasks=task_lines,
        indicators=tuple(indicators),
        indicators_note=""
        if any(i.official for i in cat.indicators.indicators)
        else cat.indicators.source,
        limitations=sections.get("II", ""),
        prior_remedies=sections.get("III", ""),
        higher_level_issues=sections.get("IV", ""),
        collective_responsibility=sections.get("V", ""),
        direction=sections.get("VI", ""),
        civil_servant_rating_label=cat.scales.level_name(Level(text("rcs"))) if text("rcs") else "",
        computed_level_label=svc._level_name(ctx, computed),
        chosen_level_label=cat.scales.level_name(Level(chosen)) if chosen else "",
        computed_reasons=tuple(html.unescape(r) for r in reasons),
        justification=answers["rate"].note if "rate" in answers else "",
        proxy_by=proxy_by,
        place="",
        date_line=date_line(utcnow().date()),
    )
