"""Facts about a member in the current period: the `facts` of batch-rating.md (DOMAIN.md §5.4).

Owns: the fact keys and how a typed value is read (`có`/`không`, `27,5`, `HTTNV` or its
Vietnamese name), setting and unsetting facts (nested keys such as `tasks.total=10` or
`head_of.exception=transferred_in` merge into their object), and the audit of each change.

Whether a set of facts is acceptable is decided by the rating engine alone: the member's merged
facts go through `bot.batch.rate_document` in a one-member document under the period's rulebook
and plan, so the chat, the CLI and `kiemdiem rate` accept exactly the same facts (e.g. `tasks`
only under 2025, `on_time + late + not_done = total`). Nothing is stored when it refuses.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from bot.batch import InputErrors, rate_document
from bot.services import audit
from bot.services.acting import Who, label, member_in_cell
from bot.services.errors import UserError
from bot.services.meetings import one_member_document
from bot.services.org import current_period
from bot.services.problems import translate_all
from bot.storage.db import Database
from bot.storage.models import Fact
from bot.vietnamese import clean, fold

# key -> how its value is read. Flat keys, then the members of the three nested objects.
FLAT: dict[str, str] = {
    "civil_servant_rating": "level",
    "disciplined": "bool",
    "discipline_self_remedied": "bool",
    "concluded_decline": "bool",
    "violated_prohibitions": "bool",
    "targets_done_pct": "number",
    "targets_exceeded_pct": "number",
    "sick_leave_months": "number",
    "maternity": "bool",
    "lost_card": "bool",
    "lost_card_force_majeure": "bool",
}
NESTED: dict[str, dict[str, str]] = {
    "tasks": {
        "total": "int",
        "on_time": "int",
        "late": "int",
        "not_done": "int",
        "exceeded": "int",
    },
    "prior_shortcomings": {"total": "int", "fixed": "int"},
    "head_of": {"collective_rating": "level", "exception": "exception"},
}
ALL_KEYS: tuple[str, ...] = (
    *FLAT,
    *(f"{top}.{sub}" for top, subs in NESTED.items() for sub in subs),
)

_TRUE = frozenset(("true", "co", "yes", "x", "1", "dung", "y"))
_FALSE = frozenset(("false", "khong", "no", "0", "sai", "n"))
_UNSET = frozenset(("", "null", "none"))
_LEVELS = {
    "htxsnv": "HTXSNV",
    "hoan thanh xuat sac nhiem vu": "HTXSNV",
    "httnv": "HTTNV",
    "hoan thanh tot nhiem vu": "HTTNV",
    "htnv": "HTNV",
    "hoan thanh nhiem vu": "HTNV",
    "khtnv": "KHTNV",
    "khong hoan thanh nhiem vu": "KHTNV",
}
_EXCEPTIONS = {
    "party_post_not_main_job": "party_post_not_main_job",
    "new_head_under_3_months": "new_head_under_3_months",
    "transferred_in": "transferred_in",
    "khong": None,
}


@dataclass(frozen=True)
class FactsView:
    member_id: int
    name: str
    facts: dict[str, Any]  # the batch-rating.md `facts` object as stored now
    changed: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # key -> (old, new)


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """`["sick_leave_months=4", "tasks.total=10"]` -> {key: raw value}; `KEY=` unsets."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = clean(key).lower()
        if not sep or not key:
            raise UserError("fact_bad_assignment", text=clean(item)[:60])
        out[key] = clean(value)
    return out


