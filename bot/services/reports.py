"""The cell's and the office's documents, filled from one computation of the results.

Owns the mapping from a `Rating` (bot.services.results) to the documents' plain values: the
summary of proposed levels (seed 000 Mẫu 03, .xlsx and .docx), the ballot count minutes
(.docx), the PNG charts (results by level; the anonymous 27-indicator chart) and the office's
CSV of everything. Every heading and label comes from `templates/documents.yaml`; names are in
Vietnamese order (`bot.vietnamese.sort_key`, as the results list them). Each public method
returns a `Document` (file name and bytes) a handler can send and the CLI can write.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Literal

from bot.documents import charts
from bot.documents.csvfile import write_csv
from bot.documents.minutes import MinutesDocument, MinutesLine
from bot.documents.minutes import render_docx as minutes_docx
from bot.documents.summary import SummaryDocument, SummaryLine
from bot.documents.summary import render_docx as summary_docx
from bot.documents.summary import render_xlsx as summary_xlsx
from bot.rules.catalog import load_indicators
from bot.services.acting import Who
from bot.services.errors import UserError
from bot.services.replies import Document
from bot.services.results import MemberRow, Rating, ResultsService
from bot.storage.db import Database
from bot.texts import _fmt_num, render_string
from bot.vietnamese import fold

DOCS = "documents.yaml"
SUMMARY_COLUMNS = (
    "col_tt",
    "col_name",
    "col_posts",
    "col_self",
    "col_residence",
    "col_civil_servant",
    "col_committee",
    "col_mass_org",
    "col_cell",
    "col_party_committee",
    "col_notes",
)


def t(key: str, **params: Any) -> str:
    return render_string(DOCS, key, **params)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-") or "don-vi"


def short(level: str | None) -> str:
    """A level as the tables write it (the code; "chưa xác định" for UNDETERMINED)."""
    if level is None:
        return ""
    return t("undetermined") if level == "UNDETERMINED" else level


# --- the summary (Mẫu 03) --------------------------------------------------------------------


def _notes(r: MemberRow) -> str:
    res = r.result
    notes: list[str] = []
    if not res.get("rated"):
        reason = res.get("not_rated_reason") or ""
        return t("note_not_rated", reason=t(f"not_rated.{reason}") if reason else "")
    if r.ballot_state == "awaiting_second":
        notes.append(t("note_ballot_pending"))
    elif r.counts is None:
        notes.append(t("note_no_ballot"))
    rules = [x["rule"] for x in res.get("reasons", [])]
    if ("proposed.lowered" in rules or "proposed.forced" in rules) and res.get("caps"):
        rank = {"KHTNV": 1, "HTNV": 2, "HTTNV": 3, "HTXSNV": 4}
        binding = min(res["caps"], key=lambda c: rank.get(c["level"], 5))
        notes.append(binding["text"])
    over_cap = res.get("proposed") == "HTXSNV" and res.get("final") == "HTTNV"
    if over_cap and "tie_at_cap" not in res.get("flags", []):
        notes.append(t("note_top_cap"))
    notes.extend(t(f"flag.{f}") for f in res.get("flags", []))
    o = r.override
    if o is not None:
        base = res.get("proposed") if o.by_role == "cell" else res.get("final")
        notes.append(
            t(
                "note_override",
                who=t(f"override_by.{o.by_role}"),
                level=o.level,
                proposed=short(base),
                reason=o.reason,
            )
        )
    return "; ".join(n.rstrip(". ") for n in notes if n)


def summary_document(rating: Rating) -> SummaryDocument:
    lines: list[SummaryLine] = []
    current_cell: int | None = None
    for number, r in enumerate(rating.rows, start=1):
        if rating.scope == "org" and r.cell_id != current_cell:
            current_cell = r.cell_id
            lines.append(SummaryLine(None, t("cell_heading", cell=r.cell_name)))
        res = r.result
        rated = bool(res.get("rated"))
        o = r.override
        lines.append(
            SummaryLine(
                number=number,
                name=r.name,
                posts=r.posts,
                self_rating=short(r.self_proposed),
                residence=r.residence,
                civil_servant=short(r.facts.get("civil_servant_rating")),
                committee=t("overridden", level=o.level) if o and o.by_role == "cell" else "",
                cell=short(res.get("proposed")) if rated else "",
                party_committee=(
                    t("overridden", level=o.level)
                    if o and o.by_role == "office"
                    else short(res.get("final"))
                    if rated
                    else ""
                ),
                notes=_notes(r),
            )
        )
    counts = rating.counts_by_level()
    footer = [t("legend"), t("totals", total=len(rating.rows), **counts)]
    cap = rating.plan.excellent_cap
    for g in rating.output["cap_groups"]:
        line = t(
            "cap_line",
            max=g["max_excellent"],
            pct=cap.pct,
            base=g["base"],
            small=cap.small_unit and 0 < g["base"] < 5,
            selected=len(g["selected"]),
            free=g["free_places"],
        )
        footer.append(line if g["group"] == "default" else f"{g['group']}: {line}")
    footer.extend(allocation_lines(rating))
    year = rating.year
    return SummaryDocument(
        org_line=rating.org_name.upper(),
        cell_line=(rating.cell_name or "").upper(),
        party=t("party"),
        date_line=t("date_blank", year=year),
        title=t("summary_title"),
        subtitle=t("summary_subtitle", year=year, cell=rating.cell_name or rating.org_name),
        headers=tuple(t(k) for k in SUMMARY_COLUMNS),
        numbers=tuple(t("col_number", n=i) for i in range(1, 12)),
        lines=tuple(lines),
        footer=tuple(footer),
        sign_title=t("sign_cell") if rating.scope == "cell" else t("sign_office"),
        sign_role=t("sign_secretary") if rating.scope == "cell" else "",
        sign_hint=t("sign_hint"),
        sheet_title=t("summary_sheet"),
    )


def allocation_lines(rating: Rating) -> list[str]:
    """Seed 001 (2): the places of each cell, for the office (all) or a secretary (theirs)."""
    alloc = rating.allocation
    if alloc is None:
        return []
    out = [t("allocation_title"), t("allocation_rule")]
    for c in alloc.cells:
        if rating.cell_id is not None and c.cell_id != rating.cell_id:
            continue
        out.append(
            t(
                "allocation_line",
                cell=c.name,
                level=short(c.level) or t("undetermined"),
                good=c.good,
                candidates=c.candidates,
                share=_fmt_num(round(float(c.share), 2)),
                places=c.places,
            )
        )
    if rating.cell_id is None and alloc.unused:
        out.append(t("allocation_unused", unused=alloc.unused))
    return out


# --- the minutes ------------------------------------------------------------------------------


def minutes_document(rating: Rating) -> MinutesDocument:
    assert rating.cell_id is not None, "the minutes are a cell's"
    meeting = next((m for m in rating.meetings if m.cell_id == rating.cell_id), None)
    if meeting is None or meeting.held_on is None:
        raise UserError("meeting_not_found", cell=rating.cell_name or "")
    held = meeting.held_on
    counters: list[str] = []
    lines: list[MinutesLine] = []
    number = 0
    for r in rating.rows:
        for name in r.counters:
            if fold(name) not in {fold(x) for x in counters}:
                counters.append(name)
        if r.status not in ("official", "probationary") and r.ballot_state == "none":
            continue  # exempt and suspended members are not reviewed, so not voted on
        number += 1
        if r.counts is None:
            note = (
                t("minutes_pending")
                if r.ballot_state == "awaiting_second"
                else t("minutes_missing")
            )
            lines.append(MinutesLine(number, r.name, note=note))
            continue
        c = r.counts
        vote = r.result.get("vote_level")
        if not r.result.get("rated"):
            reason = r.result.get("not_rated_reason") or ""
            result = t("note_not_rated", reason=t(f"not_rated.{reason}") if reason else "")
        else:
            result = short(vote)
        lines.append(
            MinutesLine(
                number,
                r.name,
                c.issued,
                c.collected,
                c.valid,
                c.invalid,
                c.votes,
                c.round2,
                result,
            )
        )
    two_round = rating.vote_rule == "two-round"
    org = rating.org_name
    return MinutesDocument(
        org_line=org.upper(),
        cell_line=(rating.cell_name or "").upper(),
        party=t("party"),
        date_line=t("date_of", day=f"{held.day:02d}", month=f"{held.month:02d}", year=held.year),
        title=t("minutes_title"),
        subtitle=t("minutes_subtitle", year=rating.year),
        intro=t(
            "minutes_intro",
            day=f"{held.day:02d}",
            month=f"{held.month:02d}",
            year=held.year,
            cell=rating.cell_name,
        ),
        counters=t("minutes_counters", names=", ".join(counters))
        if counters
        else t("minutes_counters_blank"),
        electorate=t("minutes_electorate", n=meeting.electorate),
        present=t("minutes_present", n=meeting.present),
        rule=t(f"minutes_rule.{rating.vote_rule}"),
        col_tt=t("mcol_tt"),
        col_name=t("mcol_name"),
        col_counts=(t("mcol_issued"), t("mcol_collected"), t("mcol_valid"), t("mcol_invalid")),
        col_votes=t("mcol_votes"),
        col_levels=("HTXSNV", "HTTNV", "HTNV", "KHTNV"),
        col_round2=t("mcol_round2"),
        col_round2_parts=(t("mcol_yes"), t("mcol_no"), t("mcol_r2_invalid")),
        col_result=t("mcol_result"),
        lines=tuple(lines),
        two_round=two_round,
        closing=t("minutes_closing"),
        sign_left=t("sign_members"),
        sign_right=t("sign_head"),
        sign_hint=t("sign_hint"),
    )


# --- charts -----------------------------------------------------------------------------------

BAR_KEYS = ("HTXSNV", "HTTNV", "HTNV", "KHTNV", "UNDETERMINED", "not_rated")


def results_chart(rating: Rating) -> bytes:
    counts = rating.counts_by_level()
    bars = [(t(f"chart_bar.{k}"), counts[k], charts.LEVEL_COLOURS[k]) for k in BAR_KEYS]
    return charts.bar_chart_png(
        t("chart_results_title", name=rating.title, year=rating.year),
        bars,
        axis_label=t("chart_axis"),
        note=t("chart_results_note", total=len(rating.rows)),
    )


def indicator_marks(rows: Sequence[MemberRow]) -> tuple[dict[int, dict[int, int]], int]:
    """How many submitted reviews put each indicator at each level, and how many reviews."""
    marks: dict[int, dict[int, int]] = {}
    submitted = 0
    for r in rows:
        if r.review_status != "submitted" or not r.indicators:
            continue
        submitted += 1
        for number, level in r.indicators.items():
            marks.setdefault(number, {}).setdefault(level, 0)
            marks[number][level] += 1
    return marks, submitted


def indicators_chart(rating: Rating) -> bytes:
    marks, submitted = indicator_marks(rating.rows)
    cells = charts.anonymous_cells(
        marks, submitted, small=t("chart_small"), hidden=t("chart_hidden")
    )
    catalog = load_indicators()
    groups = [
        (
            t(f"chart_group.{code}"),
            [(i.number, i.label) for i in catalog.indicators if i.group == code],
        )
        for code in ("A", "B", "C")
    ]
    note = (
        t("chart_indicators_note", n=submitted)
        if cells is not None
        else t("chart_indicators_too_few", n=submitted)
    )
    return charts.indicator_chart_png(
        t("chart_indicators_title", name=rating.title),
        groups,
        [t(f"chart_level.{n}") for n in range(1, 6)],
        t("chart_indicator_col"),
        cells,
        note=note,
        submitted=submitted,
    )


# --- the office's CSV ------------------------------------------------------------------------

CSV_COLUMNS = (
    "csv_cell",
    "csv_member_id",
    "csv_name",
    "csv_status",
    "csv_kind",
    "csv_posts",
    "csv_review",
    "csv_self_proposed",
    "csv_self_summary",
    "csv_facts",
    "csv_residence",
    "csv_ballot_state",
    "csv_electorate",
    "csv_present",
    "csv_issued",
    "csv_collected",
    "csv_invalid",
    "csv_votes_xs",
    "csv_votes_t",
    "csv_votes_tb",
    "csv_votes_k",
    "csv_round2",
    "csv_counters",
    "csv_rated",
    "csv_self_level",
    "csv_self_points",
    "csv_vote_level",
    "csv_proposed",
    "csv_final",
    "csv_override",
    "csv_override_reason",
    "csv_flags",
    "csv_reasons",
)


def csv_rows(rating: Rating) -> list[list[object]]:
    meetings = {m.cell_id: m for m in rating.meetings}
    out: list[list[object]] = []
    for r in rating.rows:
        res = r.result
        m = meetings.get(r.cell_id)
        c = r.counts
        votes: Sequence[object] = c.votes if c is not None else ("", "", "", "")
        out.append(
            [
                r.cell_name,
                r.member_id,
                r.name,
                render_string("errors.yaml", f"status_{r.status}"),
                render_string("errors.yaml", f"kind_{r.kind}"),
                r.posts,
                t(f"review.{r.review_status}"),
                r.self_proposed or "",
                r.self_summary,
                json.dumps(r.facts, ensure_ascii=False, sort_keys=True) if r.facts else "",
                r.residence,
                t(f"ballot.{r.ballot_state}"),
                m.electorate if m is not None and c is not None else "",
                m.present if m is not None and c is not None else "",
                c.issued if c is not None else "",
                c.collected if c is not None else "",
                c.invalid if c is not None else "",
                *votes,
                "/".join(str(x) for x in c.round2) if c is not None and c.round2 else "",
                ", ".join(r.counters),
                t("yes") if res.get("rated") else t("no"),
                res.get("self_level") or "",
                "" if res.get("self_points") is None else res["self_points"],
                res.get("vote_level") or "",
                res.get("proposed") or "",
                res.get("final") or "",
                r.override.level if r.override else "",
                r.override.reason if r.override else "",
                ", ".join(t(f"flag.{f}") for f in res.get("flags", [])),
                " | ".join(x["text"] for x in res.get("reasons", [])),
            ]
        )
    return out


def export_csv(rating: Rating) -> bytes:
    return write_csv([t(k) for k in CSV_COLUMNS], csv_rows(rating))


# --- the service ------------------------------------------------------------------------------

SummaryFormat = Literal["xlsx", "docx"]


class ReportService:
    def __init__(self, db: Database, results: ResultsService | None = None) -> None:
        self.db = db
        self.results = results or ResultsService(db)

    def summary(
        self,
        who: Who,
        *,
        cell_id: int | None = None,
        org_id: int | None = None,
        fmt: SummaryFormat = "xlsx",
    ) -> Document:
        """Mẫu 03 of a cell (secretary) or of the organisation (office), .xlsx or .docx."""
        if fmt not in ("xlsx", "docx"):
            raise UserError("bad_export_format", formats=".xlsx, .docx", name=fmt)
        rating = self.results.compute(who, cell_id=cell_id, org_id=org_id)
        doc = summary_document(rating)
        data = summary_xlsx(doc) if fmt == "xlsx" else summary_docx(doc)
        return Document(f"tong-hop-{_slug(rating.title)}-{rating.year}.{fmt}", data, doc.title)

    def minutes(self, who: Who, cell_id: int) -> Document:
        """The ballot count minutes of the cell's meeting (.docx)."""
        rating = self.results.compute(who, cell_id=cell_id)
        doc = minutes_document(rating)
        name = f"bien-ban-kiem-phieu-{_slug(rating.title)}-{rating.year}.docx"
        return Document(name, minutes_docx(doc), doc.title)

    def results_chart(
        self, who: Who, *, cell_id: int | None = None, org_id: int | None = None
    ) -> Document:
        rating = self.results.compute(who, cell_id=cell_id, org_id=org_id)
        name = f"ket-qua-{_slug(rating.title)}-{rating.year}.png"
        return Document(name, results_chart(rating), protect=False)

    def indicators_chart(
        self, who: Who, *, cell_id: int | None = None, org_id: int | None = None
    ) -> Document:
        rating = self.results.compute(who, cell_id=cell_id, org_id=org_id)
        name = f"bieu-hien-{_slug(rating.title)}-{rating.year}.png"
        return Document(name, indicators_chart(rating), protect=False)

    def export_csv(
        self, who: Who, *, cell_id: int | None = None, org_id: int | None = None
    ) -> Document:
        """Everything, one row per member, for the office's own spreadsheets."""
        rating = self.results.compute(who, cell_id=cell_id, org_id=org_id)
        name = f"du-lieu-{_slug(rating.title)}-{rating.year}.csv"
        return Document(name, export_csv(rating))
