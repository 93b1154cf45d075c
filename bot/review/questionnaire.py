"""The questions of a self-review, derived from the catalogue (DOMAIN.md §4).

Question keys are short and contain no ':' so they fit in callback data `a:<key>:<option>`:
`hdr` header, `unit` work unit, `c.<id>` a criterion (2019/2023), `tasks` the year's task list
and `p.<id>` a points item (2025), `i.<n>` an indicator, `s.<n>` a form section II–VI,
`rcs` the self-rating as civil servant, `rate` the self-proposed party rating.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Literal

from bot.rules.catalog import Catalog, TaskStatus
from bot.rules.levels import Grade, Level

Kind = Literal[
    "header", "unit", "grade", "tasks", "points", "indicator", "section", "rating_cs", "rating"
]

NOTE_LIMIT = 1000
TEXT_LIMIT = 3000
TASK_LIMIT = 30


@dataclass(frozen=True)
class Question:
    key: str
    kind: Kind
    ref: str = ""  # criterion id, points item id, indicator number or section number
    optional: bool = False


def build(catalog: Catalog, *, civil_servant: bool) -> tuple[Question, ...]:
    qs: list[Question] = [Question("hdr", "header"), Question("unit", "unit", optional=True)]
    if catalog.points is not None:
        qs.append(Question("tasks", "tasks"))
        qs.extend(Question(f"p.{item.id}", "points", item.id) for item in catalog.points.items)
    else:
        qs.extend(
            Question(f"c.{c.id}", "grade", c.id, optional=c.optional) for c in catalog.criteria
        )
    qs.extend(
        Question(f"i.{ind.number}", "indicator", str(ind.number))
        for ind in catalog.indicators.indicators
    )
    qs.extend(
        Question(f"s.{_roman_to_int(sec.number)}", "section", sec.number, optional=sec.optional)
        for sec in catalog.sections
    )
    if civil_servant:
        qs.append(Question("rcs", "rating_cs"))
    qs.append(Question("rate", "rating"))
    return tuple(qs)


def _roman_to_int(roman: str) -> int:
    return {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7}[roman]


# --- answer values --------------------------------------------------------------------------


def parse_points(text: str, max_points: Fraction) -> Fraction | None:
    """'27,5' or '27.5' -> 27.5 exactly; None unless 0 <= x <= max with at most 2 decimals."""
    cleaned = text.strip().replace(",", ".").replace(" ", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or value.as_tuple().exponent < -2:  # type: ignore[operator]
        return None
    if value.adjusted() > 6:  # "1e999999999" would build a billion-digit integer below
        return None
    frac = Fraction(value)
    if frac < 0 or frac > max_points:
        return None
    return frac


def format_points(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):g}".replace(".", ",")


@dataclass(frozen=True)
class Task:
    title: str
    status: str = ""  # a TaskStatus value, "" until the member marks it


def load_tasks(value: str) -> list[Task]:
    if not value:
        return []
    return [Task(str(t["title"]), str(t.get("status", ""))) for t in json.loads(value)]


def dump_tasks(tasks: list[Task]) -> str:
    return json.dumps([{"title": t.title, "status": t.status} for t in tasks], ensure_ascii=False)


def task_counts(tasks: list[Task]) -> dict[str, int]:
    """The `tasks` fact of batch-rating.md: an exceeded task was done on time and exceeded."""
    on_time = sum(t.status in (TaskStatus.ON_TIME.value, TaskStatus.EXCEEDED.value) for t in tasks)
    late = sum(t.status == TaskStatus.LATE.value for t in tasks)
    not_done = sum(t.status == TaskStatus.NOT_DONE.value for t in tasks)
    exceeded = sum(t.status == TaskStatus.EXCEEDED.value for t in tasks)
    return {
        "total": len(tasks),
        "on_time": on_time,
        "late": late,
        "not_done": not_done,
        "exceeded": exceeded,
    }


def valid_option(q: Question, option: str) -> bool:
    if q.kind == "header":
        return option in ("ok", "wrong")
    if q.kind == "points":
        return False
    if q.kind == "grade":
        return option in {g.value for g in Grade} or (q.optional and option == "na")
    if q.kind == "indicator":
        return option in {"1", "2", "3", "4", "5"}
    if q.kind in ("rating", "rating_cs"):
        return option in {lv.value for lv in Level.determined()}
    if q.kind in ("section", "unit"):
        return option == "none"
    if q.kind == "tasks":
        return option in ("none", "done")
    return False


@dataclass(frozen=True)
class Stored:
    value: str
    note: str


def is_complete(q: Question, answer: Stored | None, *, computed: Level | None = None) -> bool:
    """Whether the stored answer fully answers the question (sub-answers included)."""
    if answer is None:
        return False
    if q.kind == "indicator":
        return answer.value == "1" or bool(answer.note.strip())
    if q.kind == "tasks":
        return all(t.status for t in load_tasks(answer.value)) and answer.note == "closed"
    if q.kind == "rating":
        if computed is None or computed is Level.UNDETERMINED:
            return True
        chosen = Level(answer.value)
        return chosen.rank <= computed.rank or bool(answer.note.strip())
    return True
