"""`kiemdiem collective …`: leadership collectives (chi ủy, đảng ủy, ban thường vụ, an agency's
leadership) — create one with its members, set its facts, enter its ballot and its members'
ballots at their post, show where it stands, export its report, print a cell's order."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli import app
from bot.cli._common import database, echo_json, handles_errors
from bot.services.collectives import CollectiveService, CollectiveView
from bot.services.errors import UserError
from bot.services.facts import parse_assignments
from bot.services.meetings import Counts
from bot.texts import render_text

collective_app = typer.Typer(
    help="Tập thể lãnh đạo: kiểm điểm, biểu quyết xếp loại, thứ tự.", no_args_is_help=True
)
app.add_typer(collective_app, name="collective")

JsonOpt = Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")]
Votes = Annotated[
    tuple[int, int, int, int] | None,
    typer.Option("--votes", metavar="XS T TB K", help="Phiếu HTXSNV HTTNV HTNV KHTNV."),
]


def _service() -> CollectiveService:
    return CollectiveService(database())


def _counts(
    votes: tuple[int, int, int, int] | None,
    issued: int | None,
    collected: int | None,
    invalid: int,
) -> Counts:
    if votes is None:
        raise UserError("option_required", option="--votes XS T TB K")
    total = sum(votes) + invalid
    return Counts(
        issued if issued is not None else total,
        collected if collected is not None else total,
        invalid,
        votes,
    )


def _json(v: CollectiveView) -> dict[str, Any]:
    return {
        "id": v.id,
        "name": v.name,
        "kind": v.kind,
        "organisation_id": v.organisation_id,
        "status": v.status,
        "meeting_on": v.meeting_on.isoformat() if v.meeting_on else None,
        "draft_deadline": v.draft_deadline.isoformat() if v.draft_deadline else None,
        "members": [asdict(p) for p in v.people],
        "comments": len(v.comments),
        "open_comments": len(v.open_comments),
        "self_level": v.self_level,
        "level": v.level,
        "result": v.result,
        "facts": v.facts,
        "posts": [
            {
                "member_id": p.member_id,
                "name": p.name,
                "role": p.role,
                "cell_level": p.cell_level,
                "post_level": p.post_level,
                "taken": p.taken,
            }
            for p in v.posts
        ],
        "order": [s._asdict() for s in v.order],
        "two_places": v.two_places,
    }


def _show(v: CollectiveView, as_json: bool) -> None:
    if as_json:
        echo_json(_json(v))
    else:
        typer.echo(render_text("cli/collective.j2", v=v))


@collective_app.command("create")
@handles_errors
def create(
    org_id: int,
    kind: Annotated[str, typer.Option("--kind", help="chi_uy | dang_uy | ban_thuong_vu | agency")],
    name: Annotated[str, typer.Option("--name", help="Tên tập thể.")],
    head: Annotated[int, typer.Option("--head", help="Mã đảng viên người đứng đầu.")],
    deputy: Annotated[list[int] | None, typer.Option("--deputy", help="Cấp phó (lặp lại).")] = None,
    member: Annotated[
        list[int] | None, typer.Option("--member", help="Thành viên (lặp lại).")
    ] = None,
    formed: Annotated[str | None, typer.Option("--formed", help="Ngày thành lập.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Tạo tập thể của kỳ đánh giá (ORG_ID: chi bộ của chi ủy, hoặc đảng bộ của đảng ủy)."""
    formed_on = None
    if formed:
        try:
            formed_on = date.fromisoformat(formed.strip())
        except ValueError:
            raise UserError("bad_date", field="--formed", value=formed) from None
    view = _service().create(
        "cli",
        org_id,
        kind,
        name,
        head=head,
        deputies=deputy or [],
        members=member or [],
        formed_on=formed_on,
    )
    _show(view, as_json)


@collective_app.command("list")
@handles_errors
def list_(org_id: int, as_json: JsonOpt = False) -> None:
    """Các tập thể của kỳ đánh giá đang mở."""
    views = _service().list_for("cli", org_id)
    if as_json:
        echo_json([_json(v) for v in views])
    else:
        typer.echo(render_text("cli/collective_list.j2", views=views))


