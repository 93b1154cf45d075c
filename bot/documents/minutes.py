"""The ballot count minutes (biên bản kiểm phiếu) of a cell's rating meeting, as .docx.

Owns the layout only (DOMAIN.md §6: electorate, present, issued, collected, valid, invalid,
votes per level per member, counters' names, signature lines). `MinutesDocument` holds plain
strings and numbers; `bot.services.reports` fills it from the meeting and its locked counts.
A two-round ballot (seed 004 §II.2.5 step 2) adds the three columns of round 2.
"""

from __future__ import annotations

from dataclasses import dataclass

from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT

from bot.documents import officedocx as ox


@dataclass(frozen=True)
class MinutesLine:
    number: int
    name: str
    # None when the member has no final count yet (then `note` says why).
    issued: int | None = None
    collected: int | None = None
    valid: int | None = None
    invalid: int | None = None
    votes: tuple[int, int, int, int] | None = None  # HTXSNV, HTTNV, HTNV, KHTNV
    round2: tuple[int, int, int] | None = None  # yes, no, invalid
    result: str = ""  # the level the ballot gives (abbreviated)
    note: str = ""

    def cells(self, two_round: bool) -> list[str]:
        def n(x: int | None) -> str:
            return "" if x is None else str(x)

        votes = list(self.votes) if self.votes is not None else [None] * 4
        out = [str(self.number), self.name]
        out += [n(self.issued), n(self.collected), n(self.valid), n(self.invalid)]
        out += [n(v) for v in votes]
        if two_round:
            r2 = list(self.round2) if self.round2 is not None else [None] * 3
            out += [n(v) for v in r2]
        out.append(self.result or self.note)
        return out


@dataclass(frozen=True)
class MinutesDocument:
    org_line: str
    cell_line: str
    party: str
    date_line: str
    title: str
    subtitle: str
    intro: str
    counters: str
    electorate: str
    present: str
    rule: str
    # Column titles: TT, name, issued, collected, valid, invalid, the group title over the four
    # levels and the four level names, (round 2 group title and its three), result.
    col_tt: str
    col_name: str
    col_counts: tuple[str, str, str, str]
    col_votes: str
    col_levels: tuple[str, str, str, str]
    col_round2: str
    col_round2_parts: tuple[str, str, str]
    col_result: str
    lines: tuple[MinutesLine, ...]
    two_round: bool
    closing: str
    sign_left: str
    sign_right: str
    sign_hint: str


def render_docx(doc: MinutesDocument) -> bytes:
    d = ox.new(landscape=True, size=13)
    ox.heading_block(d, [doc.org_line, doc.cell_line], doc.party, doc.date_line)
    ox.para(d, doc.title, bold=True, align="center", size=14, space_before=12)
    ox.para(d, doc.subtitle, bold=True, align="center", space_after=8)
    for text in (doc.intro, doc.counters, doc.electorate, doc.present, doc.rule):
        ox.para(d, text, align="justify", space_after=3)
    # Column widths in cm, within the 26.2 cm between the margins of a landscape A4 page; a
    # level's code (HTXSNV) needs about 1.75 cm at 10 pt.
    if doc.two_round:
        widths = [1.0, 4.2, *[1.45] * 4, *[1.75] * 4, *[1.45] * 3, 2.6]
    else:
        widths = [1.0, 5.0, *[1.7] * 4, *[1.9] * 4, 5.0]
    table = ox.grid(d, 2, widths)
    ox.repeat_header(table, 2)
    top, sub = table.rows[0].cells, table.rows[1].cells
    singles = [doc.col_tt, doc.col_name, *doc.col_counts]
    for i, title in enumerate(singles):
        cell = top[i].merge(sub[i])
        ox.para(cell, title, bold=True, align="center", size=11)
    first = len(singles)
    group = top[first].merge(top[first + 3])
    ox.para(group, doc.col_votes, bold=True, align="center", size=11)
    for j, name in enumerate(doc.col_levels):
        ox.para(sub[first + j], name, bold=True, align="center", size=9)
    nxt = first + 4
    if doc.two_round:
        group2 = top[nxt].merge(top[nxt + 2])
        ox.para(group2, doc.col_round2, bold=True, align="center", size=11)
        for j, name in enumerate(doc.col_round2_parts):
            ox.para(sub[nxt + j], name, bold=True, align="center", size=10)
        nxt += 3
    result = top[nxt].merge(sub[nxt])
    ox.para(result, doc.col_result, bold=True, align="center", size=11)
    for row in table.rows[:2]:
        for cell in row.cells:
            ox.shade(cell)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    rows = [
        [(value, "left" if col == 1 else "center", False, 1) for col, value in enumerate(cells)]
        for cells in (line.cells(doc.two_round) for line in doc.lines)
    ]
    ox.append_rows(table, widths, rows, size=11)
    ox.para(d, doc.closing, space_before=8, align="justify")
    ox.signatures(d, [(doc.sign_left, ""), (doc.sign_right, "")], doc.sign_hint)
    return ox.to_bytes(d)
