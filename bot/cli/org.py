"""`kiemdiem org create`, `cell create`, `period open`, `role grant|revoke`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from bot.cli import app
from bot.cli._common import database, echo_json, handles_errors
from bot.services.errors import UserError
from bot.services.org import OrgService

org_app = typer.Typer(help="Tổ chức đảng cơ sở.", no_args_is_help=True)
cell_app = typer.Typer(help="Chi bộ trực thuộc.", no_args_is_help=True)
period_app = typer.Typer(help="Kỳ kiểm điểm.", no_args_is_help=True)
role_app = typer.Typer(help="Vai trò: office, secretary, deputy.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(cell_app, name="cell")
app.add_typer(period_app, name="period")
app.add_typer(role_app, name="role")

JsonOpt = Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")]


def _print_id(value: int, as_json: bool) -> None:
    if as_json:
        echo_json({"id": value})
    else:
        typer.echo(value)


@org_app.command("create")
@handles_errors
def org_create(name: str, as_json: JsonOpt = False) -> None:
    """Tạo đảng bộ cơ sở (hoặc chi bộ cơ sở); in mã của nó."""
    _print_id(OrgService(database()).create_org(name), as_json)


@cell_app.command("create")
@handles_errors
def cell_create(org_id: int, name: str, as_json: JsonOpt = False) -> None:
    """Tạo chi bộ trực thuộc; in mã của nó."""
    _print_id(OrgService(database()).create_cell(org_id, name), as_json)


@period_app.command("open")
@handles_errors
def period_open(
    org_id: int,
    year: Annotated[int, typer.Option("--year")],
    rulebook: Annotated[str | None, typer.Option("--rulebook")] = None,
    plan: Annotated[Path | None, typer.Option("--plan", help="Tệp kế hoạch YAML.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Mở kỳ kiểm điểm của năm; bộ quy định mặc định theo năm."""
    options: dict[str, Any] = {}
    if plan is not None:
        try:
            loaded = yaml.safe_load(plan.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise UserError("plan_file_unreadable", detail=str(exc)[:200]) from None
        if loaded is not None and not isinstance(loaded, dict):
            raise UserError("plan_file_unreadable", detail="not a mapping")
        options = loaded or {}
    _print_id(
        OrgService(database()).open_period(org_id, year, rulebook=rulebook, plan=options), as_json
    )


@role_app.command("grant")
@handles_errors
def role_grant(member_id: int, role: str) -> None:
    """Giao vai trò: office (văn phòng đảng ủy), secretary (bí thư), deputy (phó bí thư)."""
    OrgService(database()).grant_role(member_id, role)


@role_app.command("revoke")
@handles_errors
def role_revoke(member_id: int, role: str) -> None:
    """Thu hồi vai trò."""
    OrgService(database()).grant_role(member_id, role, revoke=True)