@collective_app.command("show")
@handles_errors
def show(collective_id: int, as_json: JsonOpt = False) -> None:
    """Tập thể: báo cáo, góp ý, kết quả biểu quyết, kiểm điểm cá nhân tại tập thể, thứ tự."""
    _show(_service().view("cli", collective_id), as_json)


@collective_app.command("facts")
@handles_errors
def facts(
    collective_id: int,
    assignments: Annotated[list[str], typer.Argument(metavar="KEY=VALUE...")],
    as_json: JsonOpt = False,
) -> None:
    """Thông tin của tập thể (disunity=có, members_disciplined=1, targets_done_pct=80,
    tasks.total=10, organisation_rating=HTTNV …); KEY= để xóa. Có nhật ký."""
    view = _service().set_facts("cli", collective_id, parse_assignments(assignments))
    _show(view, as_json)


@collective_app.command("ballot")
@handles_errors
def ballot(
    collective_id: int,
    present: Annotated[int, typer.Option("--present", help="Số có mặt.")],
    votes: Votes = None,
    issued: Annotated[int | None, typer.Option("--issued")] = None,
    collected: Annotated[int | None, typer.Option("--collected")] = None,
    invalid: Annotated[int, typer.Option("--invalid")] = 0,
    electorate: Annotated[
        int | None, typer.Option("--electorate", help="Mặc định: số thành viên tập thể.")
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Lý do sửa kết quả đã nhập.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Kết quả biểu quyết xếp loại tập thể (Mẫu 07/09), rồi xếp loại và ghi cho người đứng đầu."""
    view = _service().enter_ballot(
        "cli",
        collective_id,
        present,
        _counts(votes, issued, collected, invalid),
        electorate=electorate,
        reason=reason,
    )
    _show(view, as_json)


@collective_app.command("post")
@handles_errors
def post(
    collective_id: int,
    member_id: int,
    present: Annotated[int, typer.Option("--present", help="Số có mặt.")],
    votes: Votes = None,
    issued: Annotated[int | None, typer.Option("--issued")] = None,
    collected: Annotated[int | None, typer.Option("--collected")] = None,
    invalid: Annotated[int, typer.Option("--invalid")] = 0,
    electorate: Annotated[int | None, typer.Option("--electorate")] = None,
    reason: Annotated[str, typer.Option("--reason")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Kết quả biểu quyết về một thành viên kiểm điểm tại tập thể (chức vụ); in mức ở chi bộ,
    mức tại tập thể và mức được lấy."""
    info = _service().enter_post_ballot(
        "cli",
        collective_id,
        member_id,
        present,
        _counts(votes, issued, collected, invalid),
        electorate=electorate,
        reason=reason,
    )
    if as_json:
        echo_json(
            {
                "member_id": info.member_id,
                "name": info.name,
                "cell_level": info.cell_level,
                "post_level": info.post_level,
                "taken": info.taken,
                "taken_text": info.taken_text,
                "summary": info.summary,
            }
        )
    else:
        typer.echo(render_text("cli/collective_post.j2", p=info))


@collective_app.command("export")
@handles_errors
def export(collective_id: int, file: Path) -> None:
    """Báo cáo kiểm điểm của tập thể (.docx), kèm tổng hợp góp ý và kết quả biểu quyết."""
    if file.suffix.lower() != ".docx":
        raise UserError("bad_export_format", formats=".docx", name=file.name)
    _name, data, _view = _service().report_docx("cli", collective_id)
    file.write_bytes(data)
    typer.echo(str(file))


@collective_app.command("order")
@handles_errors
def order(cell_id: int, as_json: JsonOpt = False) -> None:
    """Thứ tự kiểm điểm, xếp loại của chi bộ: tập thể trước, rồi người đứng đầu, cấp phó…"""
    steps = _service().cell_order("cli", cell_id)
    if as_json:
        echo_json([s._asdict() for s in steps])
    else:
        typer.echo(render_text("cli/collective_order.j2", steps=steps))
