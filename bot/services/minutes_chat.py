"""The meeting's programme and minutes in chat, from the meeting menu: the place, the chair and
the minute-taker, who is absent and why, the chair's conclusion on each reviewed member (pick a
member, type the conclusion), closing the minutes, and the two .docx files.

Buttons are `mr:<meeting>:<action>[:<member>]`: they name the meeting and the member they act
on, so a tap on a keyboard of an earlier meeting, or on a member who left the cell, is refused
politely and never applied to something else. What a typed message is for lives in the
database (`TelegramAccount.awaiting` = `mr:<what>:<meeting>[:<member>]`), like the ballots."""

from __future__ import annotations

import html

from bot.services.awaiting import account_of
from bot.services.errors import UserError
from bot.services.meeting_minutes import MeetingMinutesService, MinutesState, Reviewed
from bot.services.replies import Button, Outcome
from bot.storage.db import Database
from bot.texts import label, render

# The awaiting markers this module owns all start with it (the container routes on it).
AWAITING = "mr:"
ACTIONS = frozenset(
    ("menu", "place", "chair", "taker", "absent", "here", "concl", "prog", "doc", "close", "reopen")
)
WITH_MEMBER = ("chair", "taker", "absent", "here", "concl")
# Refusals of what was typed that a corrected retype can fix: the marker stays. After any
# other refusal (access lost, minutes closed, an old meeting, too many absent) it is forgotten,
# so the next message is not taken for this input again.
_RETYPE = frozenset(
    {
        "conclusion_empty",
        "conclusion_too_long",
        "minutes_place_empty",
        "minutes_place_too_long",
        "minutes_reason_empty",
        "minutes_reason_too_long",
    }
)
ICONS = {"done": "✅", "missing": "▫️", "absent": "🚫"}


