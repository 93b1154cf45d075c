"""What every outcome carries: a stable rule id, a citation and the numbers the rule used.

A rule never writes a sentence: the text is rendered later from `templates/reasons.yaml`, keyed
by the rule id, with `params` as the template's variables. Params hold only ints, `Fraction`s,
strings, `Level`s and None, so a reason is hashable and its text can be cached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import NamedTuple, TypeAlias

from bot.rules.levels import Level

Param: TypeAlias = int | Fraction | str | Level | None
Params: TypeAlias = tuple[tuple[str, Param], ...]


@dataclass(frozen=True, slots=True)
class Citation:
    """One or more (document, article) references; `text` is what the output prints."""

    refs: tuple[tuple[str, str], ...]
    text: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", "; ".join(f"{doc}, {art}" for doc, art in self.refs))

    def __str__(self) -> str:
        return self.text


def cite(document: str, article: str, *more: tuple[str, str]) -> Citation:
    """`cite(KH61, "mục II.2.3", (HD13, "mục B.V.1"))`."""
    return Citation(((document, article), *more))


class Reason(NamedTuple):
    """A rule that spoke for this outcome: id (key of `templates/reasons.yaml`), citation, numbers.

    `params` is a tuple of (name, value) pairs so the reason is hashable; `kwargs()` gives the
    template's variables.
    """

    rule: str
    cite: Citation
    params: Params = ()

    def kwargs(self) -> dict[str, Param]:
        return dict(self.params)


class Cap(NamedTuple):
    """An upper bound on a member's level from a fact (DOMAIN.md §5.4), with its reason.

    A cap at KHTNV is a forced KHTNV: it leaves one level possible, so it decides even an
    UNDETERMINED vote or points level; any other cap leaves UNDETERMINED as it is.
    """

    level: Level
    reason: Reason


class Flag(StrEnum):
    """Codes that ask the deciding level to look (batch-rating.md, "Flags")."""

    NO_LEVEL_FITS = "no_level_fits"
    SELF_REMEDIED = "self_remedied"
    ACTUAL_WORK_ONLY = "actual_work_only"
    INDICATOR_HANDLING = "indicator_handling"
    TIE_AT_CAP = "tie_at_cap"
    CONDITIONS_UNCHECKED = "conditions_unchecked"
