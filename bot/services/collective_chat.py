"""A leadership collective in chat (`/collective`, buttons `cv:<collective>:<verb>[:<arg>…]`).

The head drafts the report section by section (text, then a level or points), sets the
meeting's date, sends the draft; members read it (.docx) and comment section by section; the
head accepts or answers each comment, finalises the report, types the ballot on the collective
("3 2 1 0 0": present, then the four counts), and reviews the members at their post in order.
What a typed message is for lives in `TelegramAccount.awaiting` (`cv:<what>:<collective>…`),
so a restart in the middle loses nothing. Every decision is `CollectiveService`'s.
"""

from __future__ import annotations

from typing import Any

from bot.rules.collective import SectionKind
from bot.services.awaiting import AwaitingInput
from bot.services.collectives import (
    LEVELS,
    CollectiveService,
    CollectiveView,
    SectionInfo,
)
from bot.services.errors import UserError
from bot.services.meetings import Counts, Round2Counts, parse_counts
from bot.services.replies import Button, Document, Outcome
from bot.services.spreadsheet import parse_date
from bot.storage.db import Database
from bot.texts import label, render, render_string

PREFIX = "cv:"  # the awaiting markers and the callback data of this feature
GRADES = ("XS", "T", "TB", "K")
ALL = "all"  # a comment on the whole report
_ACCESS_LOST = frozenset(
    {"not_your_collective", "collective_head_only", "not_linked", "member_removed"}
)


def helpers() -> dict[str, Any]:
    """What the templates call: names of levels, grades, kinds and roles."""
    return {
        "level": lambda code: render_string("reasons.yaml", f"level.{code}") if code else "",
        "grade": lambda code: render_string("labels.yaml", f"grade_{code}") if code else "",
        "kind": lambda code: render_string("labels.yaml", f"collective_kind_{code}"),
        "role": lambda code: (
            render_string("labels.yaml", f"collective_role_{code}") if code else ""
        ),
    }


def parse_present_counts(text: str) -> tuple[int, Counts, str]:
    """`3 2 1 0 0` (present, then the four counts) or present + 7 numbers; a second line is
    the reason of a correction."""
    lines = [x.strip() for x in text.split("\n") if x.strip()]
    first = lines[0] if lines else ""
    head, _, rest = first.strip().partition(" ")
    bad = UserError("collective_counts_unreadable", text=first[:60])
    if not (head.isascii() and head.isdigit() and len(head) <= 6):
        raise bad
    try:
        counts = parse_counts(rest)
    except UserError:
        raise bad from None
    if isinstance(counts, Round2Counts):
        raise bad
    return int(head), counts, " ".join(lines[1:])


