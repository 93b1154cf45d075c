"""The member's self-review as a conversation whose only state is the database.

Every entry point is one unit of work keyed by the Telegram user: load the member, the period,
the review and its answers; apply the input if it belongs to the current question; commit; say
what comes next. A restart, a second process or a week's pause resumes at the same question.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot.review.questionnaire import (
    NOTE_LIMIT,
    TASK_LIMIT,
    TEXT_LIMIT,
    Question,
    Stored,
    Task,
    build,
    dump_tasks,
    format_points,
    is_complete,
    load_tasks,
    parse_points,
    task_counts,
    valid_option,
)
from bot.rules.catalog import Catalog, PointsGroup, TaskStatus, load_catalog
from bot.rules.levels import Grade, Level, MemberKind, Rulebook
from bot.services import audit
from bot.services.access import Actor, acting, can_manage_cell, linked
from bot.services.errors import UserError
from bot.services.org import current_period
from bot.services.replies import Button, Document, Outcome
from bot.storage.db import Database
from bot.storage.models import (
    Answer,
    Member,
    Organisation,
    ReviewPeriod,
    SelfReview,
)
from bot.storage.types import utcnow
from bot.texts import label, render, render_string
from bot.vietnamese import clean

SUMMARY = "summary"
PREVIEW_RULES = ("eligibility.", "self.", "flag.")
# Every step runs these; built once (building a statement costs more than running it).
_REVIEW = select(SelfReview).where(
    SelfReview.period_id == bindparam("period"), SelfReview.member_id == bindparam("member")
)
_ANSWERS = select(Answer).where(Answer.review_id == bindparam("review"))


class PendingInput(Exception):
    """A typed message that belongs to the account's pending input (`TelegramAccount.awaiting`:
    a secretary's count, a reason), not to the review; `Services.on_text` routes it. Found in
    the review's own first lookup, so a member's typed answer is one transaction, not two."""

    def __init__(self, marker: str) -> None:
        super().__init__(marker)
        self.marker = marker


@dataclass
class Ctx:
    s: Session
    actor: Actor
    member: Member
    proxy: bool
    period: ReviewPeriod
    review: SelfReview
    catalog: Catalog
    questions: tuple[Question, ...]
    answers: dict[str, Answer]
    cell: Organisation | None = None
    _computed: tuple[Level | None, list[str], dict[str, Any]] | None = None

    def q(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)

    def index(self, key: str) -> int:
        return next((i for i, q in enumerate(self.questions) if q.key == key), len(self.questions))

    def stored(self, key: str) -> Stored | None:
        a = self.answers.get(key)
        return Stored(a.value, a.note) if a is not None else None


class ReviewService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- entry points ----------------------------------------------------------------------

    def open(self, tg_user: int) -> Outcome:
        with self.db.session() as s:
            ctx = self._load(s, tg_user)
            out = Outcome()
            if ctx.review.status == "submitted":
                return out.say(render("review/already_submitted.j2", ctx=self._view(ctx)))
            if not ctx.review.cursor:
                self._move(ctx, self._first_incomplete(ctx, 0))
                out.say(render("review/welcome.j2", ctx=self._view(ctx)))
            return self._ask(ctx, out)

    def on_button(self, tg_user: int, data: str) -> Outcome:
        with self.db.session() as s:
            ctx = self._load(s, tg_user)
            out = Outcome()
            parts = data.split(":")
            verb = parts[0]
            if verb == "r" and len(parts) == 2:
                return self._rule_text(ctx, parts[1], out)
            if ctx.review.status == "submitted":
                out.toast = label("toast_submitted")
                return out
            if verb == "e" and len(parts) == 2 and ctx.q(parts[1]) is not None:
                ctx.review.editing = True
                self._move(ctx, parts[1])
                return self._ask(ctx, out)
            if verb == "e" and parts[1:] == ["ind"]:
                return out.say(render("review/pick_indicator.j2"), *self._indicator_picker())
            if verb == "sub" and len(parts) == 1:
                return self._submit(ctx, out)
            if verb == "sum":
                self._move(ctx, self._first_incomplete(ctx, 0))
                return self._ask(ctx, out)
            key = parts[1] if len(parts) > 1 else ""
            if key != ctx.review.cursor:
                out.toast = label("toast_stale")
                return self._ask(ctx, out)
            q = ctx.q(key)
            assert q is not None
            if verb == "a" and len(parts) == 3:
                return self._option(ctx, q, parts[2], out)
            if verb == "n" and parts[2:] == ["skip"] and ctx.review.awaiting == "note":
                ctx.review.awaiting = ""
                return self._done(ctx, q, out)
            if verb == "t" and len(parts) == 4 and q.kind == "tasks":
                return self._task_status(ctx, parts[2], parts[3], out)
            out.toast = label("toast_stale")
            return self._ask(ctx, out)

    def on_text(self, tg_user: int, text: str) -> Outcome:
        with self.db.session() as s:
            ctx = self._load(s, tg_user, typed=True)
            out = Outcome()
            if ctx.review.status == "submitted":
                return out.say(render("review/already_submitted.j2", ctx=self._view(ctx)))
            if not ctx.review.cursor or ctx.review.cursor == SUMMARY:
                return self._ask(ctx, out)
            q = ctx.q(ctx.review.cursor)
            assert q is not None
            text = (
                clean(text)
                if "\n" not in text
                else "\n".join(clean(x) for x in text.split("\n")).strip()
            )
            return self._text(ctx, q, text, out)

    def back(self, tg_user: int) -> Outcome:
        with self.db.session() as s:
            ctx = self._load(s, tg_user)
            out = Outcome()
            if ctx.review.status == "submitted":
                return out.say(render("review/already_submitted.j2", ctx=self._view(ctx)))
            i = ctx.index(ctx.review.cursor) if ctx.review.cursor != SUMMARY else len(ctx.questions)
            if ctx.review.awaiting and ctx.review.cursor != SUMMARY:
                ctx.review.awaiting = ""  # /back during a sub-step returns to the question itself
            elif i > 0:
                self._move(ctx, ctx.questions[i - 1].key)
            return self._ask(ctx, out)

    def summary(self, tg_user: int) -> Outcome:
        with self.db.session() as s:
            ctx = self._load(s, tg_user)
            return self._summary(ctx, Outcome())

    def cancel(self, tg_user: int) -> Outcome:
        with self.db.session() as s:
            ctx = self._load(s, tg_user)
            ctx.review.awaiting = ""
            ctx.review.editing = False
            return Outcome().say(render("review/cancelled.j2", ctx=self._view(ctx)))

    # ---- loading ---------------------------------------------------------------------------

    def _load(self, s: Session, tg_user: int, *, typed: bool = False) -> Ctx:
        """Everything a step needs. `typed`: the step is a typed message, which belongs to a
        secretary's pending input instead when the account has one (`PendingInput`)."""
        found = linked(s, tg_user)
        if typed and found is not None and found.account.awaiting:
            raise PendingInput(found.account.awaiting)
        found, actor = acting(found)
        account = found.account
        proxy = account.acting_for_member_id is not None
        member: Member | None = found.member
        cell: Organisation | None = found.cell
        if proxy:
            member = s.get(Member, account.acting_for_member_id)
            cell = s.get(Organisation, member.cell_id) if member is not None else None
        if member is None or member.removed_at is not None:
            raise UserError("member_not_found", member_id=account.acting_for_member_id)
        if proxy and not can_manage_cell(s, actor, member.cell_id):
            # The role that allowed proxy entry was revoked since /proxy: nothing is written
            # for the other member any more (the user leaves with /proxy_end).
            raise UserError("proxy_revoked")
        if member.status in ("exempt", "suspended"):
            raise UserError(
                "review_not_required",
                status=render_string("errors.yaml", "status_" + member.status),
            )
        period = current_period(s, member.cell_id)
        review = s.execute(_REVIEW, {"period": period.id, "member": member.id}).scalar()
        if review is None:
            review = SelfReview(period_id=period.id, member_id=member.id, cursor="")
            s.add(review)
            s.flush()
        catalog = load_catalog(Rulebook(period.rulebook), MemberKind(member.kind))
        questions = build(catalog, civil_servant=member.civil_servant)
        answers = {a.question: a for a in s.execute(_ANSWERS, {"review": review.id}).scalars()}
        return Ctx(s, actor, member, proxy, period, review, catalog, questions, answers, cell)

    # ---- moving ----------------------------------------------------------------------------

    def _complete(self, ctx: Ctx, q: Question) -> bool:
        if q.key == ctx.review.cursor and ctx.review.awaiting:
            return False
        computed = self._computed(ctx)[0] if q.kind == "rating" else None
        return is_complete(q, ctx.stored(q.key), computed=computed)

    def _first_incomplete(self, ctx: Ctx, start: int) -> str:
        for q in ctx.questions[start:]:
            if not self._complete(ctx, q):
                return q.key
        for q in ctx.questions[:start]:
            if not self._complete(ctx, q):
                return q.key
        return SUMMARY

    def _move(self, ctx: Ctx, key: str) -> None:
        ctx.review.cursor = key
        ctx.review.awaiting = ""
        if key == SUMMARY:
            ctx.review.editing = False
        ctx.review.version += 1

    def _done(self, ctx: Ctx, q: Question, out: Outcome) -> Outcome:
        """The current question is fully answered: go on to the next one that is not."""
        ctx._computed = None
        start = 0 if ctx.review.editing else ctx.index(q.key) + 1
        self._move(ctx, self._first_incomplete(ctx, start))
        return self._ask(ctx, out)

    # ---- storing ---------------------------------------------------------------------------

    def _store(
        self, ctx: Ctx, q: Question, value: str | None = None, note: str | None = None
    ) -> None:
        a = ctx.answers.get(q.key)
        old = (a.value, a.note) if a is not None else None
        if a is None:
            a = Answer(review_id=ctx.review.id, question=q.key, value="", note="")
            ctx.s.add(a)
            ctx.answers[q.key] = a
        if value is not None:
            a.value = value
        if note is not None:
            a.note = note
        a.answered_at = utcnow()
        a.by_member_id = ctx.actor.member_id
        a.proxy = ctx.proxy
        ctx.review.updated_at = utcnow()
        ctx._computed = None
        if ctx.proxy:
            audit.record(
                ctx.s,
                actor=ctx.actor.label,
                entity="answer",
                entity_id=f"{ctx.review.id}/{q.key}",
                action="proxy_answer",
                old=list(old) if old else None,
                new=[a.value, a.note],
                proxy=True,
            )

    def _option(self, ctx: Ctx, q: Question, option: str, out: Outcome) -> Outcome:
        if option == "keep" and ctx.stored(q.key) is not None:
            return self._done(ctx, q, out)
        if not valid_option(q, option):
            out.toast = label("toast_stale")
            return self._ask(ctx, out)
        shown = self._option_label(ctx, q, option)
        out.say(
            render("review/answered.j2", question=self._question_title(ctx, q), answer=shown),
            edit=True,
        )
        if q.kind in ("header", "rating_cs"):
            self._store(ctx, q, option, "")
            return self._done(ctx, q, out)
        if q.kind == "grade":
            if option == "na":
                self._store(ctx, q, "", "")
                return self._done(ctx, q, out)
            self._store(ctx, q, option)
            ctx.review.awaiting = "note"
            return self._ask(ctx, out)
        if q.kind == "indicator":
            level = int(option)
            previous = ctx.stored(q.key)
            keep_remedy = previous is not None and previous.value != "1" and level >= 2
            self._store(ctx, q, option, previous.note if keep_remedy and previous else "")
            if level >= 4:
                out.say(render("review/indicator_serious.j2", level=level))
            if level >= 2 and not keep_remedy:
                ctx.review.awaiting = "remedy"
                return self._ask(ctx, out)
            return self._done(ctx, q, out)
        if q.kind in ("section", "unit") and option == "none":
            self._store(ctx, q, "", "")
            return self._done(ctx, q, out)
        if q.kind == "tasks":
            if option == "none":
                self._store(ctx, q, dump_tasks([]), "closed")
                return self._done(ctx, q, out)
            tasks = load_tasks(ctx.stored(q.key).value if ctx.stored(q.key) else "")
            if not tasks or any(not t.status for t in tasks):
                out.toast = label("toast_tasks_incomplete")
                return self._ask(ctx, out)
            self._store(ctx, q, note="closed")
            return self._done(ctx, q, out)
        if q.kind == "rating":
            computed = self._computed(ctx)[0]
            chosen = Level(option)
            self._store(ctx, q, option, "")
            if computed not in (None, Level.UNDETERMINED) and chosen.rank > computed.rank:
                ctx.review.awaiting = "justify"
                return self._ask(ctx, out)
            return self._done(ctx, q, out)
        out.toast = label("toast_stale")
        return self._ask(ctx, out)

    def _text(self, ctx: Ctx, q: Question, text: str, out: Outcome) -> Outcome:
        awaiting = ctx.review.awaiting
        if not text:
            return self._ask(ctx, out)
        if awaiting in ("note", "remedy", "justify"):
            if len(text) > NOTE_LIMIT:
                return out.say(render("review/too_long.j2", limit=NOTE_LIMIT, length=len(text)))
            self._store(ctx, q, note=text)
            ctx.review.awaiting = ""
            return self._done(ctx, q, out)
        if q.kind in ("section", "unit"):
            limit = TEXT_LIMIT if q.kind == "section" else 200
            if len(text) > limit:
                return out.say(render("review/too_long.j2", limit=limit, length=len(text)))
            self._store(ctx, q, text, "")
            return self._done(ctx, q, out)
        if q.kind == "points":
            assert ctx.catalog.points is not None
            item = ctx.catalog.points.item(q.ref)
            value = parse_points(text, item.max_points)
            if value is None:
                return out.say(
                    render("review/bad_points.j2", text=text, max=format_points(item.max_points))
                )
            self._store(ctx, q, format_points(value).replace(",", "."))
            warning = self._points_warning(ctx)
            if warning:
                out.say(warning)
            ctx.review.awaiting = "note"
            return self._ask(ctx, out)
        if q.kind == "tasks":
            stored = ctx.stored(q.key)
            tasks = load_tasks(stored.value if stored else "")
            lines = [clean(x).lstrip("-•*+ ").strip() for x in text.split("\n")]
            new = [Task(x[:300]) for x in lines if x]
            if len(tasks) + len(new) > TASK_LIMIT:
                return out.say(render("review/too_many_tasks.j2", limit=TASK_LIMIT))
            self._store(ctx, q, dump_tasks(tasks + new), "")
            return self._ask(ctx, out)
        out.say(render("review/use_buttons.j2"))
        return self._ask(ctx, out)

    def _task_status(self, ctx: Ctx, index: str, status: str, out: Outcome) -> Outcome:
        q = ctx.q("tasks")
        assert q is not None
        stored = ctx.stored("tasks")
        tasks = load_tasks(stored.value if stored else "")
        if (
            not index.isdigit()
            or int(index) >= len(tasks)
            or status not in {t.value for t in TaskStatus}
        ):
            out.toast = label("toast_stale")
            return self._ask(ctx, out)
        i = int(index)
        tasks[i] = Task(tasks[i].title, status)
        self._store(ctx, q, dump_tasks(tasks), "")
        out.say(
            render(
                "review/answered.j2",
                question=tasks[i].title,
                answer=ctx.catalog.scales.task_status_name(TaskStatus(status)),
            ),
            edit=True,
        )
        return self._ask(ctx, out)

    # ---- computing -------------------------------------------------------------------------

    def _computed(self, ctx: Ctx) -> tuple[Level | None, list[str], dict[str, Any]]:
        """The level the rules give from the member's own answers, with the reasons."""
        if ctx._computed is None:
            ctx._computed = self_assessment(ctx)
        return ctx._computed

    def _points_warning(self, ctx: Ctx) -> str:
        sheet = ctx.catalog.points
        stored = ctx.stored("tasks")
        if sheet is None or stored is None:
            return ""
        tasks = load_tasks(stored.value)
        task_points = sum(
            (
                Fraction(ctx.answers[f"p.{i.id}"].value)
                for i in sheet.items_in(PointsGroup.TASKS)
                if f"p.{i.id}" in ctx.answers
            ),
            Fraction(0),
        )
        counts = task_counts(tasks)
        if (
            counts["total"]
            and counts["not_done"]
            and task_points == sheet.group_max(PointsGroup.TASKS)
        ):
            return render(
                "review/points_vs_tasks.j2", not_done=counts["not_done"], total=counts["total"]
            )
        return ""

    # ---- asking ----------------------------------------------------------------------------

    def _question_title(self, ctx: Ctx, q: Question) -> str:
        if q.kind == "grade":
            return ctx.catalog.criterion(q.ref).title
        if q.kind == "points":
            assert ctx.catalog.points is not None
            return ctx.catalog.points.item(q.ref).title
        if q.kind == "indicator":
            return ctx.catalog.indicators.indicator(int(q.ref)).label
        if q.kind == "section":
            return next(s.title for s in ctx.catalog.sections if s.number == q.ref)
        return label("title_" + q.kind)

    def _option_label(self, ctx: Ctx, q: Question, option: str) -> str:
        if q.kind == "grade":
            return ctx.catalog.scales.grade_name(Grade(option))
        if q.kind == "indicator":
            return f"{option}. {ctx.catalog.indicators.scale_label(int(option))}"
        if q.kind in ("rating", "rating_cs"):
            return ctx.catalog.scales.level_name(Level(option))
        return label(f"opt_{q.kind}_{option}")

    def _view(self, ctx: Ctx) -> dict[str, Any]:
        cell = ctx.cell
        return {
            "name": ctx.member.full_name,
            "proxy": ctx.proxy,
            "year": ctx.period.year,
            "cell": cell.name if cell else "",
            "form": ctx.catalog.form.code,
            "total": len(ctx.questions),
        }

    def _ask(self, ctx: Ctx, out: Outcome) -> Outcome:
        key = ctx.review.cursor
        if key == SUMMARY or not key:
            return self._summary(ctx, out)
        q = ctx.q(key)
        if q is None:  # the catalogue changed under an open review: start from the first gap
            self._move(ctx, self._first_incomplete(ctx, 0))
            return self._ask(ctx, out)
        number = ctx.index(key) + 1
        total = len(ctx.questions)
        stored = ctx.stored(key)
        awaiting = ctx.review.awaiting
        common = {
            "number": number,
            "total": total,
            "progress": progress_bar(number, total),
            "view": self._view(ctx),
            "title": self._question_title(ctx, q),
            "awaiting": awaiting,
            "previous": stored,
            "previous_label": self._previous_label(ctx, q, stored),
        }
        rows: list[tuple[Button, ...]] = []
        template = f"review/q_{q.kind}.j2"
        extra: dict[str, Any] = {}
        if awaiting == "note":
            template = "review/ask_note.j2"
            rows.append((Button(label("btn_skip"), f"n:{key}:skip"),))
        elif awaiting == "remedy":
            template = "review/ask_remedy.j2"
            extra["level"] = int(stored.value) if stored else 0
        elif awaiting == "justify":
            template = "review/ask_justify.j2"
            extra["computed"] = self._level_name(ctx, self._computed(ctx)[0])
        elif q.kind == "header":
            extra["member"] = ctx.member
            rows += [
                (Button(label("btn_header_ok"), f"a:{key}:ok"),),
                (Button(label("btn_header_wrong"), f"a:{key}:wrong"),),
            ]
        elif q.kind == "unit":
            rows.append((Button(label("btn_skip"), f"a:{key}:none"),))
        elif q.kind == "grade":
            crit = ctx.catalog.criterion(q.ref)
            extra["criterion"] = crit
            names = {g: ctx.catalog.scales.grade_name(g) for g in Grade}
            rows += [
                (Button(names[Grade.XS], f"a:{key}:XS"), Button(names[Grade.T], f"a:{key}:T")),
                (Button(names[Grade.TB], f"a:{key}:TB"), Button(names[Grade.K], f"a:{key}:K")),
                (Button(label("btn_rule"), f"r:{key}"),),
            ]
            if q.optional:
                rows.append((Button(label("btn_not_applicable"), f"a:{key}:na"),))
        elif q.kind == "points":
            assert ctx.catalog.points is not None
            item = ctx.catalog.points.item(q.ref)
            extra["item"] = item
            extra["max"] = format_points(item.max_points)
            extra["group"] = ctx.catalog.points.group_title(item.group)
            rows.append((Button(label("btn_rule"), f"r:{key}"),))
        elif q.kind == "tasks":
            tasks = load_tasks(stored.value if stored else "")
            extra["tasks"] = [
                (
                    t.title,
                    ctx.catalog.scales.task_status_name(TaskStatus(t.status)) if t.status else "",
                )
                for t in tasks
            ]
            pending = next((i for i, t in enumerate(tasks) if not t.status), None)
            extra["pending"] = tasks[pending].title if pending is not None else None
            if pending is not None:
                names = {st: _cap(ctx.catalog.scales.task_status_name(st)) for st in TaskStatus}
                rows += [
                    (
                        Button(names[TaskStatus.ON_TIME], f"t:{key}:{pending}:on_time"),
                        Button(names[TaskStatus.EXCEEDED], f"t:{key}:{pending}:exceeded"),
                    ),
                    (
                        Button(names[TaskStatus.LATE], f"t:{key}:{pending}:late"),
                        Button(names[TaskStatus.NOT_DONE], f"t:{key}:{pending}:not_done"),
                    ),
                ]
            elif tasks:
                rows.append((Button(label("btn_tasks_done"), f"a:{key}:done"),))
            else:
                rows.append((Button(label("btn_no_tasks"), f"a:{key}:none"),))
        elif q.kind == "indicator":
            ind = ctx.catalog.indicators.indicator(int(q.ref))
            extra["indicator"] = ind
            extra["group"] = next(
                g.title for g in ctx.catalog.indicators.groups if g.code == ind.group
            )
            scale = ctx.catalog.indicators.scale
            rows += [(Button(f"{lv.value}. {lv.label}", f"a:{key}:{lv.value}"),) for lv in scale]
        elif q.kind == "section":
            sec = next(s for s in ctx.catalog.sections if s.number == q.ref)
            extra["section"] = sec
            extra["prior"] = self._prior_shortcomings(ctx) if q.ref == "III" else ""
            if sec.optional:
                rows.append((Button(label("btn_none"), f"a:{key}:none"),))
        elif q.kind in ("rating", "rating_cs"):
            names = {lv: ctx.catalog.scales.level_name(lv) for lv in Level.determined()}
            rows += [(Button(names[lv], f"a:{key}:{lv.value}"),) for lv in Level.determined()]
            if q.kind == "rating":
                level, reasons, result = self._computed(ctx)
                extra.update(
                    computed=self._level_name(ctx, level),
                    reasons=reasons,
                    rated=result.get("rated", True),
                )
        if stored is not None and not awaiting and q.kind not in ("tasks",):
            rows.append((Button(label("btn_keep"), f"a:{key}:keep"),))
        out.say(render(template, **common, **extra), *rows)
        return out

    def _level_name(self, ctx: Ctx, level: Level | None) -> str:
        if level is None or level is Level.UNDETERMINED:
            return label("level_undetermined")
        return ctx.catalog.scales.level_name(level)

    def _previous_label(self, ctx: Ctx, q: Question, stored: Stored | None) -> str:
        if stored is None:
            return ""
        if q.kind in ("grade", "indicator", "rating", "rating_cs", "header"):
            if not stored.value:
                return label("opt_grade_na") if q.kind == "grade" else ""
            return self._option_label(ctx, q, stored.value)
        if q.kind == "points":
            return stored.value.replace(".", ",")
        if q.kind == "tasks":
            return ""
        return stored.value or label("opt_section_none")

    def _indicator_picker(self) -> list[tuple[Button, ...]]:
        numbers = [Button(str(n), f"e:i.{n}") for n in range(1, 28)]
        return [tuple(numbers[i : i + 3]) for i in range(0, 27, 3)]

    def _prior_shortcomings(self, ctx: Ctx) -> str:
        """Last year's section II (limitations), when the database has it."""
        row = ctx.s.execute(
            select(Answer.value)
            .join(SelfReview, SelfReview.id == Answer.review_id)
            .join(ReviewPeriod, ReviewPeriod.id == SelfReview.period_id)
            .where(
                SelfReview.member_id == ctx.member.id,
                ReviewPeriod.year == ctx.period.year - 1,
                Answer.question == "s.2",
            )
        ).scalar()
        return row or ""

    def _rule_text(self, ctx: Ctx, key: str, out: Outcome) -> Outcome:
        q = ctx.q(key)
        if q is None:
            out.toast = label("toast_stale")
            return out
        if q.kind == "grade":
            item: Any = ctx.catalog.criterion(q.ref)
        elif q.kind == "points" and ctx.catalog.points is not None:
            item = ctx.catalog.points.item(q.ref)
        else:
            out.toast = label("toast_stale")
            return out
        return out.say(render("review/rule_text.j2", item=item, basis=ctx.catalog.basis))

    # ---- summary and submission ------------------------------------------------------------

    def _summary(self, ctx: Ctx, out: Outcome) -> Outcome:
        if ctx.review.cursor != SUMMARY:
            missing = self._first_incomplete(ctx, 0)
            if missing != SUMMARY:
                self._move(ctx, missing)
                return self._ask(ctx, out)
            self._move(ctx, SUMMARY)
        level, _reasons, _ = self._computed(ctx)
        lines = summary_lines(ctx, self)
        rows: list[tuple[Button, ...]] = []
        editable = [q for q in ctx.questions if q.kind != "indicator"]
        for i in range(0, len(editable), 2):
            rows.append(
                tuple(
                    Button(label("btn_edit", n=ctx.index(q.key) + 1), f"e:{q.key}")
                    for q in editable[i : i + 2]
                )
            )
        rows.append((Button(label("btn_edit_indicators"), "e:ind"),))
        rows.append((Button(label("btn_submit"), "sub"),))
        return out.say(
            render(
                "review/summary.j2",
                view=self._view(ctx),
                lines=lines,
                computed=self._level_name(ctx, level),
            ),
            *rows,
        )

    def _submit(self, ctx: Ctx, out: Outcome) -> Outcome:
        missing = self._first_incomplete(ctx, 0)
        if missing != SUMMARY:
            out.toast = label("toast_incomplete")
            self._move(ctx, missing)
            return self._ask(ctx, out)
        ctx.review.status = "submitted"
        ctx.review.submitted_at = utcnow()
        ctx.review.version += 1
        audit.record(
            ctx.s,
            actor=ctx.actor.label,
            entity="self_review",
            entity_id=ctx.review.id,
            action="submit",
            new={"member_id": ctx.member.id},
            proxy=ctx.proxy,
        )
        out.say(render("review/submitted.j2", view=self._view(ctx)))
        doc = self.document(ctx)
        if doc is not None:
            out.send_document(doc)
        return out

    def document(self, ctx: Ctx) -> Document | None:
        from bot.services.review_document import build_document

        return build_document(ctx, self)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def progress_bar(number: int, total: int, width: int = 8) -> str:
    filled = round(width * number / total) if total else 0
    return "▓" * filled + "░" * (width - filled)


