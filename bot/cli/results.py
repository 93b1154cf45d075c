"""`kiemdiem results`, `kiemdiem override` and `kiemdiem export …`: the proposals from the
database (with `--json`, exactly the output shape of `kiemdiem rate`), a decision that departs
from them, and the documents (summary, ballot count minutes, the meeting's programme and
minutes, charts, the office's CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli import app
from bot.cli._common import database, echo_json, handles_errors
from bot.services.errors import UserError
from bot.services.meeting_minutes import MeetingMinutesService
from bot.services.replies import Document
from bot.services.reports import ReportService
from bot.services.results import ResultsService, render_view
from bot.texts import render_text

export_app = typer.Typer(help="Xuất tài liệu.", no_args_is_help=True)
app.add_typer(export_app, name="export")

CellOpt = Annotated[int | None, typer.Option("--cell", help="Mã chi bộ.")]
OrgOpt = Annotated[int | None, typer.Option("--org", help="Mã đảng bộ cơ sở.")]


def _scope(cell: int | None, org: int | None) -> dict[str, int]:
    if (cell is None) == (org is None):
        raise UserError("scope_required")
    return {"cell_id": cell} if cell is not None else {"org_id": org}  # type: ignore[dict-item]


def _write(file: Path, doc: Document) -> None:
    file.write_bytes(doc.data)
    typer.echo(str(file))


def _suffix(file: Path, allowed: tuple[str, ...]) -> str:
    suffix = file.suffix.lower().lstrip(".")
    if suffix not in allowed:
        raise UserError(
            "bad_export_format", formats=", ".join("." + a for a in allowed), name=file.name
        )
    return suffix


@app.command("results")
@handles_errors
def results(
    cell: CellOpt = None,
    org: OrgOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Đúng dạng kết quả của rate.")] = False,
) -> None:
    """Kết quả đề xuất từ cơ sở dữ liệu (chi bộ hoặc cả đảng bộ)."""
    rating = ResultsService(database()).compute("cli", **_scope(cell, org))
    if as_json:
        echo_json(rating.output)
    else:
        typer.echo(render_view(rating, html=False))


@app.command("override")
@handles_errors
def override(
    member_id: int,
    level: Annotated[str, typer.Argument(metavar="LEVEL", help="HTXSNV, HTTNV, HTNV, KHTNV")],
    reason: Annotated[str, typer.Option("--reason", help="Lý do (bắt buộc).")] = "",
) -> None:
    """Quyết định mức khác với đề xuất (phải ghi lý do; lưu nhật ký)."""
    info = ResultsService(database()).override("cli", member_id, level, reason)
    typer.echo(render_text("cli/override.j2", o=info, name=info.name))


@export_app.command("summary")
@handles_errors
def export_summary(file: Path, cell: CellOpt = None, org: OrgOpt = None) -> None:
    """Bảng tổng hợp đề xuất mức chất lượng (Mẫu 03) ra .xlsx hoặc .docx."""
    fmt = _suffix(file, ("xlsx", "docx"))
    doc = ReportService(database()).summary("cli", fmt=fmt, **_scope(cell, org))  # type: ignore[arg-type]
    _write(file, doc)


@export_app.command("minutes")
@handles_errors
def export_minutes(cell_id: int, file: Path) -> None:
    """Biên bản kiểm phiếu của chi bộ ra .docx."""
    _suffix(file, ("docx",))
    _write(file, ReportService(database()).minutes("cli", cell_id))


@export_app.command("programme")
@handles_errors
def export_programme(cell_id: int, file: Path) -> None:
    """Chương trình hội nghị kiểm điểm của chi bộ (Kế hoạch 61-KH/TU) ra .docx."""
    _suffix(file, ("docx",))
    service = MeetingMinutesService(database())
    _write(file, service.programme("cli", service.meeting_for_cell("cli", cell_id)))


@export_app.command("meeting-minutes")
@handles_errors
def export_meeting_minutes(cell_id: int, file: Path) -> None:
    """Biên bản hội nghị (thành phần, kết luận của người chủ trì, kết quả bỏ phiếu) ra .docx."""
    _suffix(file, ("docx",))
    service = MeetingMinutesService(database())
    _write(file, service.minutes("cli", service.meeting_for_cell("cli", cell_id)))


@export_app.command("chart")
@handles_errors
def export_chart(file: Path, cell: CellOpt = None, org: OrgOpt = None) -> None:
    """Biểu đồ kết quả xếp loại ra .png."""
    _suffix(file, ("png",))
    _write(file, ReportService(database()).results_chart("cli", **_scope(cell, org)))


@export_app.command("indicators")
@handles_errors
def export_indicators(file: Path, cell: CellOpt = None, org: OrgOpt = None) -> None:
    """Biểu đồ ẩn danh 27 biểu hiện ra .png (số dưới 3 ghi «<3»)."""
    _suffix(file, ("png",))
    _write(file, ReportService(database()).indicators_chart("cli", **_scope(cell, org)))


@export_app.command("csv")
@handles_errors
def export_csv(file: Path, cell: CellOpt = None, org: OrgOpt = None) -> None:
    """Toàn bộ dữ liệu (đảng viên, tự đánh giá, phiếu, thông tin, kết quả) ra .csv."""
    _suffix(file, ("csv",))
    _write(file, ReportService(database()).export_csv("cli", **_scope(cell, org)))
