"""The facts of a member entered in chat from the secretary's /cell hub (`fa:`): pick a member,
see their facts, set each one with a button or a short typed value.

The facts are exactly those of `bot.services.facts` (the CLI's `kiemdiem facts set`), written
through `FactService`, which has the rating engine judge them and audits each change; the
tasks and last year's shortcomings are typed as one line of numbers (`10 8 1 1 3`), because
the engine only accepts them whole. Facts that mean nothing under the period's rulebook
(`bot.rules.validate.ONLY_UNDER`) are not offered. After a change the cell's proposals are
computed again (`ResultsService.compute`) and the member's new proposal is shown.

A typed value waits in `TelegramAccount.awaiting` as `fact:<member>:<code>` (a restart loses
nothing; /cancel forgets it). Callback data, verb first, names the member and the fact:
`fa:l:<cell>:<page>` the members (new message), `fa:b:<cell>:<page>` the same in place,
`fa:m:<member>` a member's facts, `fa:k:<member>:<code>` ask one fact,
`fa:v:<member>:<code>:<value>` set it (`-` leaves it empty).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.rules.validate import ONLY_UNDER
from bot.services.access import Actor, require_actor, require_cell_manager
from bot.services.awaiting import account_of as _account
from bot.services.errors import UserError
from bot.services.facts import FactService
from bot.services.org import current_period
from bot.services.replies import Button, Outcome
from bot.services.results import ResultsService, short_level
from bot.storage.db import Database
from bot.storage.models import Fact, Member, Organisation, Result
from bot.texts import _fmt_num, label, render, render_string
from bot.vietnamese import clean, sort_key

PAGE = 30  # members per page of the picker (Telegram shows up to 100 buttons)
LEVELS = ("HTXSNV", "HTTNV", "HTNV", "KHTNV")
EXCEPTIONS = {
    "pp": "party_post_not_main_job",
    "nh": "new_head_under_3_months",
    "ti": "transferred_in",
}
TASK_PARTS = ("total", "on_time", "late", "not_done", "exceeded")
PRIOR_PARTS = ("total", "fixed")
# Refusals after which a pending typed value can never be accepted from this user.
_ACCESS_LOST = frozenset({"not_your_cell", "not_linked", "member_removed", "not_a_manager"})


@dataclass(frozen=True)
class ChatFact:
    code: str  # in callback data and the awaiting marker
    key: str  # the key of bot.services.facts (a nested one as "head_of.exception")
    kind: str  # bool | level | number | tasks | prior | exception

    @property
    def top(self) -> str:
        return self.key.partition(".")[0]

    def applies(self, rulebook: str) -> bool:
        only = ONLY_UNDER.get(f"facts.{self.top}")
        return only is None or rulebook in {r.value for r in only}

    @property
    def typed(self) -> bool:
        return self.kind in ("number", "tasks", "prior")


FACTS: tuple[ChatFact, ...] = (
    ChatFact("cs", "civil_servant_rating", "level"),
    ChatFact("di", "disciplined", "bool"),
    ChatFact("dr", "discipline_self_remedied", "bool"),
    ChatFact("cd", "concluded_decline", "bool"),
    ChatFact("vp", "violated_prohibitions", "bool"),
    ChatFact("td", "targets_done_pct", "number"),
    ChatFact("te", "targets_exceeded_pct", "number"),
    ChatFact("tk", "tasks", "tasks"),
    ChatFact("ps", "prior_shortcomings", "prior"),
    ChatFact("sl", "sick_leave_months", "number"),
    ChatFact("ma", "maternity", "bool"),
    ChatFact("lc", "lost_card", "bool"),
    ChatFact("lf", "lost_card_force_majeure", "bool"),
    ChatFact("hr", "head_of.collective_rating", "level"),
    ChatFact("hx", "head_of.exception", "exception"),
)
BY_CODE = {f.code: f for f in FACTS}


def fact_label(f: ChatFact) -> str:
    """The fact's name as the engine's checks name it (templates/checks.yaml)."""
    return render_string("checks.yaml", f"field_facts.{f.key}")


def current_value(f: ChatFact, facts: dict[str, Any]) -> Any:
    top, _, sub = f.key.partition(".")
    value = facts.get(top)
    if sub:
        return value.get(sub) if isinstance(value, dict) else None
    return value


def shown(f: ChatFact, value: Any) -> str:
    """A stored value as the card shows it; "" when it is not set."""
    if value is None:
        return ""
    if f.kind == "bool":
        return render_string("errors.yaml", "yes" if value is True else "no")
    if f.kind == "exception":
        code = next((c for c, v in EXCEPTIONS.items() if v == value), None)
        return label(f"fact_exception_{code}") if code else str(value)
    if f.kind == "tasks" and isinstance(value, dict):
        return label("tasks_summary", **{k: value.get(k, 0) for k in TASK_PARTS})
    if f.kind == "prior" and isinstance(value, dict):
        return label("fact_prior_value", total=value.get("total", 0), fixed=value.get("fixed", 0))
    return _fmt_num(value)


def parse_typed(f: ChatFact, text: str) -> Any:
    """A typed value: a number (`27,5`, `95%`), or a line of whole numbers for the tasks and
    last year's shortcomings. Text that is not a number goes on to the engine, which says
    what is wrong; a line of numbers of the wrong length is refused here."""
    text = clean(text)
    if f.kind == "number":
        return text.rstrip("%").strip()
    parts = text.replace(",", " ").replace(";", " ").split()
    names = TASK_PARTS if f.kind == "tasks" else PRIOR_PARTS
    fewest = 4 if f.kind == "tasks" else 2
    if not fewest <= len(parts) <= len(names) or not all(p.isdigit() for p in parts):
        raise UserError(f"fact_bad_{f.kind}", text=text[:60])
    return {name: int(p) for name, p in zip(names, parts, strict=False)}


class FactChat:
    def __init__(self, db: Database, facts: FactService, results: ResultsService) -> None:
        self.db = db
        self.facts = facts
        self.results = results

    # ---- buttons -------------------------------------------------------------------------------

    def on_button(self, tg_user: int, data: str) -> Outcome:
        parts = data.split(":")
        if len(parts) < 3 or parts[0] != "fa" or not parts[2].isdigit():
            raise UserError("stale_button")
        verb, target = parts[1], int(parts[2])
        if verb in ("l", "b") and len(parts) == 4 and parts[3].isdigit():
            return self.members(tg_user, target, int(parts[3]), edit=verb == "b")
        if verb == "m" and len(parts) == 3:
            return self.card(tg_user, target)
        if verb == "k" and len(parts) == 4 and parts[3] in BY_CODE:
            return self.ask(tg_user, target, BY_CODE[parts[3]])
        if verb == "v" and len(parts) == 5 and parts[3] in BY_CODE:
            f = BY_CODE[parts[3]]
            return self.set_button(tg_user, target, f, _button_value(f, parts[4]))
        raise UserError("stale_button")

    # ---- views -------------------------------------------------------------------------------

    def members(self, tg_user: int, cell_id: int, page: int = 0, *, edit: bool = False) -> Outcome:
        with self.db.session() as s:
            _manager(s, tg_user, cell_id)
            cell = s.get(Organisation, cell_id)
            if cell is None:
                raise UserError("cell_not_found", cell_id=cell_id)
            period = current_period(s, cell_id)
            members = sorted(
                s.execute(
                    select(Member).where(
                        Member.cell_id == cell_id,
                        Member.removed_at.is_(None),
                        Member.status.in_(("official", "probationary")),
                    )
                ).scalars(),
                key=lambda m: sort_key(m.full_name),
            )
            counts = dict(
                s.execute(
                    select(Fact.member_id, func.count(Fact.id))
                    .where(Fact.period_id == period.id, Fact.member_id.in_([m.id for m in members]))
                    .group_by(Fact.member_id)
                ).all()
            )
            name = cell.name
        pages = max(1, -(-len(members) // PAGE))
        page = min(max(page, 0), pages - 1)
        chunk = members[page * PAGE : (page + 1) * PAGE]
        buttons = [
            Button(
                label("btn_fact_member", name=m.full_name, n=counts.get(m.id, 0)),
                f"fa:m:{m.id}",
            )
            for m in chunk
        ]
        rows: list[tuple[Button, ...]] = [
            tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)
        ]
        nav: list[Button] = []
        if page > 0:
            nav.append(Button(label("btn_page_prev"), f"fa:b:{cell_id}:{page - 1}"))
        if page + 1 < pages:
            nav.append(Button(label("btn_page_next"), f"fa:b:{cell_id}:{page + 1}"))
        if nav:
            rows.append(tuple(nav))
        rows.append((Button(label("btn_back_to_cell"), f"cm:{cell_id}:menu"),))
        text = render("facts/members.j2", cell=name, count=len(members), page=page + 1, pages=pages)
        return Outcome().say(text, *rows, edit=edit)

    def card(self, tg_user: int, member_id: int, *, edit: bool = True, note: str = "") -> Outcome:
        with self.db.session() as s:
            member = _member(s, tg_user, member_id)
            _forget_fact_input(s, tg_user)  # back to the card: no typed value is expected
            period = current_period(s, member.cell_id)
            rulebook = period.rulebook
            result = s.execute(
                select(Result).where(Result.period_id == period.id, Result.member_id == member_id)
            ).scalar()
            proposal = (
                (short_level(result.proposed), short_level(result.final))
                if result is not None and result.proposed is not None
                else None
            )
            name, cell_id = member.full_name, member.cell_id
        view = self.facts.get(tg_user, member_id)
        applicable = [f for f in FACTS if f.applies(rulebook)]
        lines = [(fact_label(f), shown(f, current_value(f, view.facts))) for f in applicable]
        buttons = [
            Button(label(f"fact_btn_{f.code}"), f"fa:k:{member_id}:{f.code}") for f in applicable
        ]
        rows: list[tuple[Button, ...]] = [
            tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)
        ]
        rows.append((Button(label("btn_fact_list"), f"fa:b:{cell_id}:0"),))
        text = render(
            "facts/card.j2",
            name=name,
            lines=lines,
            rulebook=rulebook,
            proposal=proposal,
            note=note,
        )
        return Outcome().say(text, *rows, edit=edit)

    def ask(self, tg_user: int, member_id: int, f: ChatFact) -> Outcome:
        with self.db.session() as s:
            member = _member(s, tg_user, member_id)
            period = current_period(s, member.cell_id)
            if not f.applies(period.rulebook):
                raise UserError("stale_button")
            name = member.full_name
        view = self.facts.get(tg_user, member_id)
        now = shown(f, current_value(f, view.facts))
        values: list[tuple[str, str]] = []
        if f.kind == "bool":
            values = [(label("fact_yes"), "1"), (label("fact_no"), "0")]
        elif f.kind == "level":
            values = [(lv, lv) for lv in LEVELS]
        elif f.kind == "exception":
            values = [(label(f"fact_exception_{c}"), c) for c in EXCEPTIONS]
        if values:  # answered by a button: a typed value asked before is not expected now
            self._clear_fact_input(tg_user)
        else:
            self._set_awaiting(tg_user, f"fact:{member_id}:{f.code}")
        buttons = [Button(text, f"fa:v:{member_id}:{f.code}:{v}") for text, v in values]
        per_row = 1 if f.kind == "exception" else 2  # long labels get a row each
        rows: list[tuple[Button, ...]] = [
            tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)
        ]
        rows.append(
            (
                Button(label("fact_clear"), f"fa:v:{member_id}:{f.code}:-"),
                Button(label("btn_back"), f"fa:m:{member_id}"),
            )
        )
        text = render(
            "facts/ask.j2", name=name, what=fact_label(f), now=now, kind=f.kind, code=f.code
        )
        return Outcome().say(text, *rows, edit=True)

    # ---- changes -----------------------------------------------------------------------------

    def set_button(self, tg_user: int, member_id: int, f: ChatFact, value: Any) -> Outcome:
        self._change(tg_user, member_id, f, value)
        self._clear_fact_input(tg_user)
        return self._after(tg_user, member_id, edit=True)

    def on_text(self, tg_user: int, what: str, text: str) -> Outcome:
        """A typed value for the fact named by the awaiting marker `fact:<member>:<code>`."""
        try:
            _kind, member, code = what.split(":")
            f = BY_CODE[code]
            member_id = int(member)
        except (ValueError, KeyError):
            self._set_awaiting(tg_user, "")
            raise UserError("stale_button") from None
        try:
            self._change(tg_user, member_id, f, parse_typed(f, text))
        except UserError as exc:
            if exc.code in _ACCESS_LOST or exc.code == "member_not_found":
                self._set_awaiting(tg_user, "")
            raise  # a wrong value: the question stays open, type it again or /cancel
        self._set_awaiting(tg_user, "")
        return self._after(tg_user, member_id, edit=False)

    def _change(self, tg_user: int, member_id: int, f: ChatFact, value: Any) -> None:
        with self.db.session() as s:
            member = _member(s, tg_user, member_id)
            if not f.applies(current_period(s, member.cell_id).rulebook):
                raise UserError("stale_button")
        # Not a head of a collective any more: the whole object goes, exception included.
        key = "head_of" if f.code == "hr" and value is None else f.key
        self.facts.set(tg_user, member_id, {key: value})

    def _after(self, tg_user: int, member_id: int, *, edit: bool) -> Outcome:
        """The card again, after the cell's proposals were computed anew."""
        with self.db.session() as s:
            cell_id = _member(s, tg_user, member_id).cell_id
        try:
            self.results.compute(tg_user, cell_id=cell_id)
            note = ""
        except UserError as exc:  # another member's data is wrong: the fact is saved anyway
            note = render("facts/not_recomputed.j2", reason=html.escape(exc.message()))
        out = self.card(tg_user, member_id, edit=edit, note=note)
        out.toast = label("toast_fact_saved")
        return out

    # ---- the awaiting marker -------------------------------------------------------------------

    def _set_awaiting(self, tg_user: int, value: str) -> None:
        with self.db.session() as s:
            account = _account(s, tg_user)
            if account is not None:
                account.awaiting = value

    def _clear_fact_input(self, tg_user: int) -> None:
        """A button answered the fact that was waiting for a typed value: forget that wait."""
        with self.db.session() as s:
            _forget_fact_input(s, tg_user)


def _button_value(f: ChatFact, raw: str) -> Any:
    if raw == "-":
        return None
    if f.kind == "bool" and raw in ("0", "1"):
        return raw == "1"
    if f.kind == "level" and raw in LEVELS:
        return raw
    if f.kind == "exception" and raw in EXCEPTIONS:
        return EXCEPTIONS[raw]
    raise UserError("stale_button")


def _manager(s: Session, tg_user: int, cell_id: int) -> Actor:
    actor = require_actor(s, tg_user)
    require_cell_manager(s, actor, cell_id)
    return actor


def _member(s: Session, tg_user: int, member_id: int) -> Member:
    actor = require_actor(s, tg_user)
    member = s.get(Member, member_id)
    if member is None or member.removed_at is not None:
        raise UserError("member_not_found", member_id=member_id)
    require_cell_manager(s, actor, member.cell_id)
    return member


def _forget_fact_input(s: Session, tg_user: int) -> None:
    account = _account(s, tg_user)
    if account is not None and account.awaiting.startswith("fact:"):
        account.awaiting = ""