class CollectiveChat(AwaitingInput):
    access_lost = _ACCESS_LOST

    def __init__(self, db: Database, collectives: CollectiveService) -> None:
        self.db = db
        self.svc = collectives

    # ---- what a typed message is for ---------------------------------------------------------

    def _on_text(self, tg_user: int, text: str) -> Outcome:
        parts = self.awaiting(tg_user).split(":")
        if len(parts) < 3 or parts[0] != "cv" or not parts[2].isdigit():
            raise UserError("stale_button")
        what, cid, arg = parts[1], int(parts[2]), parts[3] if len(parts) > 3 else ""
        if what == "text":
            view = self.svc.save_section(tg_user, cid, arg, text=text)
            self._set(tg_user, "")
            return self._after_text(tg_user, view, arg)
        if what == "pts":
            view = self.svc.save_section(tg_user, cid, arg, points=text)
            self._set(tg_user, "")
            return self._ask_next(tg_user, view)
        if what == "date":
            day = _date(text)
            view = self.svc.set_meeting_date(tg_user, cid, day)
            self._set(tg_user, "")
            return self.summary(tg_user, cid, view=view)
        if what == "cmt":
            info = self.svc.comment(tg_user, cid, "" if arg == ALL else arg, text)
            self._set(tg_user, "")
            return Outcome().say(
                render("collective/commented.j2", c=info),
                (Button(label("btn_cv_comment_more"), f"cv:{cid}:cmt"),),
            )
        if what == "ans" and arg.isdigit():
            info = self.svc.respond(tg_user, int(arg), accept=False, answer=text)
            self._set(tg_user, "")
            return self._responded(tg_user, cid, info.author, info.response)
        if what == "vote":
            present, counts, reason = parse_present_counts(text)
            view = self.svc.enter_ballot(tg_user, cid, present, counts, reason=reason)
            self._set(tg_user, "")
            return self._voted(view)
        if what == "post" and arg.isdigit():
            present, counts, reason = parse_present_counts(text)
            post = self.svc.enter_post_ballot(
                tg_user, cid, int(arg), present, counts, reason=reason
            )
            self._set(tg_user, "")
            out = Outcome().say(render("collective/post_done.j2", p=post, **helpers()))
            return out.say(
                render("collective/next.j2"),
                (Button(label("btn_cv_posts"), f"cv:{cid}:posts"),),
            )
        raise UserError("stale_button")

    # ---- buttons ---------------------------------------------------------------------------------

    def on_button(self, tg_user: int, data: str) -> Outcome:
        parts = data.split(":")
        if len(parts) < 3 or parts[0] != "cv" or not parts[1].isdigit():
            raise UserError("stale_button")
        cid, verb, args = int(parts[1]), parts[2], parts[3:]
        simple = {
            "menu": self.page,
            "draft": self.draft,
            "sum": self.summary,
            "date": self._ask_date,
            "send": self.send,
            "doc": self.document,
            "cmt": self._pick_section,
            "cmts": self.comments,
            "final": self.finalise,
            "vote": self._ask_vote,
            "posts": self.posts,
        }
        if verb in simple and not args:
            return simple[verb](tg_user, cid)
        if verb == "s" and len(args) == 1:
            return self._ask_section(tg_user, cid, args[0])
        if verb == "keep" and len(args) == 1:
            return self._after_text(tg_user, self.svc.view(tg_user, cid), args[0])
        if verb == "skip" and len(args) == 1:
            view = self.svc.save_section(tg_user, cid, args[0], skipped=True)
            return self._ask_next(tg_user, view)
        if verb == "g" and len(args) == 2 and args[1] in GRADES:
            view = self.svc.save_section(tg_user, cid, args[0], grade=args[1])
            return self._ask_next(tg_user, view)
        if verb == "lvl" and len(args) == 1 and args[0] in LEVELS:
            view = self.svc.view(tg_user, cid)
            proposal = next(x for x in view.sections if x.kind == SectionKind.PROPOSAL)
            view = self.svc.save_section(tg_user, cid, proposal.id, grade=args[0])
            return self.summary(tg_user, cid, view=view)
        if verb == "cs" and len(args) == 1:
            return self._ask_comment(tg_user, cid, args[0])
        if verb == "acc" and len(args) == 1 and args[0].isdigit():
            info = self.svc.respond(tg_user, int(args[0]), accept=True)
            return self._responded(tg_user, cid, info.author, info.response)
        if verb == "ans" and len(args) == 1 and args[0].isdigit():
            info = self.svc.comment_info(tg_user, int(args[0]))
            self.svc.view(tg_user, cid)  # the head or a manager: checked by the service
            self._set(tg_user, f"cv:ans:{cid}:{info.id}")
            return Outcome().say(render("collective/ask_answer.j2", c=info))
        if verb == "p" and len(args) == 1 and args[0].isdigit():
            return self._ask_post(tg_user, cid, int(args[0]))
        raise UserError("stale_button")

    # ---- pages ---------------------------------------------------------------------------------

    def menu(self, tg_user: int) -> Outcome:
        views = self.svc.list_for(tg_user)
        if not views:
            raise UserError("no_collective")
        if len(views) == 1:
            return self.page(tg_user, views[0].id)
        rows = [(Button(v.name, f"cv:{v.id}:menu"),) for v in views]
        return Outcome().say(render("collective/list.j2", views=views, **helpers()), *rows)

    def page(self, tg_user: int, cid: int) -> Outcome:
        view = self.svc.view(tg_user, cid)
        lead = self._leads(tg_user, view)
        rows: list[tuple[Button, ...]] = []
        if lead and view.status != "final":
            rows.append(
                (
                    Button(label("btn_cv_draft"), f"cv:{cid}:draft"),
                    Button(label("btn_cv_date"), f"cv:{cid}:date"),
                )
            )
            rows.append((Button(label("btn_cv_send"), f"cv:{cid}:send"),))
        if lead and view.status == "sent":
            rows.append(
                (
                    Button(label("btn_cv_comments", n=len(view.open_comments)), f"cv:{cid}:cmts"),
                    Button(label("btn_cv_final"), f"cv:{cid}:final"),
                )
            )
        if not lead and view.status == "sent":
            rows.append((Button(label("btn_cv_comment"), f"cv:{cid}:cmt"),))
        if lead and view.status == "final":
            rows.append((Button(label("btn_cv_vote"), f"cv:{cid}:vote"),))
            if view.level is not None:
                rows.append((Button(label("btn_cv_posts"), f"cv:{cid}:posts"),))
        if view.status != "drafting" or lead:
            rows.append((Button(label("btn_cv_doc"), f"cv:{cid}:doc"),))
        return Outcome().say(render("collective/page.j2", v=view, lead=lead, **helpers()), *rows)

    def _leads(self, tg_user: int, view: CollectiveView) -> bool:
        return self.svc.can_lead(tg_user, view.id)

    # ---- drafting ------------------------------------------------------------------------------

    def draft(self, tg_user: int, cid: int) -> Outcome:
        return self._ask_next(tg_user, self.svc.view(tg_user, cid))

    def _ask_next(self, tg_user: int, view: CollectiveView) -> Outcome:
        nxt = view.next_section()
        if nxt is None:
            return self.summary(tg_user, view.id, view=view)
        return self._ask(tg_user, view, nxt)

    def _ask_section(self, tg_user: int, cid: int, sid: str) -> Outcome:
        view = self.svc.view(tg_user, cid)
        section = view.section(sid)
        if section is None:
            raise UserError("stale_button")
        return self._ask(tg_user, view, section)

    def _ask(self, tg_user: int, view: CollectiveView, x: SectionInfo) -> Outcome:
        if view.status == "final":
            raise UserError("collective_report_final", name=view.name)
        cid = view.id
        number = [s.id for s in view.sections].index(x.id) + 1
        common = {"v": view, "s": x, "n": number, "total": len(view.sections), **helpers()}
        if x.kind == SectionKind.PROPOSAL:
            rows = [
                (Button(render_string("labels.yaml", f"level_{lv}"), f"cv:{cid}:lvl:{lv}"),)
                for lv in LEVELS
            ]
            return Outcome().say(render("collective/ask_proposal.j2", **common), *rows)
        self._check_lead(tg_user, view)
        self._set(tg_user, f"cv:text:{cid}:{x.id}")
        buttons: list[tuple[Button, ...]] = []
        if x.text:
            buttons.append((Button(label("btn_keep"), f"cv:{cid}:keep:{x.id}"),))
        if x.optional:
            buttons.append((Button(label("btn_none"), f"cv:{cid}:skip:{x.id}"),))
        return Outcome().say(render("collective/ask_section.j2", **common), *buttons)

    def _check_lead(self, tg_user: int, view: CollectiveView) -> None:
        if not self._leads(tg_user, view):
            raise UserError("collective_head_only")

    def _after_text(self, tg_user: int, view: CollectiveView, sid: str) -> Outcome:
        x = view.section(sid)
        if x is None:
            raise UserError("stale_button")
        self._check_lead(tg_user, view)
        common = {"v": view, "s": x, **helpers()}
        if x.kind == SectionKind.GRADED:
            rows = [
                (Button(render_string("labels.yaml", f"grade_{g}"), f"cv:{view.id}:g:{x.id}:{g}"),)
                for g in GRADES
            ]
            return Outcome().say(render("collective/ask_grade.j2", **common), *rows)
        if x.kind == SectionKind.POINTS:
            self._set(tg_user, f"cv:pts:{view.id}:{x.id}")
            return Outcome().say(render("collective/ask_points.j2", **common))
        return self._ask_next(tg_user, view)

    def summary(self, tg_user: int, cid: int, *, view: CollectiveView | None = None) -> Outcome:
        view = view or self.svc.view(tg_user, cid)
        rows: list[tuple[Button, ...]] = [
            (Button(label("btn_cv_edit", heading=x.heading), f"cv:{cid}:s:{x.id}"),)
            for x in view.sections
        ]
        rows.append(
            (
                Button(label("btn_cv_date"), f"cv:{cid}:date"),
                Button(label("btn_cv_send"), f"cv:{cid}:send"),
            )
        )
        rows.append((Button(label("btn_cv_page"), f"cv:{cid}:menu"),))
        return Outcome().say(render("collective/summary.j2", v=view, **helpers()), *rows)

    def _ask_date(self, tg_user: int, cid: int) -> Outcome:
        view = self.svc.view(tg_user, cid)
        self._check_lead(tg_user, view)
        self._set(tg_user, f"cv:date:{cid}")
        return Outcome().say(render("collective/ask_date.j2", v=view))

    def send(self, tg_user: int, cid: int) -> Outcome:
        result = self.svc.send_draft(tg_user, cid)
        return Outcome().say(
            render("collective/sent.j2", r=result, v=result.view),
            (Button(label("btn_cv_page"), f"cv:{cid}:menu"),),
        )

    def document(self, tg_user: int, cid: int) -> Outcome:
        name, data, view = self.svc.report_docx(tg_user, cid)
        out = Outcome().say(render("collective/document.j2", v=view, **helpers()))
        out.send_document(Document(name, data, caption=view.name))
        if view.status == "sent" and not self._leads(tg_user, view):
            out.say(
                render("collective/invite_comment.j2"),
                (Button(label("btn_cv_comment"), f"cv:{cid}:cmt"),),
            )
        return out

    # ---- comments ------------------------------------------------------------------------------

    def _pick_section(self, tg_user: int, cid: int) -> Outcome:
        view = self.svc.view(tg_user, cid)
        if view.status != "sent":
            raise UserError("collective_not_open_for_comments", name=view.name)
        rows = [(Button(label("btn_cv_whole"), f"cv:{cid}:cs:{ALL}"),)]
        rows += [
            (Button(label("btn_cv_section", heading=x.heading), f"cv:{cid}:cs:{x.id}"),)
            for x in view.sections
            if x.kind != SectionKind.PROPOSAL
        ]
        return Outcome().say(render("collective/pick_section.j2", v=view), *rows)

    def _ask_comment(self, tg_user: int, cid: int, sid: str) -> Outcome:
        view = self.svc.view(tg_user, cid)
        if view.status != "sent":
            raise UserError("collective_not_open_for_comments", name=view.name)
        section = view.section(sid) if sid != ALL else None
        if sid != ALL and section is None:
            raise UserError("stale_button")
        self._set(tg_user, f"cv:cmt:{cid}:{sid}")
        return Outcome().say(render("collective/ask_comment.j2", v=view, s=section))

    def comments(self, tg_user: int, cid: int) -> Outcome:
        view = self.svc.view(tg_user, cid)
        self._check_lead(tg_user, view)
        out = Outcome().say(render("collective/comments.j2", v=view))
        for c in view.open_comments:
            out.say(
                render("collective/comment_one.j2", c=c),
                (
                    Button(label("btn_cv_accept"), f"cv:{cid}:acc:{c.id}"),
                    Button(label("btn_cv_answer"), f"cv:{cid}:ans:{c.id}"),
                ),
            )
        if not view.open_comments and view.status == "sent":
            out.say(
                render("collective/all_answered.j2"),
                (Button(label("btn_cv_final"), f"cv:{cid}:final"),),
            )
        return out

    def _responded(self, tg_user: int, cid: int, author: str, response: str) -> Outcome:
        view = self.svc.view(tg_user, cid)
        rows: list[tuple[Button, ...]] = []
        if view.open_comments:
            rows.append(
                (Button(label("btn_cv_comments", n=len(view.open_comments)), f"cv:{cid}:cmts"),)
            )
        else:
            rows.append((Button(label("btn_cv_final"), f"cv:{cid}:final"),))
        return Outcome().say(
            render(
                "collective/responded.j2",
                author=author,
                response=response,
                left=len(view.open_comments),
            ),
            *rows,
        )

    def finalise(self, tg_user: int, cid: int) -> Outcome:
        view = self.svc.finalise(tg_user, cid)
        return Outcome().say(
            render("collective/finalised.j2", v=view),
            (Button(label("btn_cv_vote"), f"cv:{cid}:vote"),),
            (Button(label("btn_cv_doc"), f"cv:{cid}:doc"),),
        )

    # ---- ballots -------------------------------------------------------------------------------

    def _ask_vote(self, tg_user: int, cid: int) -> Outcome:
        view = self.svc.view(tg_user, cid)
        self._check_lead(tg_user, view)
        if view.status != "final":
            raise UserError("collective_report_not_final", name=view.name)
        self._set(tg_user, f"cv:vote:{cid}")
        return Outcome().say(render("collective/ask_vote.j2", v=view))

    def _voted(self, view: CollectiveView) -> Outcome:
        rows = [(Button(label("btn_cv_posts"), f"cv:{view.id}:posts"),)]
        return Outcome().say(render("collective/voted.j2", v=view, **helpers()), *rows)

    def posts(self, tg_user: int, cid: int) -> Outcome:
        view = self.svc.view(tg_user, cid)
        self._check_lead(tg_user, view)
        rows = [
            (Button(f"{'✅' if p.post_level else '▫️'} {p.name}", f"cv:{cid}:p:{p.member_id}"),)
            for p in view.posts
        ]
        return Outcome().say(render("collective/posts.j2", v=view, **helpers()), *rows)

    def _ask_post(self, tg_user: int, cid: int, member_id: int) -> Outcome:
        summary = self.svc.post_summary(tg_user, cid, member_id)
        self._set(tg_user, f"cv:post:{cid}:{member_id}")
        return Outcome().say(render("collective/ask_post.j2", p=summary, **helpers()))


def _date(text: str) -> Any:
    try:
        day = parse_date(text.strip())
    except ValueError:
        day = None
    if day is None:
        raise UserError("bad_date", field=label("field_meeting_date"), value=text.strip()[:40])
    return day
