"""`kiemdiem meeting open` and `kiemdiem ballot enter`: the cell's rating meeting and the ballot
counts typed from its paper minutes, through the same service (and checks) as the chat."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from bot.cli import app
from bot.cli._common import database, echo_json, handles_errors
from bot.services.errors import UserError
from bot.services.meetings import Counts, MeetingService, render_ballot, render_meeting

meeting_app = typer.Typer(help="Hội nghị đánh giá, xếp loại của chi bộ.", no_args_is_help=True)
ballot_app = typer.Typer(help="Kết quả kiểm phiếu.", no_args_is_help=True)
app.add_typer(meeting_app, name="meeting")
app.add_typer(ballot_app, name="ballot")

JsonOpt = Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")]


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UserError("bad_date", field=option, value=value) from None


@meeting_app.command("open")
@handles_errors
def meeting_open(
    cell_id: int,
    held_on: Annotated[str | None, typer.Option("--date", help="Ngày họp YYYY-MM-DD.")] = None,
    present: Annotated[int | None, typer.Option("--present", help="Số có mặt.")] = None,
    double_entry: Annotated[
        bool | None,
        typer.Option("--double-entry/--single-entry", help="Mỗi phiếu nhập hai lần."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Mở (hoặc sửa) hội nghị của chi bộ; số đảng viên chính thức lấy từ danh sách."""
    if held_on is None:
        raise UserError("option_required", option="--date YYYY-MM-DD")
    if present is None:
        raise UserError("option_required", option="--present N")
    info = MeetingService(database()).open(
        "cli", cell_id, _date(held_on, "--date"), present, double_entry=double_entry
    )
    if as_json:
        echo_json(
            {
                "meeting_id": info.meeting_id,
                "cell_id": info.cell_id,
                "held_on": info.held_on.isoformat(),
                "electorate": info.electorate,
                "present": info.present,
                "double_entry": info.double_entry,
            }
        )
    else:
        typer.echo(render_meeting(info, html=False))


@ballot_app.command("enter")
@handles_errors
def ballot_enter(
    cell_id: int,
    member_id: int,
    issued: Annotated[int | None, typer.Option("--issued", help="Phiếu phát ra.")] = None,
    collected: Annotated[int | None, typer.Option("--collected", help="Phiếu thu vào.")] = None,
    invalid: Annotated[int | None, typer.Option("--invalid", help="Phiếu không hợp lệ.")] = None,
    votes: Annotated[
        tuple[int, int, int, int] | None,
        typer.Option("--votes", metavar="XS T TB K", help="Phiếu HTXSNV HTTNV HTNV KHTNV."),
    ] = None,
    round2: Annotated[
        tuple[int, int, int] | None,
        typer.Option("--round2", metavar="YES NO INVALID", help="Vòng 2 (bỏ phiếu hai vòng)."),
    ] = None,
    counter: Annotated[str, typer.Option("--counter", help="Người kiểm phiếu.")] = "",
    reason: Annotated[str, typer.Option("--reason", help="Lý do sửa phiếu đã chốt.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Nhập kết quả kiểm phiếu của một đảng viên (cùng các bước kiểm tra như trong chat)."""
    for value, option in (
        (issued, "--issued N"),
        (collected, "--collected N"),
        (invalid, "--invalid N"),
        (votes, "--votes XS T TB K"),
    ):
        if value is None:
            raise UserError("option_required", option=option)
    assert issued is not None and collected is not None and invalid is not None
    assert votes is not None
    counts = Counts(issued, collected, invalid, votes, round2)
    out = MeetingService(database()).enter_ballot(
        "cli", cell_id, member_id, counts, counter=counter, reason=reason
    )
    if as_json:
        echo_json(
            {
                "member_id": out.member_id,
                "state": out.state,
                "vote_level": out.vote_level,
                "counter": out.counter,
            }
        )
    else:
        typer.echo(render_ballot(out, html=False))
