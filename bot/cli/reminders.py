"""`kiemdiem deadline set` and `kiemdiem reminders due` (spec/cli.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from bot.cli import app
from bot.cli._common import database, echo_json, handles_errors
from bot.reminders.calendar import parse_day
from bot.reminders.compose import dmy, rm_label
from bot.services.errors import UserError
from bot.services.reminders import ReminderService
from bot.settings import get_settings
from bot.texts import render_text

deadline_app = typer.Typer(help="Lịch của kỳ kiểm điểm.", no_args_is_help=True)
reminders_app = typer.Typer(help="Nhắc việc.", no_args_is_help=True)
app.add_typer(deadline_app, name="deadline")
app.add_typer(reminders_app, name="reminders")

JsonOpt = Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")]


def _service() -> ReminderService:
    return ReminderService(database(), get_settings())


@deadline_app.command("set")
@handles_errors
def deadline_set(
    org_id: int,
    kind: Annotated[str, typer.Argument(help="self_review_due | meeting | results_due | decision")],
    day: Annotated[str, typer.Argument(metavar="YYYY-MM-DD")],
    cell: Annotated[int | None, typer.Option("--cell", help="Ngày riêng của một chi bộ.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Đặt một ngày trong lịch của kỳ kiểm điểm đang mở (cả đảng bộ, hoặc một chi bộ)."""
    try:
        due_on = parse_day(day)
    except ValueError:
        raise UserError("bad_date", field=kind, value=day) from None
    report = _service().set_deadline(org_id, kind, due_on, cell_id=cell)
    if as_json:
        echo_json(report.as_json())
        return
    dates = [{"name": rm_label(f"date_{d.kind}"), "day": dmy(d.day),
              "source": rm_label(f"source_{d.source}")} for d in report.dates]
    typer.echo(render_text("cli/deadline_set.j2", report=report, dates=dates))


@reminders_app.command("due")
@handles_errors
def reminders_due(
    at: Annotated[str, typer.Option(
        "--at", help="Thời điểm ISO; không ghi múi giờ = giờ địa phương.")],
    as_json: JsonOpt = False,
) -> None:
    """Các tin nhắc mà chính sách sẽ gửi vào thời điểm đó (không gửi gì)."""
    settings = get_settings()
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise UserError("bad_datetime", value=at) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=settings.tz)
    rows = _service().due_at(moment)
    if as_json:
        echo_json({"at": moment.isoformat(), "count": len(rows),
                   "reminders": [r.as_json() for r in rows]})
        return
    typer.echo(render_text("cli/reminders_due.j2", rows=rows, at=at))
