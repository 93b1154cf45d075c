"""`kiemdiem roster import FILE --cell ID` and `kiemdiem roster export --cell ID FILE`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli import app
from bot.cli._common import database, echo_json, fail, handles_errors
from bot.services.roster import RosterService, report_lines
from bot.texts import render_text

roster_app = typer.Typer(help="Danh sách đảng viên của chi bộ.", no_args_is_help=True)
app.add_typer(roster_app, name="roster")


@roster_app.command("import")
@handles_errors
def roster_import(
    file: Path,
    cell: Annotated[int, typer.Option("--cell")],
    skip_bad: Annotated[bool, typer.Option("--skip-bad")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Nhập danh sách từ .xlsx hoặc .csv; báo lỗi từng dòng; không lưu gì nếu có dòng sai."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(render_text("cli/file_unreadable.j2", path=str(file), detail=exc.strerror or ""))
        return
    report = RosterService(database()).import_file(cell, data, file.name, skip_bad=skip_bad)
    lines = report_lines(report)
    if as_json:
        echo_json(
            {
                "saved": report.saved,
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "problems": [
                    {"row": p.row, "field": p.field, "code": p.code, "text": p.text()}
                    for p in report.problems
                ],
            }
        )
    else:
        typer.echo(render_text("cli/roster_report.j2", report=report, lines=lines))
    if not report.saved:
        raise typer.Exit(2)


@roster_app.command("export")
@handles_errors
def roster_export(cell: Annotated[int, typer.Option("--cell")], file: Path) -> None:
    """Xuất danh sách chi bộ ra .xlsx."""
    file.write_bytes(RosterService(database()).export_xlsx(cell))