class MinutesChat:
    def __init__(self, db: Database, minutes: MeetingMinutesService) -> None:
        self.db = db
        self.minutes = minutes

    # ---- the awaiting marker -------------------------------------------------------------

    def _set(self, tg_user: int, value: str) -> None:
        with self.db.session() as s:
            account = account_of(s, tg_user)
            if account is not None:
                account.awaiting = value

    def _awaiting(self, tg_user: int) -> str:
        with self.db.session() as s:
            account = account_of(s, tg_user)
            return account.awaiting if account is not None else ""

    # ---- typed text ----------------------------------------------------------------------

    def on_text(self, tg_user: int, text: str) -> Outcome:
        try:
            return self._on_text(tg_user, text)
        except UserError as exc:
            if exc.code not in _RETYPE:
                self._set(tg_user, "")
            raise

    def _on_text(self, tg_user: int, text: str) -> Outcome:
        parts = self._awaiting(tg_user).split(":")
        if len(parts) == 3 and parts[1] == "place":
            meeting = int(parts[2])
            state = self.minutes.set_place(tg_user, meeting, text)
            self._set(tg_user, "")
            return self._menu(state, render("minutes/place_saved.j2", place=state.place))
        if len(parts) == 4 and parts[1] == "absent":
            meeting, member = int(parts[2]), int(parts[3])
            state = self.minutes.set_absent(tg_user, meeting, member, text)
            self._set(tg_user, "")
            person = _person(state, member)
            return self._menu(state, render("minutes/absent_saved.j2", name=person.name))
        if len(parts) == 4 and parts[1] == "concl":
            meeting, member = int(parts[2]), int(parts[3])
            saved = self.minutes.set_conclusion(tg_user, meeting, member, text)
            self._set(tg_user, "")
            return self._after_conclusion(saved.state, saved.name, saved.edited)
        self._set(tg_user, "")
        raise UserError("stale_button")

    # ---- buttons -------------------------------------------------------------------------

    def on_button(self, tg_user: int, data: str) -> Outcome:
        parts = data.split(":")
        if len(parts) not in (3, 4) or parts[0] != "mr" or parts[2] not in ACTIONS:
            raise UserError("stale_button")
        if not all(p.isdigit() for p in parts[1:2] + parts[3:]):
            raise UserError("stale_button")
        meeting, action = int(parts[1]), parts[2]
        member = int(parts[3]) if len(parts) == 4 else None
        if member is not None and action not in WITH_MEMBER:
            raise UserError("stale_button")
        if action == "menu":
            return self._menu(self.minutes.state(tg_user, meeting))
        if action == "prog":
            return Outcome().send_document(self.minutes.programme(tg_user, meeting))
        if action == "doc":
            return Outcome().send_document(self.minutes.minutes(tg_user, meeting))
        if action == "close":
            try:
                state = self.minutes.close(tg_user, meeting)
            except UserError as exc:
                if exc.code != "minutes_not_ready":
                    raise
                # The list of who is missing can be long: a message, not a 200-character alert.
                out = Outcome().say(
                    html.escape(exc.message()),
                    (
                        Button(label("btn_minutes_conclusions"), f"mr:{meeting}:concl"),
                        Button(label("btn_minutes_back"), f"mr:{meeting}:menu"),
                    ),
                )
                out.toast, out.alert = label("toast_minutes_not_ready"), True
                return out
            out = Outcome().say(render("minutes/closed.j2", s=state))
            out.toast = label("toast_minutes_closed")
            return out.send_document(self.minutes.minutes(tg_user, meeting))
        if action == "reopen":
            out = self._menu(self.minutes.reopen(tg_user, meeting))
            out.toast = label("toast_minutes_reopened")
            return out
        if action == "here":
            assert member is not None
            state = self.minutes.clear_absent(tg_user, meeting, member)
            person = _person(state, member)
            return self._menu(state, render("minutes/present_saved.j2", name=person.name))
        if action == "place":
            self._writable(tg_user, meeting)
            self._set(tg_user, f"mr:place:{meeting}")
            return Outcome().say(render("minutes/ask_place.j2"))
        if member is None:
            return self._pick(self._writable(tg_user, meeting), action)
        if action in ("chair", "taker"):
            if action == "chair":
                state = self.minutes.set_chair(tg_user, meeting, member)
            else:
                state = self.minutes.set_minute_taker(tg_user, meeting, member)
            person = _person(state, member)
            note = render("minutes/officer_saved.j2", role=action, name=person.name)
            return self._menu(state, note)
        state = self._writable(tg_user, meeting)
        person = _person(state, member)
        if action == "absent":
            self._set(tg_user, f"mr:absent:{meeting}:{member}")
            reason = next((a.reason for a in state.absences if a.member_id == member), "")
            rows = []
            if person.absent:
                rows.append((Button(label("btn_minutes_here"), f"mr:{meeting}:here:{member}"),))
            return Outcome().say(render("minutes/ask_absent.j2", p=person, reason=reason), *rows)
        # action == "concl"
        self._set(tg_user, f"mr:concl:{meeting}:{member}")
        number = state.reviewed.index(person) + 1
        return Outcome().say(render("minutes/ask_conclusion.j2", p=person, number=number, s=state))

    # ---- views ---------------------------------------------------------------------------

    def _writable(self, tg_user: int, meeting: int) -> MinutesState:
        """The minutes' state for an action that changes them: refused once closed."""
        state = self.minutes.state(tg_user, meeting)
        if state.closed:
            raise UserError("minutes_closed")
        return state

    def _menu(self, state: MinutesState, note: str = "") -> Outcome:
        m = state.meeting_id
        rows: list[tuple[Button, ...]] = []
        if not state.closed:
            rows.append(
                (
                    Button(label("btn_minutes_place"), f"mr:{m}:place"),
                    Button(label("btn_minutes_chair"), f"mr:{m}:chair"),
                    Button(label("btn_minutes_taker"), f"mr:{m}:taker"),
                )
            )
            rows.append(
                (
                    Button(label("btn_minutes_absent"), f"mr:{m}:absent"),
                    Button(label("btn_minutes_conclusions"), f"mr:{m}:concl"),
                )
            )
        rows.append(
            (
                Button(label("btn_minutes_programme"), f"mr:{m}:prog"),
                Button(label("btn_minutes_docx"), f"mr:{m}:doc"),
            )
        )
        if state.closed:
            rows.append((Button(label("btn_minutes_reopen"), f"mr:{m}:reopen"),))
        else:
            rows.append((Button(label("btn_minutes_close"), f"mr:{m}:close"),))
        rows.append((Button(label("btn_meeting_list"), f"mt:{state.cell_id}:menu"),))
        text = render("minutes/menu.j2", s=state)
        return Outcome().say(f"{note}\n\n{text}" if note else text, *rows)

    def _pick(self, state: MinutesState, action: str) -> Outcome:
        m = state.meeting_id
        rows: list[tuple[Button, ...]] = []
        for n, r in enumerate(state.reviewed, start=1):
            if action == "concl":
                icon = ICONS["done"] if r.conclusion else ICONS["missing"]
            elif action == "absent":
                icon = ICONS["absent"] if r.absent else ICONS["missing"]
            else:
                current = state.chair if action == "chair" else state.minute_taker
                icon = ICONS["done"] if current and current.member_id == r.member_id else ""
            text = f"{icon} {n}. {r.name}".strip()
            rows.append((Button(text, f"mr:{m}:{action}:{r.member_id}"),))
        if action == "concl":
            rows.append((Button(label("btn_minutes_close"), f"mr:{m}:close"),))
        rows.append((Button(label("btn_minutes_back"), f"mr:{m}:menu"),))
        return Outcome().say(render("minutes/pick.j2", action=action, s=state), *rows)

    def _after_conclusion(self, state: MinutesState, name: str, edited: bool) -> Outcome:
        m = state.meeting_id
        missing = state.without_conclusion
        out = Outcome()
        text = render("minutes/conclusion_saved.j2", name=name, edited=edited, s=state)
        if missing:
            nxt = missing[0]
            return out.say(
                text,
                (Button(nxt.name, f"mr:{m}:concl:{nxt.member_id}"),),
                (
                    Button(label("btn_minutes_conclusions"), f"mr:{m}:concl"),
                    Button(label("btn_minutes_back"), f"mr:{m}:menu"),
                ),
            )
        return out.say(
            text,
            (Button(label("btn_minutes_close"), f"mr:{m}:close"),),
            (Button(label("btn_minutes_back"), f"mr:{m}:menu"),),
        )


def _person(state: MinutesState, member_id: int) -> Reviewed:
    person = state.person(member_id)
    if person is None:
        raise UserError("minutes_member_unknown")
    return person
