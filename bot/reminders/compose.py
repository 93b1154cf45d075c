"""What each reminder says: its text (templates/messages/reminders/*.j2) and its buttons
(labels in templates/reminders.yaml), built from a claimed row and its cell's snapshot.

Texts are made when a row is claimed, so "3 days left" is counted on the day it is sent,
not on the day it was planned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from bot.reminders import planning
from bot.reminders.planning import CellState
from bot.reminders.store import ClaimedRow, Context
from bot.services.replies import Button
from bot.texts import render, render_string

LABELS = "reminders.yaml"
DIGEST_NAMES = 40  # names listed in one digest; the rest are counted


def rm_label(key: str, **params: Any) -> str:
    return render_string(LABELS, key, **params)


def dmy(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class Outgoing:
    """One message ready to send for one row."""

    row_id: int
    kind: str
    chat_id: int | None
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    attempts: int = 0


def member_buttons(member_id: int) -> tuple[tuple[Button, ...], ...]:
    """On every reminder to a member: open the review, snooze a day, choose the hour."""
    return (
        (Button(rm_label("btn_open_review"), f"rm:open:{member_id}"),),
        (Button(rm_label("btn_snooze"), f"rm:snz:{member_id}:1"),
         Button(rm_label("btn_pick_hour"), f"rm:hrs:{member_id}")),
    )


def manager_buttons(cell_id: int, owing: int) -> tuple[tuple[Button, ...], ...]:
    rows: list[tuple[Button, ...]] = []
    if owing:
        rows.append((Button(rm_label("btn_nudge", n=owing), f"rm:nudge:{cell_id}"),))
    rows.append((Button(rm_label("btn_view"), f"rm:view:{cell_id}"),))
    return tuple(rows)


def calendar_view(cell: CellState) -> dict[str, str]:
    cal = cell.calendar
    return {
        "due": dmy(cal.self_review_due.day),
        "meeting": dmy(cal.meeting.day),
        "results_due": dmy(cal.results_due.day),
    }


def owing_view(cell: CellState) -> list[dict[str, Any]]:
    return [
        {"name": m.who.name, "linked": m.who.chat_id is not None, "paused": m.who.paused,
         "unreachable": m.who.unreachable}
        for m in cell.owing()
    ]  # fmt: skip


def compose(row: ClaimedRow, ctx: Context, now: datetime, tz: tzinfo) -> Outgoing | None:
    """The message of a claimed row; None when there is nothing left to say (a digest of a
    cell where everyone has submitted, a cell that no longer exists)."""
    if row.kind in planning.COLLECTIVE_KINDS:
        return _collective(row)
    cell = ctx.cell_of(row)
    if cell is None:
        return None
    today = now.astimezone(tz).date()
    year = ctx.years.get(row.period_id or 0, today.year)
    view = {**calendar_view(cell), "cell": cell.cell_name, "year": year}
    if row.kind in planning.MEMBER_KINDS:
        who = next((m.who for m in cell.members if m.who.member_id == row.member_id), None)
        if who is None:
            return None
        left = (cell.calendar.self_review_due.day - today).days
        text = render(f"reminders/{row.kind}.j2", name=who.name, left=left, late=-left, **view)
        return Outgoing(row.id, row.kind, row.chat_id, text, member_buttons(who.member_id),
                        row.attempts)
    if row.kind == planning.DIGEST:
        owing = owing_view(cell)
        if not owing:
            return None
        late = today > cell.calendar.self_review_due.day
        text = render("reminders/digest.j2", owing=owing[:DIGEST_NAMES],
                      more=max(0, len(owing) - DIGEST_NAMES), count=len(owing),
                      total=len(cell.members), submitted=len(cell.members) - len(owing),
                      late=late, **view)
        return Outgoing(row.id, row.kind, row.chat_id, text,
                        manager_buttons(cell.cell_id, sum(1 for o in owing if o["linked"])),
                        row.attempts)
    if row.kind == planning.UNREACHABLE:
        text = render("reminders/unreachable.j2", about=row.payload.get("about_name", ""),
                      **view)
        return Outgoing(row.id, row.kind, row.chat_id, text, (), row.attempts)
    return None


def _collective(row: ClaimedRow) -> Outgoing | None:
    """A leadership collective's draft, comment or answer: the text from the row's payload,
    with the buttons to read the draft and to comment (or, for the head, to answer)."""
    p = row.payload
    cid = p.get("collective_id")
    if not isinstance(cid, int):
        return None
    text = render(f"reminders/{row.kind}.j2", p=p)
    if row.kind == planning.COLLECTIVE_COMMENT:
        buttons: tuple[tuple[Button, ...], ...] = (
            (Button(rm_label("btn_collective_comments"), f"cv:{cid}:cmts"),),
        )
    else:
        buttons = (
            (Button(rm_label("btn_collective_read"), f"cv:{cid}:doc"),
             Button(rm_label("btn_collective_comment"), f"cv:{cid}:cmt")),
        )  # fmt: skip
    return Outgoing(row.id, row.kind, row.chat_id, text, buttons, row.attempts)

