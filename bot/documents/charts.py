"""PNG charts for the cell and the office: the results by level (a bar chart), and an anonymous
table-chart of how many members marked each of the 27 indicators at each level.

Drawn with Pillow rather than matplotlib: two simple charts do not justify matplotlib's weight
(numpy, fonttools, kiwisolver, contourpy: tens of MB and a slow import in every bot process),
while Pillow is one small wheel and draws crisp text with the system's TrueType fonts. Fonts are
looked up among the ones the machine has (Liberation, which CI installs with LibreOffice, then
DejaVu, both with every Vietnamese letter); Pillow's own font is the last resort.

Anonymity (`anonymous_cells`): the indicator chart never names anyone; a count of 1 or 2 is shown
as "<3" so no one can be singled out, and the counts of level (1) "no sign" are not shown,
because with them a "<3" could be worked out by subtraction from the number of reviews.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")
REGULAR = ("LiberationSans-Regular.ttf", "DejaVuSans.ttf", "NotoSans-Regular.ttf", "Arial.ttf")
BOLD = ("LiberationSans-Bold.ttf", "DejaVuSans-Bold.ttf", "NotoSans-Bold.ttf", "Arial Bold.ttf")

INK = (33, 33, 33)
GRID = (215, 215, 215)
# One colour per level, best first; grey for "not determined" and "not rated".
LEVEL_COLOURS: dict[str, tuple[int, int, int]] = {
    "HTXSNV": (27, 94, 32),
    "HTTNV": (67, 160, 71),
    "HTNV": (251, 192, 45),
    "KHTNV": (211, 47, 47),
    "UNDETERMINED": (144, 164, 174),
    "not_rated": (207, 216, 220),
}

AnyFont = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def _font_file(names: tuple[str, ...]) -> str | None:
    for name in names:
        for base in FONT_DIRS:
            if base.is_dir():
                found = next(iter(sorted(base.rglob(name))), None)
                if found is not None:
                    return str(found)
    return None


@cache
def font(size: int, bold: bool = False) -> AnyFont:
    path = _font_file(BOLD if bold else REGULAR) or _font_file(REGULAR)
    if path is not None:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _text_size(draw: ImageDraw.ImageDraw, text: str, f: AnyFont) -> tuple[int, int]:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=f)
    return int(right - left), int(bottom - top)


def _wrap(draw: ImageDraw.ImageDraw, text: str, f: AnyFont, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and _text_size(draw, candidate, f)[0] > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines or [""]


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _step(top: int) -> int:
    """A round tick step giving at most about 8 gridlines."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if top / step <= 8:
            return step
    return 10_000


