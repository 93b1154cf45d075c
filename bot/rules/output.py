"""`UnitResult` -> the exact output document of batch-rating.md ("Output").

Texts are not this module's business: the caller passes `text(reason)`, which renders the
reason's template (see `bot.batch`). Numbers stay exact up to here; `self_points` is printed as
an int when whole, else as the nearest JSON number.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.rules.engine import CapGroupResult, MemberResult, UnitResult
from bot.rules.model import Number
from bot.rules.reasons import Reason

TextOf = Callable[[Reason], str]


def _points(x: Number) -> int | float:
    """Whole points as an int, else the nearest JSON number (for display; rules stay exact)."""
    return x.numerator if x.denominator == 1 else float(x)


def member_dict(r: MemberResult, text: TextOf) -> dict[str, Any]:
    # Runs once per member: enum codes are read from `_value_`, the plain attribute behind the
    # (much slower) `.value` descriptor.
    nr, sl, vl, pr, fi = r.not_rated_reason, r.self_level, r.vote_level, r.proposed, r.final
    points = r.self_points
    return {
        "id": r.id,
        "rated": r.rated,
        "not_rated_reason": None if nr is None else nr._value_,
        "self_level": None if sl is None else sl._value_,
        "self_points": points if points is None or type(points) is int else _points(points),
        "vote_level": None if vl is None else vl._value_,
        "caps": [
            {"level": c.level._value_, "rule": c.reason.rule, "text": text(c.reason)}
            for c in r.caps
        ],
        "proposed": None if pr is None else pr._value_,
        "final": None if fi is None else fi._value_,
        "flags": [f._value_ for f in r.flags],
        "reasons": [{"rule": x.rule, "cite": x.cite.text, "text": text(x)} for x in r.reasons],
    }


def cap_group_dict(g: CapGroupResult) -> dict[str, Any]:
    return {
        "group": g.group,
        "base": g.base,
        "max_excellent": g.max_excellent,
        "candidates": list(g.candidates),
        "selected": list(g.selected),
        "ties": list(g.ties),
        "free_places": g.free_places,
    }


def unit_dict(result: UnitResult, text: TextOf) -> dict[str, Any]:
    org = result.organisation.max_level
    return {
        "rulebook": result.rulebook.value,
        "members": [member_dict(r, text) for r in result.members],
        "cap_groups": [cap_group_dict(g) for g in result.cap_groups],
        "organisation": {"max_level": org.value if org is not None else None},
    }