def answers_assessment(
    catalog: Catalog, questions: tuple[Question, ...], answers: Mapping[str, Answer]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The batch-rating.md `self` object and the facts a member's own answers give (the task
    list's counts, 2025). Shared by the member's preview and the cell's results
    (`bot.services.results`), so both read a review the same way."""
    self_part: dict[str, Any] = {}
    facts: dict[str, Any] = {}
    if catalog.points is not None:
        sheet = catalog.points
        sums = {g: Fraction(0) for g in PointsGroup}
        complete = True
        for item in sheet.items:
            a = answers.get(f"p.{item.id}")
            if a is None or not a.value:
                complete = False
                continue
            sums[item.group] += Fraction(a.value)
        if complete:
            self_part["points"] = {
                "general": _num(sums[PointsGroup.GENERAL]),
                "tasks": _num(sums[PointsGroup.TASKS]),
            }
        tasks_answer = answers.get("tasks")
        if tasks_answer is not None and tasks_answer.note == "closed":
            facts["tasks"] = task_counts(load_tasks(tasks_answer.value))
    else:
        answered = {
            c.id: answers[f"c.{c.id}"].value for c in catalog.criteria if f"c.{c.id}" in answers
        }
        if all(c.id in answered for c in catalog.criteria if not c.optional):
            # An optional criterion answered "does not apply" is stored empty and left out.
            grades = {cid: g for cid, g in answered.items() if g}
            self_part["criteria"] = grades
            self_part["task_criteria"] = sorted(catalog.task_criterion_ids & set(grades))
    indicators = {
        q.ref: int(answers[q.key].value)
        for q in questions
        if q.kind == "indicator" and q.key in answers
    }
    if indicators:
        self_part["indicators"] = indicators
    return self_part, facts


def self_assessment(ctx: Ctx) -> tuple[Level | None, list[str], dict[str, Any]]:
    """Rate the member from their own answers alone, through the batch engine (no ballot)."""
    from bot.batch import InputErrors, rate_document

    self_part, facts = answers_assessment(ctx.catalog, ctx.questions, ctx.answers)
    admitted = ctx.member.admitted_on or date(1900, 1, 1)
    member: dict[str, Any] = {
        "id": "m",
        "status": ctx.member.status,
        "admitted_on": admitted.isoformat(),
        "kind": ctx.member.kind,
    }
    if self_part:
        member["self"] = self_part
    if facts:
        member["facts"] = facts
    as_of = ctx.period.as_of or date(ctx.period.year, 12, 31)
    try:
        result = rate_document(
            {
                "rulebook": ctx.period.rulebook,
                "as_of": as_of.isoformat(),
                "plan": ctx.period.plan or {},
                "members": [member],
            }
        )
    except InputErrors:
        return None, [], {}
    m = result["members"][0]
    level = Level(m["self_level"]) if m.get("self_level") else None
    if "self" not in member or ("points" not in self_part and "criteria" not in self_part):
        level = None
    # The member's preview explains their own answers; the ballot, the caps from facts and the
    # organisation-wide cap on the top level are the cell's and the đảng ủy's to apply.
    own = [r for r in m["reasons"] if r["rule"].startswith(PREVIEW_RULES)]
    return level, [html.escape(r["text"]) for r in own], m


def _num(value: Fraction) -> int | float:
    return value.numerator if value.denominator == 1 else float(value)


def summary_lines(ctx: Ctx, svc: ReviewService) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for q in ctx.questions:
        if q.kind in ("header",):
            continue
        stored = ctx.stored(q.key)
        if q.kind == "indicator" and (stored is None or stored.value == "1"):
            continue
        shown = svc._previous_label(ctx, q, stored) if stored else ""
        if q.kind == "tasks" and stored is not None:
            counts = task_counts(load_tasks(stored.value))
            shown = label("tasks_summary", **counts)
        lines.append(
            {
                "number": ctx.index(q.key) + 1,
                "kind": q.kind,
                "title": svc._question_title(ctx, q),
                "answer": shown,
                "note": stored.note if stored and q.kind != "tasks" else "",
            }
        )
    return lines