def parse_value(key: str, raw: object) -> Any:
    """The JSON value of a fact typed as text; text that is not of the key's type is passed on
    unchanged, so the engine's own check names what is wrong. None means "unset"."""
    if not isinstance(raw, str):
        return raw
    kind = FLAT.get(key)
    if kind is None and "." in key:
        top, _, sub = key.partition(".")
        kind = NESTED.get(top, {}).get(sub)
    if kind is None:
        return None if fold(raw) in _UNSET else raw  # a whole nested object: only unsetting
    folded = fold(raw)
    if folded in _UNSET:
        return None
    if kind == "bool":
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
        return raw
    if kind == "level":
        return _LEVELS.get(folded, raw)
    if kind == "exception":
        return _EXCEPTIONS.get(folded, raw)
    try:
        number = Decimal(raw.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        return raw
    if not number.is_finite():
        return raw
    if number == number.to_integral_value():
        return int(number)
    if kind == "int":
        return raw  # "expected a whole number"
    # The engine reads a float as the decimal it prints as, so 27.5 stays exactly 27.5.
    return float(number)


def merge(current: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The member's facts after applying `values` (key -> typed value, None unsets)."""
    merged = copy.deepcopy(dict(current))
    for key, value in values.items():
        if key in FLAT:
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
            continue
        top, dot, sub = key.partition(".")
        if top not in NESTED or (dot and sub not in NESTED[top]):
            raise UserError("fact_unknown_key", key=key, keys=", ".join(ALL_KEYS))
        if not dot:  # the whole object: unset, or a value the engine will refuse
            if value is None:
                merged.pop(top, None)
            else:
                merged[top] = value
            continue
        obj = merged.get(top)
        obj = dict(obj) if isinstance(obj, dict) else {}
        if value is None:
            obj.pop(sub, None)
        else:
            obj[sub] = value
        if obj:
            merged[top] = obj
        else:
            merged.pop(top, None)
    return merged


class FactService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, who: Who, member_id: int) -> FactsView:
        with self.db.session() as s:
            member = member_in_cell(s, who, member_id)
            period = current_period(s, member.cell_id)
            rows = s.execute(
                select(Fact).where(Fact.period_id == period.id, Fact.member_id == member_id)
            ).scalars()
            return FactsView(member.id, member.full_name, {r.key: r.value for r in rows})

    def set(self, who: Who, member_id: int, values: Mapping[str, object]) -> FactsView:
        """Set (or, with an empty value, unset) facts; `values` maps keys to text or JSON."""
        typed = {k.strip().lower(): parse_value(k.strip().lower(), v) for k, v in values.items()}
        return self._apply(who, member_id, typed)

    def unset(self, who: Who, member_id: int, keys: Iterable[str]) -> FactsView:
        return self._apply(who, member_id, {k.strip().lower(): None for k in keys})

    def _apply(self, who: Who, member_id: int, values: dict[str, Any]) -> FactsView:
        with self.db.session() as s:
            member = member_in_cell(s, who, member_id)
            period = current_period(s, member.cell_id)
            rows = {
                r.key: r
                for r in s.execute(
                    select(Fact).where(Fact.period_id == period.id, Fact.member_id == member_id)
                ).scalars()
            }
            current = {k: r.value for k, r in rows.items()}
            merged = merge(current, values)
            doc = one_member_document(period, member.id, facts=merged)
            try:
                rate_document(doc)
            except InputErrors as exc:
                raise UserError(
                    "facts_invalid",
                    name=member.full_name,
                    problems="; ".join(translate_all(exc.problems)),
                ) from None
            who_label = label(s, who)
            changed: dict[str, tuple[Any, Any]] = {}
            for key in sorted(set(current) | set(merged)):
                old, new = current.get(key), merged.get(key)
                if old == new:
                    continue
                changed[key] = (old, new)
                row = rows.get(key)
                if new is None:
                    assert row is not None
                    s.delete(row)
                elif row is None:
                    s.add(
                        Fact(
                            period_id=period.id,
                            member_id=member_id,
                            key=key,
                            value=new,
                            set_by=who_label,
                        )
                    )
                else:
                    row.value, row.set_by = new, who_label
            if changed:
                audit.record(
                    s,
                    actor=who_label,
                    entity="facts",
                    entity_id=f"{period.id}/{member_id}",
                    action="set",
                    old={k: o for k, (o, _) in changed.items()},
                    new={k: n for k, (_, n) in changed.items()},
                )
            return FactsView(member.id, member.full_name, merged, changed)
