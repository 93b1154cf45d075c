"""Reading a spreadsheet a user sent (`.xlsx` or `.csv`) safely, as rows of plain strings.

Files come from people's phones and from anybody who can reach the bot, so every read is
bounded: the upload size, the uncompressed size of an `.xlsx` (a zip: a zip bomb must not
exhaust memory), the number of rows and columns. Formulas are refused, not evaluated.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from bot.services.errors import UserError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UNZIPPED_BYTES = 40 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 40


@dataclass(frozen=True)
class Sheet:
    header: list[str]
    rows: list[tuple[int, list[object]]]  # (1-based row number in the file, cells)
    formula_cells: set[tuple[int, int]]  # (row number, column index) holding a formula


def read_table(data: bytes, filename: str = "") -> Sheet:
    if len(data) > MAX_UPLOAD_BYTES:
        raise UserError("file_too_large", limit_mb=MAX_UPLOAD_BYTES // (1024 * 1024))
    if not data.strip():
        raise UserError("file_empty")
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods")) or b"\x00" in data[:4096]:
        raise UserError("file_not_spreadsheet", name=filename)
    return _read_csv(data)


def _read_xlsx(data: bytes) -> Sheet:
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            total = sum(info.file_size for info in zf.infolist())
            if total > MAX_UNZIPPED_BYTES or len(zf.infolist()) > 2000:
                raise UserError("file_too_large_unzipped")
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except UserError:
        raise
    except Exception:
        raise UserError("file_not_spreadsheet", name="xlsx") from None
    try:
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            raise UserError("file_empty")
        header: list[str] | None = None
        rows: list[tuple[int, list[object]]] = []
        formulas: set[tuple[int, int]] = set()
        for number, row in enumerate(ws.iter_rows(max_col=MAX_COLUMNS), start=1):
            values: list[object] = []
            for col, cell in enumerate(row):
                value = cell.value
                if getattr(cell, "data_type", None) == "f" or (
                    isinstance(value, str) and value.startswith("=")
                ):
                    formulas.add((number, col))
                    value = ""
                values.append(value)
            if header is None:
                if any(v not in (None, "") for v in values):
                    header = ["" if v is None else str(v) for v in values]
                continue
            if all(v in (None, "") for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise UserError("file_too_many_rows", limit=MAX_ROWS)
            rows.append((number, values))
    finally:
        wb.close()
    if header is None:
        raise UserError("file_empty")
    return Sheet(header, rows, formulas)


def _read_csv(data: bytes) -> Sheet:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError("csv_not_utf8") from None
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, list[object]]] = []
    formulas: set[tuple[int, int]] = set()
    try:
        for number, raw in enumerate(reader, start=1):
            values: list[object] = list(raw[:MAX_COLUMNS])
            if header is None:
                if any(str(v).strip() for v in values):
                    header = [str(v) for v in values]
                continue
            if not any(str(v).strip() for v in values):
                continue
            for col, v in enumerate(values):
                if isinstance(v, str) and v.startswith("="):
                    formulas.add((number, col))
                    values[col] = ""
            if len(rows) >= MAX_ROWS:
                raise UserError("file_too_many_rows", limit=MAX_ROWS)
            rows.append((number, values))
    except csv.Error:
        raise UserError("file_not_spreadsheet", name="csv") from None
    if header is None:
        raise UserError("file_empty")
    return Sheet(header, rows, formulas)


def _delimiter(text: str) -> str:
    """The delimiter that splits the header line into the most cells.

    csv.Sniffer guesses from character frequencies and picks "," for a semicolon file whose
    header says "Công chức, viên chức"; Vietnamese Excel writes ";" (the decimal comma)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: len(next(csv.reader([first], delimiter=d))) for d in (";", "\t", ",")}
    return max(counts, key=lambda d: counts[d])


def parse_date(value: object) -> date | None:
    """dd/mm/yyyy, d-m-yyyy, ISO yyyy-mm-dd, or a spreadsheet date; None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    for sep in ("/", "-", "."):
        parts = text.split(sep)
        if (
            len(parts) == 3
            and all(p.strip().isdigit() for p in parts)
            and len(parts[2].strip()) == 4
        ):
            d, m, y = (int(p) for p in parts)
            return date(y, m, d)  # ValueError for 31/02/2020: the caller reports it
    raise ValueError(text)