def bar_chart_png(
    title: str,
    bars: Sequence[tuple[str, int, tuple[int, int, int]]],
    *,
    axis_label: str,
    note: str = "",
    width: int = 1200,
    height: int = 720,
) -> bytes:
    """Vertical bars (label, value, colour) with the value above each bar and a y axis."""
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    f_title, f_label, f_small = font(30, True), font(22), font(19)
    y = 24
    for line in _wrap(draw, title, f_title, width - 80):
        w, h = _text_size(draw, line, f_title)
        draw.text(((width - w) // 2, y), line, font=f_title, fill=INK)
        y += h + 10
    note_lines = _wrap(draw, note, f_small, width - 120) if note else []
    left, right = 110, width - 40
    top, bottom = y + 40, height - 90 - 26 * len(note_lines)
    peak = max((v for _, v, _ in bars), default=0)
    step = _step(max(peak, 1))
    # Room above the tallest bar for its value: the axis ends a gridline above it.
    ymax = (max(peak, 1) // step + 1) * step

    def ypos(v: float) -> int:
        return int(bottom - (bottom - top) * v / ymax)

    for tick in range(0, ymax + 1, step):
        yy = ypos(tick)
        draw.line([(left, yy), (right, yy)], fill=GRID, width=1)
        w, h = _text_size(draw, str(tick), f_small)
        draw.text((left - 12 - w, yy - h // 2 - 4), str(tick), font=f_small, fill=INK)
    draw.line([(left, top - 10), (left, bottom)], fill=INK, width=2)
    draw.line([(left, bottom), (right, bottom)], fill=INK, width=2)
    # The axis title, written vertically on the left.
    tw, th = _text_size(draw, axis_label, f_small)
    label_img = Image.new("RGBA", (tw + 8, th + 12), (255, 255, 255, 0))
    ImageDraw.Draw(label_img).text((4, 2), axis_label, font=f_small, fill=INK)
    rotated = label_img.rotate(90, expand=True)
    img.paste(rotated, (18, (top + bottom - rotated.height) // 2), rotated)
    n = max(len(bars), 1)
    slot = (right - left) / n
    bar_w = int(slot * 0.6)
    for i, (name, value, colour) in enumerate(bars):
        x0 = int(left + slot * i + (slot - bar_w) / 2)
        if value > 0:
            draw.rectangle([x0, ypos(value), x0 + bar_w, bottom - 1], fill=colour)
        text = str(value)
        w, h = _text_size(draw, text, f_label)
        draw.text((x0 + (bar_w - w) // 2, ypos(value) - h - 12), text, font=f_label, fill=INK)
        for j, line in enumerate(_wrap(draw, name, f_label, int(slot) - 8)[:2]):
            w, h = _text_size(draw, line, f_label)
            draw.text(
                (int(left + slot * i + (slot - w) / 2), bottom + 12 + j * 28),
                line,
                font=f_label,
                fill=INK,
            )
    yy = height - 20 - 26 * len(note_lines)
    for line in note_lines:
        draw.text((left, yy), line, font=f_small, fill=(90, 90, 90))
        yy += 26
    return _png(img)


def anonymous_cells(
    marks: Mapping[int, Mapping[int, int]],
    submitted: int,
    *,
    small: str = "<3",
    hidden: str = "—",
    threshold: int = 3,
) -> dict[int, list[str]] | None:
    """Indicator number -> five cell texts (levels 1–5), or None when fewer than `threshold`
    reviews are in (then every cell would point at someone). A count from 1 to threshold−1 is
    `small`; level 1 is always `hidden` so no `small` can be recovered by subtraction."""
    if submitted < threshold:
        return None
    out: dict[int, list[str]] = {}
    for number in range(1, 28):
        counts = marks.get(number, {})
        row = [hidden]
        for level in range(2, 6):
            c = counts.get(level, 0)
            row.append("0" if c == 0 else small if c < threshold else str(c))
        out[number] = row
    return out


def indicator_chart_png(
    title: str,
    groups: Sequence[tuple[str, Sequence[tuple[int, str]]]],
    columns: Sequence[str],
    first_column: str,
    cells: Mapping[int, Sequence[str]] | None,
    *,
    note: str,
    submitted: int,
    width: int = 1500,
) -> bytes:
    """A table-chart: one row per indicator (grouped A, B, C), one column per level, each cell
    the count shaded by its share of the reviews ("<3" and "0" lightly)."""
    f_title, f_head, f_cell, f_small = font(28, True), font(17, True), font(17), font(17)
    probe = ImageDraw.Draw(Image.new("RGB", (10, 10)))
    label_w = 640
    col_w = (width - 40 - label_w) // max(len(columns), 1)
    row_h, group_h, head_h = 30, 34, 56
    title_lines = _wrap(probe, title, f_title, width - 80)
    note_lines = _wrap(probe, note, f_small, width - 80)
    rows = sum(len(items) for _, items in groups)
    body = head_h + rows * row_h + len(groups) * group_h if cells is not None else 60
    height = 30 + 40 * len(title_lines) + 20 + body + 30 + 26 * len(note_lines) + 20
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    y = 24
    for line in title_lines:
        w, _ = _text_size(draw, line, f_title)
        draw.text(((width - w) // 2, y), line, font=f_title, fill=INK)
        y += 40
    y += 16
    x0 = 20
    if cells is not None:
        draw.rectangle([x0, y, width - 20, y + head_h], fill=(236, 239, 241))
        draw.text((x0 + 8, y + 18), first_column, font=f_head, fill=INK)
        for j, name in enumerate(columns):
            cx = x0 + label_w + j * col_w
            for k, line in enumerate(_wrap(draw, name, f_head, col_w - 8)[:2]):
                w, _ = _text_size(draw, line, f_head)
                draw.text((cx + (col_w - w) // 2, y + 6 + k * 22), line, font=f_head, fill=INK)
        y += head_h
        for group_title, items in groups:
            draw.rectangle([x0, y, width - 20, y + group_h], fill=(245, 245, 245))
            draw.text((x0 + 8, y + 7), group_title, font=f_head, fill=INK)
            y += group_h
            for number, text in items:
                label = f"{number}. {text}"
                while _text_size(draw, label, f_cell)[0] > label_w - 16 and len(label) > 4:
                    label = label[:-2].rstrip() + "…"
                draw.text((x0 + 8, y + 5), label, font=f_cell, fill=INK)
                for j, value in enumerate(cells.get(number, [])):
                    cx = x0 + label_w + j * col_w
                    fill = _shade(value, submitted)
                    draw.rectangle([cx + 2, y + 2, cx + col_w - 2, y + row_h - 2], fill=fill)
                    w, _ = _text_size(draw, value, f_cell)
                    # White on the darker reds (perceived luminance), so the number reads.
                    dark = 0.299 * fill[0] + 0.587 * fill[1] + 0.114 * fill[2] < 150
                    colour = "white" if dark else INK
                    draw.text((cx + (col_w - w) // 2, y + 5), value, font=f_cell, fill=colour)
                draw.line([(x0, y + row_h), (width - 20, y + row_h)], fill=GRID)
                y += row_h
    y += 20
    for line in note_lines:
        draw.text((x0 + 8, y), line, font=f_small, fill=(90, 90, 90))
        y += 26
    return _png(img)


def _shade(value: str, submitted: int) -> tuple[int, int, int]:
    """White for 0 and hidden cells, pale orange for "<3", darker red for larger shares."""
    if not value.isdigit():
        return (255, 255, 255) if not value.startswith("<") else (255, 224, 178)
    n = int(value)
    if n == 0:
        return (255, 255, 255)
    share = min(n / max(submitted, 1), 1.0)
    # From light (255, 205, 210) to deep (183, 28, 28) as the share grows.
    return (
        int(255 - (255 - 183) * share),
        int(205 - (205 - 28) * share),
        int(210 - (210 - 28) * share),
    )
