"""Spreadsheets for people: values (never formulas), Times New Roman, columns wide enough for
Vietnamese names, a bold frozen header row."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

FONT = "Times New Roman"
_thin = Side(style="thin", color="000000")
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)


def _width(value: object) -> float:
    text = "" if value is None else str(value)
    # Vietnamese letters with two marks render wider than ASCII in TNR; a small margin keeps
    # names like "Nguyễn Thị Phương Thảo" from clipping in LibreOffice's PDF.
    return max((len(line) for line in text.split("\n")), default=0) * 1.15 + 2


def write_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    sheet_title: str = "Sheet1",
    title: str | None = None,
) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet_title[:31]
    first = 1
    if title:
        ws.cell(row=1, column=1, value=title).font = Font(name=FONT, size=14, bold=True)
        first = 3
    for col, head in enumerate(headers, start=1):
        c = ws.cell(row=first, column=col, value=head)
        c.font = Font(name=FONT, size=12, bold=True)
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        c.border = BORDER
    for r, row in enumerate(rows, start=first + 1):
        for col, value in enumerate(row, start=1):
            c = ws.cell(row=r, column=col, value=value)
            c.font = Font(name=FONT, size=12)
            c.border = BORDER
            c.alignment = Alignment(vertical="top", wrap_text=True)
    for col in range(1, len(headers) + 1):
        widest = max(
            [_width(headers[col - 1])] + [_width(r[col - 1]) for r in rows if col <= len(r)]
        )
        ws.column_dimensions[get_column_letter(col)].width = min(max(widest, 6), 60)
    ws.freeze_panes = ws.cell(row=first + 1, column=1)
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
